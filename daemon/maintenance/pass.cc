#include "daemon/maintenance/pass.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/catalog/reader.h"
#include "daemon/common/logging.h"
#include "daemon/executor/audit.h"
#include "daemon/executor/partition_state.h"
#include "daemon/maintenance/clock_check.h"
#include "daemon/maintenance/leadership.h"
#include "daemon/state/schema_version.h"

namespace partitiond::maintenance {
namespace {

std::vector<config::TableConfig> SelectTables(const config::DatabaseConfig& database,
                                              const PassOptions& options) {
  std::vector<config::TableConfig> tables;
  for (const auto& t : database.tables) {
    if (options.only_table && !(*options.only_table == t.name)) continue;
    if (options.skip_table && options.skip_table(t.name)) continue;
    tables.push_back(t);
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

void LogResult(const std::string& database, const TableReport& table, const planner::Action& action,
               const executor::ActionResult& result) {
  const std::string parent = table.snapshot.configured.ToString();
  const std::string kind(planner::ToString(action.kind));
  const LogFields fields{.database = database,
                         .table = parent,
                         .action = kind,
                         .partition = action.schema + "." + action.partition,
                         .duration_ms = static_cast<double>(result.duration.count()),
                         .error = result.error};
  if (result.outcome == executor::Outcome::kOk) {
    LogEvent(spdlog::level::info,
             fmt::format("database {} table {}: {} {} ok in {} ms ({})", database, parent, kind,
                         fields.partition, result.duration.count(), action.reason),
             fields);
  } else if (result.attempts == 0) {  // not tried (DeferredBehind): a warning, not an error
    LogEvent(spdlog::level::warn,
             fmt::format("database {} table {}: {} {} {}: {}", database, parent, kind,
                         fields.partition, executor::ToString(result.outcome), result.error),
             fields);
  } else {
    LogEvent(spdlog::level::err,
             fmt::format("database {} table {}: {} {} {} after {} attempt(s): {}", database, parent,
                         kind, fields.partition, executor::ToString(result.outcome),
                         result.attempts, result.error),
             fields);
  }
}

// Audit rows wait in `pending` and are written kAuditBatch at a time and at the end of the pass,
// one statement each time: on a catch-up pass a round trip per action would cost as much as the
// DDL.
constexpr size_t kAuditBatch = 64;

asio::awaitable<void> FlushAudit(pg::Connection& conn, const std::string& database,
                                 std::vector<executor::AuditRecord>& pending) {
  try {
    co_await executor::WriteAudit(conn, pending);
  } catch (const pg::Error& e) {
    if (e.error_class() == pg::ErrorClass::kConnection) throw;
    spdlog::error("database {}: cannot write {} audit row(s): {}", database, pending.size(),
                  e.what());
  }
  pending.clear();
}

// The result of a retention action not tried because `pending` still waits to be detached.
executor::ActionResult DeferredBehind(const std::string& pending) {
  return {.outcome = executor::Outcome::kSkipped,
          .attempts = 0,
          .error = fmt::format("not tried: {} is still pending detach from this table and "
                               "PostgreSQL detaches one partition of a table at a time; a later "
                               "pass finishes that detach, then this one",
                               pending)};
}

// Applies one table's plan, adding an audit record per action to `pending` when `audit`; returns
// false when may_act said stop.
asio::awaitable<bool> ApplyTable(pg::Connection& conn, executor::Executor& executor,
                                 const std::string& database, bool audit, Env& env,
                                 const PassOptions& options, TableReport& table,
                                 std::vector<executor::AuditRecord>& pending) {
  std::string detach_pending;  // a partition this pass left pending detach, if any
  for (const auto& action : table.plan.actions) {
    if (options.may_act) {
      const bool may = co_await options.may_act();
      if (!may) co_return false;
    }
    const auto started = env.Now();
    if (!detach_pending.empty() && planner::IsRetention(action.kind) &&
        executor::SnapshotState(table.snapshot, action) == executor::PartitionState::kAttached) {
      // PostgreSQL would refuse to detach it ("already pending detach"): trying would only add an
      // error per remaining partition. Partitions detached already are still dropped.
      table.results.push_back(DeferredBehind(detach_pending));
    } else {
      table.results.push_back(co_await executor.Apply(table.snapshot, *table.policy, action));
      if (table.results.back().left_detach_pending) {
        detach_pending = action.schema + "." + action.partition;
      }
    }
    LogResult(database, table, action, table.results.back());
    if (!audit) continue;
    pending.push_back({.started_at = started,
                       .database = database,
                       .table = table.snapshot.configured.ToString(),
                       .partition = action.schema + "." + action.partition,
                       .action = std::string(planner::ToString(action.kind)),
                       .result = table.results.back()});
    if (pending.size() >= kAuditBatch) co_await FlushAudit(conn, database, pending);
  }
  co_return true;
}

void PlanTables(const config::DatabaseConfig& database, catalog::DatabaseSnapshot& snapshot,
                std::chrono::sys_seconds now, DatabaseReport& report) {
  for (auto& table_snapshot : snapshot.tables) {
    TableReport table{.policy = FindPolicy(database, table_snapshot.configured),
                      .snapshot = std::move(table_snapshot)};
    if (table.snapshot.error) {
      LogEvent(spdlog::level::err,
               fmt::format("database {}: {}", database.name, *table.snapshot.error),
               {.database = database.name,
                .table = table.snapshot.configured.ToString(),
                .error = *table.snapshot.error});
    } else {
      table.plan = planner::PlanTable(table.snapshot, *table.policy, now);
      for (const auto& warning : table.plan.warnings) {
        spdlog::warn("database {} table {}: {}", database.name,
                     table.snapshot.configured.ToString(), warning);
      }
    }
    report.tables.push_back(std::move(table));
  }
}

std::string Instant(std::chrono::sys_seconds t) {
  return catalog::FormatKeyLiteral(t.time_since_epoch(), catalog::KeyType::kTimestamptz);
}

// Says so when the host clock and the server's disagree (every pass, so the journal shows how long
// it lasted) and, unless --now was given, holds back what a wrong clock would make irreversible or
// massive (clock_check.h).
void ApplyClockDecision(const config::DatabaseConfig& database, const ClockDecision& clock,
                        std::chrono::sys_seconds host_now, DatabaseReport& report) {
  if (!clock.disagree) return;
  const std::chrono::sys_seconds server_now = host_now - *clock.skew;
  const std::string clocks = fmt::format(
      "host clock {} and server clock {} differ by {} s (more than {} s)", Instant(host_now),
      Instant(server_now), clock.skew->count(), kMaxClockSkew.count());
  if (!clock.withhold) {
    LogEvent(spdlog::level::warn,
             fmt::format("database {}: {}; planning from --now {} as given", database.name, clocks,
                         Instant(clock.plan_now)),
             {.database = database.name});
    return;
  }
  LogEvent(spdlog::level::warn,
           fmt::format("database {}: {}; planning from the server's clock; retention and "
                       "creation of past periods wait until the clocks agree",
                       database.name, clocks),
           {.database = database.name});
  for (auto& table : report.tables) {
    const std::size_t withheld = WithholdOnDisagreement(table.plan);
    if (withheld == 0) continue;
    std::string warning =
        fmt::format("{}; {} retention or catch-up action(s) withheld", clocks, withheld);
    LogEvent(spdlog::level::warn,
             fmt::format("database {} table {}: {}", database.name,
                         table.snapshot.configured.ToString(), warning),
             {.database = database.name, .table = table.snapshot.configured.ToString()});
    table.plan.warnings.push_back(std::move(warning));
  }
}

}  // namespace

pg::SessionOptions SessionFor(const config::MaintenanceConfig& maintenance) {
  return {.statement_timeout = maintenance.statement_timeout,
          .lock_timeout = maintenance.lock_timeout};
}

bool TableReport::Failed() const {
  if (snapshot.error) return true;
  for (const auto& r : results) {
    // A skipped action (e.g. an unsupported retention action) is unfinished work too.
    if (r.outcome != executor::Outcome::kOk) return true;
  }
  return false;
}

asio::awaitable<DatabaseReport> RunPassOn(pg::Connection& conn,
                                          const config::DatabaseConfig& database,
                                          const config::MaintenanceConfig& maintenance, Env& env,
                                          std::chrono::sys_seconds now,
                                          const PassOptions& options) {
  DatabaseReport report{.database = database.name};
  // Read right before the query whose now() it is compared with.
  const auto host_now = std::chrono::floor<std::chrono::seconds>(env.Now());
  catalog::DatabaseSnapshot snapshot =
      co_await catalog::ReadSnapshot(conn, SelectTables(database, options));
  report.standby = snapshot.in_recovery;
  report.state_schema_present = snapshot.state_schema_present;
  ClockDecision clock = ChooseClock(host_now, snapshot.server_now,
                                    options.now_is_explicit ? std::optional(now) : std::nullopt);
  // The caller's reading of the host clock, taken a moment earlier, stays the pass's time.
  if (clock.source == ClockSource::kHost) clock.plan_now = now;
  report.clock_skew = clock.skew;
  report.planned_now = clock.plan_now;
  PlanTables(database, snapshot, clock.plan_now, report);
  ApplyClockDecision(database, clock, host_now, report);
  if (!options.apply) co_return report;
  if (report.standby) {
    spdlog::info("database {}: server is a standby; observing only", database.name);
    co_return report;
  }
  report.applied = true;
  bool any_action = false;
  for (const auto& table : report.tables) any_action = any_action || !table.plan.actions.empty();
  // A pass with nothing to do is the catalog query alone: the state schema matters only to a pass
  // that acts. Such a pass checks the version first (one or two small queries): a schema it may
  // not upgrade, or a newer one, stops it before it acts; a missing one is created.
  if (!any_action) co_return report;
  const bool audit =
      co_await state::PrepareStateSchema(conn, database.name, maintenance.lock_timeout, true);
  executor::ArchiveSettings archive{.database = database.name,
                                    .conninfo = database.conninfo,
                                    .before_verify = options.before_archive_verify};
  executor::Executor executor(conn, maintenance, env, std::move(archive), options.stopping);
  std::vector<executor::AuditRecord> pending;
  try {
    for (auto& table : report.tables) {
      const bool go_on =
          co_await ApplyTable(conn, executor, database.name, audit, env, options, table, pending);
      if (!go_on) {
        report.cut_short = true;
        break;
      }
    }
  } catch (const pg::Error& e) {
    // Only a broken connection gets here: the rows cannot be written now, but each action's log
    // line says what they would have said.
    if (!pending.empty()) {
      spdlog::error("database {}: {} audit row(s) not written: {}", database.name, pending.size(),
                    e.what());
    }
    throw;
  }
  co_await FlushAudit(conn, database.name, pending);
  co_return report;
}

asio::awaitable<DatabaseReport> RunPass(const config::DatabaseConfig& database,
                                        const config::MaintenanceConfig& maintenance, Env& env,
                                        std::chrono::sys_seconds now, const PassOptions& options) {
  std::optional<std::string> failure;
  bool unreachable = false;
  try {
    const pg::SessionOptions session = SessionFor(maintenance);
    pg::Connection conn = co_await pg::Connection::AsyncOpen(database.conninfo, session);
    PassOptions effective = options;
    if (options.apply) {
      // A one-shot pass competes for the same lock as the daemons, so `once` from cron on every
      // host is as safe as `run` there: only the holder acts.
      const Role role = co_await ClaimLeadership(conn);
      if (!role.leader && !role.standby) {
        spdlog::warn("database {}: another partitiond holds leadership; observing only",
                     database.name);
        effective.apply = false;
      }
    }
    co_return co_await RunPassOn(conn, database, maintenance, env, now, effective);
  } catch (const pg::Error& e) {
    failure = e.what();
    unreachable = e.error_class() == pg::ErrorClass::kConnection;
  } catch (...) {
    // A bug or resource problem: this database's report fails (exit code 1), the others run.
    failure = "internal error: " + DescribeException(std::current_exception());
  }
  spdlog::error("database {}: {}", database.name, *failure);
  co_return DatabaseReport{.database = database.name, .error = failure, .unreachable = unreachable};
}

int ExitCode(const std::vector<DatabaseReport>& reports) {
  bool failed = false;
  for (const auto& r : reports) {
    if (r.unreachable) return 3;
    failed = failed || r.error.has_value();
    for (const auto& t : r.tables) failed = failed || t.Failed();
  }
  return failed ? 1 : 0;
}

}  // namespace partitiond::maintenance
