// The daemon's window on time and randomness. Logic never reads the clock or sleeps directly; it is
// handed an Env, so tests drive time with a fake and inject faults without waiting for the
// calendar.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

namespace partitiond {

class Env {
 public:
  virtual ~Env() = default;

  // Wall-clock time: what "now" means for partition boundaries and retention.
  virtual std::chrono::system_clock::time_point Now() = 0;
  // Blocks the calling thread; used only between retries of a failed action.
  virtual void SleepFor(std::chrono::milliseconds duration) = 0;
  // A uniformly distributed value in [0, 1), for jitter.
  virtual double Random01() = 0;
};

// The real clock, a real sleep and a seeded PRNG. Not thread-safe (one per thread of work).
std::unique_ptr<Env> MakeSystemEnv();

// Backoff before attempt `attempt` (1-based count of failures so far): base * 2^(attempt-1),
// capped, then scaled by a factor in [0.5, 1.5) drawn from env so that many hosts do not retry in
// step.
std::chrono::milliseconds JitteredBackoff(Env& env, int attempt, std::chrono::milliseconds base,
                                          std::chrono::milliseconds cap);

}  // namespace partitiond
