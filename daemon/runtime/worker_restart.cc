#include "daemon/runtime/worker_restart.h"

#include <algorithm>

namespace partitiond::runtime {

WorkerRestart DecideWorkerRestart(int earlier_failures, std::chrono::milliseconds ran_for,
                                  const WorkerRestartPolicy& policy) {
  const bool was_healthy = ran_for >= policy.healthy_after;
  // Bounded so that neither the count nor the shift below can overflow, however long it fails.
  const int failures = was_healthy ? 1 : std::clamp(earlier_failures + 1, 1, 1'000);
  const int doublings = std::min(failures - 1, 30);
  const std::chrono::milliseconds delay(
      std::min<std::int64_t>(policy.cap.count(), policy.base.count() << doublings));
  return {.failures = failures, .delay = delay};
}

}  // namespace partitiond::runtime
