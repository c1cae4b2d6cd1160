// Designed for scale: a pass over 1,000 parents with nothing to do costs one catalog query for the
// whole database (plus the session setup), not one per table or partition. Counted from the
// server's own statement log, so it holds whatever the client code looks like.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/database_test.h"

namespace partitiond::testing {
namespace {

constexpr int kParents = 1000;

class ScaleTest : public DatabaseTest {
 protected:
  // Statements the daemon's sessions sent to this test's database, as logged by the server.
  int DaemonStatements() {
    std::ifstream log(PgCluster::Shared().server_log());
    const std::string prefix = dbname_ + "|partitiond| LOG:  ";
    int count = 0;
    for (std::string line; std::getline(log, line);) {
      if (line.starts_with(prefix + "statement:") || line.starts_with(prefix + "execute")) ++count;
    }
    return count;
  }
};

TEST_F(ScaleTest, ThousandParentsWithNothingToDoTakeOneCatalogQuery) {
  // Each parent has this year's and next year's partitions: nothing to do in November 2026.
  conn_->Exec(
      "CREATE SCHEMA many; DO $$ BEGIN FOR i IN 1.." + std::to_string(kParents) +
      " LOOP EXECUTE format('CREATE TABLE many.t%s (at date NOT NULL) PARTITION BY RANGE (at);"
      " CREATE TABLE many.t%s_2026 PARTITION OF many.t%s FOR VALUES FROM (''2026-01-01'') TO "
      "(''2027-01-01''); CREATE TABLE many.t%s_2027 PARTITION OF many.t%s FOR VALUES FROM "
      "(''2027-01-01'') TO (''2028-01-01'')', i, i, i, i, i); END LOOP; END $$;");
  std::string tables;
  for (int i = 1; i <= kParents; ++i) {
    tables += "      - { name: many.t" + std::to_string(i) + ", interval: 1 year, premake: 1 }\n";
  }
  const std::string config = WriteConfig(tables);
  conn_->Exec("ALTER DATABASE " + conn_->QuoteIdentifier(dbname_) + " SET log_statement = 'all'");

  const int before = DaemonStatements();
  const CliResult plan = RunCli("plan --config " + config + " --now 2026-11-25T00:00:00Z");
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  ASSERT_THAT(plan.out, ::testing::HasSubstr("summary: 0 action(s)"));
  // One simple query for the session settings, one for the catalog snapshot.
  EXPECT_EQ(DaemonStatements() - before, 2);

  const CliResult once = RunCli("once --config " + config + " --now 2026-11-25T00:00:00Z");
  ASSERT_EQ(once.exit_code, 0) << once.err;
  // `once` adds one statement: the leadership check (standby? advisory lock).
  EXPECT_EQ(DaemonStatements() - before, 5);
}

}  // namespace
}  // namespace partitiond::testing
