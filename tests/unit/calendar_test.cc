#include "daemon/planner/calendar.h"

#include <date/tz.h>
#include <gtest/gtest.h>

namespace partitiond::planner {
namespace {

namespace chr = std::chrono;
using config::CalendarInterval;
using config::CalendarUnit;

LocalTime L(int y, int m, int d, int h = 0, int mi = 0) {
  return LocalTime{chr::local_days(chr::year(y) / m / d)} + chr::hours(h) + chr::minutes(mi);
}

chr::sys_time<chr::microseconds> U(int y, int m, int d, int h = 0, int mi = 0) {
  return chr::sys_days(chr::year(y) / m / d) + chr::hours(h) + chr::minutes(mi);
}

constexpr CalendarInterval kHour{1, CalendarUnit::kHour};
constexpr CalendarInterval kDay{1, CalendarUnit::kDay};
constexpr CalendarInterval kWeek{1, CalendarUnit::kWeek};
constexpr CalendarInterval kMonth{1, CalendarUnit::kMonth};
constexpr CalendarInterval kYear{1, CalendarUnit::kYear};

const date::time_zone& Berlin() { return *date::locate_zone("Europe/Berlin"); }

TEST(AddIntervalTest, MonthsClampTheDayWithoutAccumulating) {
  EXPECT_EQ(AddInterval(L(2024, 1, 31), kMonth, 1), L(2024, 2, 29));
  EXPECT_EQ(AddInterval(L(2023, 1, 31), kMonth, 1), L(2023, 2, 28));
  EXPECT_EQ(AddInterval(L(2024, 1, 31), kMonth, 2), L(2024, 3, 31));
  EXPECT_EQ(AddInterval(L(2024, 1, 31), kMonth, 3), L(2024, 4, 30));
  EXPECT_EQ(AddInterval(L(2024, 3, 31), kMonth, -1), L(2024, 2, 29));
  EXPECT_EQ(AddInterval(L(2024, 1, 31, 6, 30), kMonth, 13), L(2025, 2, 28, 6, 30));
  EXPECT_EQ(AddInterval(L(2024, 1, 15), {3, CalendarUnit::kMonth}, -1), L(2023, 10, 15));
}

TEST(AddIntervalTest, YearsFromLeapDay) {
  EXPECT_EQ(AddInterval(L(2024, 2, 29), kYear, 1), L(2025, 2, 28));
  EXPECT_EQ(AddInterval(L(2024, 2, 29), kYear, 4), L(2028, 2, 29));
  EXPECT_EQ(AddInterval(L(2024, 2, 29), kYear, -1), L(2023, 2, 28));
}

TEST(AddIntervalTest, HoursDaysWeeksAreWallClock) {
  EXPECT_EQ(AddInterval(L(2024, 3, 31, 1), kHour, 1), L(2024, 3, 31, 2));
  EXPECT_EQ(AddInterval(L(2024, 1, 1), {6, CalendarUnit::kHour}, 5), L(2024, 1, 2, 6));
  EXPECT_EQ(AddInterval(L(2024, 2, 28), kDay, 2), L(2024, 3, 1));
  EXPECT_EQ(AddInterval(L(2024, 1, 1), kWeek, -1), L(2023, 12, 25));
}

TEST(NaturalGridTest, Floors) {
  EXPECT_EQ(FloorToNaturalGrid(L(2024, 5, 10, 13, 20), kHour), L(2024, 5, 10, 13));
  EXPECT_EQ(FloorToNaturalGrid(L(2024, 5, 10, 13, 20), {6, CalendarUnit::kHour}),
            L(2024, 5, 10, 12));
  EXPECT_EQ(FloorToNaturalGrid(L(2024, 5, 10, 13), kDay), L(2024, 5, 10));
  EXPECT_EQ(FloorToNaturalGrid(L(1969, 12, 31, 13), kDay), L(1969, 12, 31));
  EXPECT_EQ(FloorToNaturalGrid(L(2024, 5, 10), {2, CalendarUnit::kDay}), L(2024, 5, 9));
  EXPECT_EQ(FloorToNaturalGrid(L(2024, 5, 10, 13), kMonth), L(2024, 5, 1));
  EXPECT_EQ(FloorToNaturalGrid(L(2024, 5, 10), {3, CalendarUnit::kMonth}), L(2024, 4, 1));
  EXPECT_EQ(FloorToNaturalGrid(L(2024, 12, 31), {6, CalendarUnit::kMonth}), L(2024, 7, 1));
  EXPECT_EQ(FloorToNaturalGrid(L(2024, 5, 10), kYear), L(2024, 1, 1));
  EXPECT_EQ(FloorToNaturalGrid(L(2025, 5, 10), {2, CalendarUnit::kYear}), L(2024, 1, 1));
}

TEST(NaturalGridTest, WeeksStartOnIsoMonday) {
  EXPECT_EQ(FloorToNaturalGrid(L(2024, 1, 3), kWeek), L(2024, 1, 1));
  EXPECT_EQ(FloorToNaturalGrid(L(2024, 1, 7, 23), kWeek), L(2024, 1, 1));
  EXPECT_EQ(FloorToNaturalGrid(L(2024, 1, 8), kWeek), L(2024, 1, 8));
  EXPECT_EQ(FloorToNaturalGrid(L(1970, 1, 1), kWeek), L(1969, 12, 29));
  // Two-week cells count from Monday 1969-12-29; 2024-01-01 is 2818 weeks later.
  EXPECT_EQ(FloorToNaturalGrid(L(2024, 1, 10), {2, CalendarUnit::kWeek}), L(2024, 1, 1));
  EXPECT_EQ(FloorToNaturalGrid(L(2024, 1, 20), {2, CalendarUnit::kWeek}), L(2024, 1, 15));
}

TEST(GridTest, CellIndexOnAMonthEndGrid) {
  const Grid grid{kMonth, L(2024, 1, 31), 31};
  EXPECT_EQ(grid.Boundary(1), L(2024, 2, 29));
  EXPECT_EQ(grid.Boundary(2), L(2024, 3, 31));
  EXPECT_EQ(grid.CellIndex(L(2024, 1, 31)), 0);
  EXPECT_EQ(grid.CellIndex(L(2024, 2, 29) - chr::microseconds(1)), 0);
  EXPECT_EQ(grid.CellIndex(L(2024, 3, 1)), 1);
  EXPECT_EQ(grid.CellIndex(L(2024, 1, 30)), -1);
  EXPECT_EQ(grid.Boundary(-1), L(2023, 12, 31));
}

TEST(GridOfCellTest, FixedUnits) {
  auto grid = GridOfCell(kDay, L(2024, 1, 1, 6), L(2024, 1, 2, 6));
  ASSERT_TRUE(grid);
  EXPECT_EQ(grid->Boundary(3), L(2024, 1, 4, 6));
  EXPECT_FALSE(GridOfCell(kDay, L(2024, 1, 1), L(2024, 1, 3)));
  EXPECT_FALSE(GridOfCell(kHour, L(2024, 1, 1), L(2024, 1, 1, 0, 30)));
}

TEST(GridOfCellTest, MonthsKeepTheirDay) {
  auto mid = GridOfCell(kMonth, L(2024, 1, 15), L(2024, 2, 15));
  ASSERT_TRUE(mid);
  EXPECT_EQ(mid->Boundary(2), L(2024, 3, 15));
  EXPECT_FALSE(GridOfCell(kMonth, L(2024, 1, 15), L(2024, 2, 16)));
  EXPECT_FALSE(GridOfCell(kMonth, L(2024, 1, 15), L(2024, 2, 15, 1)));

  // Both ends on a month end: the month-end grid.
  auto end = GridOfCell(kMonth, L(2024, 4, 30), L(2024, 5, 31));
  ASSERT_TRUE(end);
  EXPECT_EQ(end->Boundary(1), L(2024, 5, 31));
  EXPECT_EQ(end->Boundary(2), L(2024, 6, 30));
  EXPECT_EQ(end->Boundary(3), L(2024, 7, 31));

  // Clamped on the way in, not on the way out: the 30th-grid.
  auto thirtieth = GridOfCell(kMonth, L(2023, 2, 28), L(2023, 3, 30));
  ASSERT_TRUE(thirtieth);
  EXPECT_EQ(thirtieth->Boundary(2), L(2023, 4, 30));
  EXPECT_EQ(thirtieth->Boundary(3), L(2023, 5, 30));

  auto quarter = GridOfCell({3, CalendarUnit::kMonth}, L(2024, 6, 30), L(2024, 9, 30));
  ASSERT_TRUE(quarter);
  EXPECT_EQ(quarter->Boundary(2), L(2024, 12, 31));
}

TEST(TimeZoneTest, LocalToInstantInBerlin) {
  const date::time_zone& tz = Berlin();
  EXPECT_EQ(LocalToInstant(L(2024, 1, 15, 12), tz), U(2024, 1, 15, 11));
  EXPECT_EQ(LocalToInstant(L(2024, 7, 15, 12), tz), U(2024, 7, 15, 10));
  // Spring forward 2024-03-31 02:00 -> 03:00: the skipped hour maps to the transition.
  EXPECT_EQ(LocalToInstant(L(2024, 3, 31, 2), tz), U(2024, 3, 31, 1));
  EXPECT_EQ(LocalToInstant(L(2024, 3, 31, 2, 30), tz), U(2024, 3, 31, 1));
  EXPECT_EQ(LocalToInstant(L(2024, 3, 31, 3), tz), U(2024, 3, 31, 1));
  // Fall back 2024-10-27 03:00 -> 02:00: the repeated hour takes its earlier (summer) instant.
  EXPECT_EQ(LocalToInstant(L(2024, 10, 27, 2), tz), U(2024, 10, 27, 0));
  EXPECT_EQ(LocalToInstant(L(2024, 10, 27, 2, 30), tz), U(2024, 10, 27, 0, 30));
  EXPECT_EQ(LocalToInstant(L(2024, 10, 27, 3), tz), U(2024, 10, 27, 2));
}

TEST(TimeZoneTest, InstantToLocalInNewYork) {
  const date::time_zone& tz = *date::locate_zone("America/New_York");
  EXPECT_EQ(InstantToLocal(U(2024, 3, 10, 6, 59), tz), L(2024, 3, 10, 1, 59));
  EXPECT_EQ(InstantToLocal(U(2024, 3, 10, 7), tz), L(2024, 3, 10, 3));
  EXPECT_EQ(InstantToLocal(U(2024, 11, 3, 5, 30), tz), L(2024, 11, 3, 1, 30));
  EXPECT_EQ(InstantToLocal(U(2024, 11, 3, 6, 30), tz), L(2024, 11, 3, 1, 30));
}

TEST(TimeZoneTest, NaiveKeysAreNotConverted) {
  const date::time_zone& tz = Berlin();
  const catalog::KeyValue key = L(2024, 3, 31, 2, 30).time_since_epoch();
  EXPECT_EQ(KeyToLocal(key, catalog::KeyType::kTimestamp, tz), L(2024, 3, 31, 2, 30));
  EXPECT_EQ(LocalToKey(L(2024, 3, 31, 2, 30), catalog::KeyType::kTimestamp, tz), key);
  EXPECT_EQ(LocalToKey(L(2024, 3, 31), catalog::KeyType::kDate, tz),
            L(2024, 3, 31).time_since_epoch());
  EXPECT_EQ(KeyToLocal(U(2024, 3, 31, 1).time_since_epoch(), catalog::KeyType::kTimestamptz, tz),
            L(2024, 3, 31, 3));
}

TEST(CalendarRangeTest, ClampsToYears1To9999) {
  EXPECT_TRUE(InCalendarRange(U(2024, 1, 1).time_since_epoch()));
  EXPECT_FALSE(InCalendarRange(catalog::KeyValue::max()));
  EXPECT_FALSE(InCalendarRange(catalog::KeyValue::min()));
  EXPECT_TRUE(InCalendarRange(ClampToCalendarRange(catalog::KeyValue::min())));
  EXPECT_TRUE(InCalendarRange(ClampToCalendarRange(catalog::KeyValue::max())));
}

}  // namespace
}  // namespace partitiond::planner
