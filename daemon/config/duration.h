// Quantities of time as written in the config: "200ms", "30s", "5m", "1h", "2d" (suffix forms) or
// "90 minutes", "1 month", "2 weeks" (a unit word, singular or plural, optionally after spaces).
// The count is always a positive whole number.
//
// Errors are std::invalid_argument whose what() is a complete sentence naming the offending text,
// fit to show a user as is (callers add the position).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/config/config.h"

namespace partitiond::config {

// A fixed length of time. Days are 24 hours and weeks 7 days; months and years are rejected since
// they have no fixed length. With `allow_zero`, a zero count ("0s") is accepted too.
std::chrono::milliseconds ParseDuration(std::string_view text, bool allow_zero = false);

// A calendar step in hours, days, weeks, months or years (`h` and `d` suffixes too). Finer units
// are rejected with a message that starts with `subject` ("partitions" -> "partitions finer than an
// hour are not supported"). Steps longer than `max_years` are rejected ("longer than 10 years"),
// so that calendar arithmetic downstream cannot overflow.
CalendarInterval ParseCalendarInterval(std::string_view text,
                                       std::string_view subject = "partitions",
                                       std::int64_t max_years = 10000);

// The largest count of `unit` that stays within `years` years (years taken as 366 days).
std::int64_t MaxCalendarCount(CalendarUnit unit, std::int64_t years);

// The shortest exact suffix form: 200ms, 30s, 5m, 1h, 2d, 0s.
std::string FormatDuration(std::chrono::milliseconds duration);

}  // namespace partitiond::config
