// One maintenance pass over one database: connect, read the catalog snapshot (one query), plan
// every table, and (when applying) execute and audit each action. This is the whole data flow
// (config, catalog snapshot, plan, execute, record) for `plan` and `once`; the daemon loop runs the
// same pass on a schedule.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "daemon/catalog/snapshot.h"
#include "daemon/common/env.h"
#include "daemon/config/config.h"
#include "daemon/executor/executor.h"
#include "daemon/pg/connection.h"
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
  std::string database;              // the config label
  std::optional<std::string> error;  // could not connect, or the catalog query failed
  bool unreachable = false;          // that error was a connection failure (exit code 3)
  bool standby = false;              // in recovery: planned, nothing applied
  bool applied = false;
  bool state_schema_present = false;  // partitiond.audit existed when the pass began
  std::vector<TableReport> tables;
  // The host clock minus the server's, as read around the catalog query (clock_check.h); nullopt
  // when the server's is unknown.
  std::optional<std::chrono::seconds> clock_skew;
  // The time the pass planned from: the host clock, the server's when they disagree, or --now.
  std::chrono::sys_seconds planned_now{};
  // Applying stopped before the end because may_act said no (leadership lost, shutdown, reload):
  // some planned actions were not tried, so the pass is no success.
  bool cut_short = false;
};

struct PassOptions {
  bool apply = false;  // false: plan only, change nothing
  // `now` was given by the operator (--now): plan from it even when the host clock and the
  // server's disagree (the disagreement is still measured, logged and exported); otherwise `now`
  // is the host clock and clock_check.h decides.
  bool now_is_explicit = false;
  std::optional<config::QualifiedName> only_table;  // restrict to one configured table
  // Tables to leave out of this pass (e.g. backing off after repeated failures); may be empty.
  std::function<bool(const config::QualifiedName&)> skip_table;
  // Asked before each action when applying; false stops the pass's actions there (leadership
  // lost, shutdown requested). Empty: always true.
  std::function<asio::awaitable<bool>()> may_act;
  // True once a shutdown was requested: an action retrying on lock timeouts gives up at its next
  // retry instead of trying again. Empty: never.
  std::function<bool()> stopping;
  // Fault injection for tests (executor::ArchiveSettings::before_verify). Empty in production.
  std::function<void(const std::string&)> before_archive_verify;
};

// The session every maintenance connection uses: statement_timeout and the lock_timeout backstop.
pg::SessionOptions SessionFor(const config::MaintenanceConfig& maintenance);

// A pass on an open connection. Throws pg::Error when the catalog query itself fails or the
// connection breaks; per-table and per-action problems are in the report.
asio::awaitable<DatabaseReport> RunPassOn(pg::Connection& conn,
                                          const config::DatabaseConfig& database,
                                          const config::MaintenanceConfig& maintenance, Env& env,
                                          std::chrono::sys_seconds now, const PassOptions& options);

// Connects, then RunPassOn. Never throws for database problems: a failed connection or catalog
// query is the report's error. `now` is the pass's notion of the current time (the real
// clock, or --now).
asio::awaitable<DatabaseReport> RunPass(const config::DatabaseConfig& database,
                                        const config::MaintenanceConfig& maintenance, Env& env,
                                        std::chrono::sys_seconds now, const PassOptions& options);

// The exit code: 3 if any database was unreachable, else 1 if any table failed, else 0.
int ExitCode(const std::vector<DatabaseReport>& reports);

}  // namespace partitiond::maintenance
