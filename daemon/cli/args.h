// Command-line parsing for the commands in commands.h. Pure: no I/O besides the returned values.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace partitiond::cli {

enum class Format { kText, kJson };

struct Args {
  std::string command;  // run|once|plan|check-config|status|restore|version|help
  std::string config_path;
  std::optional<std::chrono::sys_seconds> now;  // --now
  std::optional<std::string> database;          // --database NAME
  std::optional<std::string> table;             // --table SCHEMA.TABLE, as written
  Format format = Format::kText;
  bool connect = false;                 // check-config --connect
  bool no_attach = false;               // restore --no-attach
  std::vector<std::string> positional;  // e.g. restore's MANIFEST
};

// Thrown for usage errors; the caller prints it with the usage text and exits 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

Args ParseArgs(const std::vector<std::string>& argv);

// ISO 8601: "2027-03-01T00:00:00Z", "2027-03-01T02:00:00+02:00", "2027-03-01" (midnight UTC).
// A time without an offset is taken as UTC.
std::optional<std::chrono::sys_seconds> ParseTimestamp(std::string_view text);

std::string UsageText();

}  // namespace partitiond::cli
