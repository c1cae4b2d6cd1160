// `partitiond once` and `plan` against a real PostgreSQL: premake, idempotence, retention by drop
// and detach, adoption of hand-made partitions, gap filling.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/database_test.h"

namespace partitiond::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kMonthlyEvents =
    "      - name: app.events\n"
    "        interval: 1 month\n"
    "        premake: 3\n";

class OnceTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    conn_->Exec(
        "CREATE SCHEMA app; CREATE TABLE app.events (id bigint GENERATED ALWAYS AS IDENTITY, "
        "tenant_id uuid NOT NULL, at timestamptz NOT NULL, body text, PRIMARY KEY (id, at)) "
        "PARTITION BY RANGE (at); CREATE INDEX ON app.events (tenant_id, at);");
  }
};

TEST_F(OnceTest, PremakesFromAnEmptyParentWithTheLowLockRecipe) {
  // A long reader of the parent holds ACCESS SHARE: CREATE TABLE ... PARTITION OF (ACCESS
  // EXCLUSIVE) would time out here; LIKE + ATTACH (SHARE UPDATE EXCLUSIVE) does not conflict.
  const std::string config = WriteConfig(kMonthlyEvents);
  pg::Connection reader = PgCluster::Shared().Connect(dbname_);
  reader.Exec("BEGIN; SELECT count(*) FROM app.events;");
  const CliResult r = RunCli("once --config " + config + " --now 2026-11-25T10:00:00Z");
  reader.Exec("COMMIT");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(Partitions("app.events"),
              ElementsAre("events_p20261101 [2026-11-01 00:00:00+00, 2026-12-01 00:00:00+00)",
                          "events_p20261201 [2026-12-01 00:00:00+00, 2027-01-01 00:00:00+00)",
                          "events_p20270101 [2027-01-01 00:00:00+00, 2027-02-01 00:00:00+00)",
                          "events_p20270201 [2027-02-01 00:00:00+00, 2027-03-01 00:00:00+00)"));
  // The temporary CHECK used to attach without a scan is gone; indexes came along with LIKE.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_constraint WHERE conname = 'partitiond_bound'"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_indexes WHERE tablename = 'events_p20261201'"), 2);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM partitiond.audit WHERE action = 'create' AND outcome = "
                     "'ok' AND table_name = 'app.events' AND database_label = 'test'"),
            4);
  // Identity stays with the parent: no per-partition sequences, ids come from one sequence.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_class WHERE relkind = 'S' AND relnamespace = "
                     "'app'::regnamespace"),
            1);
  conn_->Exec("INSERT INTO app.events (tenant_id, at) VALUES (gen_random_uuid(), '2027-02-10')");
}

TEST_F(OnceTest, SecondPassPlansAndDoesNothing) {
  const std::string config = WriteConfig(kMonthlyEvents);
  ASSERT_EQ(RunCli("once --config " + config + " --now 2026-11-25T10:00:00Z").exit_code, 0);
  const std::string before = CatalogFingerprint();
  const CliResult plan =
      RunCli("plan --config " + config + " --now 2026-11-25T10:00:00Z --format json");
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_THAT(plan.out, HasSubstr("\"actions\": []"));
  const CliResult again = RunCli("once --config " + config + " --now 2026-11-25T10:00:00Z");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("nothing to do"));
  EXPECT_EQ(CatalogFingerprint(), before);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM partitiond.audit"), 4);
}

TEST_F(OnceTest, AYearLaterDropsExactlyTheExpiredPartitions) {
  const std::string config = WriteConfig(std::string(kMonthlyEvents) +
                                         "        retention: 6 months\n"
                                         "        retention_action: drop\n");
  ASSERT_EQ(RunCli("once --config " + config + " --now 2026-01-15T00:00:00Z").exit_code, 0);
  conn_->Exec(
      "INSERT INTO app.events (tenant_id, at) SELECT gen_random_uuid(), '2026-01-01'::timestamptz"
      " + n * interval '1 day' FROM generate_series(0, 100) n");
  // A year later the cutoff is 2026-07-20: Jan..Apr 2026 (all of ours that old) go; May and June
  // are not re-created to fill the gap, since they would be expired at once; July onward is made.
  const CliResult r = RunCli("once --config " + config + " --now 2027-01-20T00:00:00Z");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto parts = Partitions("app.events");
  ASSERT_FALSE(parts.empty());
  EXPECT_EQ(parts.front(), "events_p20260701 [2026-07-01 00:00:00+00, 2026-08-01 00:00:00+00)");
  EXPECT_EQ(parts.back(), "events_p20270401 [2027-04-01 00:00:00+00, 2027-05-01 00:00:00+00)");
  EXPECT_EQ(parts.size(), 10u);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM partitiond.audit WHERE action = 'drop' AND outcome = "
                     "'ok'"),
            4);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_class WHERE relname = 'events_p20260101'"), 0);
  // The rows lived in January to April 2026 and went with their partitions.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM app.events"), 0);
}

TEST_F(OnceTest, DetachKeepsTheTableAndItsRows) {
  const std::string config = WriteConfig(std::string(kMonthlyEvents) +
                                         "        retention: 2 months\n"
                                         "        retention_action: detach\n");
  ASSERT_EQ(RunCli("once --config " + config + " --now 2026-01-15T00:00:00Z").exit_code, 0);
  conn_->Exec("INSERT INTO app.events (tenant_id, at) VALUES (gen_random_uuid(), '2026-01-05')");
  const CliResult r = RunCli("once --config " + config + " --now 2026-04-02T00:00:00Z");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Partitions("app.events").front(),
            "events_p20260201 [2026-02-01 00:00:00+00, 2026-03-01 00:00:00+00)");
  // Detached, not dropped: a plain table with its row, no longer a partition.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM app.events_p20260101"), 1);
  EXPECT_EQ(QueryText("SELECT relispartition::text FROM pg_class WHERE relname = "
                      "'events_p20260101'"),
            "false");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM partitiond.audit WHERE action = 'detach' AND outcome = "
                     "'ok'"),
            1);
}

TEST_F(OnceTest, AdoptsHandMadePartitionsAndFillsTheGap) {
  conn_->Exec(
      "CREATE TABLE app.legacy_january PARTITION OF app.events FOR VALUES FROM ('2026-01-01') TO "
      "('2026-02-01');"
      "CREATE TABLE app.\"Old Stuff\" PARTITION OF app.events FOR VALUES FROM ('2025-06-01') TO "
      "('2025-10-01');");
  const std::string config = WriteConfig(kMonthlyEvents);
  const CliResult r = RunCli("once --config " + config + " --now 2026-02-10T00:00:00Z");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(Partitions("app.events"),
              ElementsAre("Old Stuff [2025-06-01 00:00:00+00, 2025-10-01 00:00:00+00)",
                          "events_p20251001 [2025-10-01 00:00:00+00, 2025-11-01 00:00:00+00)",
                          "events_p20251101 [2025-11-01 00:00:00+00, 2025-12-01 00:00:00+00)",
                          "events_p20251201 [2025-12-01 00:00:00+00, 2026-01-01 00:00:00+00)",
                          "events_p20260201 [2026-02-01 00:00:00+00, 2026-03-01 00:00:00+00)",
                          "events_p20260301 [2026-03-01 00:00:00+00, 2026-04-01 00:00:00+00)",
                          "events_p20260401 [2026-04-01 00:00:00+00, 2026-05-01 00:00:00+00)",
                          "events_p20260501 [2026-05-01 00:00:00+00, 2026-06-01 00:00:00+00)",
                          "legacy_january [2026-01-01 00:00:00+00, 2026-02-01 00:00:00+00)"));
}

TEST_F(OnceTest, FarFutureRowsCauseNoMassCreation) {
  // Bogus far-future data both in a partition of its own and in the default partition.
  conn_->Exec(
      "CREATE TABLE app.events_2099 PARTITION OF app.events FOR VALUES FROM ('2099-01-01') TO "
      "('2099-02-01');"
      "CREATE TABLE app.events_default PARTITION OF app.events DEFAULT;"
      "INSERT INTO app.events (tenant_id, at) VALUES (gen_random_uuid(), '2098-06-01'),"
      " (gen_random_uuid(), '2099-01-15');");
  const std::string config = WriteConfig(kMonthlyEvents);
  ASSERT_EQ(RunCli("once --config " + config + " --now 2026-11-25T00:00:00Z").exit_code, 0);
  // Four of ours (now + premake 3), the 2099 one and the default: nothing up to 2099.
  EXPECT_EQ(Partitions("app.events").size(), 6u);
}

TEST_F(OnceTest, PlanChangesNothing) {
  const std::string config = WriteConfig(kMonthlyEvents);
  const std::string before = CatalogFingerprint();
  const CliResult r = RunCli("plan --config " + config + " --now 2026-11-25T00:00:00Z");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("+ create"));
  EXPECT_THAT(r.out, HasSubstr("app.events_p20270201"));
  EXPECT_EQ(CatalogFingerprint(), before);
}

TEST_F(OnceTest, JsonLogsAreOneValidObjectPerLine) {
  const std::string config = WriteConfig(
      "      - { name: app.events, interval: 1 month }\n"
      "      - { name: 'app.\"no \"\"such\"\" table\"', interval: 1 month }\n",
      "{ lock_timeout: 100ms }", "{ level: info, format: json }");
  const CliResult r = RunCli("once --config " + config + " --now 2026-11-25T00:00:00Z");
  ASSERT_EQ(r.exit_code, 1) << r.err;
  std::istringstream lines(r.err);
  int parsed = 0, creates = 0;
  bool saw_missing_table = false;
  for (std::string line; std::getline(lines, line); ++parsed) {
    const auto entry = nlohmann::json::parse(line);  // throws, failing the test, if not JSON
    EXPECT_TRUE(entry.contains("time") && entry.contains("level") && entry.contains("message"));
    if (entry.value("action", "") == "create") {
      ++creates;
      EXPECT_EQ(entry["database"], "test");
      EXPECT_EQ(entry["table"], "app.events");
      EXPECT_TRUE(entry.contains("duration_ms") && entry.contains("partition")) << line;
    }
    if (entry.value("error", "").find("does not exist") != std::string::npos) {
      saw_missing_table = true;
      EXPECT_EQ(entry["level"], "error");
      EXPECT_EQ(entry["table"], "app.\"no \"\"such\"\" table\"");
    }
  }
  EXPECT_EQ(creates, 4);
  EXPECT_TRUE(saw_missing_table) << r.err;
}

TEST_F(OnceTest, StatusReportsHealthAndTheLastAuditedOutcome) {
  conn_->Exec(
      "CREATE TABLE app.events_default PARTITION OF app.events DEFAULT;"
      "INSERT INTO app.events (tenant_id, at) SELECT gen_random_uuid(), '2001-01-01' FROM "
      "generate_series(1, 50); ANALYZE app.events_default;");
  const std::string config = WriteConfig(std::string(kMonthlyEvents) +
                                         "        retention: 2 months\n"
                                         "      - { name: app.missing, interval: 1 day }\n");
  ASSERT_EQ(RunCli("once --config " + config + " --now 2026-11-25T00:00:00Z").exit_code, 1);
  const std::string before = CatalogFingerprint();
  const CliResult r =
      RunCli("status --config " + config + " --now 2026-12-10T00:00:00Z --format json");
  EXPECT_EQ(r.exit_code, 1) << r.err;  // app.missing cannot be maintained
  const auto status = nlohmann::json::parse(r.out);
  const auto& tables = status.at(0).at("tables");
  ASSERT_EQ(tables.size(), 2u);
  const auto& events = tables.at(0);
  EXPECT_EQ(events["table"], "app.events");
  EXPECT_EQ(events["partitions"], 4);
  // Coverage ends 2027-03-01: 81 days after 2026-12-10.
  EXPECT_EQ(events["coverage_ahead_seconds"], 81 * 86400);
  EXPECT_EQ(events["oldest_partition_start"], "2026-11-01");
  EXPECT_EQ(events["retention_overdue_seconds"], 0);
  EXPECT_EQ(events["default_partition"], true);
  EXPECT_EQ(events["default_rows"], 50);
  EXPECT_FALSE(events["last_success"].get<std::string>().empty());
  EXPECT_EQ(tables.at(1)["error"], "table app.missing does not exist");
  const CliResult text = RunCli("status --config " + config + " --now 2026-12-10T00:00:00Z");
  EXPECT_THAT(text.out, HasSubstr("app.events"));
  EXPECT_THAT(text.out, HasSubstr("81d 0h"));
  EXPECT_EQ(CatalogFingerprint(), before);  // status changes nothing
}

}  // namespace
}  // namespace partitiond::testing
