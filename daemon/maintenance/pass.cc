#include "daemon/maintenance/pass.h"

#include <spdlog/spdlog.h>

#include "daemon/catalog/reader.h"
#include "daemon/executor/audit.h"
#include "daemon/pg/connection.h"

namespace partitiond::maintenance {
namespace {

std::vector<config::TableConfig> SelectTables(const config::DatabaseConfig& database,
                                              const PassOptions& options) {
  std::vector<config::TableConfig> tables;
  for (const auto& t : database.tables) {
    if (!options.only_table || *options.only_table == t.name) tables.push_back(t);
  }
  return tables;
}

const config::TableConfig* FindPolicy(const config::DatabaseConfig& database,
                                      const config::QualifiedName& name) {
  for (const auto& t : database.tables) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

// The state schema is created on first use; without it actions still run, only unaudited.
bool PrepareStateSchema(pg::Connection& conn, const std::string& database, bool present) {
  if (present) return true;
  try {
    executor::EnsureStateSchema(conn);
    spdlog::info("database {}: created state schema partitiond", database);
    return true;
  } catch (const pg::Error& e) {
    spdlog::error(
        "database {}: cannot create state schema partitiond ({}); run sql/schema.sql as the "
        "database owner. Actions will not be audited.",
        database, e.what());
    return false;
  }
}

void LogResult(const std::string& database, const TableReport& table, const planner::Action& action,
               const executor::ActionResult& result) {
  const std::string parent = table.snapshot.configured.ToString();
  if (result.outcome == executor::Outcome::kOk) {
    spdlog::info("database {} table {}: {} {}.{} ok in {} ms ({})", database, parent,
                 planner::ToString(action.kind), action.schema, action.partition,
                 result.duration.count(), action.reason);
  } else {
    spdlog::error("database {} table {}: {} {}.{} {} after {} attempt(s): {}", database, parent,
                  planner::ToString(action.kind), action.schema, action.partition,
                  executor::ToString(result.outcome), result.attempts, result.error);
  }
}

void ApplyTable(pg::Connection& conn, executor::Executor& executor, const std::string& database,
                bool audit, Env& env, TableReport& table) {
  for (const auto& action : table.plan.actions) {
    const auto started = env.Now();
    table.results.push_back(executor.Apply(table.snapshot, action));
    LogResult(database, table, action, table.results.back());
    if (!audit) continue;
    try {
      executor::WriteAudit(conn, {.started_at = started,
                                  .database = database,
                                  .table = table.snapshot.configured.ToString(),
                                  .partition = action.schema + "." + action.partition,
                                  .action = action.kind,
                                  .result = table.results.back()});
    } catch (const pg::Error& e) {
      spdlog::error("database {}: cannot write audit row: {}", database, e.what());
    }
  }
}

}  // namespace

bool TableReport::Failed() const {
  if (snapshot.error) return true;
  for (const auto& r : results) {
    // A skipped action (e.g. an unsupported retention action) is unfinished work too.
    if (r.outcome != executor::Outcome::kOk) return true;
  }
  return false;
}

DatabaseReport RunPass(const config::DatabaseConfig& database,
                       const config::MaintenanceConfig& maintenance, Env& env,
                       std::chrono::sys_seconds now, const PassOptions& options) {
  DatabaseReport report{.database = database.name};
  const auto tables = SelectTables(database, options);
  try {
    pg::Connection conn = pg::Connection::Open(
        database.conninfo, {.statement_timeout = maintenance.statement_timeout});
    catalog::DatabaseSnapshot snapshot = catalog::ReadSnapshot(conn, tables);
    report.standby = snapshot.in_recovery;
    for (auto& table_snapshot : snapshot.tables) {
      TableReport table{.policy = FindPolicy(database, table_snapshot.configured),
                        .snapshot = std::move(table_snapshot)};
      if (table.snapshot.error) {
        spdlog::error("database {}: {}", database.name, *table.snapshot.error);
      } else {
        table.plan = planner::PlanTable(table.snapshot, *table.policy, now);
        for (const auto& warning : table.plan.warnings) {
          spdlog::warn("database {} table {}: {}", database.name,
                       table.snapshot.configured.ToString(), warning);
        }
      }
      report.tables.push_back(std::move(table));
    }
    if (!options.apply) return report;
    report.applied = !report.standby;
    if (report.standby) {
      spdlog::info("database {}: server is a standby; observing only", database.name);
      return report;
    }
    bool any_action = false;
    for (const auto& table : report.tables) any_action = any_action || !table.plan.actions.empty();
    if (!any_action) return report;
    const bool audit = PrepareStateSchema(conn, database.name, snapshot.state_schema_present);
    executor::Executor executor(conn, maintenance, env);
    for (auto& table : report.tables) ApplyTable(conn, executor, database.name, audit, env, table);
  } catch (const pg::Error& e) {
    report.connect_error = e.what();
    spdlog::error("database {}: {}", database.name, e.what());
  }
  return report;
}

int ExitCode(const std::vector<DatabaseReport>& reports) {
  bool failed = false;
  for (const auto& r : reports) {
    if (r.connect_error) return 3;
    for (const auto& t : r.tables) failed = failed || t.Failed();
  }
  return failed ? 1 : 0;
}

}  // namespace partitiond::maintenance
