// The removal guard: how many retention removals one pass may make unconfirmed, holding and
// confirming them, and the per-pass cap.
#include "daemon/planner/removal_guard.h"

#include <date/tz.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

namespace partitiond::planner {
namespace {

namespace chr = std::chrono;
using catalog::KeyType;
using catalog::Partition;
using config::CalendarInterval;
using config::CalendarUnit;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// `months` monthly partitions from 2024-01 (the premade ones included).
catalog::TableSnapshot Monthly(int months) {
  catalog::TableSnapshot table;
  table.configured = {"app", "events"};
  table.key_type = KeyType::kTimestamptz;
  for (int i = 0; i < months; ++i) {
    const chr::year_month_day first = chr::year(2024) / chr::month(1) / 1;
    const chr::year_month_day ymd = first + chr::months(i);
    const auto start = chr::sys_days{ymd};
    const auto end = chr::sys_days{ymd + chr::months(1)};
    Partition p;
    p.schema = "app";
    p.name = fmt::format("events_p{:04}{:02}01", static_cast<int>(ymd.year()),
                         static_cast<unsigned>(ymd.month()));
    p.from = chr::duration_cast<catalog::KeyValue>(start.time_since_epoch());
    p.to = chr::duration_cast<catalog::KeyValue>(end.time_since_epoch());
    table.partitions.push_back(p);
  }
  return table;
}

config::TableConfig Policy(CalendarInterval retention, bool confirmed = false, int cap = 0) {
  config::TableConfig policy;
  policy.name = {"app", "events"};
  policy.interval = {1, CalendarUnit::kMonth};
  policy.premake = 3;
  policy.retention = retention;
  policy.timezone = date::locate_zone("UTC");
  policy.retention_confirmed = confirmed;
  policy.max_removals_per_pass = cap;
  return policy;
}

std::size_t Removals(const TablePlan& plan) {
  std::size_t n = 0;
  for (const auto& a : plan.actions) n += IsRetention(a.kind) ? 1 : 0;
  return n;
}

TEST(RemovalLimitTest, LargerOfFiveAndAQuarter) {
  const std::pair<std::size_t, std::size_t> cases[] = {
      {0, 5}, {2, 5}, {12, 5}, {23, 5}, {24, 6}, {27, 6}, {37, 9}, {171, 42}, {1000, 250}};
  for (const auto& [partitions, limit] : cases) {
    EXPECT_EQ(RemovalLimit(partitions), limit) << partitions << " partitions";
  }
}

struct Case {
  const char* name;
  int partitions;        // monthly from 2024-01
  int now_month_offset;  // now = 2024-01-01 + this many months, mid-month
  CalendarInterval retention;
  bool confirmed;
  int cap;
  // Expected:
  std::size_t removals;
  std::size_t held;
  std::size_t deferred;
};

constexpr CalendarInterval k24Months{24, CalendarUnit::kMonth};
constexpr CalendarInterval k12Months{12, CalendarUnit::kMonth};
constexpr CalendarInterval k18Months{18, CalendarUnit::kMonth};
constexpr CalendarInterval k12Days{12, CalendarUnit::kDay};

TEST(GuardRemovalsTest, Table) {
  // 27 partitions 2024-01 .. 2026-03; now mid 2025-12 (premake 3 ahead): 24 months back is
  // 2023-12, nothing expires under 24 months. Limit for 27 partitions: 6.
  const Case cases[] = {
      {"steady state: nothing due", 27, 23, k24Months, false, 0, 0, 0, 0},
      {"normal expiry: one due", 27, 25, k24Months, false, 0, 1, 0, 0},
      {"daemon back after months: 6 due, at the limit", 27, 30, k24Months, false, 0, 6, 0, 0},
      {"7 due: over the limit, all held", 27, 31, k24Months, false, 0, 0, 7, 0},
      {"24 months -> 18 months: 5 due", 27, 23, k18Months, false, 0, 5, 0, 0},
      {"24 months -> 12 months: 11 due, held", 27, 23, k12Months, false, 0, 0, 11, 0},
      {"24 months -> 12 days: 23 due, held", 27, 23, k12Days, false, 0, 0, 23, 0},
      {"12 days confirmed: all go", 27, 23, k12Days, true, 0, 23, 0, 0},
      {"12 days confirmed, cap 5: the oldest 5 go", 27, 23, k12Days, true, 5, 5, 0, 18},
      {"cap without a hold", 27, 30, k24Months, false, 2, 2, 0, 4},
      {"held and capped: the hold wins, nothing deferred", 27, 23, k12Days, false, 5, 0, 23, 0},
      {"small table: 3 of 3 may go", 3, 40, k12Months, false, 0, 3, 0, 0},
  };
  for (const Case& c : cases) {
    const auto table = Monthly(c.partitions);
    const auto now = chr::sys_days{chr::year_month_day{chr::year(2024) / 1 / 15} +
                                   chr::months(c.now_month_offset)};
    const TablePlan plan = PlanTable(table, Policy(c.retention, c.confirmed, c.cap),
                                     chr::sys_seconds{now.time_since_epoch()});
    EXPECT_EQ(Removals(plan), c.removals) << c.name;
    EXPECT_EQ(plan.held_removals, c.held) << c.name;
    EXPECT_EQ(plan.deferred_removals, c.deferred) << c.name;
  }
}

TEST(GuardRemovalsTest, AHoldSaysHowToConfirm) {
  const auto now = chr::sys_days{chr::year(2025) / 12 / 15};
  const TablePlan plan = PlanTable(Monthly(27), Policy(k12Days), chr::sys_seconds{now});
  EXPECT_EQ(plan.held_removals, 23u);
  EXPECT_THAT(
      plan.warnings,
      ElementsAre(AllOf(HasSubstr("retention 12 days would remove 23 of 27 partitions"),
                        HasSubstr("holding them"), HasSubstr("retention_confirm: \"12 days\""))));
  for (const auto& a : plan.actions) EXPECT_FALSE(IsRetention(a.kind)) << a.partition;
}

TEST(GuardRemovalsTest, TheCapTakesTheOldestFirst) {
  const auto now = chr::sys_days{chr::year(2025) / 12 / 15};
  const TablePlan plan = PlanTable(Monthly(27), Policy(k12Days, true, 2), chr::sys_seconds{now});
  std::vector<std::string> removed;
  for (const auto& a : plan.actions) {
    if (IsRetention(a.kind)) removed.push_back(a.partition);
  }
  EXPECT_THAT(removed, ElementsAre("events_p20240101", "events_p20240201"));
  EXPECT_THAT(plan.warnings, ElementsAre(HasSubstr("21 more in later passes")));
}

TEST(GuardRemovalsTest, FinishingAnInterruptedRemovalIsNeitherHeldNorCounted) {
  auto table = Monthly(27);
  Partition orphan = table.partitions.front();
  orphan.name = "events_p20231201";
  orphan.detached_by_retention = true;
  orphan.from.reset();
  table.partitions.push_back(orphan);
  const auto now = chr::sys_days{chr::year(2025) / 12 / 15};
  const TablePlan plan = PlanTable(table, Policy(k12Days), chr::sys_seconds{now});
  EXPECT_EQ(plan.held_removals, 23u);
  ASSERT_EQ(Removals(plan), 1u);
  for (const auto& a : plan.actions) {
    if (IsRetention(a.kind)) {
      EXPECT_EQ(a.partition, "events_p20231201");
    }
  }
  EXPECT_THAT(PlanTable(Monthly(27), Policy(k24Months), chr::sys_seconds{now}).warnings, IsEmpty());
}

}  // namespace
}  // namespace partitiond::planner
