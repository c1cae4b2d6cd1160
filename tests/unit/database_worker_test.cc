// The worker's schedule with a fake clock: reconnect backoff doubles up to its cap, jitter is
// applied, Stop() ends a wait at once, and an internal error restarts the worker after a backoff.
// No database is needed: the conninfo points nowhere, so every connect fails immediately.
#include "daemon/runtime/database_worker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <stdexcept>

#include "tests/unit/fake_env.h"

namespace partitiond::runtime {
namespace {

using std::chrono::milliseconds;
using testing::FakeEnv;

config::DatabaseConfig Unreachable() {
  config::DatabaseConfig db;
  db.name = "nowhere";
  db.conninfo = "host=/nonexistent/partitiond-test port=1 dbname=x";
  return db;
}

class DatabaseWorkerTest : public ::testing::Test {
 protected:
  void Start() {
    asio::co_spawn(
        io_, [this]() -> asio::awaitable<void> { co_await worker_.Run(); },
        [this](std::exception_ptr) { finished_ = true; });
    io_.poll();
  }
  void Advance(milliseconds d) {
    env_.Advance(d);
    io_.poll();
  }

  asio::io_context io_;
  FakeEnv env_;
  metrics::Metrics metrics_{"test"};
  DatabaseWorker worker_{Unreachable(), config::MaintenanceConfig{}, env_, std::nullopt, &metrics_};
  bool finished_ = false;
};

TEST_F(DatabaseWorkerTest, ReconnectBackoffDoublesUpToItsCap) {
  env_.set_random(0.5);  // jitter factor exactly 1.0
  Start();
  ASSERT_EQ(worker_.status().connect_failures, 1);
  EXPECT_FALSE(worker_.status().connected);
  // Waits of 1, 2, 4, 8, 16, 32 s, then the 60 s cap.
  const int expected_waits_s[] = {1, 2, 4, 8, 16, 32, 60, 60};
  for (int i = 0; i < 8; ++i) {
    const int failures = worker_.status().connect_failures;
    Advance(milliseconds(expected_waits_s[i] * 1000 - 1));
    EXPECT_EQ(worker_.status().connect_failures, failures) << "retried early, wait " << i;
    Advance(milliseconds(1));
    EXPECT_EQ(worker_.status().connect_failures, failures + 1) << "did not retry, wait " << i;
  }
}

TEST_F(DatabaseWorkerTest, JitterStretchesTheWait) {
  env_.set_random(0.0);  // factor 0.5: the first 1 s wait becomes 500 ms
  Start();
  Advance(milliseconds(499));
  EXPECT_EQ(worker_.status().connect_failures, 1);
  Advance(milliseconds(1));
  EXPECT_EQ(worker_.status().connect_failures, 2);
}

TEST_F(DatabaseWorkerTest, StopEndsAWaitImmediately) {
  Start();
  EXPECT_FALSE(finished_);
  worker_.Stop();
  io_.poll();
  EXPECT_TRUE(finished_);
  EXPECT_EQ(worker_.status().connect_failures, 1);
}

TEST_F(DatabaseWorkerTest, AnInternalErrorRestartsTheWorkerAfterABackoff) {
  env_.set_random(0.5);
  // The first two cycles fail as a bug would: with a std::exception, then with something else.
  int cycle = 0;
  worker_.set_before_cycle([&cycle] {
    ++cycle;
    if (cycle == 1) throw std::logic_error("injected bug");
    if (cycle == 2) throw 42;
  });
  Start();
  EXPECT_FALSE(finished_) << "the worker must not end";
  EXPECT_EQ(worker_.status().restarts, 1);
  EXPECT_EQ(worker_.status().connect_failures, 0);
  // 5 s, then 10 s for the second failure in a row; nothing happens earlier.
  Advance(milliseconds(4'999));
  EXPECT_EQ(cycle, 1);
  Advance(milliseconds(1));
  EXPECT_EQ(cycle, 2);
  EXPECT_EQ(worker_.status().restarts, 2);
  Advance(milliseconds(9'999));
  EXPECT_EQ(cycle, 2);
  Advance(milliseconds(1));
  // The third cycle runs normally: it tries to connect, and keeps its schedule.
  EXPECT_EQ(cycle, 3);
  EXPECT_EQ(worker_.status().restarts, 2);
  EXPECT_EQ(worker_.status().connect_failures, 1);
  EXPECT_FALSE(finished_);
  const std::string exposition =
      prometheus::TextSerializer().Serialize(metrics_.registry()->Collect());
  EXPECT_THAT(exposition,
              ::testing::HasSubstr("partitiond_worker_restarts_total{database=\"nowhere\"} 2\n"));
  // Stop() also ends a restart backoff at once.
  worker_.set_before_cycle([] { throw std::runtime_error("again"); });
  Advance(milliseconds(1'000));
  EXPECT_EQ(worker_.status().restarts, 3);
  worker_.Stop();
  io_.poll();
  EXPECT_TRUE(finished_);
}

}  // namespace
}  // namespace partitiond::runtime
