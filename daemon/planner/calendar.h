// Calendar arithmetic for the planner (internal to daemon/planner). Grids are laid out on naive
// local wall-clock time; the time zone only enters when a local time is mapped to or from the key
// domain. All functions are pure and thread-safe. Local times must stay within years 1..9999.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "daemon/catalog/snapshot.h"
#include "daemon/config/config.h"

namespace partitiond::planner {

using LocalTime = std::chrono::local_time<std::chrono::microseconds>;

// The boundaries origin + k * interval for every integer k, each computed from the origin, never by
// accumulation. For month and year intervals the day of month is `day_of_month` clamped to each
// month's length, so a grid on the 31st runs Jan 31, Feb 29, Mar 31, Apr 30, ...
struct Grid {
  config::CalendarInterval interval;
  LocalTime origin{};
  int day_of_month = 1;  // month and year grids only, 1..31; origin's own day may be a clamped one

  LocalTime Boundary(std::int64_t k) const;
  // The k with Boundary(k) <= t < Boundary(k + 1).
  std::int64_t CellIndex(LocalTime t) const;
};

// t + k * interval (k may be negative). Months and years clamp the day of month: Jan 31 + 1 month
// is Feb 29 (leap) or Feb 28; Jan 31 + 2 months is Mar 31.
LocalTime AddInterval(LocalTime t, const config::CalendarInterval& interval, std::int64_t k);

// The natural grid of an interval: N hours from 1970-01-01 00:00 (for N dividing 24, that is every
// N hours from local midnight), N days from 1970-01-01, N weeks from Monday 1969-12-29 (ISO weeks),
// N months counted from January of year 0 (for N dividing 12: from each January), N years from
// year 0.
Grid NaturalGrid(const config::CalendarInterval& interval);
LocalTime FloorToNaturalGrid(LocalTime t, const config::CalendarInterval& interval);

// The grid on which [from, to) is exactly one cell, if any. For month and year intervals a cell
// that starts and ends on the last day of a month is taken to be on the month-end grid (day 31).
std::optional<Grid> GridOfCell(const config::CalendarInterval& interval, LocalTime from,
                               LocalTime to);

bool IsSubDay(const config::CalendarInterval& interval);

// Instant <-> wall clock in `tz`. For an ambiguous local time (the repeated hour when clocks go
// back) the earliest instant is chosen; for a nonexistent one (the hour skipped when clocks go
// forward) the instant of the transition, i.e. the first valid instant after the gap.
LocalTime InstantToLocal(std::chrono::sys_time<std::chrono::microseconds> instant,
                         const date::time_zone& tz);
std::chrono::sys_time<std::chrono::microseconds> LocalToInstant(LocalTime local,
                                                                const date::time_zone& tz);

// Key domain <-> wall clock: timestamptz keys are instants and go through `tz`; date and timestamp
// keys already are wall-clock readings.
LocalTime KeyToLocal(catalog::KeyValue key, catalog::KeyType type, const date::time_zone& tz);
catalog::KeyValue LocalToKey(LocalTime local, catalog::KeyType type, const date::time_zone& tz);

// Whether a key value lies within years 1..9999 (with a margin for zone offsets), the range the
// calendar functions above accept, and the nearest value that does.
bool InCalendarRange(catalog::KeyValue key);
catalog::KeyValue ClampToCalendarRange(catalog::KeyValue key);

}  // namespace partitiond::planner
