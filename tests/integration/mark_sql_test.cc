// The SQL that finds retention marks (catalog/mark.h) on a real server accepts exactly what
// FormatMark writes and reads back the same fields, and the catalog snapshot finds a detached
// table by its mark.
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include <fmt/format.h>

#include "daemon/catalog/mark.h"
#include "tests/support/database_test.h"

namespace partitiond::testing {
namespace {

using catalog::KeyValue;
using catalog::Mark;
using catalog::MarkKind;

class MarkSqlTest : public DatabaseTest {
 protected:
  // "is_mark parent lower upper" as the server computes them for `text`.
  std::string Fields(const std::string& text) {
    const std::string sql = fmt::format(
        "SELECT concat_ws(' ', {}, {}, {}, {}) FROM (VALUES ($1::text)) AS d(description)",
        catalog::SqlIsRetentionMark("d.description"), catalog::SqlMarkParent("d.description"),
        catalog::SqlMarkLower("d.description"), catalog::SqlMarkUpper("d.description"));
    return std::string(conn_->Exec(sql, {text}).Get(0, 0));
  }
};

TEST_F(MarkSqlTest, TheServerReadsWhatFormatMarkWrites) {
  const Mark marks[] = {
      {.kind = MarkKind::kRetention,
       .parent_oid = 16384,
       .lower = KeyValue(1'767'225'600'000'000),
       .upper = KeyValue(1'769'904'000'000'000)},
      {.kind = MarkKind::kRetention,
       .parent_oid = std::numeric_limits<std::uint32_t>::max(),
       .lower = KeyValue::min(),
       .upper = KeyValue(-86'400'000'000)},
  };
  for (const Mark& m : marks) {
    EXPECT_EQ(Fields(catalog::FormatMark(m)),
              fmt::format("t {} {} {}", m.parent_oid, m.lower.count(), m.upper.count()));
  }
  // Not a retention mark: no field comes back (concat_ws skips NULLs).
  EXPECT_EQ(Fields(catalog::FormatMark({.kind = MarkKind::kPendingCreate, .parent_oid = 7})), "f");
  EXPECT_EQ(Fields("partitiond: detached by retention of 7 lower 1 upper 2 and more"), "f");
}

TEST_F(MarkSqlTest, TheSnapshotFindsATableByItsMark) {
  CreateMonthlyEvents();
  conn_->Exec(
      "CREATE TABLE app.events_p20260101 PARTITION OF app.events FOR VALUES FROM ('2026-01-01') "
      "TO ('2026-02-01'); ALTER TABLE app.events DETACH PARTITION app.events_p20260101;");
  const long long oid = QueryInt("SELECT 'app.events'::regclass::oid::bigint");
  const Mark mark{.kind = MarkKind::kRetention,
                  .parent_oid = static_cast<std::uint32_t>(oid),
                  .lower = KeyValue(1'767'225'600'000'000),
                  .upper = KeyValue(1'769'904'000'000'000)};
  conn_->Exec("COMMENT ON TABLE app.events_p20260101 IS " +
              conn_->QuoteLiteral(catalog::FormatMark(mark)));
  const std::string config = WriteConfig(
      "      - { name: app.events, interval: 1 month, premake: 1, retention: 1 month, "
      "retention_action: drop }\n");
  const CliResult r = RunCli("plan --config " + config + " --now 2026-03-15T00:00:00Z");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // The detached table is finished (dropped) by retention: it was found by its mark.
  EXPECT_NE(r.out.find("drop            app.events_p20260101"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace partitiond::testing
