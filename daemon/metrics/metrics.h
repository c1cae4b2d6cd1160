// Partition-health metrics for Prometheus, served from memory: passes update them, and a change
// listener (MetricsServer, metrics_server.h) renders the exposition once per update, so a scrape
// only sends what was rendered (it never queries a database nor serializes). Families are created
// once; series are labelled only by database, table, action and result (never one per partition).
//
// clang-format off
// The exported names (all gauges unless noted; timestamps are Unix seconds):
//   per database and table {database, table}:
//     partitiond_partitions                      range partitions present (default excluded)
//     partitiond_coverage_end_timestamp_seconds  upper bound of the newest partition
//     partitiond_oldest_partition_start_timestamp_seconds
//                                                lower bound of the oldest partition
//     partitiond_interval_seconds                nominal length of one partition interval
//                                                (month = 30.436875 days, year = 365.2425 days)
//     partitiond_premake                         partitions to keep ahead of now
//     partitiond_retention_seconds               now - retention cutoff at the last pass
//                                                (0: keep forever)
//     partitiond_retention_overdue_seconds       how far past the cutoff the oldest expired
//                                                partition still present ends (0: compliant)
//     partitiond_default_partition_present       1 if the table has a default partition
//     partitiond_default_partition_rows          rows in it (pg_class.reltuples estimate)
//     partitiond_table_bytes                     all partitions, from pg_class statistics
//     partitiond_partitions_without_rls          partitions without RLS when the parent has it
//     partitiond_partitions_drifted              partitions whose RLS flags, grants or policies
//                                                differ from the parent's (fidelity: report)
//     partitiond_table_error                     1 if the table could not be read or planned
//     partitiond_last_success_timestamp_seconds  last pass that acted (leader) with no failure
//                                                for this table, and was not cut short
//     partitiond_retention_held                  retention removals held by the removal guard
//                                                (too many for one pass) until confirmed
//     partitiond_lock_timeouts_total (counter)   attempts lost to lock_timeout or deadlock
//   per action {database, table, action, result}:
//     partitiond_actions_total (counter)         action: create|finalize_detach|drop|detach|archive|
//                                                        repair_fidelity
//                                                result: ok|failed|skipped
//   {database, action}:
//     partitiond_action_duration_seconds (histogram)
//   per database {database}:
//     partitiond_database_up                     1 if connected
//     partitiond_database_leader                 1 if this daemon holds leadership
//     partitiond_database_standby                1 if the server is in recovery
//     partitiond_last_pass_timestamp_seconds     end of the last completed pass
//     partitiond_clock_skew_seconds              host clock minus the server's now(), at the
//                                                last pass (beyond 300 s the pass plans from the
//                                                server's clock)
//   {database, result}:
//     partitiond_leader_takeovers_total (counter)
//                                                sessions of a silent (frozen) leader this daemon
//                                                ended to take over; result: ok|failed
//   {database}:
//     partitiond_worker_restarts_total (counter) the database's worker restarted (after a
//                                                backoff) because an internal error ended it
//   process:
//     partitiond_maintenance_interval_seconds    maintenance.interval
//     partitiond_config_last_reload_successful   1 unless the last SIGHUP reload was refused
//     partitiond_config_last_reload_success_timestamp_seconds
//     partitiond_config_reload_failures_total (counter)
//     partitiond_build_info{version}             always 1
// clang-format on
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "daemon/maintenance/pass.h"

namespace partitiond::metrics {

// Thread-safe: passes update it on the loop, the exposition is rendered on another thread.
class Metrics {
 public:
  explicit Metrics(const std::string& version);

  // Called after each update below, on the updating thread; it must be quick (it only schedules
  // a render). An empty function removes it.
  void SetChangeListener(std::function<void()> listener);

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  void SetMaintenanceInterval(std::chrono::milliseconds interval);
  void SetDatabaseState(const std::string& database, bool up, bool leader, bool standby);
  // Everything a completed pass tells: table health, actions, durations, lock timeouts.
  void RecordPass(const maintenance::DatabaseReport& report, std::chrono::sys_seconds now,
                  std::chrono::system_clock::time_point finished);
  void RecordReload(bool ok, std::chrono::system_clock::time_point at);
  // This daemon ended (ok) or failed to end (failed) a silent leader's session.
  void RecordTakeover(const std::string& database, bool ok);
  // An internal error ended the database's worker; it restarts after a backoff.
  void RecordWorkerRestart(const std::string& database);

 private:
  using Labels = prometheus::Labels;
  prometheus::Gauge& TableGauge(prometheus::Family<prometheus::Gauge>& family,
                                const std::string& database, const std::string& table);
  void Changed();

  std::mutex listener_mutex_;
  std::function<void()> listener_;

  std::shared_ptr<prometheus::Registry> registry_;
  // Per database and table.
  prometheus::Family<prometheus::Gauge>& partitions_;
  prometheus::Family<prometheus::Gauge>& coverage_end_;
  prometheus::Family<prometheus::Gauge>& oldest_start_;
  prometheus::Family<prometheus::Gauge>& interval_;
  prometheus::Family<prometheus::Gauge>& premake_;
  prometheus::Family<prometheus::Gauge>& retention_;
  prometheus::Family<prometheus::Gauge>& overdue_;
  prometheus::Family<prometheus::Gauge>& default_present_;
  prometheus::Family<prometheus::Gauge>& default_rows_;
  prometheus::Family<prometheus::Gauge>& bytes_;
  prometheus::Family<prometheus::Gauge>& without_rls_;
  prometheus::Family<prometheus::Gauge>& drifted_;
  prometheus::Family<prometheus::Gauge>& table_error_;
  prometheus::Family<prometheus::Gauge>& last_success_;
  prometheus::Family<prometheus::Counter>& lock_timeouts_;
  prometheus::Family<prometheus::Counter>& actions_;
  prometheus::Family<prometheus::Histogram>& action_duration_;
  // Per database.
  prometheus::Family<prometheus::Gauge>& up_;
  prometheus::Family<prometheus::Gauge>& leader_;
  prometheus::Family<prometheus::Gauge>& standby_;
  prometheus::Family<prometheus::Gauge>& last_pass_;
  prometheus::Family<prometheus::Gauge>& clock_skew_;
  prometheus::Family<prometheus::Gauge>& retention_held_;  // per database and table
  prometheus::Family<prometheus::Counter>& takeovers_;
  prometheus::Family<prometheus::Counter>& worker_restarts_;
  // Process.
  prometheus::Gauge& maintenance_interval_;
  prometheus::Gauge& reload_successful_;
  prometheus::Gauge& reload_success_time_;
  prometheus::Counter& reload_failures_;
};

}  // namespace partitiond::metrics
