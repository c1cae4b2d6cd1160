// Parsing and rendering of partition bounds as pg_get_expr() prints them under DateStyle=ISO and
// TimeZone=UTC. The civil-date arithmetic is done here on 64-bit integers rather than with
// std::chrono::year, whose range (+-32767) is narrower than PostgreSQL's.
//
// 'infinity' and '-infinity' map to KeyValue::max() and KeyValue::min(), which is also how
// PostgreSQL stores them (DT_NOEND / DT_NOBEGIN). Finite values are limited to years 1..294276
// (PostgreSQL's timestamp range without BC), so they never reach those two values.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/catalog/snapshot.h"

namespace partitiond::catalog {

std::string_view ToString(KeyType type) {
  switch (type) {
    case KeyType::kDate:
      return "date";
    case KeyType::kTimestamp:
      return "timestamp";
    case KeyType::kTimestamptz:
      return "timestamptz";
  }
  return "unknown";
}

const Partition* TableSnapshot::DefaultPartition() const {
  auto it = std::find_if(partitions.begin(), partitions.end(),
                         [](const Partition& p) { return p.is_default; });
  return it == partitions.end() ? nullptr : &*it;
}

namespace {

constexpr std::int64_t kMaxYear = 294276;
constexpr std::int64_t kMicrosPerSecond = 1'000'000;
constexpr std::int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// Howard Hinnant's days_from_civil / civil_from_days, proleptic Gregorian, 1970-01-01 is day 0.
std::int64_t DaysFromCivil(std::int64_t y, std::int64_t m, std::int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = FloorDiv(y, 400);
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Civil {
  std::int64_t year;
  int month;
  int day;
};

Civil CivilFromDays(std::int64_t z) {
  z += 719468;
  const std::int64_t era = FloorDiv(z, 146097);
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

int DaysInMonth(std::int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// A forward-only reader over the literal or bound text.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  bool AtEnd() const { return pos_ == text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }

  bool Consume(char c) {
    if (Peek() != c || AtEnd()) return false;
    ++pos_;
    return true;
  }

  // Reads between min_len and max_len decimal digits; `digits` receives how many were read.
  bool Number(int min_len, int max_len, std::int64_t& value, int* digits = nullptr) {
    int n = 0;
    value = 0;
    while (n < max_len && std::isdigit(static_cast<unsigned char>(Peek()))) {
      value = value * 10 + (text_[pos_++] - '0');
      ++n;
    }
    if (digits != nullptr) *digits = n;
    return n >= min_len && !std::isdigit(static_cast<unsigned char>(Peek()));
  }

  void SkipSpace() {
    while (std::isspace(static_cast<unsigned char>(Peek()))) ++pos_;
  }

  // A case-insensitive keyword followed by a non-identifier character.
  bool Keyword(std::string_view word) {
    SkipSpace();
    if (text_.size() - pos_ < word.size() || !IEquals(text_.substr(pos_, word.size()), word)) {
      return false;
    }
    const std::size_t end = pos_ + word.size();
    if (end < text_.size() &&
        (std::isalnum(static_cast<unsigned char>(text_[end])) || text_[end] == '_')) {
      return false;
    }
    pos_ = end;
    return true;
  }

  // A single-quoted SQL string ('' is an escaped quote), returned unquoted.
  std::optional<std::string> Quoted() {
    SkipSpace();
    if (!Consume('\'')) return std::nullopt;
    std::string out;
    while (!AtEnd()) {
      const char c = text_[pos_++];
      if (c != '\'') {
        out.push_back(c);
      } else if (Consume('\'')) {
        out.push_back('\'');
      } else {
        return out;
      }
    }
    return std::nullopt;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

std::optional<std::int64_t> ParseDatePart(Scanner& in) {
  std::int64_t y = 0, m = 0, d = 0;
  if (!in.Number(4, 6, y) || !in.Consume('-') || !in.Number(2, 2, m) || !in.Consume('-') ||
      !in.Number(2, 2, d)) {
    return std::nullopt;
  }
  if (y < 1 || y > kMaxYear || m < 1 || m > 12 || d < 1 ||
      d > DaysInMonth(y, static_cast<int>(m))) {
    return std::nullopt;
  }
  return DaysFromCivil(y, m, d) * kMicrosPerDay;
}

std::optional<std::int64_t> ParseTimePart(Scanner& in) {
  if (!in.Consume(' ') && !in.Consume('T')) return std::nullopt;
  std::int64_t h = 0, mi = 0, s = 0;
  if (!in.Number(2, 2, h) || !in.Consume(':') || !in.Number(2, 2, mi) || !in.Consume(':') ||
      !in.Number(2, 2, s) || h > 23 || mi > 59 || s > 59) {
    return std::nullopt;
  }
  std::int64_t micros = ((h * 60 + mi) * 60 + s) * kMicrosPerSecond;
  if (in.Consume('.')) {
    std::int64_t frac = 0;
    int digits = 0;
    if (!in.Number(1, 6, frac, &digits)) return std::nullopt;
    for (int i = digits; i < 6; ++i) frac *= 10;
    micros += frac;
  }
  return micros;
}

// "+HH", "-HH:MM", "+HH:MM:SS": the offset east of UTC, in microseconds.
std::optional<std::int64_t> ParseOffset(Scanner& in) {
  int sign = 0;
  if (in.Consume('+')) {
    sign = 1;
  } else if (in.Consume('-')) {
    sign = -1;
  } else {
    return std::nullopt;
  }
  std::int64_t h = 0, m = 0, s = 0;
  if (!in.Number(1, 2, h) || h > 23) return std::nullopt;
  if (in.Consume(':')) {
    if (!in.Number(2, 2, m) || m > 59) return std::nullopt;
    if (in.Consume(':') && (!in.Number(2, 2, s) || s > 59)) return std::nullopt;
  }
  return sign * ((h * 60 + m) * 60 + s) * kMicrosPerSecond;
}

std::optional<KeyValue> ParseFinite(std::string_view text, KeyType type) {
  Scanner in(text);
  std::optional<std::int64_t> value = ParseDatePart(in);
  if (!value) return std::nullopt;
  if (type != KeyType::kDate) {
    const std::optional<std::int64_t> time = ParseTimePart(in);
    if (!time) return std::nullopt;
    *value += *time;
  }
  if (type == KeyType::kTimestamptz) {
    const std::optional<std::int64_t> offset = ParseOffset(in);
    if (!offset) return std::nullopt;
    *value -= *offset;
  }
  // Anything left over (" BC", a second offset, ...) is not a literal we accept.
  if (!in.AtEnd()) return std::nullopt;
  return KeyValue(*value);
}

// One element of a FROM (...) or TO (...) list: nullopt for MINVALUE/MAXVALUE.
struct BoundDatum {
  bool ok = false;
  bool minvalue = false;
  bool maxvalue = false;
  KeyValue value{};
};

BoundDatum ParseDatumList(Scanner& in, KeyType type) {
  BoundDatum datum;
  in.SkipSpace();
  if (!in.Consume('(')) return datum;
  if (in.Keyword("MINVALUE")) {
    datum.minvalue = true;
  } else if (in.Keyword("MAXVALUE")) {
    datum.maxvalue = true;
  } else {
    const std::optional<std::string> literal = in.Quoted();
    if (!literal) return datum;
    const std::optional<KeyValue> value = ParseKeyLiteral(*literal, type);
    if (!value) return datum;
    datum.value = *value;
  }
  in.SkipSpace();
  // A comma here means a multi-column key, which we do not manage.
  datum.ok = in.Consume(')');
  return datum;
}

void AppendTwoDigits(std::string& out, std::int64_t v) {
  out.push_back(static_cast<char>('0' + v / 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

}  // namespace

std::optional<KeyValue> ParseKeyLiteral(std::string_view text, KeyType type) {
  text = Trim(text);
  if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'') {
    text = text.substr(1, text.size() - 2);
  }
  if (IEquals(text, "infinity") || IEquals(text, "+infinity")) return KeyValue::max();
  if (IEquals(text, "-infinity")) return KeyValue::min();
  return ParseFinite(text, type);
}

bool ParseRangeBound(std::string_view bound_expr, KeyType type, Partition& partition) {
  Scanner in(bound_expr);
  if (in.Keyword("DEFAULT")) {
    in.SkipSpace();
    if (!in.AtEnd()) return false;
    partition.is_default = true;
    partition.from.reset();
    partition.to.reset();
    return true;
  }
  if (!in.Keyword("FOR") || !in.Keyword("VALUES") || !in.Keyword("FROM")) return false;
  const BoundDatum from = ParseDatumList(in, type);
  if (!from.ok || from.maxvalue || !in.Keyword("TO")) return false;
  const BoundDatum to = ParseDatumList(in, type);
  in.SkipSpace();
  if (!to.ok || to.minvalue || !in.AtEnd()) return false;
  if (!from.minvalue && !to.maxvalue && from.value >= to.value) return false;

  partition.is_default = false;
  partition.from = from.minvalue ? std::nullopt : std::optional<KeyValue>(from.value);
  partition.to = to.maxvalue ? std::nullopt : std::optional<KeyValue>(to.value);
  return true;
}

std::string FormatKeyLiteral(KeyValue value, KeyType type) {
  if (value == KeyValue::max()) return "infinity";
  if (value == KeyValue::min()) return "-infinity";

  const std::int64_t days = FloorDiv(value.count(), kMicrosPerDay);
  const std::int64_t micros = value.count() - days * kMicrosPerDay;
  const Civil civil = CivilFromDays(days);
  const bool bc = civil.year <= 0;

  char year[32];
  std::snprintf(year, sizeof year, "%04lld",
                static_cast<long long>(bc ? 1 - civil.year : civil.year));
  std::string out = year;
  out.push_back('-');
  AppendTwoDigits(out, civil.month);
  out.push_back('-');
  AppendTwoDigits(out, civil.day);

  if (type != KeyType::kDate) {
    const std::int64_t seconds = micros / kMicrosPerSecond;
    out.push_back(' ');
    AppendTwoDigits(out, seconds / 3600);
    out.push_back(':');
    AppendTwoDigits(out, seconds / 60 % 60);
    out.push_back(':');
    AppendTwoDigits(out, seconds % 60);
    if (const std::int64_t frac = micros % kMicrosPerSecond; frac != 0) {
      // Trailing zeros dropped, as PostgreSQL prints them ("00:00:00.5").
      char digits[16];
      std::snprintf(digits, sizeof digits, ".%06lld", static_cast<long long>(frac));
      std::string_view f = digits;
      while (f.back() == '0') f.remove_suffix(1);
      out.append(f);
    }
    if (type == KeyType::kTimestamptz) out.append("+00");
  }
  if (bc) out.append(" BC");
  return out;
}

}  // namespace partitiond::catalog
