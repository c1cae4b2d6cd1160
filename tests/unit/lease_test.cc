// The leadership lease decision: when a follower may end the leader's session and take over.
#include "daemon/maintenance/lease.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace partitiond::maintenance {
namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

const LeasePolicy kPolicy{.interval = 10s, .statement_timeout = 60s};

struct Case {
  std::string name;
  LeaseObservation seen;
  LeaseVerdict verdict;
  std::optional<milliseconds> age;
  milliseconds limit;
};

TEST(LeaseTest, Decide) {
  const std::vector<Case> cases = {
      {"nobody holds the lock", {}, LeaseVerdict::kFree, std::nullopt, 30s},
      {"nobody holds it, an old row stays",
       {.lease_pid = 7, .lease_age = 1h, .quiet_age = 1h},
       LeaseVerdict::kFree,
       std::nullopt,
       30s},
      {"fresh heartbeat",
       {.holder_pid = 7, .lease_pid = 7, .lease_age = 4s, .quiet_age = 1h},
       LeaseVerdict::kLive,
       4s,
       30s},
      {"exactly at the limit is not yet stale",
       {.holder_pid = 7, .lease_pid = 7, .lease_age = 30s},
       LeaseVerdict::kLive,
       30s,
       30s},
      {"silent past three intervals",
       {.holder_pid = 7, .lease_pid = 7, .lease_age = 30001ms, .quiet_age = 1h},
       LeaseVerdict::kStale,
       30001ms,
       30s},
      {"running a statement: statement_timeout more",
       {.holder_pid = 7, .lease_pid = 7, .lease_age = 89s, .holder_active = true},
       LeaseVerdict::kLive,
       89s,
       90s},
      {"running a statement for longer than that",
       {.holder_pid = 7, .lease_pid = 7, .lease_age = 91s, .holder_active = true},
       LeaseVerdict::kStale,
       91s,
       90s},
      {"the row names an earlier leader: the holder's quiet time counts",
       {.holder_pid = 8, .lease_pid = 7, .lease_age = 1h, .quiet_age = 2s},
       LeaseVerdict::kLive,
       2s,
       30s},
      {"a holder that never beats, quiet too long",
       {.holder_pid = 8, .lease_pid = 7, .lease_age = 1s, .quiet_age = 31s},
       LeaseVerdict::kStale,
       31s,
       30s},
      {"no row at all, recently busy",
       {.holder_pid = 8, .quiet_age = 29s},
       LeaseVerdict::kLive,
       29s,
       30s},
      {"ages hidden from us: never judged stale",
       {.holder_pid = 8, .lease_pid = 7},
       LeaseVerdict::kLive,
       std::nullopt,
       30s},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const LeaseDecision d = DecideLease(c.seen, kPolicy);
    EXPECT_EQ(d.verdict, c.verdict);
    EXPECT_EQ(d.age, c.age);
    EXPECT_EQ(d.limit, c.limit);
  }
}

TEST(LeaseTest, DerivedFromTheInterval) {
  EXPECT_EQ(LeaseStaleAfter({.interval = 1h, .statement_timeout = 5min}, false), 3h);
  EXPECT_EQ(LeaseStaleAfter({.interval = 1h, .statement_timeout = 5min}, true), 3h + 5min);
  EXPECT_EQ(LeaseHeartbeatPeriod(1h), 30min);
  EXPECT_EQ(LeaseHeartbeatPeriod(1s), 500ms);
  // The heartbeat comes well inside the limit whatever the interval.
  for (const milliseconds interval :
       {milliseconds(1), milliseconds(1s), milliseconds(1min), milliseconds(24h)}) {
    EXPECT_LT(2 * LeaseHeartbeatPeriod(interval), LeaseStaleAfter({interval, 0ms}, false));
  }
}

}  // namespace
}  // namespace partitiond::maintenance
