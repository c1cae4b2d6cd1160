// The validated, immutable configuration. Everything here has passed every semantic check; code
// downstream never re-validates. The YAML it comes from: config/partitiond.example.yaml.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace date {
class time_zone;
}

namespace partitiond::config {

enum class CalendarUnit { kHour, kDay, kWeek, kMonth, kYear };

// A calendar step such as "1 month" or "6 hours". Months and years are calendar months and years
// (not fixed durations), which is why this is not a std::chrono duration.
struct CalendarInterval {
  std::int64_t count = 1;
  CalendarUnit unit = CalendarUnit::kMonth;

  bool operator==(const CalendarInterval&) const = default;
  // "1 month", "3 days", ...
  std::string ToString() const;
};

// A schema-qualified relation name, already unquoted and case-folded as PostgreSQL would
// (`Sched."Audit Log"` -> schema "sched", table "Audit Log").
struct QualifiedName {
  std::string schema;
  std::string table;

  bool operator==(const QualifiedName&) const = default;
  // schema.table for humans, logs and metric labels; parts are double-quoted only when needed.
  std::string ToString() const;
};

enum class RetentionAction { kDrop, kDetach, kArchive };
std::string_view ToString(RetentionAction action);

// What to do about the parent's DEFAULT partition. Whatever the choice, rows sitting in an existing
// default partition are moved out online into a new partition when one is created for their range.
enum class DefaultPartitionPolicy {
  kKeep,    // leave it as it is: maintain one if it exists, never create one
  kCreate,  // create one (<table>_default) when the parent has none
  kNone,    // remove it once it is empty (never a row is dropped); report it while it holds rows
};

struct TableConfig {
  QualifiedName name;
  CalendarInterval interval;
  int premake = 3;
  std::optional<CalendarInterval> retention;  // absent: keep forever
  RetentionAction retention_action = RetentionAction::kDrop;
  // `retention_confirm` was written and equals `retention`: the operator confirmed that this
  // retention may remove many partitions in one pass (planner/removal_guard.h).
  bool retention_confirmed = false;
  // `max_removals_per_pass`: at most this many retention actions per pass (oldest first); 0: no
  // cap.
  int max_removals_per_pass = 0;
  std::string archive_dir;  // set iff retention_action == kArchive
  // retention_action: detach only: the schema detached partitions are moved to (never dropped);
  // empty: they stay where they are.
  std::string archive_schema;
  std::string timezone_name = "UTC";
  const date::time_zone* timezone = nullptr;  // never null; owned by the process-wide tz database
  // `fidelity: repair` (default): partitions whose RLS flags, grants or policies drifted from the
  // parent's are brought back in line; `report`: they are only logged, audited and counted.
  bool repair_fidelity = true;
  DefaultPartitionPolicy default_partition = DefaultPartitionPolicy::kKeep;
};

struct DatabaseConfig {
  std::string name;      // label in logs and metrics
  std::string conninfo;  // libpq conninfo string or URI
  std::vector<TableConfig> tables;
};

enum class LogFormat { kText, kJson };

struct LogConfig {
  std::string level = "info";  // trace|debug|info|warn|error
  LogFormat format = LogFormat::kText;
};

struct MetricsConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9187;  // 0: pick a free port
  // HTTP basic auth on /metrics when username is set; the password is read from
  // metrics.basic_auth.password_file when the config is loaded (never written in the YAML).
  std::string basic_auth_username;
  std::string basic_auth_password;
};

struct MaintenanceConfig {
  std::chrono::milliseconds interval = std::chrono::hours(1);
  std::chrono::milliseconds jitter = std::chrono::minutes(5);
  std::chrono::milliseconds lock_timeout = std::chrono::milliseconds(200);
  std::chrono::milliseconds statement_timeout = std::chrono::minutes(5);
  int max_attempts = 5;
  // The upper bound on how long one archive transaction (retention_action: archive) may stay
  // open, however large the partition; the server ends it past its bound (archive_bound.h).
  std::chrono::milliseconds archive_timeout = std::chrono::hours(1);
};

struct Config {
  std::string source;  // the file it was read from
  LogConfig log;
  MetricsConfig metrics;
  MaintenanceConfig maintenance;
  std::vector<DatabaseConfig> databases;
};

// A configuration problem. what() is "FILE:LINE:COLUMN: message" (1-based line and column) when
// the problem has a position, "FILE: message" otherwise.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads and validates a config file. Throws ConfigError on any problem; never returns a partial
// config.
Config LoadConfigFile(const std::string& path);
// Same, from text; `source_name` is used in error messages.
Config ParseConfig(std::string_view yaml_text, const std::string& source_name);

}  // namespace partitiond::config
