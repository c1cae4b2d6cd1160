// Which clock a pass plans from, and what waits while the host's and the server's disagree.
#include "daemon/maintenance/clock_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace partitiond::maintenance {
namespace {

using namespace std::chrono_literals;
using std::chrono::seconds;
using std::chrono::sys_seconds;

const sys_seconds kServer = std::chrono::sys_days{std::chrono::year(2026) / 11 / 25} + 10h;
const sys_seconds kCentury = kServer + std::chrono::years(100);

struct Case {
  const char* name;
  sys_seconds host;
  std::optional<sys_seconds> server;
  std::optional<sys_seconds> explicit_now;
  // Expected:
  sys_seconds plan_now;
  ClockSource source;
  std::optional<seconds> skew;
  bool disagree;
  bool withhold;
};

TEST(ChooseClockTest, Table) {
  const sys_seconds fixed = kServer - std::chrono::days(400);
  const Case cases[] = {
      {"agree exactly", kServer, kServer, {}, kServer, ClockSource::kHost, 0s, false, false},
      {"host 5 min ahead: still agree",
       kServer + 300s,
       kServer,
       {},
       kServer + 300s,
       ClockSource::kHost,
       300s,
       false,
       false},
      {"host 5 min 1 s ahead",
       kServer + 301s,
       kServer,
       {},
       kServer,
       ClockSource::kServer,
       301s,
       true,
       true},
      {"host 5 min 1 s behind",
       kServer - 301s,
       kServer,
       {},
       kServer,
       ClockSource::kServer,
       -301s,
       true,
       true},
      {"host a century ahead (bad RTC)",
       kCentury,
       kServer,
       {},
       kServer,
       ClockSource::kServer,
       kCentury - kServer,
       true,
       true},
      {"server unknown (no table read)",
       kCentury,
       std::nullopt,
       {},
       kCentury,
       ClockSource::kHost,
       std::nullopt,
       false,
       false},
      {"--now, clocks agree", kServer, kServer, fixed, fixed, ClockSource::kExplicit, 0s, false,
       false},
      {"--now, host a century ahead: measured, not withheld", kCentury, kServer, fixed, fixed,
       ClockSource::kExplicit, kCentury - kServer, true, false},
  };
  for (const Case& c : cases) {
    const ClockDecision d = ChooseClock(c.host, c.server, c.explicit_now);
    EXPECT_EQ(d.plan_now, c.plan_now) << c.name;
    EXPECT_EQ(d.source, c.source) << c.name;
    EXPECT_EQ(d.skew, c.skew) << c.name;
    EXPECT_EQ(d.disagree, c.disagree) << c.name;
    EXPECT_EQ(d.withhold, c.withhold) << c.name;
  }
}

TEST(WithholdOnDisagreementTest, KeepsOnlyTheCurrentPeriodAndPremakeAheadAndRepairs) {
  using planner::ActionKind;
  planner::TablePlan plan;
  plan.actions = {
      {.kind = ActionKind::kFinalizeDetach, .partition = "pending"},
      {.kind = ActionKind::kCreate, .partition = "old_gap", .before_now = true},
      {.kind = ActionKind::kCreate, .partition = "current"},
      {.kind = ActionKind::kCreate, .partition = "ahead", .ahead_of_now = true},
      {.kind = ActionKind::kRepairFidelity, .partition = "drifted"},
      {.kind = ActionKind::kDrop, .partition = "expired"},
      {.kind = ActionKind::kDetach, .partition = "expired2"},
      {.kind = ActionKind::kArchive, .partition = "expired3"},
      {.kind = ActionKind::kCreateDefault, .partition = "default"},
  };
  EXPECT_EQ(WithholdOnDisagreement(plan), 4u);
  std::vector<std::string> left;
  for (const auto& a : plan.actions) left.push_back(a.partition);
  EXPECT_THAT(left, ::testing::ElementsAre("pending", "current", "ahead", "drifted", "default"));
}

}  // namespace
}  // namespace partitiond::maintenance
