#include "daemon/metrics/metrics.h"

#include "build_info.h"
#include "daemon/common/json_text.h"
#include "daemon/health/table_health.h"

namespace partitiond::metrics {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

prometheus::Family<prometheus::Gauge>& Gauge(prometheus::Registry& registry, const char* name,
                                             const char* help) {
  return BuildGauge().Name(name).Help(help).Register(registry);
}

double Seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace

Metrics::Metrics(const std::string& version)
    : registry_(std::make_shared<prometheus::Registry>()),
      partitions_(Gauge(*registry_, "partitiond_partitions", "Range partitions present.")),
      coverage_end_(Gauge(*registry_, "partitiond_coverage_end_timestamp_seconds",
                          "Upper bound of the newest partition.")),
      oldest_start_(Gauge(*registry_, "partitiond_oldest_partition_start_timestamp_seconds",
                          "Lower bound of the oldest partition.")),
      interval_(Gauge(*registry_, "partitiond_interval_seconds",
                      "Nominal length of one partition interval.")),
      premake_(Gauge(*registry_, "partitiond_premake", "Partitions kept ahead of now.")),
      retention_(Gauge(*registry_, "partitiond_retention_seconds",
                       "Retention configured, as now minus the cutoff at the last pass; 0 keeps "
                       "forever.")),
      overdue_(Gauge(*registry_, "partitiond_retention_overdue_seconds",
                     "How far past the retention cutoff the oldest expired partition still "
                     "present ends; 0 when compliant.")),
      default_present_(Gauge(*registry_, "partitiond_default_partition_present",
                             "1 if the table has a default partition.")),
      default_rows_(Gauge(*registry_, "partitiond_default_partition_rows",
                          "Rows in the default partition (estimate).")),
      bytes_(Gauge(*registry_, "partitiond_table_bytes",
                   "Size of all partitions, from pg_class statistics.")),
      without_rls_(Gauge(*registry_, "partitiond_partitions_without_rls",
                         "Partitions without row level security when the parent has it.")),
      drifted_(Gauge(*registry_, "partitiond_partitions_drifted",
                     "Partitions whose RLS flags, grants or policies differ from the parent's.")),
      table_error_(Gauge(*registry_, "partitiond_table_error",
                         "1 if the table could not be read or planned in the last pass.")),
      last_success_(Gauge(*registry_, "partitiond_last_success_timestamp_seconds",
                          "End of the last pass in which the table had no failure.")),
      lock_timeouts_(BuildCounter()
                         .Name("partitiond_lock_timeouts_total")
                         .Help("Attempts lost to lock_timeout or deadlock.")
                         .Register(*registry_)),
      actions_(BuildCounter()
                   .Name("partitiond_actions_total")
                   .Help("Actions attempted, by action and result.")
                   .Register(*registry_)),
      action_duration_(BuildHistogram()
                           .Name("partitiond_action_duration_seconds")
                           .Help("Duration of actions, retries included.")
                           .Register(*registry_)),
      up_(Gauge(*registry_, "partitiond_database_up", "1 if connected to the database.")),
      leader_(Gauge(*registry_, "partitiond_database_leader",
                    "1 if this daemon holds leadership for the database.")),
      standby_(Gauge(*registry_, "partitiond_database_standby",
                     "1 if the database server is in recovery.")),
      last_pass_(Gauge(*registry_, "partitiond_last_pass_timestamp_seconds",
                       "End of the last completed pass.")),
      clock_skew_(Gauge(*registry_, "partitiond_clock_skew_seconds",
                        "Host clock minus the database server's clock, at the last pass.")),
      retention_held_(Gauge(*registry_, "partitiond_retention_held",
                            "Retention removals held by the removal guard until confirmed.")),
      takeovers_(BuildCounter()
                     .Name("partitiond_leader_takeovers_total")
                     .Help("Sessions of a silent leader this daemon ended to take over.")
                     .Register(*registry_)),
      worker_restarts_(BuildCounter()
                           .Name("partitiond_worker_restarts_total")
                           .Help("Database workers restarted after an unexpected internal error.")
                           .Register(*registry_)),
      maintenance_interval_(
          Gauge(*registry_, "partitiond_maintenance_interval_seconds", "maintenance.interval.")
              .Add({})),
      reload_successful_(Gauge(*registry_, "partitiond_config_last_reload_successful",
                               "1 unless the last configuration reload was refused.")
                             .Add({})),
      reload_success_time_(Gauge(*registry_,
                                 "partitiond_config_last_reload_success_timestamp_seconds",
                                 "Last successful configuration load.")
                               .Add({})),
      reload_failures_(BuildCounter()
                           .Name("partitiond_config_reload_failures_total")
                           .Help("Configuration reloads refused.")
                           .Register(*registry_)
                           .Add({})) {
  Gauge(*registry_, "partitiond_build_info", "Always 1; the version is a label.")
      .Add({{"version", version}})
      .Set(1);
  reload_successful_.Set(1);
}

void Metrics::SetChangeListener(std::function<void()> listener) {
  std::lock_guard lock(listener_mutex_);
  listener_ = std::move(listener);
}

void Metrics::Changed() {
  std::lock_guard lock(listener_mutex_);
  if (listener_) listener_();
}

prometheus::Gauge& Metrics::TableGauge(prometheus::Family<prometheus::Gauge>& family,
                                       const std::string& database, const std::string& table) {
  return family.Add({{"database", database}, {"table", table}});
}

void Metrics::SetMaintenanceInterval(std::chrono::milliseconds interval) {
  maintenance_interval_.Set(std::chrono::duration<double>(interval).count());
  Changed();
}

void Metrics::SetDatabaseState(const std::string& label, bool up, bool leader, bool standby) {
  const std::string database = ValidUtf8(label);
  up_.Add({{"database", database}}).Set(up ? 1 : 0);
  leader_.Add({{"database", database}}).Set(leader ? 1 : 0);
  standby_.Add({{"database", database}}).Set(standby ? 1 : 0);
  // Exported from 0, so that the first takeover is an increase to alert on.
  takeovers_.Add({{"database", database}, {"result", "ok"}});
  takeovers_.Add({{"database", database}, {"result", "failed"}});
  worker_restarts_.Add({{"database", database}});
  Changed();
}

void Metrics::RecordTakeover(const std::string& database, bool ok) {
  takeovers_.Add({{"database", ValidUtf8(database)}, {"result", ok ? "ok" : "failed"}}).Increment();
  Changed();
}

void Metrics::RecordWorkerRestart(const std::string& database) {
  worker_restarts_.Add({{"database", ValidUtf8(database)}}).Increment();
  Changed();
}

void Metrics::RecordPass(const maintenance::DatabaseReport& report, std::chrono::sys_seconds now,
                         std::chrono::system_clock::time_point finished) {
  // A config label is any YAML string; the exposition must be UTF-8 or Prometheus drops it all.
  const std::string db = ValidUtf8(report.database);
  for (const auto& table : report.tables) {
    const health::TableHealth h = health::AssessTable(table, now);
    TableGauge(table_error_, db, h.table).Set(h.error ? 1 : 0);
    TableGauge(interval_, db, h.table).Set(h.interval_seconds);
    TableGauge(premake_, db, h.table).Set(h.premake);
    if (!h.error) {
      TableGauge(partitions_, db, h.table).Set(h.partitions);
      if (h.coverage_end) {
        TableGauge(coverage_end_, db, h.table).Set(h.coverage_end->time_since_epoch().count());
      }
      if (h.oldest_start) {
        TableGauge(oldest_start_, db, h.table).Set(h.oldest_start->time_since_epoch().count());
      }
      TableGauge(retention_, db, h.table).Set(h.retention_seconds);
      TableGauge(overdue_, db, h.table).Set(h.retention_overdue_seconds);
      TableGauge(default_present_, db, h.table).Set(h.default_present ? 1 : 0);
      TableGauge(default_rows_, db, h.table).Set(h.default_rows);
      TableGauge(bytes_, db, h.table).Set(static_cast<double>(h.bytes));
      TableGauge(without_rls_, db, h.table).Set(h.partitions_without_rls);
      TableGauge(drifted_, db, h.table).Set(h.partitions_drifted);
      TableGauge(retention_held_, db, h.table).Set(static_cast<double>(table.plan.held_removals));
      // Only a pass that could act, and did not stop early, counts: observers would otherwise
      // report success forever, and a pass cut short left work untried.
      if (report.applied && !report.cut_short && h.failed_actions == 0) {
        TableGauge(last_success_, db, h.table).Set(Seconds(finished));
      }
    }
    auto& lock_timeouts = lock_timeouts_.Add({{"database", db}, {"table", h.table}});
    for (size_t i = 0; i < table.results.size(); ++i) {
      const auto& result = table.results[i];
      const std::string action(planner::ToString(table.plan.actions[i].kind));
      actions_
          .Add({{"database", db},
                {"table", h.table},
                {"action", action},
                {"result", std::string(executor::ToString(result.outcome))}})
          .Increment();
      action_duration_
          .Add({{"database", db}, {"action", action}},
               prometheus::Histogram::BucketBoundaries{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
                                                       30, 60})
          .Observe(std::chrono::duration<double>(result.duration).count());
      lock_timeouts.Increment(result.lock_timeouts);
    }
  }
  last_pass_.Add({{"database", db}}).Set(Seconds(finished));
  if (report.clock_skew) {
    clock_skew_.Add({{"database", db}}).Set(static_cast<double>(report.clock_skew->count()));
  }
  Changed();
}

void Metrics::RecordReload(bool ok, std::chrono::system_clock::time_point at) {
  reload_successful_.Set(ok ? 1 : 0);
  if (ok) {
    reload_success_time_.Set(Seconds(at));
  } else {
    reload_failures_.Increment();
  }
  Changed();
}

}  // namespace partitiond::metrics
