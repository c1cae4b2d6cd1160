// Safety under contention: a retention drop that cannot get its lock gives up after max_attempts
// with a lock-timeout error, never queues application traffic for longer than a small multiple of
// lock_timeout, and finishes on a later pass once the lock is free.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "tests/support/database_test.h"

namespace partitiond::testing {
namespace {

using ::testing::HasSubstr;

constexpr const char* kEvents = kMonthlyEventsKeptAMonth;

class LockTest : public DatabaseTest, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    CreateMonthlyEvents();
    // With a default partition PostgreSQL rules out DETACH CONCURRENTLY: the plain DETACH then
    // holds ACCESS EXCLUSIVE on the parent while it waits, which is what lock_timeout bounds.
    if (GetParam()) conn_->Exec("CREATE TABLE app.events_default PARTITION OF app.events DEFAULT");
    config_ = WriteConfig(kEvents);
    const CliResult first = RunCli("once --config " + config_ + " --now 2026-01-15T00:00:00Z");
    ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
    conn_->Exec("INSERT INTO app.events (at) VALUES ('2026-01-10')");
  }

  std::string config_;
};

TEST_P(LockTest, DropGivesUpWithoutQueueingInserts) {
  // A reader holds ACCESS SHARE on the partition that retention wants to drop.
  pg::Connection reader = PgCluster::Shared().Connect(dbname_);
  reader.Exec("BEGIN; SELECT count(*) FROM app.events_p20260101;");

  std::atomic<bool> done = false;
  CliResult result;
  std::thread daemon([&] {
    result = RunCli("once --config " + config_ + " --now 2026-03-15T00:00:00Z");
    done = true;
  });
  pg::Connection writer = PgCluster::Shared().Connect(dbname_);
  std::chrono::milliseconds worst{0};
  int inserts = 0;
  while (!done) {
    const auto start = std::chrono::steady_clock::now();
    writer.Exec("INSERT INTO app.events (at) VALUES ('2026-03-20')");
    worst = std::max(worst, std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - start));
    ++inserts;
  }
  daemon.join();

  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_THAT(result.out, HasSubstr("gave up after 3 attempts"));
  EXPECT_GT(inserts, 0);
  // lock_timeout is 100 ms: an insert may wait behind one attempt, never behind all of them.
  EXPECT_LT(worst.count(), 500) << "an INSERT waited " << worst.count() << " ms";
  EXPECT_EQ(QueryText("SELECT outcome || ' ' || attempts || ' ' || sqlstate FROM partitiond.audit "
                      "WHERE action = 'drop'"),
            "failed 3 55P03");
  // Nothing was lost: the row is still readable, through the parent or the detached table.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM app.events_p20260101"), 1);

  // Once the reader is gone, the next pass finishes the drop from wherever the first one stopped.
  reader.Exec("COMMIT");
  const CliResult again = RunCli("once --config " + config_ + " --now 2026-03-15T00:00:00Z");
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_class WHERE relname = 'events_p20260101'"), 0)
      << result.out << again.out << again.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM partitiond.audit WHERE action = 'drop' AND outcome = "
                     "'ok'"),
            1);
}

TEST_P(LockTest, AnInterruptedDropIsNotFinishedOnceThePolicyKeepsTheTable) {
  pg::Connection reader = PgCluster::Shared().Connect(dbname_);
  reader.Exec("BEGIN; SELECT count(*) FROM app.events_p20260101;");
  ASSERT_EQ(RunCli("once --config " + config_ + " --now 2026-03-15T00:00:00Z").exit_code, 1);
  reader.Exec("COMMIT");
  // The operator changes their mind: detach instead of drop.
  const std::string detach =
      WriteConfig(std::string(kEvents) + "        retention_action: detach\n");
  const CliResult r = RunCli("once --config " + detach + " --now 2026-03-15T00:00:00Z");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const CliResult again = RunCli("once --config " + detach + " --now 2026-03-15T00:00:00Z");
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  // Kept as a plain table with its row, and no longer marked for dropping.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM app.events_p20260101"), 1);
  EXPECT_EQ(QueryText("SELECT relispartition::text FROM pg_class WHERE relname = "
                      "'events_p20260101'"),
            "false");
  EXPECT_EQ(QueryText("SELECT coalesce(obj_description('app.events_p20260101'::regclass), "
                      "'none')"),
            "none");
}

// DETACH ... CONCURRENTLY that times out waiting for older transactions leaves its partition
// pending detach, and PostgreSQL then refuses every other concurrent detach of the parent: the
// pass does not try them, says why, and a later pass finishes them all.
using PendingDetachTest = DatabaseTest;

TEST_F(PendingDetachTest, OtherDetachesOfTheParentWaitForThePendingOne) {
  CreateMonthlyEvents();
  const std::string config = WriteConfig(kEvents);
  ASSERT_EQ(RunCli("once --config " + config + " --now 2026-01-15T00:00:00Z").exit_code, 0);

  // A reader of the whole table: the detach's second phase waits for it.
  pg::Connection reader = PgCluster::Shared().Connect(dbname_);
  reader.Exec("BEGIN; SELECT count(*) FROM app.events;");
  const CliResult blocked = RunCli("once --config " + config + " --now 2026-04-15T00:00:00Z");
  EXPECT_EQ(blocked.exit_code, 1) << blocked.out << blocked.err;
  EXPECT_THAT(blocked.out + blocked.err,
              HasSubstr("not tried: app.events_p20260101 is still pending detach"));
  EXPECT_EQ(QueryText("SELECT string_agg(partition_name || ' ' || outcome || ' ' || attempts, ', ' "
                      "ORDER BY partition_name) FROM partitiond.audit WHERE action = 'drop'"),
            "app.events_p20260101 failed 3, app.events_p20260201 skipped 0");
  EXPECT_EQ(QueryText("SELECT inhdetachpending::text FROM pg_inherits "
                      "WHERE inhrelid = 'app.events_p20260101'::regclass"),
            "true");

  reader.Exec("COMMIT");
  const CliResult again = RunCli("once --config " + config + " --now 2026-04-15T00:00:00Z");
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_class WHERE relname IN ('events_p20260101', "
                     "'events_p20260201')"),
            0);
}

INSTANTIATE_TEST_SUITE_P(WithAndWithoutDefaultPartition, LockTest, ::testing::Bool(),
                         [](const auto& info) {
                           return info.param ? "WithDefault" : "WithoutDefault";
                         });

}  // namespace
}  // namespace partitiond::testing
