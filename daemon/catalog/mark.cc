#include "daemon/catalog/mark.h"

#include <fmt/format.h>

#include <charconv>
#include <limits>

namespace partitiond::catalog {
namespace {

constexpr std::string_view kRetentionPrefix = "partitiond: detached by retention";
constexpr std::string_view kPendingCreatePrefix = "partitiond: new partition";
// The fields between the prefix and the end, as regular expressions for PostgreSQL's
// substring(... FROM ...); ParseMark applies the same limits. Oids are unsigned 32-bit; bounds
// signed 64-bit.
constexpr std::string_view kOid = "[0-9]{1,10}";
constexpr std::string_view kBound = "-?[0-9]{1,19}";

std::string_view Prefix(MarkKind kind) {
  return kind == MarkKind::kRetention ? kRetentionPrefix : kPendingCreatePrefix;
}

// " of (oid) lower (bound) upper (bound)$", each field captured or not.
std::string Tail(bool capture_parent, bool capture_lower, bool capture_upper) {
  auto field = [](std::string_view pattern, bool capture) {
    return capture ? fmt::format("({})", pattern) : std::string(pattern);
  };
  return fmt::format(" of {} lower {} upper {}$", field(kOid, capture_parent),
                     field(kBound, capture_lower), field(kBound, capture_upper));
}

// A whole retention mark, anchored, with the chosen fields captured.
std::string RetentionPattern(bool capture_parent, bool capture_lower, bool capture_upper) {
  return '^' + std::string(kRetentionPrefix) + Tail(capture_parent, capture_lower, capture_upper);
}

// The same limits as kOid and kBound, for ParseMark.
constexpr std::size_t kOidDigits = 10;
constexpr std::size_t kBoundDigits = 19;

// Consumes `label` and then a number of 1 to `digits` digits (after a '-' when `sign` allows it)
// from the front of `rest`; returns the number's text.
std::optional<std::string> Field(std::string_view& rest, std::string_view label, std::size_t digits,
                                 bool sign) {
  if (rest.substr(0, label.size()) != label) return std::nullopt;
  rest.remove_prefix(label.size());
  std::size_t n = sign && !rest.empty() && rest.front() == '-' ? 1 : 0;
  const std::size_t first_digit = n;
  while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
  if (n == first_digit || n - first_digit > digits) return std::nullopt;
  std::string number(rest.substr(0, n));
  rest.remove_prefix(n);
  return number;
}

template <typename T>
std::optional<T> Number(const std::string& text) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string SqlLiteral(std::string_view text) {
  // The prefixes and patterns are constants of this file: no quote or backslash to escape.
  return fmt::format("'{}'", text);
}

}  // namespace

std::string FormatMark(const Mark& mark) {
  return fmt::format("{} of {} lower {} upper {}", Prefix(mark.kind), mark.parent_oid,
                     mark.lower.count(), mark.upper.count());
}

std::optional<Mark> ParseMark(std::string_view text) {
  for (const MarkKind kind : {MarkKind::kRetention, MarkKind::kPendingCreate}) {
    const std::string_view prefix = Prefix(kind);
    if (text.substr(0, prefix.size()) != prefix) continue;
    std::string_view rest = text.substr(prefix.size());
    const auto parent = Field(rest, " of ", kOidDigits, /*sign=*/false);
    const auto lower = Field(rest, " lower ", kBoundDigits, /*sign=*/true);
    const auto upper = Field(rest, " upper ", kBoundDigits, /*sign=*/true);
    if (!parent || !lower || !upper || !rest.empty()) return std::nullopt;
    const auto oid = Number<std::uint64_t>(*parent);
    const auto from = Number<std::int64_t>(*lower);
    const auto to = Number<std::int64_t>(*upper);
    if (!oid || *oid > std::numeric_limits<std::uint32_t>::max() || !from || !to) {
      return std::nullopt;
    }
    return Mark{.kind = kind,
                .parent_oid = static_cast<std::uint32_t>(*oid),
                .lower = KeyValue(*from),
                .upper = KeyValue(*to)};
  }
  return std::nullopt;
}

std::string MarkPrefix(MarkKind kind) { return std::string(Prefix(kind)) + " of"; }

std::string SqlIsRetentionMark(std::string_view column) {
  return fmt::format("({} ~ {})", column, SqlLiteral(RetentionPattern(false, false, false)));
}

std::string SqlMarkParent(std::string_view column) {
  return fmt::format("substring({} FROM {})::bigint", column,
                     SqlLiteral(RetentionPattern(true, false, false)));
}

std::string SqlMarkLower(std::string_view column) {
  return fmt::format("substring({} FROM {})", column,
                     SqlLiteral(RetentionPattern(false, true, false)));
}

std::string SqlMarkUpper(std::string_view column) {
  return fmt::format("substring({} FROM {})", column,
                     SqlLiteral(RetentionPattern(false, false, true)));
}

}  // namespace partitiond::catalog
