// When a database worker whose loop ended with an internal error (an exception that is not a
// handled database error: a bug, memory exhaustion, ...) starts again. The worker drops its
// connection (and with it leadership) at once and restarts after a capped exponential backoff,
// so a worker that keeps failing costs one attempt per `cap` instead of a busy loop; one that
// had run healthily for `healthy_after` starts counting again from the first failure.
//
// Pure: no clock, no randomness; the caller measures how long the worker ran.
#pragma once

#include <chrono>

namespace partitiond::runtime {

struct WorkerRestartPolicy {
  std::chrono::milliseconds base{5'000};
  std::chrono::milliseconds cap{300'000};
  std::chrono::milliseconds healthy_after{600'000};
};

struct WorkerRestart {
  int failures = 0;                   // consecutive failures, this one included
  std::chrono::milliseconds delay{};  // wait before the restart
};

// `earlier_failures`: consecutive failures before this one (0 for the first); `ran_for`: how long
// the worker ran since its last (re)start before failing now.
WorkerRestart DecideWorkerRestart(int earlier_failures, std::chrono::milliseconds ran_for,
                                  const WorkerRestartPolicy& policy = {});

}  // namespace partitiond::runtime
