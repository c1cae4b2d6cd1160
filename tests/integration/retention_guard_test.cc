// The removal guard on a real table: a retention shortened from 24 months to "12d" removes
// nothing until confirmed, says so in the plan, `once` and `status`; confirmed, the removals go,
// at most max_removals_per_pass at a time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/database_test.h"

namespace partitiond::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr const char* kNow = "2025-12-15T00:00:00Z";

std::string Table(const std::string& retention_lines) {
  return "      - name: app.events\n"
         "        interval: 1 month\n"
         "        premake: 3\n"
         "        retention_action: drop\n" +
         retention_lines;
}

class RetentionGuardTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    CreateMonthlyEvents();
    // 2024-01 .. 2026-03 under 24 months: 27 partitions, none expired; one row a day.
    const std::string kept = WriteConfig(Table("        retention: 24 months\n"));
    ASSERT_EQ(RunCli("once --config " + kept + " --now 2024-01-15T00:00:00Z").exit_code, 0);
    const CliResult filled = RunCli("once --config " + kept + " --now " + kNow);
    ASSERT_EQ(filled.exit_code, 0) << filled.out << filled.err;
    ASSERT_THAT(Partitions("app.events"), SizeIs(27));
    conn_->Exec(
        "INSERT INTO app.events (at) SELECT d FROM generate_series('2024-01-01'::timestamptz, "
        "'2025-12-14', interval '1 day') d");
    rows_ = QueryInt("SELECT count(*) FROM app.events");
  }

  long long rows_ = 0;
};

TEST_F(RetentionGuardTest, AShortenedRetentionIsHeldUntilConfirmedThenCapped) {
  const std::string shortened = WriteConfig(Table("        retention: 12d\n"));
  const CliResult held = RunCli("once --config " + shortened + " --now " + kNow);
  ASSERT_EQ(held.exit_code, 0) << held.out << held.err;
  EXPECT_THAT(Partitions("app.events"), SizeIs(27));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM app.events"), rows_);
  EXPECT_THAT(held.out, HasSubstr("retention 12 days would remove 23 of 27 partitions"));
  EXPECT_THAT(held.err, HasSubstr("database test table app.events: retention 12 days would remove "
                                  "23 of 27 partitions"));
  EXPECT_THAT(held.err, HasSubstr("retention_confirm: \"12 days\""));

  const CliResult plan = RunCli("plan --config " + shortened + " --now " + kNow + " --format json");
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_EQ(nlohmann::json::parse(plan.out)
                .at("databases")
                .at(0)
                .at("tables")
                .at(0)
                .at("retention_held")
                .get<int>(),
            23);
  const CliResult status =
      RunCli("status --config " + shortened + " --now " + kNow + " --format json");
  EXPECT_EQ(nlohmann::json::parse(status.out).at(0).at("tables").at(0).at("retention_held"), 23)
      << status.out;

  // Confirmed, with a cap of 10 a pass: the oldest 10, then 10, then the last 3.
  const std::string confirmed =
      WriteConfig(Table("        retention: 12d\n        retention_confirm: 12d\n        "
                        "max_removals_per_pass: 10\n"));
  const std::size_t expected_left[] = {17, 7, 4};
  for (std::size_t left : expected_left) {
    const CliResult r = RunCli("once --config " + confirmed + " --now " + kNow);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_THAT(Partitions("app.events"), SizeIs(left));
  }
  EXPECT_THAT(Partitions("app.events").front(), HasSubstr("events_p20251201 "));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM partitiond.audit WHERE action = 'drop' AND outcome = "
                     "'ok'"),
            23);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM app.events"), 14);
}

}  // namespace
}  // namespace partitiond::testing
