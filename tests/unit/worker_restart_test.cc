#include "daemon/runtime/worker_restart.h"

#include <gtest/gtest.h>

namespace partitiond::runtime {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(WorkerRestartTest, BacksOffExponentiallyUpToTheCapAndResetsAfterHealthyRunning) {
  const WorkerRestartPolicy policy{
      .base = seconds(5), .cap = minutes(5), .healthy_after = minutes(10)};
  struct Case {
    int earlier_failures;
    milliseconds ran_for;
    int failures;
    milliseconds delay;
  };
  const Case cases[] = {
      // First failure, right after start: the base delay.
      {0, milliseconds(0), 1, seconds(5)},
      // Failing again at once doubles the wait...
      {1, milliseconds(10), 2, seconds(10)},
      {2, seconds(30), 3, seconds(20)},
      {5, seconds(1), 6, seconds(160)},
      // ...up to the cap, never beyond, however many failures (no overflow either).
      {6, seconds(1), 7, minutes(5)},
      {50, seconds(1), 51, minutes(5)},
      {1'000, seconds(1), 1'000, minutes(5)},
      // Just short of healthy: still consecutive.
      {3, minutes(10) - milliseconds(1), 4, seconds(40)},
      // Ran healthily for healthy_after: counting starts again.
      {3, minutes(10), 1, seconds(5)},
      {1'000, minutes(60), 1, seconds(5)},
      // A negative count (never produced) is treated as none.
      {-4, milliseconds(0), 1, seconds(5)},
  };
  for (const Case& c : cases) {
    const WorkerRestart r = DecideWorkerRestart(c.earlier_failures, c.ran_for, policy);
    EXPECT_EQ(r.failures, c.failures) << c.earlier_failures << " after " << c.ran_for.count();
    EXPECT_EQ(r.delay, c.delay) << c.earlier_failures << " after " << c.ran_for.count();
  }
}

TEST(WorkerRestartTest, DefaultPolicyNeverWaitsLongerThanFiveMinutes) {
  for (int failures = 0; failures < 100; ++failures) {
    const WorkerRestart r = DecideWorkerRestart(failures, milliseconds(0));
    EXPECT_GE(r.delay, seconds(5));
    EXPECT_LE(r.delay, minutes(5));
  }
}

}  // namespace
}  // namespace partitiond::runtime
