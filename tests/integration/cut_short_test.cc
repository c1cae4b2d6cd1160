// A pass that a reload cuts short (the old worker stops between two actions) is logged as cut
// short, never as complete: it left planned actions untried, so it is no success.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <regex>
#include <string>

#include "tests/support/daemon_process.h"
#include "tests/support/database_test.h"

namespace partitiond::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr std::chrono::milliseconds kWait = 60s;

class CutShortTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    CreateMonthlyEvents();
  }
};

TEST_F(CutShortTest, AReloadMidPassIsLoggedAsCutShortNotComplete) {
  // 301 daily partitions to create: the pass is still creating when the reload arrives.
  const std::string config = WriteFile(
      "partitiond.yaml",
      "log: { level: info }\nmetrics: { listen: \"127.0.0.1:0\" }\n"
      "maintenance: { interval: 1h, jitter: 0s, lock_timeout: 100ms, statement_timeout: 30s }\n"
      "databases:\n  - name: test\n    conninfo: \"" +
          DaemonConnInfo() +
          "\"\n    tables:\n      - { name: app.events, interval: 1 day, premake: 300 }\n");
  DaemonProcess daemon("daemon", {"run", "--config", config, "--now", "2026-11-25T10:00:00Z"});
  ASSERT_TRUE(daemon.WaitForLine(std::regex(R"(create app\.events_p\d+ ok)"), kWait));
  daemon.Signal(SIGHUP);
  ASSERT_TRUE(daemon.WaitForLine("reloaded " + config, kWait));
  // The old worker's pass ends at its next action, and says so.
  const auto end =
      daemon.WaitForLine(std::regex(R"(database test: pass (complete|cut short))"), kWait);
  ASSERT_TRUE(end) << daemon.Output();
  EXPECT_THAT(*end, HasSubstr("database test: pass cut short (stopping or reloading)"));
  EXPECT_THAT(*end, HasSubstr("the rest is left to the next pass"));
  // The new worker finishes the work, and that pass is complete.
  ASSERT_TRUE(daemon.WaitForLine(
      std::regex(R"(database test: pass complete \(leader\): \d+ action\(s\), 0 table\(s\))"),
      kWait));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_inherits WHERE inhparent = 'app.events'::regclass"),
            301);
  daemon.Signal(SIGTERM);
  EXPECT_EQ(daemon.WaitExit(kWait), 0);
}

}  // namespace
}  // namespace partitiond::testing
