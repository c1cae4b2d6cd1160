// The daemon's window on time and randomness. Logic never reads the clock, sleeps or starts a
// timer directly; it is handed an Env, so tests drive time with a fake (tests/support/fake_env.h)
// and never wait for the calendar.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "daemon/common/asio.h"

namespace partitiond {

// A one-shot timer on the event loop. Not thread-safe; Cancel() must be called on the loop.
class Timer {
 public:
  virtual ~Timer() = default;
  // Resumes after `duration` (true) or when Cancel() is called first (false).
  virtual asio::awaitable<bool> Wait(std::chrono::milliseconds duration) = 0;
  virtual void Cancel() = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // Wall-clock time: what "now" means for partition boundaries and retention.
  virtual std::chrono::system_clock::time_point Now() = 0;
  // Monotonic time, for durations.
  virtual std::chrono::steady_clock::time_point SteadyNow() = 0;
  // A timer running on `executor` (steady clock for the real Env).
  virtual std::unique_ptr<Timer> MakeTimer(asio::any_io_executor executor) = 0;
  // A uniformly distributed value in [0, 1), for jitter.
  virtual double Random01() = 0;
};

// The real clocks, asio steady timers and a randomly seeded PRNG. Use from the loop's thread.
std::unique_ptr<Env> MakeSystemEnv();

// Backoff before retry number `attempt` (1-based count of failures so far): base * 2^(attempt-1),
// capped, then scaled by a factor in [0.5, 1.5) drawn from env so that many hosts do not retry in
// step.
std::chrono::milliseconds JitteredBackoff(Env& env, int attempt, std::chrono::milliseconds base,
                                          std::chrono::milliseconds cap);

// Waits `duration` on a fresh timer from `env`, on the calling coroutine's executor.
asio::awaitable<void> SleepFor(Env& env, std::chrono::milliseconds duration);

}  // namespace partitiond
