// The schedule of one database inside `partitiond run`: connect (reconnecting with capped
// exponential backoff), claim or re-check leadership, run a maintenance pass (acting only as the
// leader on a primary), then wait `interval` plus random `jitter`, until stopped.
//
// Runs as one coroutine on the daemon's io_context; all members are used from that thread only.
// The worker owns copies of its configuration, so a reload never changes a running pass.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "daemon/common/asio.h"
#include "daemon/common/env.h"
#include "daemon/config/config.h"
#include "daemon/maintenance/pass.h"
#include "daemon/metrics/metrics.h"
#include "daemon/pg/connection.h"
#include "daemon/runtime/table_backoff.h"

namespace partitiond::runtime {

struct WorkerStatus {
  bool connected = false;
  bool leader = false;
  bool standby = false;
  int passes = 0;            // passes completed since start
  int connect_failures = 0;  // consecutive
  std::optional<std::chrono::system_clock::time_point> last_success;  // a pass with no failure
  std::optional<maintenance::DatabaseReport> last_report;
};

class DatabaseWorker {
 public:
  // `fixed_now` replaces the clock for partition arithmetic (run --now, for tests); the schedule
  // still follows `env`'s timers.
  // `metrics` (may be null) must outlive the worker.
  DatabaseWorker(config::DatabaseConfig database, config::MaintenanceConfig maintenance, Env& env,
                 std::optional<std::chrono::sys_seconds> fixed_now,
                 metrics::Metrics* metrics = nullptr);

  // The loop; returns after Stop().
  asio::awaitable<void> Run();
  // Ends the loop at the next safe point: between two actions, or while waiting. An action in
  // flight is never interrupted by Stop().
  void Stop();
  // Asks the server to cancel the statement in flight; it fails and rolls back. For a shutdown
  // that cannot wait for it.
  void CancelInFlight();

  const std::string& name() const { return database_.name; }
  const WorkerStatus& status() const { return status_; }

 private:
  asio::awaitable<bool> Connect();
  asio::awaitable<void> Pass();
  asio::awaitable<bool> MayAct();
  asio::awaitable<void> Wait(std::chrono::milliseconds duration);
  std::chrono::milliseconds NextInterval();
  void PublishState();

  const config::DatabaseConfig database_;
  const config::MaintenanceConfig maintenance_;
  Env& env_;
  const std::optional<std::chrono::sys_seconds> fixed_now_;
  metrics::Metrics* const metrics_;
  std::optional<pg::Connection> conn_;
  std::unique_ptr<Timer> timer_;
  TableBackoff backoff_;
  WorkerStatus status_;
  bool stopping_ = false;
};

}  // namespace partitiond::runtime
