#include "daemon/config/config.h"

#include <date/tz.h>
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>
#include <chrono>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace partitiond::config {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

std::string ErrorOf(std::string_view yaml) {
  try {
    ParseConfig(yaml, "test.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

// One database "main" with one table public.events; `extra` lines (already indented by 8 spaces)
// start at line 7, so their keys sit in column 9.
std::string TableYaml(std::string_view extra) {
  std::string yaml =
      "databases:\n"                   // 1
      "  - name: main\n"               // 2
      "    conninfo: dbname=app\n"     // 3
      "    tables:\n"                  // 4
      "      - name: public.events\n"  // 5
      "        interval: 1 day\n";     // 6
  return yaml.append(extra);
}

// A maintenance section whose `lines` (indented by 2 spaces) start at line 2, keys in column 3.
std::string MaintenanceYaml(std::string_view lines) {
  std::string yaml = "maintenance:\n";
  yaml.append(lines);
  yaml.append(
      "databases:\n"
      "  - name: main\n"
      "    conninfo: dbname=app\n"
      "    tables:\n"
      "      - name: public.events\n"
      "        interval: 1 day\n");
  return yaml;
}

// A database whose conninfo (in column 15 of line 3) is `conninfo`.
std::string ConninfoYaml(std::string_view conninfo) {
  std::string yaml = "databases:\n  - name: main\n    conninfo: ";
  yaml.append(conninfo);
  yaml.append("\n    tables:\n      - name: public.events\n        interval: 1 day\n");
  return yaml;
}

// A metrics section with listen (value in column 11 of line 2).
std::string ListenYaml(std::string_view listen) {
  std::string yaml = "metrics:\n  listen: ";
  yaml.append(listen);
  yaml.append(
      "\ndatabases:\n  - name: main\n    conninfo: dbname=app\n    tables:\n"
      "      - name: public.events\n        interval: 1 day\n");
  return yaml;
}

constexpr std::string_view kFullConfig = R"(log:
  level: debug
  format: json
metrics:
  listen: "[::1]:0"
maintenance:
  interval: 30m
  jitter: 2m
  lock_timeout: 1s
  statement_timeout: 10 minutes
  max_attempts: 7
databases:
  - name: main
    conninfo: "host=/var/run/postgresql dbname=app"
    tables:
      - name: Scheduler."Audit Log"
        interval: 1 month
        premake: 4
        retention: 12 months
        retention_action: archive
        archive_dir: /var/lib/partitiond/archive
        timezone: Europe/Paris
      - name: public.metrics
        interval: 6 hours
        retention: 2 weeks
        retention_action: detach
  - name: reporting
    conninfo: postgresql://reporter@db.example.com:5433/reports?sslmode=require
    tables:
      - name: public.metrics
        interval: 1 year
)";

TEST(ParseConfigTest, FullConfigRoundTrip) {
  const Config config = ParseConfig(kFullConfig, "full.yaml");
  EXPECT_EQ(config.source, "full.yaml");
  EXPECT_EQ(config.log.level, "debug");
  EXPECT_EQ(config.log.format, LogFormat::kJson);
  EXPECT_EQ(config.metrics.host, "[::1]");
  EXPECT_EQ(config.metrics.port, 0);
  EXPECT_EQ(config.maintenance.interval, minutes(30));
  EXPECT_EQ(config.maintenance.jitter, minutes(2));
  EXPECT_EQ(config.maintenance.lock_timeout, seconds(1));
  EXPECT_EQ(config.maintenance.statement_timeout, minutes(10));
  EXPECT_EQ(config.maintenance.max_attempts, 7);
  ASSERT_EQ(config.databases.size(), 2u);

  const DatabaseConfig& main = config.databases[0];
  EXPECT_EQ(main.name, "main");
  EXPECT_EQ(main.conninfo, "host=/var/run/postgresql dbname=app");
  ASSERT_EQ(main.tables.size(), 2u);
  const TableConfig& audit = main.tables[0];
  EXPECT_EQ(audit.name, (QualifiedName{"scheduler", "Audit Log"}));
  EXPECT_EQ(audit.interval, (CalendarInterval{1, CalendarUnit::kMonth}));
  EXPECT_EQ(audit.premake, 4);
  EXPECT_EQ(audit.retention, (CalendarInterval{12, CalendarUnit::kMonth}));
  EXPECT_EQ(audit.retention_action, RetentionAction::kArchive);
  EXPECT_EQ(audit.archive_dir, "/var/lib/partitiond/archive");
  EXPECT_EQ(audit.timezone_name, "Europe/Paris");
  ASSERT_NE(audit.timezone, nullptr);
  EXPECT_EQ(audit.timezone, date::locate_zone("Europe/Paris"));

  const TableConfig& metrics = main.tables[1];
  EXPECT_EQ(metrics.name, (QualifiedName{"public", "metrics"}));
  EXPECT_EQ(metrics.interval, (CalendarInterval{6, CalendarUnit::kHour}));
  EXPECT_EQ(metrics.premake, 3);
  EXPECT_EQ(metrics.retention, (CalendarInterval{2, CalendarUnit::kWeek}));
  EXPECT_EQ(metrics.retention_action, RetentionAction::kDetach);
  EXPECT_EQ(metrics.archive_dir, "");
  EXPECT_EQ(metrics.timezone_name, "UTC");

  const DatabaseConfig& reporting = config.databases[1];
  EXPECT_EQ(reporting.name, "reporting");
  EXPECT_EQ(reporting.conninfo,
            "postgresql://reporter@db.example.com:5433/reports?sslmode=require");
  ASSERT_EQ(reporting.tables.size(), 1u);
  EXPECT_EQ(reporting.tables[0].name, (QualifiedName{"public", "metrics"}));
  EXPECT_EQ(reporting.tables[0].interval, (CalendarInterval{1, CalendarUnit::kYear}));
}

TEST(ParseConfigTest, Defaults) {
  const Config config = ParseConfig(TableYaml(""), "test.yaml");
  EXPECT_EQ(config.log.level, "info");
  EXPECT_EQ(config.log.format, LogFormat::kText);
  EXPECT_EQ(config.metrics.host, "127.0.0.1");
  EXPECT_EQ(config.metrics.port, 9187);
  EXPECT_EQ(config.maintenance.interval, hours(1));
  EXPECT_EQ(config.maintenance.jitter, minutes(5));
  EXPECT_EQ(config.maintenance.lock_timeout, milliseconds(200));
  EXPECT_EQ(config.maintenance.statement_timeout, minutes(5));
  EXPECT_EQ(config.maintenance.max_attempts, 5);
  ASSERT_EQ(config.databases.size(), 1u);
  ASSERT_EQ(config.databases[0].tables.size(), 1u);
  const TableConfig& table = config.databases[0].tables[0];
  EXPECT_EQ(table.interval, (CalendarInterval{1, CalendarUnit::kDay}));
  EXPECT_EQ(table.premake, 3);
  EXPECT_FALSE(table.retention.has_value());
  EXPECT_EQ(table.retention_action, RetentionAction::kDrop);
  EXPECT_EQ(table.archive_dir, "");
  EXPECT_EQ(table.timezone_name, "UTC");
  ASSERT_NE(table.timezone, nullptr);
  EXPECT_EQ(table.timezone, date::locate_zone("UTC"));
}

TEST(ParseConfigTest, EmptyOptionalSectionsMeanDefaults) {
  const Config config = ParseConfig("log:\nmetrics: {}\nmaintenance:\n" + TableYaml(""), "t");
  EXPECT_EQ(config.log.level, "info");
  EXPECT_EQ(config.metrics.port, 9187);
  EXPECT_EQ(config.maintenance.max_attempts, 5);
}

TEST(ParseConfigTest, ZeroJitterIsAllowed) {
  EXPECT_EQ(ParseConfig(MaintenanceYaml("  jitter: 0s\n"), "t").maintenance.jitter,
            milliseconds(0));
}

TEST(ParseConfigTest, QuotedCaseMakesDistinctTables) {
  const Config config = ParseConfig(TableYaml("      - name: '\"Public\".events'\n"
                                              "        interval: 1 day\n"),
                                    "t");
  ASSERT_EQ(config.databases[0].tables.size(), 2u);
  EXPECT_EQ(config.databases[0].tables[1].name, (QualifiedName{"Public", "events"}));
}

TEST(ParseConfigTest, SameTableInTwoDatabasesIsAllowed) {
  const Config config = ParseConfig(TableYaml("  - name: other\n"
                                              "    conninfo: dbname=other\n"
                                              "    tables:\n"
                                              "      - name: public.events\n"
                                              "        interval: 1 day\n"),
                                    "t");
  EXPECT_EQ(config.databases.size(), 2u);
}

TEST(ParseConfigTest, ListenForms) {
  EXPECT_EQ(ParseConfig(ListenYaml("localhost:9100"), "t").metrics.host, "localhost");
  EXPECT_EQ(ParseConfig(ListenYaml("localhost:9100"), "t").metrics.port, 9100);
  EXPECT_EQ(ParseConfig(ListenYaml("0.0.0.0:65535"), "t").metrics.port, 65535);
  EXPECT_EQ(ParseConfig(ListenYaml("\"[::]:9187\""), "t").metrics.host, "[::]");
}

TEST(ParseConfigTest, ConninfoWithoutPasswordIsAccepted) {
  EXPECT_EQ(ParseConfig(ConninfoYaml("\"\""), "t").databases[0].conninfo, "");
  EXPECT_EQ(ParseConfig(ConninfoYaml("postgres://app@h/db"), "t").databases[0].conninfo,
            "postgres://app@h/db");
  EXPECT_EQ(ParseConfig(ConninfoYaml("\"host=h passfile=/etc/pgpass\""), "t").databases[0].conninfo,
            "host=h passfile=/etc/pgpass");
}

TEST(ParseConfigTest, RejectsYamlSyntaxError) {
  EXPECT_EQ(ErrorOf("databases: [\n"), "test.yaml:2:1: end of sequence flow not found");
}

TEST(ParseConfigTest, RejectsMultipleDocuments) {
  EXPECT_EQ(ErrorOf(TableYaml("---\nlog: {}\n")), "test.yaml:8:1: expected a single YAML document");
}

TEST(ParseConfigTest, RejectsEmptyDocument) {
  EXPECT_EQ(ErrorOf(""), "test.yaml:1:1: missing required key \"databases\" in the top level");
}

TEST(ParseConfigTest, RejectsNonMappingDocument) {
  EXPECT_EQ(ErrorOf("- a\n- b\n"),
            "test.yaml:1:1: expected a mapping for the top level, got a list");
}

TEST(ParseConfigTest, RejectsUnknownTopLevelKey) {
  EXPECT_EQ(ErrorOf("loggin: {}\n" + TableYaml("")),
            "test.yaml:1:1: unknown key \"loggin\" in the top level; allowed keys: log, metrics, "
            "maintenance, databases");
}

TEST(ParseConfigTest, RejectsUnknownTableKey) {
  EXPECT_EQ(
      ErrorOf(TableYaml("        retension: 1 month\n")),
      "test.yaml:7:9: unknown key \"retension\" in a table; allowed keys: name, interval, "
      "premake, retention, retention_action, archive_dir, archive_schema, timezone, fidelity, "
      "default_partition, retention_confirm, max_removals_per_pass");
}

TEST(ParseConfigTest, RejectsUnknownDatabaseKey) {
  EXPECT_EQ(ErrorOf("databases:\n  - name: main\n    dsn: x\n"),
            "test.yaml:3:5: unknown key \"dsn\" in a database; allowed keys: name, conninfo, "
            "tables");
}

TEST(ParseConfigTest, RejectsUnknownMaintenanceKey) {
  EXPECT_EQ(ErrorOf(MaintenanceYaml("  lock_timout: 1s\n")),
            "test.yaml:2:3: unknown key \"lock_timout\" in maintenance; allowed keys: interval, "
            "jitter, lock_timeout, statement_timeout, max_attempts, archive_timeout");
}

TEST(ParseConfigTest, RejectsUnknownLogKey) {
  EXPECT_EQ(ErrorOf("log: {level: info, colour: true}\n" + TableYaml("")),
            "test.yaml:1:20: unknown key \"colour\" in log; allowed keys: level, format");
}

TEST(ParseConfigTest, RejectsUnknownMetricsKey) {
  EXPECT_EQ(ErrorOf("metrics:\n  port: 9187\n" + TableYaml("")),
            "test.yaml:2:3: unknown key \"port\" in metrics; allowed keys: listen, basic_auth");
}

TEST(ParseConfigTest, RejectsDuplicateKey) {
  EXPECT_EQ(ErrorOf(TableYaml("        interval: 1 month\n")),
            "test.yaml:7:9: duplicate key \"interval\"");
}

TEST(ParseConfigTest, RejectsSectionOfWrongType) {
  EXPECT_EQ(ErrorOf("log: [info]\n" + TableYaml("")),
            "test.yaml:1:6: expected a mapping for log, got a list");
}

TEST(ParseConfigTest, RejectsPremakeThatIsNotAnInteger) {
  EXPECT_EQ(ErrorOf(TableYaml("        premake: three\n")),
            "test.yaml:7:18: premake: expected an integer, got \"three\"");
}

TEST(ParseConfigTest, RejectsFractionalPremake) {
  EXPECT_EQ(ErrorOf(TableYaml("        premake: 2.5\n")),
            "test.yaml:7:18: premake: expected an integer, got \"2.5\"");
}

TEST(ParseConfigTest, RejectsNegativePremake) {
  EXPECT_EQ(ErrorOf(TableYaml("        premake: -1\n")),
            "test.yaml:7:18: premake must be at least 1, got -1");
}

TEST(ParseConfigTest, RejectsZeroPremake) {
  EXPECT_EQ(ErrorOf(TableYaml("        premake: 0\n")),
            "test.yaml:7:18: premake must be at least 1, got 0");
}

TEST(ParseConfigTest, RejectsPremakeBeyondItsBound) {
  EXPECT_EQ(ErrorOf(TableYaml("        premake: 3000000000\n")),
            "test.yaml:7:18: premake must be at most 1000, got 3000000000");
  EXPECT_EQ(ErrorOf(TableYaml("        premake: 1001\n")),
            "test.yaml:7:18: premake must be at most 1000, got 1001");
  EXPECT_EQ(ParseConfig(TableYaml("        premake: 1000\n"), "t").databases[0].tables[0].premake,
            1000);
}

// Every configured quantity has an upper bound (and a lower one where zero or tiny values make no
// sense), reported at the value's position; the bounds themselves are accepted.
TEST(ParseConfigTest, HoldsEveryQuantityToItsBounds) {
  const struct {
    std::string yaml;
    std::string error;  // "no error": accepted
  } cases[] = {
      {TableYaml("        premake: 100\n"), "no error"},
      // premake x interval: at most a century ahead.
      {"databases:\n  - name: main\n    conninfo: dbname=app\n    tables:\n"
       "      - { name: public.events, interval: 1 year, premake: 101 }\n",
       "test.yaml:5:59: premake (101) x interval (1 year) reaches more than 100 years ahead; "
       "lower premake or the interval"},
      {"databases:\n  - name: main\n    conninfo: dbname=app\n    tables:\n"
       "      - { name: public.events, interval: 1 year, premake: 100 }\n",
       "no error"},
      {"databases:\n  - name: main\n    conninfo: dbname=app\n    tables:\n"
       "      - { name: public.events, interval: 10 years, premake: 11 }\n",
       "test.yaml:5:61: premake (11) x interval (10 years) reaches more than 100 years ahead; "
       "lower premake or the interval"},
      {"databases:\n  - name: main\n    conninfo: dbname=app\n    tables:\n"
       "      - { name: public.events, interval: 11 years }\n",
       "test.yaml:5:42: interval: invalid interval \"11 years\": longer than 10 years"},
      {"databases:\n  - name: main\n    conninfo: dbname=app\n    tables:\n"
       "      - { name: public.events, interval: 10 years }\n",
       "no error"},
      {TableYaml("        retention: 101 years\n"),
       "test.yaml:7:20: retention: invalid interval \"101 years\": longer than 100 years"},
      {TableYaml("        retention: 1300 months\n"),
       "test.yaml:7:20: retention: invalid interval \"1300 months\": longer than 100 years"},
      {TableYaml("        retention: 100 years\n"), "no error"},
      {TableYaml("        retention: 99999999999999999999 months\n"),
       "test.yaml:7:20: retention: invalid interval \"99999999999999999999 months\": number too "
       "large"},
      {MaintenanceYaml("  interval: 8d\n"),
       "test.yaml:2:13: interval (8d) must be between 1s and 7d"},
      {MaintenanceYaml("  interval: 500ms\n  jitter: 0s\n"),
       "test.yaml:2:13: interval (500ms) must be between 1s and 7d"},
      {MaintenanceYaml("  interval: 7d\n  jitter: 7d\n"), "no error"},
      {MaintenanceYaml("  interval: 1s\n  jitter: 0s\n"), "no error"},
      {MaintenanceYaml("  interval: 99999999999999999 days\n"),
       "test.yaml:2:13: interval: invalid duration \"99999999999999999 days\": too long"},
      {MaintenanceYaml("  jitter: 8d\n"), "test.yaml:2:11: jitter (8d) must be at most 7d"},
      {MaintenanceYaml("  lock_timeout: 61s\n"),
       "test.yaml:2:17: lock_timeout (61s) must be at most 1m"},
      {MaintenanceYaml("  lock_timeout: 1m\n"), "no error"},
      {MaintenanceYaml("  statement_timeout: 25h\n"),
       "test.yaml:2:22: statement_timeout (25h) must be at most 1d"},
      {MaintenanceYaml("  statement_timeout: 24 hours\n"), "no error"},
      {MaintenanceYaml("  max_attempts: 101\n"),
       "test.yaml:2:17: max_attempts must be at most 100, got 101"},
      {MaintenanceYaml("  max_attempts: 100\n"), "no error"},
  };
  for (const auto& c : cases) EXPECT_EQ(ErrorOf(c.yaml), c.error) << c.yaml;
}

TEST(ParseConfigTest, RejectsZeroMaxAttempts) {
  EXPECT_EQ(ErrorOf(MaintenanceYaml("  max_attempts: 0\n")),
            "test.yaml:2:17: max_attempts must be at least 1, got 0");
}

TEST(ParseConfigTest, RejectsBadDuration) {
  EXPECT_EQ(ErrorOf(MaintenanceYaml("  lock_timeout: fast\n")),
            "test.yaml:2:17: lock_timeout: invalid duration \"fast\": expected a positive whole "
            "number followed by a unit, such as \"5m\" or \"1 month\"");
}

TEST(ParseConfigTest, RejectsMonthsAsFixedDuration) {
  EXPECT_EQ(ErrorOf(MaintenanceYaml("  interval: 1 month\n")),
            "test.yaml:2:13: interval: invalid duration \"1 month\": months have no fixed "
            "length; use days or weeks");
}

TEST(ParseConfigTest, RejectsZeroMaintenanceInterval) {
  EXPECT_EQ(ErrorOf(MaintenanceYaml("  interval: 0s\n")),
            "test.yaml:2:13: interval: invalid duration \"0s\": must be greater than zero");
}

TEST(ParseConfigTest, RejectsZeroLockTimeout) {
  EXPECT_EQ(ErrorOf(MaintenanceYaml("  lock_timeout: 0ms\n")),
            "test.yaml:2:17: lock_timeout: invalid duration \"0ms\": must be greater than zero");
}

TEST(ParseConfigTest, RejectsLockTimeoutNotBelowStatementTimeout) {
  EXPECT_EQ(ErrorOf(MaintenanceYaml("  lock_timeout: 30s\n  statement_timeout: 30s\n")),
            "test.yaml:2:17: lock_timeout (30s) must be less than statement_timeout (30s)");
}

TEST(ParseConfigTest, ReadsArchiveTimeoutWithinItsBounds) {
  EXPECT_EQ(ParseConfig(TableYaml(""), "t").maintenance.archive_timeout, std::chrono::hours(1));
  EXPECT_EQ(
      ParseConfig(MaintenanceYaml("  archive_timeout: 20m\n"), "t").maintenance.archive_timeout,
      minutes(20));
  const struct {
    std::string_view lines;
    std::string error;
  } cases[] = {
      {"  archive_timeout: 500ms\n",
       "test.yaml:2:20: archive_timeout (500ms) must be between 1s and 1d"},
      {"  archive_timeout: 2d\n", "test.yaml:2:20: archive_timeout (2d) must be between 1s and 1d"},
      {"  archive_timeout: 0s\n",
       "test.yaml:2:20: archive_timeout: invalid duration \"0s\": must be greater than zero"},
      {"  lock_timeout: 2s\n  archive_timeout: 2s\n",
       "test.yaml:3:20: archive_timeout (2s) must be greater than lock_timeout (2s)"},
  };
  for (const auto& c : cases) EXPECT_EQ(ErrorOf(MaintenanceYaml(c.lines)), c.error) << c.lines;
}

TEST(ParseConfigTest, RejectsStatementTimeoutBelowDefaultLockTimeout) {
  EXPECT_EQ(ErrorOf(MaintenanceYaml("  statement_timeout: 100ms\n")),
            "test.yaml:2:22: lock_timeout (200ms) must be less than statement_timeout (100ms)");
}

TEST(ParseConfigTest, RejectsJitterAboveInterval) {
  EXPECT_EQ(ErrorOf(MaintenanceYaml("  interval: 10m\n  jitter: 11m\n")),
            "test.yaml:3:11: jitter (11m) must not exceed interval (10m)");
}

TEST(ParseConfigTest, RejectsIntervalBelowDefaultJitter) {
  EXPECT_EQ(ErrorOf(MaintenanceYaml("  interval: 1m\n")),
            "test.yaml:2:13: jitter (5m) must not exceed interval (1m)");
}

TEST(ParseConfigTest, RejectsSubHourPartitionInterval) {
  EXPECT_EQ(ErrorOf("databases:\n  - name: main\n    conninfo: dbname=app\n    tables:\n"
                    "      - name: public.events\n        interval: 30m\n"),
            "test.yaml:6:19: interval: invalid interval \"30m\": partitions finer than an hour "
            "are not supported");
}

TEST(ParseConfigTest, RejectsBadRetention) {
  EXPECT_EQ(ErrorOf(TableYaml("        retention: 30 minutes\n")),
            "test.yaml:7:20: retention: invalid interval \"30 minutes\": retention periods finer "
            "than an hour are not supported");
}

TEST(ParseConfigTest, RejectsMissingDatabases) {
  EXPECT_EQ(ErrorOf("log:\n  level: info\n"),
            "test.yaml:1:1: missing required key \"databases\" in the top level");
}

TEST(ParseConfigTest, RejectsEmptyDatabasesList) {
  EXPECT_EQ(ErrorOf("databases: []\n"),
            "test.yaml:1:12: databases: expected at least one database");
}

TEST(ParseConfigTest, RejectsDatabasesThatIsNotAList) {
  EXPECT_EQ(ErrorOf("databases:\n  name: main\n"),
            "test.yaml:2:3: databases: expected a list, got a mapping");
}

TEST(ParseConfigTest, RejectsMissingDatabaseName) {
  EXPECT_EQ(ErrorOf("databases:\n  - conninfo: dbname=app\n    tables: []\n"),
            "test.yaml:2:5: missing required key \"name\" in a database");
}

TEST(ParseConfigTest, RejectsEmptyDatabaseName) {
  EXPECT_EQ(ErrorOf("databases:\n  - name: ''\n"), "test.yaml:2:11: name: must not be empty");
}

TEST(ParseConfigTest, RejectsMissingConninfo) {
  EXPECT_EQ(ErrorOf("databases:\n  - name: main\n    tables: []\n"),
            "test.yaml:2:5: missing required key \"conninfo\" in a database");
}

TEST(ParseConfigTest, RejectsConninfoWithoutValue) {
  EXPECT_EQ(ErrorOf("databases:\n  - name: main\n    conninfo:\n    tables: []\n"),
            "test.yaml:3:5: conninfo: expected a string, got nothing");
}

TEST(ParseConfigTest, RejectsMissingTables) {
  EXPECT_EQ(ErrorOf("databases:\n  - name: main\n    conninfo: dbname=app\n"),
            "test.yaml:2:5: missing required key \"tables\" in a database");
}

TEST(ParseConfigTest, RejectsEmptyTablesList) {
  EXPECT_EQ(ErrorOf("databases:\n  - name: main\n    conninfo: dbname=app\n    tables: []\n"),
            "test.yaml:4:13: tables: expected at least one table");
}

TEST(ParseConfigTest, RejectsMissingTableName) {
  EXPECT_EQ(ErrorOf("databases:\n  - name: main\n    conninfo: dbname=app\n    tables:\n"
                    "      - interval: 1 day\n"),
            "test.yaml:5:9: missing required key \"name\" in a table");
}

TEST(ParseConfigTest, RejectsMissingInterval) {
  EXPECT_EQ(ErrorOf("databases:\n  - name: main\n    conninfo: dbname=app\n    tables:\n"
                    "      - name: public.events\n"),
            "test.yaml:5:9: missing required key \"interval\" in a table");
}

TEST(ParseConfigTest, RejectsTableNameThatIsNotAString) {
  EXPECT_EQ(ErrorOf("databases:\n  - name: main\n    conninfo: dbname=app\n    tables:\n"
                    "      - name: [public, events]\n"),
            "test.yaml:5:15: name: expected a string, got a list");
}

TEST(ParseConfigTest, RejectsUnqualifiedTableName) {
  EXPECT_EQ(ErrorOf("databases:\n  - name: main\n    conninfo: dbname=app\n    tables:\n"
                    "      - name: events\n        interval: 1 day\n"),
            "test.yaml:5:15: name: table name must be schema-qualified (schema.table), got "
            "'events'");
}

TEST(ParseConfigTest, RejectsInvalidTableName) {
  EXPECT_EQ(ErrorOf("databases:\n  - name: main\n    conninfo: dbname=app\n    tables:\n"
                    "      - name: 'public.t\"\"q'\n        interval: 1 day\n"),
            "test.yaml:5:15: name: invalid table name 'public.t\"\"q': unexpected character "
            "'\"' at position 9");
}

TEST(ParseConfigTest, RejectsArchiveWithoutArchiveDir) {
  EXPECT_EQ(ErrorOf(TableYaml("        retention: 1 year\n        retention_action: archive\n")),
            "test.yaml:8:27: retention_action: archive needs archive_dir");
}

TEST(ParseConfigTest, RejectsArchiveDirWithAnotherAction) {
  EXPECT_EQ(ErrorOf(TableYaml("        retention_action: detach\n        archive_dir: /srv/a\n")),
            "test.yaml:8:9: archive_dir is only used with retention_action: archive");
}

TEST(ParseConfigTest, RejectsArchiveDirWithDefaultAction) {
  EXPECT_EQ(ErrorOf(TableYaml("        archive_dir: /srv/a\n")),
            "test.yaml:7:9: archive_dir is only used with retention_action: archive");
}

TEST(ParseConfigTest, RejectsRelativeArchiveDir) {
  EXPECT_EQ(ErrorOf(TableYaml("        retention_action: archive\n        archive_dir: archive\n")),
            "test.yaml:8:22: archive_dir: must be an absolute path, got \"archive\"");
}

TEST(ParseConfigTest, ReadsArchiveSchemaForDetach) {
  const Config config =
      ParseConfig(TableYaml("        retention_action: detach\n        archive_schema: Archive\n"),
                  "test.yaml");
  EXPECT_EQ(config.databases[0].tables[0].archive_schema, "archive");
  const Config quoted = ParseConfig(
      TableYaml("        retention_action: detach\n        archive_schema: '\"Old Data\"'\n"),
      "test.yaml");
  EXPECT_EQ(quoted.databases[0].tables[0].archive_schema, "Old Data");
  EXPECT_EQ(ParseConfig(TableYaml(""), "test.yaml").databases[0].tables[0].archive_schema, "");
}

TEST(ParseConfigTest, RejectsArchiveSchemaWithAnotherAction) {
  EXPECT_EQ(ErrorOf(TableYaml("        archive_schema: old\n")),
            "test.yaml:7:9: archive_schema is only used with retention_action: detach");
}

TEST(ParseConfigTest, RejectsInvalidArchiveSchema) {
  EXPECT_EQ(ErrorOf(TableYaml("        retention_action: detach\n        archive_schema: a.b\n")),
            "test.yaml:8:25: archive_schema: invalid schema name 'a.b': unexpected character '.' "
            "at position 2");
}

TEST(ParseConfigTest, ReadsDefaultPartitionPolicy) {
  using config::DefaultPartitionPolicy;
  auto policy = [](const std::string& yaml) {
    return ParseConfig(TableYaml(yaml), "test.yaml").databases[0].tables[0].default_partition;
  };
  EXPECT_EQ(policy(""), DefaultPartitionPolicy::kKeep);
  EXPECT_EQ(policy("        default_partition: keep\n"), DefaultPartitionPolicy::kKeep);
  EXPECT_EQ(policy("        default_partition: create\n"), DefaultPartitionPolicy::kCreate);
  EXPECT_EQ(policy("        default_partition: none\n"), DefaultPartitionPolicy::kNone);
  EXPECT_EQ(ErrorOf(TableYaml("        default_partition: drop\n")),
            "test.yaml:7:28: default_partition: expected keep, create or none, got \"drop\"");
}

TEST(ParseConfigTest, RejectsUnknownRetentionAction) {
  EXPECT_EQ(ErrorOf(TableYaml("        retention_action: delete\n")),
            "test.yaml:7:27: retention_action: expected drop, detach or archive, got \"delete\"");
}

TEST(ParseConfigTest, RejectsDuplicateDatabaseNames) {
  EXPECT_EQ(ErrorOf(TableYaml("  - name: main\n"
                              "    conninfo: dbname=other\n"
                              "    tables:\n"
                              "      - name: public.events\n"
                              "        interval: 1 day\n")),
            "test.yaml:7:11: duplicate database name \"main\" (first at line 2)");
}

TEST(ParseConfigTest, RejectsDuplicateTablesAfterCaseFolding) {
  EXPECT_EQ(ErrorOf(TableYaml("      - name: Public.EVENTS\n        interval: 1 month\n")),
            "test.yaml:7:15: duplicate table public.events in database \"main\" (first at line "
            "5)");
}

TEST(ParseConfigTest, RejectsDuplicateTablesWrittenWithQuotes) {
  EXPECT_EQ(ErrorOf(TableYaml("      - name: '\"public\".\"events\"'\n        interval: 1 day\n")),
            "test.yaml:7:15: duplicate table public.events in database \"main\" (first at line "
            "5)");
}

TEST(ParseConfigTest, RejectsUnknownTimeZone) {
  EXPECT_EQ(ErrorOf(TableYaml("        timezone: Mars/Olympus_Mons\n")),
            "test.yaml:7:19: timezone: unknown time zone \"Mars/Olympus_Mons\"");
}

TEST(ParseConfigTest, RejectsBadLogLevel) {
  EXPECT_EQ(ErrorOf("log:\n  level: verbose\n" + TableYaml("")),
            "test.yaml:2:10: level: expected trace, debug, info, warn or error, got \"verbose\"");
}

TEST(ParseConfigTest, RejectsBadLogFormat) {
  EXPECT_EQ(ErrorOf("log:\n  format: xml\n" + TableYaml("")),
            "test.yaml:2:11: format: expected text or json, got \"xml\"");
}

TEST(ParseConfigTest, RejectsListenWithoutPort) {
  EXPECT_EQ(ErrorOf(ListenYaml("\"9187\"")),
            "test.yaml:2:11: listen: invalid listen address \"9187\": expected host:port, such "
            "as \"127.0.0.1:9187\" or \"[::1]:9187\"");
}

TEST(ParseConfigTest, RejectsListenPortOutOfRange) {
  EXPECT_EQ(ErrorOf(ListenYaml("127.0.0.1:65536")),
            "test.yaml:2:11: listen: invalid listen address \"127.0.0.1:65536\": port must be a "
            "number from 0 to 65535");
}

TEST(ParseConfigTest, RejectsListenHostName) {
  EXPECT_EQ(ErrorOf(ListenYaml("example.com:9187")),
            "test.yaml:2:11: listen: invalid listen address \"example.com:9187\": host must be "
            "an IPv4 address, localhost or a bracketed IPv6 address such as [::1]");
}

TEST(ParseConfigTest, RejectsListenUnbracketedIpv6) {
  EXPECT_EQ(ErrorOf(ListenYaml("\"::1:9187\"")),
            "test.yaml:2:11: listen: invalid listen address \"::1:9187\": host must be an IPv4 "
            "address, localhost or a bracketed IPv6 address such as [::1]");
}

TEST(ParseConfigTest, RejectsPasswordInKeyValueConninfo) {
  EXPECT_EQ(ErrorOf(ConninfoYaml("\"host=db password=secret dbname=app\"")),
            "test.yaml:3:15: conninfo: passwords do not belong in the config; use PGPASSFILE or "
            "PGPASSWORD");
}

TEST(ParseConfigTest, RejectsQuotedPasswordInKeyValueConninfo) {
  EXPECT_EQ(ErrorOf(ConninfoYaml("\"host=db password = 'a b'\"")),
            "test.yaml:3:15: conninfo: passwords do not belong in the config; use PGPASSFILE or "
            "PGPASSWORD");
}

TEST(ParseConfigTest, RejectsPasswordInPostgresqlUri) {
  EXPECT_EQ(ErrorOf(ConninfoYaml("postgresql://app:secret@db/app")),
            "test.yaml:3:15: conninfo: passwords do not belong in the config; use PGPASSFILE or "
            "PGPASSWORD");
}

TEST(ParseConfigTest, RejectsPasswordInPostgresUri) {
  EXPECT_EQ(ErrorOf(ConninfoYaml("postgres://app:secret@db:5432/app")),
            "test.yaml:3:15: conninfo: passwords do not belong in the config; use PGPASSFILE or "
            "PGPASSWORD");
}

TEST(ParseConfigTest, RejectsPasswordInUriQuery) {
  EXPECT_EQ(ErrorOf(ConninfoYaml("postgresql://db/app?password=secret")),
            "test.yaml:3:15: conninfo: passwords do not belong in the config; use PGPASSFILE or "
            "PGPASSWORD");
}

TEST(ParseConfigTest, RejectsMalformedConninfo) {
  EXPECT_EQ(ErrorOf(ConninfoYaml("\"host\"")),
            "test.yaml:3:15: conninfo: invalid conninfo: missing \"=\" after \"host\" in "
            "connection info string");
}

TEST(ToStringTest, RetentionAction) {
  EXPECT_EQ(ToString(RetentionAction::kDrop), "drop");
  EXPECT_EQ(ToString(RetentionAction::kDetach), "detach");
  EXPECT_EQ(ToString(RetentionAction::kArchive), "archive");
}

TEST(LoadConfigFileTest, MissingFile) {
  try {
    LoadConfigFile("/nonexistent/partitiond.yaml");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/partitiond.yaml: cannot read: No such file or directory");
  }
}

TEST(LoadConfigFileTest, Directory) {
  const std::string dir = std::filesystem::temp_directory_path().string();
  try {
    LoadConfigFile(dir);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), dir + ": cannot read: Is a directory");
  }
}

// A FIFO nobody writes to: reading it would wait forever, so it is refused unread (a SIGHUP reload
// and check-config must never hang on the config path).
class TempFifo {
 public:
  TempFifo()
      : path_(std::filesystem::temp_directory_path() /
              ("config_test_fifo_" + std::to_string(::getpid()))) {
    EXPECT_EQ(::mkfifo(path_.c_str(), 0600), 0);
  }
  ~TempFifo() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(LoadConfigFileTest, FifoIsRefusedWithoutWaiting) {
  const TempFifo fifo;
  try {
    LoadConfigFile(fifo.path());
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), fifo.path() + ": cannot read: not a regular file (a FIFO)");
  }
}

class TempFile {
 public:
  explicit TempFile(std::string_view contents)
      : path_(std::filesystem::temp_directory_path() /
              ("config_test_" + std::to_string(::getpid()) + ".yaml")) {
    std::ofstream(path_) << contents;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(LoadConfigFileTest, ReadsFileAndNamesItInErrors) {
  {
    const TempFile file(TableYaml(""));
    const Config config = LoadConfigFile(file.path());
    EXPECT_EQ(config.source, file.path());
    EXPECT_EQ(config.databases.at(0).tables.at(0).name, (QualifiedName{"public", "events"}));
  }
  const TempFile bad(TableYaml("        premake: 0\n"));
  try {
    LoadConfigFile(bad.path());
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), bad.path() + ":7:18: premake must be at least 1, got 0");
  }
}

}  // namespace
}  // namespace partitiond::config

namespace partitiond::config {
namespace {

std::string MetricsAuthYaml(const std::string& password_file) {
  return "metrics:\n"
         "  listen: \"127.0.0.1:0\"\n"
         "  basic_auth: { username: prom, password_file: \"" +
         password_file +
         "\" }\n"
         "databases:\n"
         "  - name: main\n"
         "    conninfo: dbname=app\n"
         "    tables: [ { name: public.events, interval: 1 day } ]\n";
}

TEST(ParseConfigTest, MetricsBasicAuthReadsThePasswordFile) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("partitiond-pw-" + std::to_string(getpid())))
          .string();
  std::ofstream(path) << "s3cret\n";
  const Config config = ParseConfig(MetricsAuthYaml(path), "test.yaml");
  std::filesystem::remove(path);
  EXPECT_EQ(config.metrics.basic_auth_username, "prom");
  EXPECT_EQ(config.metrics.basic_auth_password, "s3cret");
}

TEST(ParseConfigTest, MetricsBasicAuthWithAnUnreadablePasswordFileIsRejected) {
  try {
    ParseConfig(MetricsAuthYaml("/nonexistent/pw"), "test.yaml");
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "test.yaml:3:48: password_file: cannot read /nonexistent/pw: No such file or "
              "directory");
  }
}

TEST(ParseConfigTest, MetricsBasicAuthWithAFifoAsPasswordFileIsRejected) {
  const TempFifo fifo;
  try {
    ParseConfig(MetricsAuthYaml(fifo.path()), "test.yaml");
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "test.yaml:3:48: password_file: cannot read " + fifo.path() +
                                         ": not a regular file (a FIFO)");
  }
}

}  // namespace
}  // namespace partitiond::config

namespace partitiond::config {
namespace {

TEST(RemovalGuardConfigTest, RetentionConfirmRepeatingTheRetentionConfirms) {
  const auto table = [](std::string_view lines) {
    return ParseConfig(TableYaml(lines), "test.yaml").databases[0].tables[0];
  };
  EXPECT_FALSE(table("        retention: 12d\n").retention_confirmed);
  EXPECT_TRUE(table("        retention: 12d\n        retention_confirm: \"12 days\"\n")
                  .retention_confirmed);
  EXPECT_TRUE(table("        retention: 14 days\n        retention_confirm: 2 weeks\n")
                  .retention_confirmed);
  EXPECT_TRUE(table("        retention: 1 year\n        retention_confirm: 12 months\n")
                  .retention_confirmed);
  EXPECT_EQ(table("        retention: 12d\n").max_removals_per_pass, 0);
  EXPECT_EQ(
      table("        retention: 12d\n        max_removals_per_pass: 5\n").max_removals_per_pass, 5);
}

TEST(RemovalGuardConfigTest, RejectsAConfirmationOfAnotherRetention) {
  EXPECT_EQ(ErrorOf(TableYaml("        retention: 24 months\n        retention_confirm: 12d\n")),
            "test.yaml:8:28: retention_confirm: \"12d\" does not match retention (24 months); "
            "it confirms exactly the retention it repeats");
  EXPECT_EQ(ErrorOf(TableYaml("        retention_confirm: 12d\n")),
            "test.yaml:7:9: retention_confirm is only used with retention");
  EXPECT_EQ(ErrorOf(TableYaml("        retention: 12d\n        retention_confirm: soon\n")),
            "test.yaml:8:28: retention_confirm: invalid interval \"soon\": expected a positive "
            "whole number followed by a unit, such as \"5m\" or \"1 month\"");
}

TEST(RemovalGuardConfigTest, RejectsACapOutOfRange) {
  EXPECT_EQ(ErrorOf(TableYaml("        retention: 12d\n        max_removals_per_pass: 0\n")),
            "test.yaml:8:32: max_removals_per_pass must be at least 1, got 0");
  EXPECT_EQ(ErrorOf(TableYaml("        retention: 12d\n        max_removals_per_pass: 1001\n")),
            "test.yaml:8:32: max_removals_per_pass must be at most 1000, got 1001");
  EXPECT_EQ(ErrorOf(TableYaml("        max_removals_per_pass: 2\n")),
            "test.yaml:7:9: max_removals_per_pass is only used with retention");
}

}  // namespace
}  // namespace partitiond::config
