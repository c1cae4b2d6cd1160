// The daemon's controller (`partitiond run`), kept apart from the work it schedules: the event
// loop, one DatabaseWorker per configured database, signals, configuration reload, the systemd
// watchdog and status line.
//
//  * SIGHUP re-reads the config file and validates all of it, on a thread of its own (a slow or
//    special file never stalls the loop; one that is not a regular file is refused), and the
//    loop takes the outcome; only a valid config replaces the
//    running one: the workers stop at their next safe point (an action's lock retries are
//    abandoned, to resume next pass) and new ones start with the new config once the old ones
//    have returned, so leadership passes straight on. Log settings and the metrics basic-auth
//    credentials (the password file is read again) apply at once, metrics.listen at the next
//    restart. An invalid config is logged, counted and ignored.
//  * Internal errors: a worker restarts itself after one (database_worker.h). Should the signal
//    handler, the watchdog, a worker's coroutine or a handler on the loop still end with an
//    exception, the controller logs it and stops as on SIGTERM, and Run() returns 1 so that
//    systemd restarts the daemon: never a loop that pings the watchdog while nothing works.
//  * SIGTERM / SIGINT stop the workers at their next safe point (between actions). An action still
//    running after kStopGrace is cancelled on the server (it rolls back); the loop then ends and
//    Run() returns 0 well within systemd's TimeoutStopSec.
//
// Single-threaded but for the config read: everything else runs on the io_context that Run()
// drives, and the reading thread hands its outcome back to it.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/common/asio.h"
#include "daemon/common/env.h"
#include "daemon/config/config.h"
#include "daemon/metrics/metrics_server.h"
#include "daemon/runtime/database_worker.h"

namespace partitiond::runtime {

struct ControllerCounters {
  int reloads_ok = 0;
  int reloads_failed = 0;
  std::optional<std::chrono::system_clock::time_point> last_reload_success;
};

class Controller {
 public:
  static constexpr std::chrono::seconds kStopGrace{5};

  Controller(config::Config config, std::unique_ptr<Env> env,
             std::optional<std::chrono::sys_seconds> fixed_now);

  // Runs until SIGTERM/SIGINT; returns the process exit code (1 if the metrics endpoint cannot
  // listen, or an internal error stopped the daemon).
  int Run();

  const ControllerCounters& counters() const { return counters_; }

 private:
  void StartWorkers();
  void StopWorkers();
  // Starts reading the config off the loop; ApplyReload takes the outcome on the loop. A SIGHUP
  // while a read is under way asks for one more read after it.
  void Reload();
  struct ReloadOutcome {
    std::optional<config::Config> config;
    std::string error;  // when config is empty
  };
  void ApplyReload(ReloadOutcome outcome);
  asio::awaitable<void> HandleSignals();
  // Stops the workers at their next safe point, cancels what still runs after kStopGrace, and
  // ends the loop.
  asio::awaitable<void> Shutdown();
  // Runs `task` on the loop; an exception ending it is an internal error (Fail).
  void Spawn(asio::awaitable<void> task, const char* what);
  // Logs `failure` in `what` and stops the daemon with exit code 1.
  void Fail(const std::string& what, std::exception_ptr failure);
  asio::awaitable<void> Watchdog(std::chrono::milliseconds period);
  std::string StatusLine() const;

  asio::io_context io_;
  config::Config config_;
  std::unique_ptr<Env> env_;
  const std::optional<std::chrono::sys_seconds> fixed_now_;
  metrics::Metrics metrics_;
  std::unique_ptr<metrics::MetricsServer> server_;
  std::vector<std::shared_ptr<DatabaseWorker>> workers_;
  ControllerCounters counters_;
  int running_ = 0;               // worker coroutines not yet returned
  bool restart_pending_ = false;  // a reload waits for the old workers to return
  bool stopping_ = false;
  int exit_code_ = 0;
  bool reload_reading_ = false;  // a config read is under way on files_
  bool reload_again_ = false;    // a SIGHUP came meanwhile
  // Last: destroyed (its thread joined) first, while io_ that it posts to still exists.
  asio::thread_pool files_{1};
};

}  // namespace partitiond::runtime
