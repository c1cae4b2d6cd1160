// pg::Error from a real server: constraint violations keep the server's message and the
// constraint's name but never the row contents the server puts in the error's detail.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "daemon/pg/error.h"
#include "tests/support/database_test.h"

namespace partitiond::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ServerErrorTextTest : public DatabaseTest {
 protected:
  // The error `sql` raises on the test's superuser connection.
  pg::Error ErrorOf(const std::string& sql) {
    try {
      conn_->Exec(sql);
    } catch (const pg::Error& e) {
      return e;
    }
    ADD_FAILURE() << "no error from: " << sql;
    return pg::Error("", "");
  }
};

TEST_F(ServerErrorTextTest, ConstraintViolationsNameTheConstraintButNoRowData) {
  conn_->Exec(
      "CREATE TABLE public.cards (id int PRIMARY KEY, number text NOT NULL "
      "CONSTRAINT no_numbers CHECK (number NOT LIKE '4%'));"
      "INSERT INTO public.cards VALUES (1, 'x-secret-1')");
  const pg::Error check = ErrorOf("INSERT INTO public.cards VALUES (2, '4111-secret-2')");
  EXPECT_EQ(check.sqlstate(), "23514");
  EXPECT_THAT(check.what(), HasSubstr("violates check constraint \"no_numbers\""));
  const pg::Error unique = ErrorOf("INSERT INTO public.cards VALUES (1, 'y-secret-3')");
  EXPECT_EQ(unique.sqlstate(), "23505");
  EXPECT_THAT(unique.what(), HasSubstr("\"cards_pkey\""));
  const pg::Error not_null = ErrorOf("INSERT INTO public.cards VALUES (3, NULL)");
  EXPECT_EQ(not_null.sqlstate(), "23502");
  for (const pg::Error* e : {&check, &unique, &not_null}) {
    EXPECT_THAT(e->what(), Not(HasSubstr("secret"))) << e->what();
    EXPECT_THAT(e->what(), Not(HasSubstr("Failing row"))) << e->what();
    EXPECT_THAT(e->what(), Not(HasSubstr("Key ("))) << e->what();
  }
  // Other errors keep their explanation.
  conn_->Exec("CREATE VIEW public.recent AS SELECT * FROM public.cards");
  const pg::Error depends = ErrorOf("DROP TABLE public.cards");
  EXPECT_THAT(depends.what(), HasSubstr("view recent depends on table cards"));
}

}  // namespace
}  // namespace partitiond::testing
