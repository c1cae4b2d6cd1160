#include "daemon/pg/error.h"

#include <gtest/gtest.h>

#include <string>

namespace partitiond::pg {
namespace {

struct TextCase {
  const char* sqlstate;
  const char* primary;
  const char* detail;
  const char* constraint;
  const char* expected;
};

// The server's own messages for each case; the details of classes 22 and 23 carry row data.
const TextCase kCases[] = {
    {"23514", R"(new row for relation "events_p20270301" violates check constraint "no_pii")",
     "Failing row contains (1, 4111-1111-1111-1111, 2027-03-02).", "no_pii",
     R"(new row for relation "events_p20270301" violates check constraint "no_pii")"},
    {"23505", R"(duplicate key value violates unique constraint "events_pkey")",
     "Key (id, at)=(42, 2027-03-02 00:00:00+00) already exists.", "events_pkey",
     R"(duplicate key value violates unique constraint "events_pkey")"},
    {"23503",
     R"(update or delete on table "events_default" violates foreign key constraint "notes_fk" on table "notes")",
     R"(Key (id, at)=(7, 2027-03-02) is still referenced from table "notes".)", "notes_fk",
     R"(update or delete on table "events_default" violates foreign key constraint "notes_fk" on table "notes")"},
    {"23502",
     R"(null value in column "tenant_id" of relation "events" violates not-null constraint)",
     "Failing row contains (1, null, secret).", "",
     R"(null value in column "tenant_id" of relation "events" violates not-null constraint)"},
    // A constraint the primary message does not name is named from the error's field.
    {"23514",
     R"(updated partition constraint for default partition "d" would be violated by some row)", "",
     "partitiond_exclusion",
     R"(updated partition constraint for default partition "d" would be violated by some row (constraint "partitiond_exclusion"))"},
    {"22001", "value too long for type character varying(4)", "Value: hunter2", "",
     "value too long for type character varying(4)"},
    // Other classes keep their detail: it explains, and holds no row.
    {"2BP01", R"(cannot drop table app.events_p20250101 because other objects depend on it)",
     "view app.recent depends on table app.events_p20250101", "",
     R"(cannot drop table app.events_p20250101 because other objects depend on it (view app.recent depends on table app.events_p20250101))"},
    {"55P03", R"(canceling statement due to lock timeout)", "", "",
     "canceling statement due to lock timeout"},
    {"", "", "", "", ""},
};

TEST(ServerErrorTextTest, KeepsTheMessageAndDropsDetailsThatCarryRowData) {
  for (const auto& c : kCases) {
    EXPECT_EQ(ServerErrorText(c.sqlstate, c.primary, c.detail, c.constraint), c.expected)
        << c.sqlstate << " " << c.primary;
  }
}

}  // namespace
}  // namespace partitiond::pg
