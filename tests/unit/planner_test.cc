#include "daemon/planner/planner.h"

#include <date/tz.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

namespace partitiond::planner {
namespace {

namespace chr = std::chrono;
using catalog::KeyType;
using catalog::KeyValue;
using catalog::Partition;
using catalog::TableSnapshot;
using config::CalendarInterval;
using config::CalendarUnit;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr CalendarInterval kHourly{1, CalendarUnit::kHour};
constexpr CalendarInterval kDaily{1, CalendarUnit::kDay};
constexpr CalendarInterval kWeekly{1, CalendarUnit::kWeek};
constexpr CalendarInterval kMonthly{1, CalendarUnit::kMonth};
constexpr CalendarInterval kYearly{1, CalendarUnit::kYear};

// "MINVALUE" / "MAXVALUE" or a literal of the key type.
std::optional<KeyValue> Bound(std::string_view text, KeyType type) {
  if (text == "MINVALUE" || text == "MAXVALUE") return std::nullopt;
  return catalog::ParseKeyLiteral(text, type).value();
}

Partition Part(std::string name, std::string_view from, std::string_view to,
               KeyType type = KeyType::kTimestamptz) {
  Partition p;
  p.schema = "app";
  p.name = std::move(name);
  p.from = Bound(from, type);
  p.to = Bound(to, type);
  return p;
}

Partition DefaultPart() {
  Partition p;
  p.schema = "app";
  p.name = "events_default";
  p.is_default = true;
  return p;
}

TableSnapshot Table(std::vector<Partition> partitions, KeyType type = KeyType::kTimestamptz,
                    std::string name = "events") {
  TableSnapshot table;
  table.configured = {"app", std::move(name)};
  table.owner = "app_owner";
  table.key_column = "created_at";
  table.key_type = type;
  table.partitions = std::move(partitions);
  return table;
}

config::TableConfig Policy(CalendarInterval interval, int premake, const char* zone = "UTC",
                           std::optional<CalendarInterval> retention = std::nullopt) {
  config::TableConfig policy;
  policy.name = {"app", "events"};
  policy.interval = interval;
  policy.premake = premake;
  policy.retention = retention;
  policy.timezone_name = zone;
  policy.timezone = date::locate_zone(zone);
  return policy;
}

chr::sys_seconds Now(int y, int m, int d, int h = 0, int mi = 0, int s = 0) {
  return chr::sys_days(chr::year(y) / m / d) + chr::hours(h) + chr::minutes(mi) + chr::seconds(s);
}

// "create events_p20240301 [2024-03-01 00:00:00+00, 2024-04-01 00:00:00+00)"
std::vector<std::string> Describe(const TablePlan& plan, KeyType type = KeyType::kTimestamptz) {
  std::vector<std::string> out;
  for (const Action& a : plan.actions) {
    out.push_back(std::string(ToString(a.kind)) + " " + a.partition + " [" +
                  catalog::FormatKeyLiteral(a.from, type) + ", " +
                  catalog::FormatKeyLiteral(a.to, type) + ")");
  }
  return out;
}

std::vector<std::string> Names(const TablePlan& plan) {
  std::vector<std::string> out;
  for (const Action& a : plan.actions) out.push_back(a.partition);
  return out;
}

std::vector<std::string> Reasons(const TablePlan& plan) {
  std::vector<std::string> out;
  for (const Action& a : plan.actions) out.push_back(a.reason);
  return out;
}

// What the executor would leave behind: creates added, everything else gone.
void Apply(TableSnapshot& table, const TablePlan& plan) {
  for (const Action& a : plan.actions) {
    if (a.kind == ActionKind::kCreate) {
      Partition p;
      p.schema = a.schema;
      p.name = a.partition;
      p.from = a.from;
      p.to = a.to;
      table.partitions.push_back(p);
    } else {
      std::erase_if(table.partitions, [&](const Partition& p) { return p.name == a.partition; });
    }
  }
  std::stable_sort(table.partitions.begin(), table.partitions.end(), [](auto& a, auto& b) {
    return !a.is_default && (b.is_default || a.from < b.from);
  });
}

TEST(PlanTableTest, EmptyTableCreatesCurrentAndPremake) {
  const TablePlan plan = PlanTable(Table({}), Policy(kMonthly, 3), Now(2024, 3, 15, 12));
  EXPECT_THAT(
      Describe(plan),
      ElementsAre("create events_p20240301 [2024-03-01 00:00:00+00, 2024-04-01 00:00:00+00)",
                  "create events_p20240401 [2024-04-01 00:00:00+00, 2024-05-01 00:00:00+00)",
                  "create events_p20240501 [2024-05-01 00:00:00+00, 2024-06-01 00:00:00+00)",
                  "create events_p20240601 [2024-06-01 00:00:00+00, 2024-07-01 00:00:00+00)"));
  EXPECT_THAT(Reasons(plan), ElementsAre("current period", "premake: 1 of 3 ahead",
                                         "premake: 2 of 3 ahead", "premake: 3 of 3 ahead"));
  EXPECT_EQ(plan.actions[0].schema, "app");
  EXPECT_THAT(plan.warnings, IsEmpty());
}

TEST(PlanTableTest, MonthlyGridAnchoredOnDay31) {
  TableSnapshot table =
      Table({Part("jan_end", "2024-01-31 00:00:00+00", "2024-02-29 00:00:00+00")});
  const config::TableConfig policy = Policy(kMonthly, 2);
  const TablePlan first = PlanTable(table, policy, Now(2024, 2, 10));
  EXPECT_THAT(
      Describe(first),
      ElementsAre("create events_p20240229 [2024-02-29 00:00:00+00, 2024-03-31 00:00:00+00)",
                  "create events_p20240331 [2024-03-31 00:00:00+00, 2024-04-30 00:00:00+00)"));
  Apply(table, first);
  const TablePlan second = PlanTable(table, policy, Now(2024, 4, 5));
  EXPECT_THAT(
      Describe(second),
      ElementsAre("create events_p20240430 [2024-04-30 00:00:00+00, 2024-05-31 00:00:00+00)",
                  "create events_p20240531 [2024-05-31 00:00:00+00, 2024-06-30 00:00:00+00)"));
}

TEST(PlanTableTest, YearlyGridAnchoredOnLeapDay) {
  const TableSnapshot table =
      Table({Part("leap", "2024-02-29 00:00:00", "2025-02-28 00:00:00", KeyType::kTimestamp)},
            KeyType::kTimestamp);
  const TablePlan plan = PlanTable(table, Policy(kYearly, 3), Now(2025, 6, 1));
  EXPECT_THAT(Describe(plan, KeyType::kTimestamp),
              ElementsAre("create events_p20250228 [2025-02-28 00:00:00, 2026-02-28 00:00:00)",
                          "create events_p20260228 [2026-02-28 00:00:00, 2027-02-28 00:00:00)",
                          "create events_p20270228 [2027-02-28 00:00:00, 2028-02-29 00:00:00)",
                          "create events_p20280229 [2028-02-29 00:00:00, 2029-02-28 00:00:00)"));
}

TEST(PlanTableTest, DailyOverLeapDay) {
  const TablePlan plan = PlanTable(Table({}), Policy(kDaily, 2), Now(2024, 2, 28, 10));
  EXPECT_THAT(Names(plan), ElementsAre("events_p20240228", "events_p20240229", "events_p20240301"));
}

TEST(PlanTableTest, DailyBerlinSpringForwardDayHas23Hours) {
  const TablePlan plan =
      PlanTable(Table({}), Policy(kDaily, 2, "Europe/Berlin"), Now(2024, 3, 30, 12));
  EXPECT_THAT(
      Describe(plan),
      ElementsAre("create events_p20240330 [2024-03-29 23:00:00+00, 2024-03-30 23:00:00+00)",
                  "create events_p20240331 [2024-03-30 23:00:00+00, 2024-03-31 22:00:00+00)",
                  "create events_p20240401 [2024-03-31 22:00:00+00, 2024-04-01 22:00:00+00)"));
}

TEST(PlanTableTest, DailyBerlinFallBackDayHas25Hours) {
  const TablePlan plan =
      PlanTable(Table({}), Policy(kDaily, 1, "Europe/Berlin"), Now(2024, 10, 26, 12));
  EXPECT_THAT(
      Describe(plan),
      ElementsAre("create events_p20241026 [2024-10-25 22:00:00+00, 2024-10-26 22:00:00+00)",
                  "create events_p20241027 [2024-10-26 22:00:00+00, 2024-10-27 23:00:00+00)"));
}

TEST(PlanTableTest, DailyNewYorkFallBack) {
  const TablePlan plan =
      PlanTable(Table({}), Policy(kDaily, 0, "America/New_York"), Now(2024, 11, 3, 12));
  EXPECT_THAT(
      Describe(plan),
      ElementsAre("create events_p20241103 [2024-11-03 04:00:00+00, 2024-11-04 05:00:00+00)"));
}

TEST(PlanTableTest, HourlyBerlinSpringForwardSkipsTheMissingHour) {
  // 01:30 CET; local 02:00-03:00 does not exist and collapses to nothing.
  const TablePlan plan =
      PlanTable(Table({}), Policy(kHourly, 2, "Europe/Berlin"), Now(2024, 3, 31, 0, 30));
  EXPECT_THAT(
      Describe(plan),
      ElementsAre(
          "create events_p20240331_010000 [2024-03-31 00:00:00+00, 2024-03-31 01:00:00+00)",
          "create events_p20240331_030000 [2024-03-31 01:00:00+00, 2024-03-31 02:00:00+00)"));
  EXPECT_THAT(Reasons(plan), ElementsAre("current period", "premake: 2 of 2 ahead"));
}

TEST(PlanTableTest, HourlyBerlinFallBackRepeatedHourIsOnePartition) {
  TableSnapshot table = Table({});
  const config::TableConfig policy = Policy(kHourly, 1, "Europe/Berlin");
  // 02:30 CEST, the first pass through the repeated hour.
  const TablePlan plan = PlanTable(table, policy, Now(2024, 10, 27, 0, 30));
  EXPECT_THAT(
      Describe(plan),
      ElementsAre(
          "create events_p20241027_020000 [2024-10-27 00:00:00+00, 2024-10-27 02:00:00+00)",
          "create events_p20241027_030000 [2024-10-27 02:00:00+00, 2024-10-27 03:00:00+00)"));
  Apply(table, plan);
  // 02:30 CET, the second pass through the same wall-clock hour: already covered.
  EXPECT_THAT(PlanTable(table, policy, Now(2024, 10, 27, 1, 30)).actions, IsEmpty());
}

TEST(PlanTableTest, WeeklyStartsOnIsoMonday) {
  const TablePlan plan = PlanTable(Table({}), Policy(kWeekly, 1), Now(2024, 1, 3, 9));
  EXPECT_THAT(
      Describe(plan),
      ElementsAre("create events_p20240101 [2024-01-01 00:00:00+00, 2024-01-08 00:00:00+00)",
                  "create events_p20240108 [2024-01-08 00:00:00+00, 2024-01-15 00:00:00+00)"));
}

TEST(PlanTableTest, YearlyNaturalGrid) {
  const TablePlan plan = PlanTable(Table({}), Policy(kYearly, 1), Now(2024, 6, 1));
  EXPECT_THAT(
      Describe(plan),
      ElementsAre("create events_p20240101 [2024-01-01 00:00:00+00, 2025-01-01 00:00:00+00)",
                  "create events_p20250101 [2025-01-01 00:00:00+00, 2026-01-01 00:00:00+00)"));
}

TEST(PlanTableTest, QuartersCountFromJanuary) {
  const TablePlan plan =
      PlanTable(Table({}), Policy({3, CalendarUnit::kMonth}, 1), Now(2024, 5, 10));
  EXPECT_THAT(
      Describe(plan),
      ElementsAre("create events_p20240401 [2024-04-01 00:00:00+00, 2024-07-01 00:00:00+00)",
                  "create events_p20240701 [2024-07-01 00:00:00+00, 2024-10-01 00:00:00+00)"));
}

TEST(PlanTableTest, SixHoursCountFromMidnight) {
  const TablePlan plan =
      PlanTable(Table({}), Policy({6, CalendarUnit::kHour}, 1), Now(2024, 5, 10, 13));
  EXPECT_THAT(
      Describe(plan),
      ElementsAre(
          "create events_p20240510_120000 [2024-05-10 12:00:00+00, 2024-05-10 18:00:00+00)",
          "create events_p20240510_180000 [2024-05-10 18:00:00+00, 2024-05-11 00:00:00+00)"));
}

TEST(PlanTableTest, AdoptsLegacyPartitionOnThe15th) {
  const TableSnapshot table =
      Table({Part("legacy_stuff", "2024-01-15 00:00:00+00", "2024-02-15 00:00:00+00")});
  const TablePlan plan = PlanTable(table, Policy(kMonthly, 2), Now(2024, 1, 20));
  EXPECT_THAT(
      Describe(plan),
      ElementsAre("create events_p20240215 [2024-02-15 00:00:00+00, 2024-03-15 00:00:00+00)",
                  "create events_p20240315 [2024-03-15 00:00:00+00, 2024-04-15 00:00:00+00)"));
}

TEST(PlanTableTest, FillsGapInTheMiddle) {
  const TableSnapshot table =
      Table({Part("events_p20240101", "2024-01-01 00:00:00+00", "2024-02-01 00:00:00+00"),
             Part("events_p20240301", "2024-03-01 00:00:00+00", "2024-04-01 00:00:00+00")});
  const TablePlan plan = PlanTable(table, Policy(kMonthly, 1), Now(2024, 3, 10));
  EXPECT_THAT(
      Describe(plan),
      ElementsAre("create events_p20240201 [2024-02-01 00:00:00+00, 2024-03-01 00:00:00+00)",
                  "create events_p20240401 [2024-04-01 00:00:00+00, 2024-05-01 00:00:00+00)"));
  EXPECT_THAT(Reasons(plan), ElementsAre("gap between events_p20240101 and events_p20240301",
                                         "premake: 1 of 1 ahead"));
}

TEST(PlanTableTest, OddRangeNextToGapYieldsPartialPiece) {
  const TableSnapshot table =
      Table({Part("handmade", "2024-01-01 00:00:00+00", "2024-01-20 00:00:00+00"),
             Part("events_p20240301", "2024-03-01 00:00:00+00", "2024-04-01 00:00:00+00")});
  const TablePlan plan = PlanTable(table, Policy(kMonthly, 0), Now(2024, 3, 10));
  EXPECT_THAT(
      Describe(plan),
      ElementsAre("create events_p20240120 [2024-01-20 00:00:00+00, 2024-02-01 00:00:00+00)",
                  "create events_p20240201 [2024-02-01 00:00:00+00, 2024-03-01 00:00:00+00)"));
}

TEST(PlanTableTest, MinvaluePartitionCoversEverythingBelow) {
  const TableSnapshot table = Table({Part("old", "MINVALUE", "2024-03-01 00:00:00+00")});
  const TablePlan plan = PlanTable(table, Policy(kMonthly, 1), Now(2024, 3, 10));
  EXPECT_THAT(Names(plan), ElementsAre("events_p20240301", "events_p20240401"));
  EXPECT_THAT(Reasons(plan), ElementsAre("current period", "premake: 1 of 1 ahead"));
}

TEST(PlanTableTest, PremakeHorizonIgnoresFarFuturePartitions) {
  const TableSnapshot table =
      Table({Part("events_p20340301", "2034-03-01 00:00:00+00", "2034-04-01 00:00:00+00"),
             Part("bogus", "2034-04-01 00:00:00+00", "MAXVALUE")});
  const TablePlan plan = PlanTable(table, Policy(kMonthly, 2), Now(2024, 3, 15));
  EXPECT_THAT(Names(plan), ElementsAre("events_p20240301", "events_p20240401", "events_p20240501"));
}

TEST(PlanTableTest, NothingWhenPremakeAlreadyCovered) {
  const TableSnapshot table =
      Table({Part("events_p20240301", "2024-03-01 00:00:00+00", "2024-04-01 00:00:00+00"),
             Part("events_p20240401", "2024-04-01 00:00:00+00", "2024-05-01 00:00:00+00")});
  EXPECT_THAT(PlanTable(table, Policy(kMonthly, 1), Now(2024, 3, 31, 23, 59, 59)).actions,
              IsEmpty());
  EXPECT_THAT(Names(PlanTable(table, Policy(kMonthly, 1), Now(2024, 4, 1))),
              ElementsAre("events_p20240501"));
}

TEST(PlanTableTest, RetentionUsesCatalogUpperBound) {
  const TableSnapshot table =
      Table({Part("events_p20240101", "2024-01-01 00:00:00+00", "2024-02-01 00:00:00+00"),
             Part("events_p20240201", "2024-02-01 00:00:00+00", "2027-01-01 00:00:00+00")});
  const auto policy = Policy(kMonthly, 1, "UTC", CalendarInterval{12, CalendarUnit::kMonth});
  // Cutoff 2024-01-31 23:59:59: the upper bound is one second after it.
  EXPECT_THAT(PlanTable(table, policy, Now(2025, 1, 31, 23, 59, 59)).actions, IsEmpty());
  // Cutoff 2024-02-01 00:00:00: exactly the upper bound.
  const TablePlan plan = PlanTable(table, policy, Now(2025, 2, 1));
  EXPECT_THAT(
      Describe(plan),
      ElementsAre("drop events_p20240101 [2024-01-01 00:00:00+00, 2024-02-01 00:00:00+00)"));
  EXPECT_THAT(Reasons(plan), ElementsAre("upper bound 2024-02-01 00:00:00+00 <= cutoff "
                                         "2024-02-01 00:00:00+00 (now - 12 months)"));
  EXPECT_EQ(plan.actions[0].schema, "app");
}

TEST(PlanTableTest, RetentionActionIsTheConfiguredOne) {
  const TableSnapshot table =
      Table({Part("events_p20240101", "2024-01-01 00:00:00+00", "2024-02-01 00:00:00+00"),
             Part("future", "2024-02-01 00:00:00+00", "MAXVALUE")});
  auto policy = Policy(kMonthly, 1, "UTC", CalendarInterval{1, CalendarUnit::kMonth});
  policy.retention_action = config::RetentionAction::kArchive;
  policy.archive_dir = "/var/lib/partitiond/archive";
  EXPECT_THAT(Names(PlanTable(table, policy, Now(2024, 6, 1))), ElementsAre("events_p20240101"));
  EXPECT_EQ(PlanTable(table, policy, Now(2024, 6, 1)).actions[0].kind, ActionKind::kArchive);
  policy.retention_action = config::RetentionAction::kDetach;
  EXPECT_EQ(PlanTable(table, policy, Now(2024, 6, 1)).actions[0].kind, ActionKind::kDetach);
}

TEST(PlanTableTest, DefaultAndMaxvaluePartitionsAreNeverDropped) {
  const TableSnapshot table =
      Table({Part("ancient", "MINVALUE", "2020-01-01 00:00:00+00"),
             Part("old", "2020-01-01 00:00:00+00", "2020-02-01 00:00:00+00"),
             Part("rest", "2020-02-01 00:00:00+00", "MAXVALUE"), DefaultPart()});
  const TablePlan plan =
      PlanTable(table, Policy(kMonthly, 3, "UTC", CalendarInterval{1, CalendarUnit::kMonth}),
                Now(2024, 6, 1));
  EXPECT_THAT(Describe(plan),
              ElementsAre("drop ancient [-infinity, 2020-01-01 00:00:00+00)",
                          "drop old [2020-01-01 00:00:00+00, 2020-02-01 00:00:00+00)"));
}

TEST(PlanTableTest, DetachPendingIsFinalizedFirstAndItsRangeLeftAlone) {
  Partition pending = Part("events_p20240201", "2024-02-01 00:00:00+00", "2024-03-01 00:00:00+00");
  pending.detach_pending = true;
  TableSnapshot table =
      Table({Part("events_p20240101", "2024-01-01 00:00:00+00", "2024-02-01 00:00:00+00"), pending,
             Part("events_p20240301", "2024-03-01 00:00:00+00", "2024-04-01 00:00:00+00")});
  const auto policy = Policy(kMonthly, 1);
  const TablePlan plan = PlanTable(table, policy, Now(2024, 3, 10));
  EXPECT_THAT(
      Describe(plan),
      ElementsAre("finalize_detach events_p20240201 [2024-02-01 00:00:00+00, "
                  "2024-03-01 00:00:00+00)",
                  "create events_p20240401 [2024-04-01 00:00:00+00, 2024-05-01 00:00:00+00)"));
  // Once it is gone, the hole is an ordinary gap.
  Apply(table, plan);
  EXPECT_THAT(Names(PlanTable(table, policy, Now(2024, 3, 10))), ElementsAre("events_p20240201"));
}

TEST(PlanTableTest, DetachPendingOldestIsNotRecreated) {
  Partition pending = Part("events_p20240101", "2024-01-01 00:00:00+00", "2024-02-01 00:00:00+00");
  pending.detach_pending = true;
  TableSnapshot table = Table(
      {pending, Part("events_p20240201", "2024-02-01 00:00:00+00", "2024-03-01 00:00:00+00")});
  const auto policy = Policy(kMonthly, 0, "UTC", CalendarInterval{1, CalendarUnit::kMonth});
  const TablePlan plan = PlanTable(table, policy, Now(2024, 2, 10));
  EXPECT_THAT(Names(plan), ElementsAre("events_p20240101"));
  EXPECT_EQ(plan.actions[0].kind, ActionKind::kFinalizeDetach);
  Apply(table, plan);
  EXPECT_THAT(PlanTable(table, policy, Now(2024, 2, 10)).actions, IsEmpty());
}

Partition Orphan(const char* name, const char* recorded_upper) {
  Partition orphan;
  orphan.schema = "app";
  orphan.name = name;
  orphan.detached_by_retention = true;
  orphan.to = *catalog::ParseKeyLiteral(recorded_upper, catalog::KeyType::kTimestamptz);
  return orphan;
}

TEST(PlanTableTest, OrphanOfInterruptedDropIsDroppedAndCoversNothing) {
  const TableSnapshot table = Table({Orphan("events_p20230101", "2023-02-01 00:00:00+00")});
  const TablePlan plan =
      PlanTable(table, Policy(kMonthly, 1, "UTC", CalendarInterval{6, CalendarUnit::kMonth}),
                Now(2024, 3, 10));
  EXPECT_THAT(
      Describe(plan),
      ElementsAre("create events_p20240301 [2024-03-01 00:00:00+00, 2024-04-01 00:00:00+00)",
                  "create events_p20240401 [2024-04-01 00:00:00+00, 2024-05-01 00:00:00+00)",
                  "drop events_p20230101 [-infinity, 2023-02-01 00:00:00+00)"));
}

TEST(PlanTableTest, OrphanIsFinishedByTodaysRetentionAction) {
  Partition orphan = Orphan("events_p20230101", "2023-02-01 00:00:00+00");
  orphan.from = *catalog::ParseKeyLiteral("2023-01-01 00:00:00+00", catalog::KeyType::kTimestamptz);
  const TableSnapshot table = Table({orphan});
  config::TableConfig policy =
      Policy(kMonthly, 1, "UTC", CalendarInterval{6, CalendarUnit::kMonth});
  for (const auto action : {config::RetentionAction::kArchive, config::RetentionAction::kDetach}) {
    policy.retention_action = action;
    const TablePlan plan = PlanTable(table, policy, Now(2024, 3, 10));
    ASSERT_EQ(plan.actions.size(), 3u);
    EXPECT_EQ(plan.actions[2].kind, action == config::RetentionAction::kArchive
                                        ? ActionKind::kArchive
                                        : ActionKind::kDetach);
    // The recorded lower bound comes along: an archive's manifest needs the whole range.
    EXPECT_EQ(plan.actions[2].from, *orphan.from);
    EXPECT_EQ(plan.actions[2].to, *orphan.to);
    EXPECT_THAT(plan.actions[2].reason, HasSubstr("interrupted retention action"));
  }
}

TEST(PlanTableTest, OrphanIsKeptWhenThePolicyNoLongerExpiresIt) {
  const TableSnapshot table = Table({Orphan("events_p20230101", "2023-02-01 00:00:00+00")});
  config::TableConfig longer = Policy(kMonthly, 1, "UTC", CalendarInterval{5, CalendarUnit::kYear});
  config::TableConfig forever = Policy(kMonthly, 1);
  for (const auto& policy : {longer, forever}) {
    const TablePlan plan = PlanTable(table, policy, Now(2024, 3, 10));
    EXPECT_THAT(Names(plan), ElementsAre("events_p20240301", "events_p20240401"));
    ASSERT_EQ(plan.warnings.size(), 1u);
    EXPECT_THAT(plan.warnings[0], HasSubstr("policy no longer expires it"));
  }
}

TEST(PlanTableTest, ExpiredDetachPendingIsHandedToTheArchiveAction) {
  Partition pending = Part("events_p20230101", "2023-01-01 00:00:00+00", "2023-02-01 00:00:00+00");
  pending.detach_pending = true;
  const TableSnapshot table = Table(
      {pending, Part("events_p20240301", "2024-03-01 00:00:00+00", "2024-04-01 00:00:00+00")});
  config::TableConfig policy =
      Policy(kMonthly, 0, "UTC", CalendarInterval{6, CalendarUnit::kMonth});
  policy.retention_action = config::RetentionAction::kArchive;
  policy.archive_dir = "/srv/archive";
  EXPECT_THAT(Describe(PlanTable(table, policy, Now(2024, 3, 10))),
              ElementsAre("archive events_p20230101 [2023-01-01 00:00:00+00, "
                          "2023-02-01 00:00:00+00)"));
}

TEST(PlanTableTest, GapPiecesOlderThanCutoffAreNotCreated) {
  const TableSnapshot table =
      Table({Part("events_p20230101", "2023-01-01 00:00:00+00", "2023-02-01 00:00:00+00"),
             Part("events_p20240301", "2024-03-01 00:00:00+00", "2024-04-01 00:00:00+00")});
  const TablePlan plan =
      PlanTable(table, Policy(kMonthly, 1, "UTC", CalendarInterval{6, CalendarUnit::kMonth}),
                Now(2024, 3, 10));
  // Cutoff 2023-09-10: August 2023 would go at once; September 2023 still holds live rows.
  EXPECT_THAT(Names(plan), ElementsAre("events_p20230901", "events_p20231001", "events_p20231101",
                                       "events_p20231201", "events_p20240101", "events_p20240201",
                                       "events_p20240401", "events_p20230101"));
  EXPECT_EQ(plan.actions.back().kind, ActionKind::kDrop);
}

TEST(PlanTableTest, DateKey) {
  const TableSnapshot table = Table({}, KeyType::kDate);
  // 2024-04-01 01:30 in Berlin: April is the current period there.
  const TablePlan plan =
      PlanTable(table, Policy(kMonthly, 1, "Europe/Berlin"), Now(2024, 3, 31, 23, 30));
  EXPECT_THAT(Describe(plan, KeyType::kDate),
              ElementsAre("create events_p20240401 [2024-04-01, 2024-05-01)",
                          "create events_p20240501 [2024-05-01, 2024-06-01)"));
}

TEST(PlanTableTest, DateKeyWithSubDayIntervalOnlyWarns) {
  const TablePlan plan =
      PlanTable(Table({}, KeyType::kDate), Policy({6, CalendarUnit::kHour}, 1), Now(2024, 3, 1));
  EXPECT_THAT(plan.actions, IsEmpty());
  ASSERT_EQ(plan.warnings.size(), 1u);
  EXPECT_THAT(plan.warnings[0], HasSubstr("finer than the partition key type date"));
}

TEST(PlanTableTest, TimestampKeyIsNaiveWallClock) {
  const TablePlan plan = PlanTable(Table({}, KeyType::kTimestamp),
                                   Policy(kHourly, 2, "Europe/Berlin"), Now(2024, 3, 31, 0, 30));
  EXPECT_THAT(
      Describe(plan, KeyType::kTimestamp),
      ElementsAre("create events_p20240331_010000 [2024-03-31 01:00:00, 2024-03-31 02:00:00)",
                  "create events_p20240331_020000 [2024-03-31 02:00:00, 2024-03-31 03:00:00)",
                  "create events_p20240331_030000 [2024-03-31 03:00:00, 2024-03-31 04:00:00)"));
}

TEST(PlanTableTest, NameCollisionIsSkippedWithWarning) {
  const TableSnapshot table =
      Table({Part("events_p20240301", "2024-03-01 00:00:00+00", "2024-04-01 00:00:00+00"),
             Part("events_p20240501", "2024-06-01 00:00:00+00", "2024-07-01 00:00:00+00")});
  const TablePlan plan = PlanTable(table, Policy(kMonthly, 2), Now(2024, 3, 10));
  EXPECT_THAT(Names(plan), ElementsAre("events_p20240401"));
  EXPECT_THAT(plan.warnings,
              ElementsAre("not creating events_p20240501 for [2024-05-01 00:00:00+00, "
                          "2024-06-01 00:00:00+00): the name is already taken by an existing "
                          "partition"));
}

TEST(PlanTableTest, LongParentNameIsShortened) {
  const std::string parent(63, 'a');
  const TablePlan plan =
      PlanTable(Table({}, KeyType::kTimestamptz, parent), Policy(kMonthly, 0), Now(2024, 3, 10));
  EXPECT_THAT(Names(plan), ElementsAre(std::string(53, 'a') + "_p20240301"));
}

TEST(PlanTableTest, TableErrorOnlyWarns) {
  TableSnapshot table = Table({});
  table.error = "relation does not exist";
  const TablePlan plan = PlanTable(table, Policy(kMonthly, 3), Now(2024, 3, 10));
  EXPECT_THAT(plan.actions, IsEmpty());
  EXPECT_THAT(plan.warnings, ElementsAre(HasSubstr("relation does not exist")));
}

TEST(PlanTableTest, HugeGapIsFilledNewestFirstInBoundedPasses) {
  const TableSnapshot table =
      Table({Part("ancient", "2000-01-01 00:00:00+00", "2000-01-01 01:00:00+00")});
  const TablePlan plan = PlanTable(table, Policy(kHourly, 2), Now(2024, 3, 10));
  ASSERT_EQ(plan.actions.size(), 1000u);
  EXPECT_EQ(plan.actions.back().partition, "events_p20240310_020000");
  // 1000 hours (41 days 16 hours) before the horizon, 2024-03-10 03:00.
  EXPECT_EQ(plan.actions.front().partition, "events_p20240128_110000");
  EXPECT_THAT(plan.warnings, ElementsAre(HasSubstr("creating only 1000 missing partitions")));
}

// premake beyond the per-pass cap (1000): the current period is always among the creates, with the
// nearest premake next; what the cap leaves out is the furthest ahead (or the oldest gap pieces),
// and the next pass completes it.
TEST(PlanTableTest, LargePremakeCreatesTheCurrentPeriodFirst) {
  struct Case {
    const char* label;
    CalendarInterval interval;
    int premake;
    std::vector<Partition> existing;
    std::string current;    // the current period's partition
    std::string last;       // the furthest partition created this pass
    std::size_t creates;    // this pass
    bool capped;            // the pass warns that it was cut to the cap
    std::size_t next_pass;  // creates in the pass after it (same now)
  };
  const std::vector<Case> cases = {
      {"daily 1500 on an empty parent",
       kDaily,
       1500,
       {},
       "events_p20240310",
       "events_p20261204",
       1000,
       true,
       501},
      {"daily 1000 on an empty parent",
       kDaily,
       1000,
       {},
       "events_p20240310",
       "events_p20261204",
       1000,
       true,
       1},
      {"daily 999 on an empty parent",
       kDaily,
       999,
       {},
       "events_p20240310",
       "events_p20261204",
       1000,
       false,
       0},
      {"hourly 1200 on an empty parent",
       kHourly,
       1200,
       {},
       "events_p20240310_000000",
       "events_p20240420_150000",
       1000,
       true,
       201},
      {"hourly 1000 after an ancient partition",
       kHourly,
       1000,
       {Part("ancient", "2024-01-01 00:00:00+00", "2024-01-01 01:00:00+00")},
       "events_p20240310_000000",
       "events_p20240420_150000",
       1000,
       true,
       1000},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    TableSnapshot table = Table(c.existing);
    const config::TableConfig policy = Policy(c.interval, c.premake);
    const TablePlan plan = PlanTable(table, policy, Now(2024, 3, 10));
    ASSERT_EQ(plan.actions.size(), c.creates);
    const std::vector<std::string> names = Names(plan);
    EXPECT_THAT(names, ::testing::Contains(c.current));
    EXPECT_EQ(plan.actions.front().partition, c.current);
    EXPECT_EQ(plan.actions.back().partition, c.last);
    EXPECT_TRUE(std::is_sorted(plan.actions.begin(), plan.actions.end(),
                               [](const Action& a, const Action& b) { return a.from < b.from; }));
    if (c.capped) {
      EXPECT_THAT(plan.warnings, ElementsAre(HasSubstr("creating only 1000 missing partitions")));
    } else {
      EXPECT_THAT(plan.warnings, IsEmpty());
    }
    Apply(table, plan);
    EXPECT_EQ(PlanTable(table, policy, Now(2024, 3, 10)).actions.size(), c.next_pass);
  }
}

struct Scenario {
  const char* label;
  TableSnapshot table;
  config::TableConfig policy;
  chr::sys_seconds now;
};

TEST(PlanTableTest, SecondPlanAfterApplyingCreatesIsEmpty) {
  const auto tz = KeyType::kTimestamptz;
  std::vector<Scenario> scenarios = {
      {"empty monthly", Table({}), Policy(kMonthly, 3), Now(2024, 3, 15)},
      {"hourly Berlin spring", Table({}), Policy(kHourly, 5, "Europe/Berlin"),
       Now(2024, 3, 30, 23, 30)},
      {"hourly Berlin fall", Table({}), Policy(kHourly, 5, "Europe/Berlin"),
       Now(2024, 10, 26, 23, 30)},
      {"daily New York", Table({}), Policy(kDaily, 10, "America/New_York"), Now(2024, 3, 5)},
      {"weekly", Table({}), Policy(kWeekly, 4), Now(2024, 12, 25)},
      {"quarters", Table({}), Policy({3, CalendarUnit::kMonth}, 4), Now(2024, 12, 25)},
      {"day 31", Table({Part("jan_end", "2024-01-31 00:00:00+00", "2024-02-29 00:00:00+00")}),
       Policy(kMonthly, 12), Now(2024, 2, 10)},
      {"legacy 15th",
       Table({Part("legacy_stuff", "2024-01-15 00:00:00+00", "2024-02-15 00:00:00+00")}),
       Policy(kMonthly, 3), Now(2024, 1, 20)},
      {"gap and odd range",
       Table({Part("handmade", "2024-01-01 00:00:00+00", "2024-01-20 12:00:00+00"),
              Part("events_p20240301", "2024-03-01 00:00:00+00", "2024-04-01 00:00:00+00")}),
       Policy(kDaily, 3, "Europe/Berlin"), Now(2024, 3, 31, 12)},
      {"date key", Table({}, KeyType::kDate), Policy(kDaily, 7, "Europe/Berlin"), Now(2024, 3, 30)},
  };
  for (Scenario& s : scenarios) {
    SCOPED_TRACE(s.label);
    const TablePlan first = PlanTable(s.table, s.policy, s.now);
    EXPECT_THAT(first.actions, ::testing::Not(IsEmpty()));
    Apply(s.table, first);
    EXPECT_THAT(Describe(PlanTable(s.table, s.policy, s.now), tz), IsEmpty());
  }
}

TEST(PartitionNameTest, DailyAndSubDaySuffixes) {
  const auto start = chr::local_days(chr::year(2024) / 3 / 5) + chr::hours(7) + chr::seconds(9);
  EXPECT_EQ(PartitionName("events", chr::floor<chr::days>(start), kDaily), "events_p20240305");
  EXPECT_EQ(PartitionName("events", start, kMonthly), "events_p20240305");
  EXPECT_EQ(PartitionName("events", start, kHourly), "events_p20240305_070009");
}

TEST(PartitionNameTest, KeepsSuffixWithin63Bytes) {
  const auto start = chr::local_days(chr::year(2024) / 3 / 5) + chr::hours(12);
  const std::string parent(63, 'x');
  EXPECT_EQ(PartitionName(parent, start, kDaily), std::string(53, 'x') + "_p20240305");
  EXPECT_EQ(PartitionName(parent, start, kHourly), std::string(46, 'x') + "_p20240305_120000");
  EXPECT_EQ(PartitionName(std::string(53, 'x'), start, kDaily).size(), 63u);
}

TEST(PartitionNameTest, CutsMultibyteNameAtCharacterBoundary) {
  const auto start = chr::local_days(chr::year(2024) / 3 / 5) + chr::hours(0);
  std::string parent;
  for (int i = 0; i < 31; ++i) parent += "\xC3\xA4";  // "ä", 62 bytes
  // 53 bytes of room: 26 whole characters (52 bytes), not half of the 27th.
  EXPECT_EQ(PartitionName(parent, start, kDaily), parent.substr(0, 52) + "_p20240305");
}

TEST(ActionKindTest, ToString) {
  EXPECT_EQ(ToString(ActionKind::kCreate), "create");
  EXPECT_EQ(ToString(ActionKind::kFinalizeDetach), "finalize_detach");
  EXPECT_EQ(ToString(ActionKind::kDrop), "drop");
  EXPECT_EQ(ToString(ActionKind::kDetach), "detach");
  EXPECT_EQ(ToString(ActionKind::kArchive), "archive");
}

}  // namespace
}  // namespace partitiond::planner

namespace partitiond::planner {
namespace {

TEST(PlanTableTest, WarnsWhenAdoptedBoundariesAreNotAtLocalMidnight) {
  // Made by a tool working in UTC; read in Paris the boundaries sit at 01:00 local time.
  const TableSnapshot utc =
      Table({Part("events_2026_01", "2026-01-01 00:00:00+00", "2026-02-01 00:00:00+00")});
  const TablePlan offset = PlanTable(utc, Policy(kMonthly, 1, "Europe/Paris"), Now(2026, 1, 10));
  ASSERT_EQ(offset.warnings.size(), 1u);
  EXPECT_THAT(offset.warnings[0],
              HasSubstr("existing partitions start at 01:00:00 local time in Europe/Paris"));
  // The same partitions in UTC, and a fresh table in Paris, are on midnight: no warning.
  EXPECT_THAT(PlanTable(utc, Policy(kMonthly, 1), Now(2026, 1, 10)).warnings, IsEmpty());
  EXPECT_THAT(PlanTable(Table({}), Policy(kMonthly, 1, "Europe/Paris"), Now(2026, 1, 10)).warnings,
              IsEmpty());
}

TEST(PlannerTest, CreatesAheadOfNowAreMarkedSoTheDefaultCanExcludeTheirRange) {
  const TablePlan plan = PlanTable(Table({DefaultPart()}), Policy(kMonthly, 2), Now(2027, 3, 15));
  std::vector<std::string> ahead;
  for (const Action& a : plan.actions)
    ahead.push_back(a.partition + (a.ahead_of_now ? " ahead" : ""));
  EXPECT_THAT(ahead,
              ElementsAre("events_p20270301", "events_p20270401 ahead", "events_p20270501 ahead"));
}

TEST(PlannerTest, DefaultPartitionPolicyCreatesOrRemovesTheDefaultAfterTheCreates) {
  config::TableConfig create = Policy(kMonthly, 0);
  create.default_partition = config::DefaultPartitionPolicy::kCreate;
  const TablePlan made = PlanTable(Table({}), create, Now(2027, 3, 15));
  ASSERT_EQ(made.actions.size(), 2u);
  EXPECT_EQ(made.actions[1].kind, ActionKind::kCreateDefault);
  EXPECT_EQ(made.actions[1].partition, "events_default");
  EXPECT_THAT(PlanTable(Table({DefaultPart()}), create, Now(2027, 3, 15)).actions.size(), 1u);

  config::TableConfig none = Policy(kMonthly, 0);
  none.default_partition = config::DefaultPartitionPolicy::kNone;
  const TablePlan removed = PlanTable(Table({DefaultPart()}), none, Now(2027, 3, 15));
  ASSERT_EQ(removed.actions.size(), 2u);
  EXPECT_EQ(removed.actions[0].kind, ActionKind::kCreate);
  EXPECT_EQ(removed.actions[1].kind, ActionKind::kDropDefault);
  EXPECT_EQ(removed.actions[1].partition, "events_default");
  EXPECT_THAT(PlanTable(Table({}), none, Now(2027, 3, 15)).actions.size(), 1u);
  // keep (the default) leaves it alone either way.
  EXPECT_THAT(
      PlanTable(Table({DefaultPart()}), Policy(kMonthly, 0), Now(2027, 3, 15)).actions.size(), 1u);
}

TEST(PlannerTest, DefaultPartitionNameIsCutToSixtyThreeBytes) {
  EXPECT_EQ(DefaultPartitionName("events"), "events_default");
  const std::string long_name(70, 'x');
  EXPECT_EQ(DefaultPartitionName(long_name), std::string(55, 'x') + "_default");
  // Not in the middle of a UTF-8 sequence: 27 two-byte letters are 54 bytes, the 28th would end
  // at 56.
  std::string umlauts;
  for (int i = 0; i < 30; ++i) umlauts += "\xc3\xa4";
  EXPECT_EQ(DefaultPartitionName(umlauts).size(), 54u + 8u);
}

}  // namespace
}  // namespace partitiond::planner
