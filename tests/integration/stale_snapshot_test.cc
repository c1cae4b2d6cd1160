// A pass acts on a catalog snapshot read when it began. When someone changes a partition after
// that read, the executor's guards (daemon/executor/partition_state.h) must notice inside the
// step's own transaction: nothing is marked, dropped or kept against the operator's change, and
// the action ends as the partition's current state says.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>

#include "daemon/common/asio.h"
#include "daemon/common/env.h"
#include "daemon/config/config.h"
#include "daemon/maintenance/pass.h"
#include "tests/support/database_test.h"

namespace partitiond::testing {
namespace {

using ::testing::HasSubstr;

constexpr const char* kEvents = kMonthlyEventsKeptAMonth;
constexpr const char* kExpiring = "events_p20260101";

class StaleSnapshotTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    CreateMonthlyEvents();
    config_ = WriteConfig(kEvents);
    const CliResult first = RunCli("once --config " + config_ + " --now 2026-01-15T00:00:00Z");
    ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
    conn_->Exec("INSERT INTO app.events (at) VALUES ('2026-01-10')");
  }

  // A pass at 2026-03-15 (January has expired) that runs `interfere` as the superuser after the
  // snapshot was read, just before the first action. Returns the result of January's drop.
  executor::ActionResult PassWithChangeAfterSnapshot(const std::string& interfere) {
    const config::Config config = config::LoadConfigFile(config_);
    auto env = MakeSystemEnv();
    maintenance::PassOptions options{.apply = true, .now_is_explicit = true};
    bool interfered = false;
    options.may_act = [&]() -> asio::awaitable<bool> {
      if (!interfered) conn_->Exec(interfere);
      interfered = true;
      co_return true;
    };
    const auto now = std::chrono::sys_days(std::chrono::year(2026) / 3 / 15);
    report_ = RunToCompletion(maintenance::RunPass(config.databases[0], config.maintenance, *env,
                                                   std::chrono::sys_seconds(now), options));
    EXPECT_TRUE(interfered);
    const auto& table = report_.tables.at(0);
    for (size_t i = 0; i < table.plan.actions.size(); ++i) {
      if (table.plan.actions[i].partition == kExpiring) return table.results.at(i);
    }
    ADD_FAILURE() << "no action on " << kExpiring;
    return {};
  }

  // The table is still there, a plain table with its row, and carries no retention mark.
  void ExpectKeptUnmarked() {
    EXPECT_EQ(QueryInt("SELECT count(*) FROM app.events_p20260101"), 1);
    EXPECT_EQ(QueryText("SELECT relispartition::text FROM pg_class WHERE oid = "
                        "'app.events_p20260101'::regclass"),
              "false");
    EXPECT_EQ(QueryText("SELECT coalesce(obj_description('app.events_p20260101'::regclass, "
                        "'pg_class'), 'none')"),
              "none");
  }

  std::string config_;
  maintenance::DatabaseReport report_;
};

TEST_F(StaleSnapshotTest, APartitionDetachedByHandAfterTheSnapshotIsNeitherMarkedNorDropped) {
  const executor::ActionResult drop =
      PassWithChangeAfterSnapshot("ALTER TABLE app.events DETACH PARTITION app.events_p20260101");
  EXPECT_EQ(drop.outcome, executor::Outcome::kFailed);
  EXPECT_THAT(drop.error, HasSubstr("was not detached by partitiond; refusing to drop it"));
  EXPECT_EQ(maintenance::ExitCode({report_}), 1);
  ExpectKeptUnmarked();
  // Later passes leave it alone too.
  const CliResult again = RunCli("once --config " + config_ + " --now 2026-03-15T00:00:00Z");
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  ExpectKeptUnmarked();
}

TEST_F(StaleSnapshotTest, APartitionDroppedByHandAfterTheSnapshotEndsTheDropAsDone) {
  const executor::ActionResult drop =
      PassWithChangeAfterSnapshot("DROP TABLE app.events_p20260101");
  EXPECT_EQ(drop.outcome, executor::Outcome::kOk) << drop.error;
  EXPECT_EQ(maintenance::ExitCode({report_}), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_class WHERE relname = 'events_p20260101'"), 0);
}

TEST_F(StaleSnapshotTest, ADetachedTableWhoseMarkWasRemovedAfterTheSnapshotIsNotDropped) {
  // As an interrupted retention drop leaves it: detached, carrying the mark with parent and range.
  conn_->Exec(
      "DO $$ BEGIN EXECUTE format('COMMENT ON TABLE app.events_p20260101 IS %L', "
      "'partitiond: detached by retention of ' || 'app.events'::regclass::oid || ' lower ' || "
      "(extract(epoch FROM timestamptz '2026-01-01 00:00+00') * 1000000)::bigint || ' upper ' || "
      "(extract(epoch FROM timestamptz '2026-02-01 00:00+00') * 1000000)::bigint); END $$;"
      "ALTER TABLE app.events DETACH PARTITION app.events_p20260101;");
  // The operator takes the table over before the pass acts on what its snapshot said.
  const executor::ActionResult drop =
      PassWithChangeAfterSnapshot("COMMENT ON TABLE app.events_p20260101 IS NULL");
  const auto& actions = report_.tables.at(0).plan.actions;
  ASSERT_FALSE(actions.empty());
  EXPECT_EQ(drop.outcome, executor::Outcome::kFailed);
  EXPECT_THAT(drop.error, HasSubstr("was not detached by partitiond; refusing to drop it"));
  ExpectKeptUnmarked();
}

}  // namespace
}  // namespace partitiond::testing
