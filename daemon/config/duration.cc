#include "daemon/config/duration.h"

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>

namespace partitiond::config {
namespace {

enum class Unit { kMillisecond, kSecond, kMinute, kHour, kDay, kWeek, kMonth, kYear };

struct Quantity {
  std::int64_t count = 0;
  Unit unit = Unit::kSecond;
};

struct UnitName {
  std::string_view name;
  Unit unit;
};

constexpr UnitName kSuffixes[] = {{"ms", Unit::kMillisecond},
                                  {"s", Unit::kSecond},
                                  {"m", Unit::kMinute},
                                  {"h", Unit::kHour},
                                  {"d", Unit::kDay}};

constexpr UnitName kWords[] = {{"millisecond", Unit::kMillisecond},
                               {"second", Unit::kSecond},
                               {"minute", Unit::kMinute},
                               {"hour", Unit::kHour},
                               {"day", Unit::kDay},
                               {"week", Unit::kWeek},
                               {"month", Unit::kMonth},
                               {"year", Unit::kYear}};

constexpr std::string_view kUnitHelp =
    "use ms, s, m, h, d or millisecond(s), second(s), minute(s), hour(s), day(s), week(s), "
    "month(s), year(s)";

bool IsSpace(char c) { return c == ' ' || c == '\t'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  return s;
}

std::string_view Trim(std::string_view s) {
  s = TrimLeft(s);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// `kind` is "duration" or "interval".
[[noreturn]] void Fail(std::string_view kind, std::string_view text, std::string_view reason) {
  std::string message = "invalid ";
  message.append(kind).append(" \"").append(text).append("\": ").append(reason);
  throw std::invalid_argument(message);
}

std::optional<Unit> LookupUnit(std::string_view word) {
  for (const UnitName& suffix : kSuffixes) {
    if (word == suffix.name) return suffix.unit;
  }
  for (const UnitName& unit : kWords) {
    if (word == unit.name) return unit.unit;
    if (word.size() == unit.name.size() + 1 && word.starts_with(unit.name) && word.back() == 's') {
      return unit.unit;
    }
  }
  return std::nullopt;
}

Quantity ParseQuantity(std::string_view kind, std::string_view text) {
  const std::string_view s = Trim(text);
  std::size_t digits = 0;
  while (digits < s.size() && IsDigit(s[digits])) ++digits;
  if (digits == 0) {
    Fail(kind, text,
         "expected a positive whole number followed by a unit, such as \"5m\" or \"1 month\"");
  }
  Quantity quantity;
  if (std::from_chars(s.data(), s.data() + digits, quantity.count).ec != std::errc()) {
    Fail(kind, text, "number too large");
  }
  std::string_view rest = s.substr(digits);
  if (!rest.empty() && (rest.front() == '.' || rest.front() == ',')) {
    Fail(kind, text, "the count must be a whole number");
  }
  rest = TrimLeft(rest);
  if (rest.empty()) Fail(kind, text, std::string("missing unit; ").append(kUnitHelp));
  const std::optional<Unit> unit = LookupUnit(rest);
  if (!unit) {
    Fail(kind, text, std::string("unknown unit \"").append(rest).append("\"; ").append(kUnitHelp));
  }
  quantity.unit = *unit;
  return quantity;
}

std::int64_t MillisecondsPer(Unit unit) {
  switch (unit) {
    case Unit::kMillisecond:
      return 1;
    case Unit::kSecond:
      return 1000;
    case Unit::kMinute:
      return 60 * 1000;
    case Unit::kHour:
      return 60 * 60 * 1000;
    case Unit::kDay:
      return 24 * 60 * 60 * 1000;
    case Unit::kWeek:
      return 7 * 24 * 60 * 60 * 1000;
    case Unit::kMonth:
    case Unit::kYear:
      break;
  }
  return 0;
}

std::optional<CalendarUnit> ToCalendarUnit(Unit unit) {
  switch (unit) {
    case Unit::kHour:
      return CalendarUnit::kHour;
    case Unit::kDay:
      return CalendarUnit::kDay;
    case Unit::kWeek:
      return CalendarUnit::kWeek;
    case Unit::kMonth:
      return CalendarUnit::kMonth;
    case Unit::kYear:
      return CalendarUnit::kYear;
    default:
      return std::nullopt;
  }
}

std::string_view UnitWord(CalendarUnit unit) {
  switch (unit) {
    case CalendarUnit::kHour:
      return "hour";
    case CalendarUnit::kDay:
      return "day";
    case CalendarUnit::kWeek:
      return "week";
    case CalendarUnit::kMonth:
      return "month";
    case CalendarUnit::kYear:
      return "year";
  }
  return "?";
}

}  // namespace

std::int64_t MaxCalendarCount(CalendarUnit unit, std::int64_t years) {
  switch (unit) {
    case CalendarUnit::kHour:
      return years * 366 * 24;
    case CalendarUnit::kDay:
      return years * 366;
    case CalendarUnit::kWeek:
      return years * 366 / 7;
    case CalendarUnit::kMonth:
      return years * 12;
    case CalendarUnit::kYear:
      return years;
  }
  return 0;
}

std::chrono::milliseconds ParseDuration(std::string_view text, bool allow_zero) {
  constexpr std::string_view kKind = "duration";
  const Quantity quantity = ParseQuantity(kKind, text);
  if (quantity.unit == Unit::kMonth) {
    Fail(kKind, text, "months have no fixed length; use days or weeks");
  }
  if (quantity.unit == Unit::kYear) {
    Fail(kKind, text, "years have no fixed length; use days or weeks");
  }
  if (quantity.count == 0 && !allow_zero) Fail(kKind, text, "must be greater than zero");
  const std::int64_t factor = MillisecondsPer(quantity.unit);
  if (quantity.count > std::numeric_limits<std::int64_t>::max() / factor) {
    Fail(kKind, text, "too long");
  }
  return std::chrono::milliseconds(quantity.count * factor);
}

CalendarInterval ParseCalendarInterval(std::string_view text, std::string_view subject,
                                       std::int64_t max_years) {
  constexpr std::string_view kKind = "interval";
  const Quantity quantity = ParseQuantity(kKind, text);
  const std::optional<CalendarUnit> unit = ToCalendarUnit(quantity.unit);
  if (!unit) {
    Fail(kKind, text, std::string(subject).append(" finer than an hour are not supported"));
  }
  if (quantity.count == 0) Fail(kKind, text, "must be greater than zero");
  if (quantity.count > MaxCalendarCount(*unit, max_years)) {
    Fail(kKind, text, "longer than " + std::to_string(max_years) + " years");
  }
  return CalendarInterval{.count = quantity.count, .unit = *unit};
}

std::string FormatDuration(std::chrono::milliseconds duration) {
  const std::int64_t ms = duration.count();
  if (ms == 0) return "0s";
  constexpr std::pair<std::int64_t, std::string_view> kUnits[] = {
      {24 * 60 * 60 * 1000, "d"}, {60 * 60 * 1000, "h"}, {60 * 1000, "m"}, {1000, "s"}};
  for (const auto& [factor, suffix] : kUnits) {
    if (ms % factor == 0) return std::to_string(ms / factor).append(suffix);
  }
  return std::to_string(ms).append("ms");
}

std::string CalendarInterval::ToString() const {
  std::string text = std::to_string(count);
  text.append(" ").append(UnitWord(unit));
  if (count != 1) text.append("s");
  return text;
}

}  // namespace partitiond::config
