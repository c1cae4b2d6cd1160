// One maintenance pass over one database: connect, read the catalog snapshot (one query), plan
// every table, and (when applying) execute and audit each action. This is the whole data flow of
// GUIDE §3 for `plan` and `once`; the daemon loop runs the same pass on a schedule.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "daemon/catalog/snapshot.h"
#include "daemon/common/env.h"
#include "daemon/config/config.h"
#include "daemon/executor/executor.h"
#include "daemon/planner/planner.h"

namespace partitiond::maintenance {

struct TableReport {
  const config::TableConfig* policy = nullptr;  // points into the Config the pass was given
  catalog::TableSnapshot snapshot;
  planner::TablePlan plan;
  std::vector<executor::ActionResult> results;  // one per plan action when applied, else empty

  bool Failed() const;  // the table could not be read, or an action failed
};

struct DatabaseReport {
  std::string database;                      // the config label
  std::optional<std::string> connect_error;  // could not connect, or the catalog query failed
  bool standby = false;                      // in recovery: planned, nothing applied
  bool applied = false;
  std::vector<TableReport> tables;
};

struct PassOptions {
  bool apply = false;                               // false: plan only, change nothing
  std::optional<config::QualifiedName> only_table;  // restrict to one configured table
};

// Never throws for database problems; they are in the report. `now` is the pass's notion of the
// current time (the real clock, or --now).
DatabaseReport RunPass(const config::DatabaseConfig& database,
                       const config::MaintenanceConfig& maintenance, Env& env,
                       std::chrono::sys_seconds now, const PassOptions& options);

// GUIDE §2 exit codes: 3 if any database was unreachable, else 1 if any table failed, else 0.
int ExitCode(const std::vector<DatabaseReport>& reports);

}  // namespace partitiond::maintenance
