#include "daemon/executor/archive_bound.h"

#include <algorithm>

namespace partitiond::executor {

std::chrono::milliseconds ArchiveBound(std::int64_t bytes,
                                       std::chrono::milliseconds statement_timeout,
                                       std::chrono::milliseconds archive_timeout) {
  // Whole seconds of copying, rounded up; a negative size (never expected) counts as none. The
  // sum is taken only when it cannot overflow: past archive_timeout it is not needed anyway.
  const std::int64_t copy_seconds =
      bytes <= 0 ? 0 : bytes / kArchiveMinThroughput + (bytes % kArchiveMinThroughput != 0 ? 1 : 0);
  const auto cap_seconds = std::chrono::duration_cast<std::chrono::seconds>(archive_timeout);
  if (copy_seconds >= cap_seconds.count()) return archive_timeout;
  return std::min(archive_timeout, statement_timeout + std::chrono::seconds(copy_seconds));
}

}  // namespace partitiond::executor
