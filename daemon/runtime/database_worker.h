// The schedule of one database inside `partitiond run`: connect (reconnecting with capped
// exponential backoff), claim or re-check leadership, run a maintenance pass (acting only as the
// leader on a primary), then wait `interval` plus random `jitter`, until stopped.
//
// The leadership lease (maintenance/lease.h): as leader, the worker writes its heartbeat when it
// takes the lock, before an action when the last beat is LeaseHeartbeatPeriod old, and every
// LeaseHeartbeatPeriod while it waits for the next pass. As a follower, each pass first reads the
// lease; when the holder is stale it ends the holder's session, logs and counts the takeover, and
// claims the lock.
//
// An internal error (an exception that is not a handled database error) ends the current cycle:
// the worker logs it, drops its connection (releasing leadership at once), counts the restart
// and starts over after the backoff of worker_restart.h. Run() itself returns only after Stop().
//
// Runs as one coroutine on the daemon's io_context; all members are used from that thread only.
// The worker owns copies of its configuration, so a reload never changes a running pass.
#pragma once

#include <chrono>
#include <exception>
#include <functional>
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
  int restarts = 0;          // restarts after an internal error, since start
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
  // Fault injection for tests: called at the start of every cycle (connect, pass, wait); what it
  // throws is handled as an internal error of the worker. Empty in production.
  void set_before_cycle(std::function<void()> hook) { before_cycle_ = std::move(hook); }
  const WorkerStatus& status() const { return status_; }

 private:
  // One round of the schedule: connect (or wait to reconnect), pass, wait for the next pass.
  asio::awaitable<void> Cycle();
  // Logs `failure`, drops the connection and waits the restart backoff.
  asio::awaitable<void> RestartAfter(std::exception_ptr failure);
  asio::awaitable<bool> Connect();
  asio::awaitable<void> Pass();
  asio::awaitable<bool> MayAct();
  // Writes the heartbeat when `force` or due, else only checks the lock; returns whether this
  // session holds it. Without a usable lease table it warns once and only checks.
  asio::awaitable<bool> Beat(bool force);
  // As a follower: ends a stale leader's session; true when it did (the lock is then free).
  asio::awaitable<bool> TakeOverIfStale();
  // Waits `duration` for the next pass, beating every LeaseHeartbeatPeriod while leader.
  asio::awaitable<void> WaitForNextPass(std::chrono::milliseconds duration);
  void LeadershipLost();
  // Logs a failure; a broken connection is dropped (the loop reconnects). `what` names the step.
  void Failed(const pg::Error& failure, const char* what);
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
  const std::string host_;  // written into the lease with the process id
  std::optional<std::chrono::steady_clock::time_point> last_beat_;
  bool lease_unusable_logged_ = false;
  std::function<void()> before_cycle_;
  std::chrono::steady_clock::time_point started_{};  // the last (re)start
  int restart_failures_ = 0;                         // consecutive, for the backoff
};

}  // namespace partitiond::runtime
