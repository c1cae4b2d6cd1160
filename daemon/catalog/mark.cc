#include "daemon/catalog/mark.h"

#include <fmt/format.h>

#include <charconv>
#include <limits>
#include <regex>

namespace partitiond::catalog {
namespace {

constexpr std::string_view kRetentionPrefix = "partitiond: detached by retention";
constexpr std::string_view kPendingCreatePrefix = "partitiond: new partition";
// The fields between the prefix and the end, as POSIX regular expressions that PostgreSQL's
// substring(... FROM ...) and std::regex (ECMAScript) read alike. Oids are unsigned 32-bit;
// bounds signed 64-bit.
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
    static const std::regex kTail('^' + Tail(true, true, true));
    std::match_results<std::string_view::const_iterator> m;
    const std::string_view rest = text.substr(prefix.size());
    if (!std::regex_match(rest.begin(), rest.end(), m, kTail)) return std::nullopt;
    const auto parent = Number<std::uint64_t>(m[1].str());
    const auto lower = Number<std::int64_t>(m[2].str());
    const auto upper = Number<std::int64_t>(m[3].str());
    if (!parent || *parent > std::numeric_limits<std::uint32_t>::max() || !lower || !upper) {
      return std::nullopt;
    }
    return Mark{.kind = kind,
                .parent_oid = static_cast<std::uint32_t>(*parent),
                .lower = KeyValue(*lower),
                .upper = KeyValue(*upper)};
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
