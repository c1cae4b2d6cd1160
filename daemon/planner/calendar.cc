#include "daemon/planner/calendar.h"

#include <date/tz.h>

#include <algorithm>

namespace partitiond::planner {

namespace chr = std::chrono;
using config::CalendarUnit;

namespace {

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

bool IsMonthBased(const config::CalendarInterval& interval) {
  return interval.unit == CalendarUnit::kMonth || interval.unit == CalendarUnit::kYear;
}

std::int64_t StepMonths(const config::CalendarInterval& interval) {
  return interval.unit == CalendarUnit::kYear ? interval.count * 12 : interval.count;
}

chr::microseconds FixedStep(const config::CalendarInterval& interval) {
  switch (interval.unit) {
    case CalendarUnit::kHour:
      return chr::hours(interval.count);
    case CalendarUnit::kDay:
      return chr::days(interval.count);
    default:
      return chr::weeks(interval.count);
  }
}

// A local time split into its date, as a count of months since January of year 0, and the rest.
struct Civil {
  std::int64_t month_index;
  unsigned day;
  chr::microseconds time_of_day;
};

Civil Split(LocalTime t) {
  const chr::local_days day = chr::floor<chr::days>(t);
  const chr::year_month_day ymd{day};
  return {static_cast<std::int64_t>(static_cast<int>(ymd.year())) * 12 +
              static_cast<unsigned>(ymd.month()) - 1,
          static_cast<unsigned>(ymd.day()), t - day};
}

chr::year_month YearMonth(std::int64_t month_index) {
  const std::int64_t year = FloorDiv(month_index, 12);
  return chr::year(static_cast<int>(year)) /
         chr::month(static_cast<unsigned>(month_index - year * 12 + 1));
}

unsigned LastDay(std::int64_t month_index) {
  return static_cast<unsigned>(chr::year_month_day_last(YearMonth(month_index) / chr::last).day());
}

LocalTime Join(std::int64_t month_index, unsigned day_of_month, chr::microseconds time_of_day) {
  const unsigned day = std::min(day_of_month, LastDay(month_index));
  return chr::local_days(YearMonth(month_index) / chr::day(day)) + time_of_day;
}

}  // namespace

LocalTime Grid::Boundary(std::int64_t k) const {
  if (!IsMonthBased(interval)) return origin + k * FixedStep(interval);
  const Civil start = Split(origin);
  return Join(start.month_index + k * StepMonths(interval), static_cast<unsigned>(day_of_month),
              start.time_of_day);
}

std::int64_t Grid::CellIndex(LocalTime t) const {
  if (!IsMonthBased(interval)) return FloorDiv((t - origin).count(), FixedStep(interval).count());
  // Estimate from whole months, then correct for the day and time within the month.
  std::int64_t k = FloorDiv(Split(t).month_index - Split(origin).month_index, StepMonths(interval));
  while (Boundary(k) > t) --k;
  while (Boundary(k + 1) <= t) ++k;
  return k;
}

LocalTime AddInterval(LocalTime t, const config::CalendarInterval& interval, std::int64_t k) {
  const Grid grid{interval, t, static_cast<int>(Split(t).day)};
  return grid.Boundary(k);
}

Grid NaturalGrid(const config::CalendarInterval& interval) {
  switch (interval.unit) {
    case CalendarUnit::kHour:
    case CalendarUnit::kDay:
      return {interval, LocalTime{}, 1};
    case CalendarUnit::kWeek:
      return {interval, chr::local_days(chr::year(1969) / 12 / 29), 1};
    default:
      return {interval, chr::local_days(chr::year(0) / 1 / 1), 1};
  }
}

LocalTime FloorToNaturalGrid(LocalTime t, const config::CalendarInterval& interval) {
  const Grid grid = NaturalGrid(interval);
  return grid.Boundary(grid.CellIndex(t));
}

std::optional<Grid> GridOfCell(const config::CalendarInterval& interval, LocalTime from,
                               LocalTime to) {
  if (!IsMonthBased(interval)) {
    if (to - from != FixedStep(interval)) return std::nullopt;
    return Grid{interval, from, 1};
  }
  const Civil start = Split(from);
  const Civil end = Split(to);
  // A cell from one month end to another is read as a month-end grid: Feb 28 -> Mar 31 is on the
  // 31st-grid rather than a 28th-grid that happens to have been clamped.
  unsigned day = start.day;
  if (start.day == LastDay(start.month_index)) {
    day = end.day == LastDay(end.month_index) ? 31 : std::max(end.day, start.day);
  }
  const Grid grid{interval, from, static_cast<int>(day)};
  if (grid.Boundary(0) != from || grid.Boundary(1) != to) return std::nullopt;
  return grid;
}

bool IsSubDay(const config::CalendarInterval& interval) {
  return interval.unit == CalendarUnit::kHour;
}

LocalTime InstantToLocal(chr::sys_time<chr::microseconds> instant, const date::time_zone& tz) {
  return LocalTime{tz.to_local(instant).time_since_epoch()};
}

chr::sys_time<chr::microseconds> LocalToInstant(LocalTime local, const date::time_zone& tz) {
  const date::local_time<chr::microseconds> wall{local.time_since_epoch()};
  const date::local_info info = tz.get_info(wall);
  if (info.result == date::local_info::nonexistent) return info.first.end;
  // Unique, or ambiguous: the first offset is the earlier instant.
  return chr::sys_time<chr::microseconds>{local.time_since_epoch() - info.first.offset};
}

LocalTime KeyToLocal(catalog::KeyValue key, catalog::KeyType type, const date::time_zone& tz) {
  if (type != catalog::KeyType::kTimestamptz) return LocalTime{key};
  return InstantToLocal(chr::sys_time<chr::microseconds>{key}, tz);
}

catalog::KeyValue LocalToKey(LocalTime local, catalog::KeyType type, const date::time_zone& tz) {
  if (type != catalog::KeyType::kTimestamptz) return local.time_since_epoch();
  return LocalToInstant(local, tz).time_since_epoch();
}

namespace {
constexpr catalog::KeyValue kCalendarLow = chr::sys_days(chr::year(1) / 1 / 3).time_since_epoch();
constexpr catalog::KeyValue kCalendarHigh =
    chr::sys_days(chr::year(9999) / 12 / 29).time_since_epoch();
}  // namespace

bool InCalendarRange(catalog::KeyValue key) { return key >= kCalendarLow && key <= kCalendarHigh; }

catalog::KeyValue ClampToCalendarRange(catalog::KeyValue key) {
  return std::clamp(key, kCalendarLow, kCalendarHigh);
}

}  // namespace partitiond::planner
