#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "daemon/planner/planner.h"

namespace partitiond::planner {

namespace {

namespace chr = std::chrono;

// PostgreSQL's NAMEDATALEN - 1: longer identifiers are silently truncated by the server, which
// could cut our date suffix and make two partitions' names collide.
constexpr std::size_t kMaxIdentifierBytes = 63;

std::string Suffix(chr::local_time<chr::seconds> start, const config::CalendarInterval& interval) {
  const chr::local_days day = chr::floor<chr::days>(start);
  const chr::year_month_day ymd{day};
  const long long seconds = (start - day).count();
  char buffer[64];
  if (interval.unit == config::CalendarUnit::kHour) {
    std::snprintf(buffer, sizeof buffer, "_p%04d%02u%02u_%02lld%02lld%02lld",
                  static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()), seconds / 3600, seconds / 60 % 60,
                  seconds % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "_p%04d%02u%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  }
  return buffer;
}

// The longest prefix of `text` of at most `max_bytes` bytes that does not split a UTF-8 sequence.
std::string_view Utf8Prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

}  // namespace

std::string PartitionName(std::string_view parent_table,
                          std::chrono::local_time<std::chrono::seconds> start_local,
                          const config::CalendarInterval& interval) {
  const std::string suffix = Suffix(start_local, interval);
  const std::size_t room = kMaxIdentifierBytes - std::min(suffix.size(), kMaxIdentifierBytes);
  std::string name(Utf8Prefix(parent_table, room));
  name += suffix;
  return name;
}

std::string DefaultPartitionName(std::string_view parent_table) {
  constexpr std::string_view kSuffix = "_default";
  std::string name(Utf8Prefix(parent_table, kMaxIdentifierBytes - kSuffix.size()));
  name += kSuffix;
  return name;
}

}  // namespace partitiond::planner
