#include <date/tz.h>

#include <optional>
#include <string>

#include "daemon/config/conninfo.h"
#include "daemon/config/duration.h"
#include "daemon/config/identifier.h"
#include "daemon/config/limits.h"
#include "daemon/config/sections.h"

namespace partitiond::config::detail {
namespace {

template <typename T>
struct Located {
  T value;
  YAML::Mark name_mark;  // where its name is written, for duplicate reports
};

std::string FirstAt(const YAML::Mark& mark) {
  return " (first at line " + std::to_string(mark.line + 1) + ")";
}

RetentionAction ReadRetentionAction(const Field& field) {
  return field.OneOf<RetentionAction>({{"drop", RetentionAction::kDrop},
                                       {"detach", RetentionAction::kDetach},
                                       {"archive", RetentionAction::kArchive}});
}

// Weeks as 7 days and years as 12 months, so that "2 weeks" confirms "14 days".
CalendarInterval Normalized(CalendarInterval interval) {
  if (interval.unit == CalendarUnit::kWeek) return {interval.count * 7, CalendarUnit::kDay};
  if (interval.unit == CalendarUnit::kYear) return {interval.count * 12, CalendarUnit::kMonth};
  return interval;
}

// The removal guard's settings: retention_confirm must repeat the retention it confirms (a stale
// confirmation is an error, never a silent pass for a later, different retention).
void ReadRemovalGuard(const Mapping& map, TableConfig& table) {
  if (const std::optional<Field> confirm = map.Find("retention_confirm")) {
    if (!table.retention) confirm->FailAtKey("retention_confirm is only used with retention");
    const CalendarInterval confirmed = confirm->Parse([](std::string_view text) {
      return ParseCalendarInterval(text, "retention periods", kMaxRetentionYears);
    });
    if (Normalized(confirmed) != Normalized(*table.retention)) {
      confirm->Fail("retention_confirm: \"" + confirm->String() + "\" does not match retention (" +
                    table.retention->ToString() +
                    "); it confirms exactly the retention it repeats");
    }
    table.retention_confirmed = true;
  }
  if (const std::optional<Field> cap = map.Find("max_removals_per_pass")) {
    if (!table.retention) cap->FailAtKey("max_removals_per_pass is only used with retention");
    table.max_removals_per_pass = static_cast<int>(cap->Integer(1, kMaxRemovalsPerPass));
  }
}

void ReadRetention(const Mapping& map, TableConfig& table) {
  if (const std::optional<Field> retention = map.Find("retention")) {
    table.retention = retention->Parse([](std::string_view text) {
      return ParseCalendarInterval(text, "retention periods", kMaxRetentionYears);
    });
  }
  const std::optional<Field> action = map.Find("retention_action");
  if (action) table.retention_action = ReadRetentionAction(*action);
  if (const std::optional<Field> schema = map.Find("archive_schema")) {
    if (table.retention_action != RetentionAction::kDetach) {
      schema->FailAtKey("archive_schema is only used with retention_action: detach");
    }
    table.archive_schema =
        schema->Parse([](std::string_view text) { return ParseIdentifier(text, "schema name"); });
  }
  ReadRemovalGuard(map, table);
  const std::optional<Field> archive_dir = map.Find("archive_dir");
  if (table.retention_action == RetentionAction::kArchive && !archive_dir) {
    action->Fail("retention_action: archive needs archive_dir");
  }
  if (!archive_dir) return;
  if (table.retention_action != RetentionAction::kArchive) {
    archive_dir->FailAtKey("archive_dir is only used with retention_action: archive");
  }
  table.archive_dir = archive_dir->String();
  if (!table.archive_dir.starts_with('/')) {
    archive_dir->Fail("archive_dir: must be an absolute path, got \"" + table.archive_dir + "\"");
  }
}

// `field` is the timezone entry if written; `table` the table's own entry, blamed for the default.
void ReadTimeZone(const std::optional<Field>& field, const Field& table_field, TableConfig& table) {
  if (field) table.timezone_name = field->String();
  try {
    table.timezone = date::locate_zone(table.timezone_name);
  } catch (const std::exception&) {
    (field ? *field : table_field)
        .Fail("timezone: unknown time zone \"" + table.timezone_name + "\"");
  }
}

// premake within its own bound, and premake x interval within kMaxPremakeYears (both factors are
// bounded, so the product cannot overflow).
void ReadPremake(const Field& field, TableConfig& table) {
  table.premake = static_cast<int>(field.Integer(1, kMaxPremake));
  if (table.premake * table.interval.count >
      MaxCalendarCount(table.interval.unit, kMaxPremakeYears)) {
    field.Fail("premake (" + std::to_string(table.premake) + ") x interval (" +
               table.interval.ToString() + ") reaches more than " +
               std::to_string(kMaxPremakeYears) + " years ahead; lower premake or the interval");
  }
}

Located<TableConfig> ParseTable(const Field& item) {
  const Mapping map(item, "a table",
                    {"name", "interval", "premake", "retention", "retention_action", "archive_dir",
                     "archive_schema", "timezone", "fidelity", "default_partition",
                     "retention_confirm", "max_removals_per_pass"});
  const Field name = map.Require("name");
  Located<TableConfig> located{.value = {}, .name_mark = name.Where()};
  TableConfig& table = located.value;
  table.name = name.Parse(ParseQualifiedName);
  table.interval = map.Require("interval").Parse([](std::string_view text) {
    return ParseCalendarInterval(text, "partitions", kMaxIntervalYears);
  });
  if (const std::optional<Field> premake = map.Find("premake")) ReadPremake(*premake, table);
  ReadRetention(map, table);
  ReadTimeZone(map.Find("timezone"), item, table);
  if (const std::optional<Field> fidelity = map.Find("fidelity")) {
    table.repair_fidelity = fidelity->OneOf<bool>({{"repair", true}, {"report", false}});
  }
  if (const std::optional<Field> field = map.Find("default_partition")) {
    table.default_partition =
        field->OneOf<DefaultPartitionPolicy>({{"keep", DefaultPartitionPolicy::kKeep},
                                              {"create", DefaultPartitionPolicy::kCreate},
                                              {"none", DefaultPartitionPolicy::kNone}});
  }
  return located;
}

std::vector<TableConfig> ParseTables(const Field& field, const std::string& database) {
  const std::vector<Field> items = field.Items();
  if (items.empty()) field.Fail("tables: expected at least one table");
  std::vector<Located<TableConfig>> tables;
  for (const Field& item : items) {
    Located<TableConfig> table = ParseTable(item);
    for (const Located<TableConfig>& earlier : tables) {
      if (earlier.value.name != table.value.name) continue;
      field.source().Fail(table.name_mark, "duplicate table " + table.value.name.ToString() +
                                               " in database \"" + database + "\"" +
                                               FirstAt(earlier.name_mark));
    }
    tables.push_back(std::move(table));
  }
  std::vector<TableConfig> result;
  for (Located<TableConfig>& table : tables) result.push_back(std::move(table.value));
  return result;
}

Located<DatabaseConfig> ParseDatabase(const Field& item) {
  const Mapping map(item, "a database", {"name", "conninfo", "tables"});
  const Field name = map.Require("name");
  Located<DatabaseConfig> located{.value = {}, .name_mark = name.Where()};
  DatabaseConfig& database = located.value;
  database.name = name.String();
  if (database.name.empty()) name.Fail("name: must not be empty");
  const Field conninfo = map.Require("conninfo");
  database.conninfo = conninfo.String();
  conninfo.Parse(CheckConninfo);
  database.tables = ParseTables(map.Require("tables"), database.name);
  return located;
}

}  // namespace

std::vector<DatabaseConfig> ParseDatabases(const Field& field) {
  const std::vector<Field> items = field.Items();
  if (items.empty()) field.Fail("databases: expected at least one database");
  std::vector<DatabaseConfig> result;
  std::vector<YAML::Mark> name_marks;
  for (const Field& item : items) {
    Located<DatabaseConfig> database = ParseDatabase(item);
    for (std::size_t i = 0; i < result.size(); ++i) {
      if (result[i].name != database.value.name) continue;
      field.source().Fail(database.name_mark, "duplicate database name \"" + database.value.name +
                                                  "\"" + FirstAt(name_marks[i]));
    }
    result.push_back(std::move(database.value));
    name_marks.push_back(database.name_mark);
  }
  return result;
}

}  // namespace partitiond::config::detail
