#include "daemon/runtime/table_backoff.h"

#include <gtest/gtest.h>

#include <vector>

namespace partitiond::runtime {
namespace {

// Runs `passes` passes in which `table` always fails; returns which passes it took part in.
std::vector<int> Attended(TableBackoff& backoff, const std::string& table, int passes) {
  std::vector<int> attended;
  for (int pass = 0; pass < passes; ++pass) {
    if (backoff.SkipThisPass(table)) continue;
    attended.push_back(pass);
    backoff.Record(table, /*failed=*/true);
  }
  return attended;
}

TEST(TableBackoffTest, RepeatedFailuresSpaceOutAttemptsUpToOneInSixteen) {
  TableBackoff backoff;
  // Fails at passes 0, 1 (skip 1), 3 (skip 3), 7 (skip 7), 15 (skip 15), 31, 47, ...
  EXPECT_EQ(Attended(backoff, "app.broken", 64), (std::vector<int>{0, 1, 3, 7, 15, 31, 47, 63}));
}

TEST(TableBackoffTest, ASuccessResetsAndOtherTablesAreUnaffected) {
  TableBackoff backoff;
  Attended(backoff, "app.broken", 8);
  EXPECT_EQ(backoff.consecutive_failures("app.broken"), 4);
  EXPECT_FALSE(backoff.SkipThisPass("app.healthy"));
  backoff.Record("app.broken", /*failed=*/false);
  EXPECT_EQ(backoff.consecutive_failures("app.broken"), 0);
  EXPECT_FALSE(backoff.SkipThisPass("app.broken"));
}

}  // namespace
}  // namespace partitiond::runtime
