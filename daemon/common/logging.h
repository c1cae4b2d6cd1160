// Log output for every command: spdlog on stderr, as readable text or as one JSON object per line
// (for journald and Loki), in UTC. Events about a database, table or action go through LogEvent so
// that JSON lines carry them as fields (database, table, action, partition, duration_ms, error).
#pragma once

#include <spdlog/spdlog.h>

#include <exception>
#include <optional>
#include <string>

namespace partitiond {

// `level` is trace|debug|info|warn|error (validated by the config). Safe to call again to switch.
void ConfigureLogging(const std::string& level, bool json);

struct LogFields {
  std::string database;
  std::string table;
  std::string action;
  std::string partition;
  std::optional<double> duration_ms;
  std::string error;
};

// Text: `message` as it is (it should name the database and table itself). JSON: `message` plus
// the non-empty fields as keys of the line's object.
void LogEvent(spdlog::level::level_enum level, const std::string& message, const LogFields& fields);

// What to log for a caught exception: its what(), or a fixed text for one that is not a
// std::exception. Never throws.
std::string DescribeException(std::exception_ptr failure) noexcept;

}  // namespace partitiond
