#include "daemon/executor/archive_bound.h"

#include <gtest/gtest.h>

#include <limits>

namespace partitiond::executor {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(ArchiveBoundTest, GrowsWithThePartitionUpToArchiveTimeout) {
  constexpr std::int64_t kMiB = 1024 * 1024;
  const struct {
    std::int64_t bytes;
    milliseconds statement_timeout;
    milliseconds archive_timeout;
    milliseconds bound;
  } cases[] = {
      {0, minutes(5), hours(1), minutes(5)},               // empty or unknown: the statement limit
      {-1, minutes(5), hours(1), minutes(5)},              // never expected; no shorter bound
      {1, minutes(5), hours(1), minutes(5) + seconds(1)},  // rounded up to a whole second
      {4 * kMiB, minutes(5), hours(1), minutes(5) + seconds(1)},
      {40 * 1024 * kMiB, minutes(5), hours(1), hours(1)},  // 40 GiB: 10240 s, capped
      {400 * kMiB, seconds(30), hours(1), seconds(130)},   // 100 s of copying
      {0, minutes(10), minutes(2), minutes(2)},            // the cap wins over statement_timeout
      {std::numeric_limits<std::int64_t>::max(), minutes(5), hours(24), hours(24)},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ArchiveBound(c.bytes, c.statement_timeout, c.archive_timeout), c.bound)
        << c.bytes << " bytes";
  }
}

}  // namespace
}  // namespace partitiond::executor
