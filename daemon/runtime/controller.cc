#include "daemon/runtime/controller.h"

#include <csignal>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "build_info.h"
#include "daemon/common/logging.h"
#include "daemon/runtime/notify.h"

namespace partitiond::runtime {

Controller::Controller(config::Config config, std::unique_ptr<Env> env,
                       std::optional<std::chrono::sys_seconds> fixed_now)
    : config_(std::move(config)), env_(std::move(env)), fixed_now_(fixed_now), metrics_(kVersion) {}

int Controller::Run() {
  try {
    server_ = std::make_unique<metrics::MetricsServer>(config_.metrics, metrics_);
  } catch (const std::exception& e) {
    spdlog::critical("metrics: cannot listen on {}:{}: {}", config_.metrics.host,
                     config_.metrics.port, e.what());
    return 1;
  }
  spdlog::info("metrics listening on {}:{}", config_.metrics.host, server_->port());
  metrics_.SetMaintenanceInterval(config_.maintenance.interval);
  metrics_.RecordReload(true, env_->Now());
  Spawn(HandleSignals(), "signal handling");
  StartWorkers();
  if (const auto period = WatchdogPeriod()) Spawn(Watchdog(*period), "the systemd watchdog");
  spdlog::info("partitiond running: {} database(s) from {}", config_.databases.size(),
               config_.source);
  NotifyReady(StatusLine());
  try {
    io_.run();
  } catch (...) {
    // A handler on the loop threw: the state it was changing cannot be trusted to go on with.
    // Returning lets every connection close (releasing leadership) before the process exits.
    spdlog::critical("internal error on the event loop: {}; exiting with status 1",
                     DescribeException(std::current_exception()));
    exit_code_ = 1;
  }
  // The endpoint's render thread logs too; it ends first so that this is the last line.
  server_.reset();
  spdlog::info("partitiond stopped{}", exit_code_ == 0 ? "" : " after an internal error");
  return exit_code_;
}

void Controller::Spawn(asio::awaitable<void> task, const char* what) {
  asio::co_spawn(io_, std::move(task), [this, what](std::exception_ptr failure) {
    if (failure) Fail(what, failure);
  });
}

void Controller::Fail(const std::string& what, std::exception_ptr failure) {
  spdlog::critical(
      "{} ended with an internal error: {}; stopping with exit status 1 so that the service "
      "manager restarts partitiond",
      what, DescribeException(failure));
  exit_code_ = 1;
  if (stopping_) {
    // Already stopping: what failed may be the shutdown itself, so do not wait for it.
    io_.stop();
    return;
  }
  stopping_ = true;  // at once: no reload may start workers again meanwhile
  Spawn(Shutdown(), "shutdown");
}

void Controller::StartWorkers() {
  for (const auto& database : config_.databases) {
    auto worker = std::make_shared<DatabaseWorker>(database, config_.maintenance, *env_, fixed_now_,
                                                   &metrics_);
    workers_.push_back(worker);
    // The coroutine keeps its worker alive until it returns, even after a reload replaced it.
    ++running_;
    asio::co_spawn(
        io_, [worker]() -> asio::awaitable<void> { co_await worker->Run(); },
        [this, name = database.name](std::exception_ptr failure) {
          --running_;
          // A worker restarts itself after an internal error; one that still ends with an
          // exception leaves its database unmaintained, which only a restart can mend.
          if (failure) Fail("database " + name + ": worker", failure);
          if (running_ > 0) return;
          if (stopping_) {
            io_.stop();
          } else if (restart_pending_) {
            // A reload waits for the old workers to finish their action and release
            // leadership, so the new ones can take it at once.
            restart_pending_ = false;
            StartWorkers();
          }
        });
  }
}

void Controller::StopWorkers() {
  for (const auto& worker : workers_) worker->Stop();
  workers_.clear();
}

void Controller::Reload() {
  if (reload_reading_) {
    reload_again_ = true;
    return;
  }
  reload_reading_ = true;
  asio::post(files_, [this, path = config_.source] {
    ReloadOutcome outcome;
    try {
      outcome.config = config::LoadConfigFile(path);
    } catch (const std::exception& e) {
      outcome.error = e.what();
    }
    asio::post(io_,
               [this, outcome = std::move(outcome)]() mutable { ApplyReload(std::move(outcome)); });
  });
}

void Controller::ApplyReload(ReloadOutcome outcome) {
  reload_reading_ = false;
  if (stopping_) return;
  if (std::exchange(reload_again_, false)) {
    // A newer SIGHUP asked for the file as it is now, not as it was read.
    Reload();
    return;
  }
  if (!outcome.config) {
    ++counters_.reloads_failed;
    metrics_.RecordReload(false, env_->Now());
    spdlog::error("reload refused, keeping the running configuration: {}", outcome.error);
    NotifyStatus("reload failed; " + StatusLine());
    return;
  }
  config::Config& fresh = *outcome.config;
  if (fresh.metrics.host != config_.metrics.host || fresh.metrics.port != config_.metrics.port) {
    spdlog::warn("reload: metrics.listen changed; it takes effect at the next restart");
  }
  // Credentials apply at once (the password file is read again with the config), so a rotated
  // password is what the next scrape needs and the old one stops working.
  if (fresh.metrics.basic_auth_username != config_.metrics.basic_auth_username ||
      fresh.metrics.basic_auth_password != config_.metrics.basic_auth_password) {
    server_->SetBasicAuth(fresh.metrics.basic_auth_username, fresh.metrics.basic_auth_password);
    spdlog::info("reload: metrics basic auth credentials replaced");
  }
  config_ = std::move(fresh);
  ++counters_.reloads_ok;
  counters_.last_reload_success = env_->Now();
  metrics_.RecordReload(true, env_->Now());
  metrics_.SetMaintenanceInterval(config_.maintenance.interval);
  spdlog::info("reloaded {}: {} database(s)", config_.source, config_.databases.size());
  ConfigureLogging(config_.log.level, config_.log.format == config::LogFormat::kJson);
  StopWorkers();
  if (running_ == 0) {
    StartWorkers();
  } else {
    restart_pending_ = true;
  }
  NotifyStatus(StatusLine());
}

asio::awaitable<void> Controller::HandleSignals() {
  asio::signal_set signals(io_, SIGHUP, SIGTERM, SIGINT);
  while (!stopping_) {
    const int signal = co_await signals.async_wait(asio::use_awaitable);
    if (signal == SIGHUP) {
      spdlog::info("SIGHUP: reloading {}", config_.source);
      try {
        Reload();
      } catch (...) {
        // The reload could not even start (no memory for the reading task): the running
        // configuration stays, and the next SIGHUP tries again.
        reload_reading_ = false;
        spdlog::error("SIGHUP: reload not started: {}; keeping the running configuration",
                      DescribeException(std::current_exception()));
      }
      continue;
    }
    spdlog::info("{}: stopping after the current action", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    co_await Shutdown();
  }
}

asio::awaitable<void> Controller::Shutdown() {
  stopping_ = true;
  NotifyStopping();
  const auto stopping = workers_;
  StopWorkers();
  if (running_ == 0) io_.stop();
  // Whatever still runs after the grace period is cancelled on the server and rolls back;
  // every action is atomic or resumable, so the next start picks up from there.
  auto grace = env_->MakeTimer(io_.get_executor());
  co_await grace->Wait(kStopGrace);
  for (const auto& worker : stopping) worker->CancelInFlight();
  co_await grace->Wait(std::chrono::seconds(1));
  io_.stop();
}

asio::awaitable<void> Controller::Watchdog(std::chrono::milliseconds period) {
  auto timer = env_->MakeTimer(io_.get_executor());
  while (!stopping_) {
    NotifyWatchdog();
    NotifyStatus(StatusLine());
    co_await timer->Wait(period);
  }
}

std::string Controller::StatusLine() const {
  int leaders = 0, standbys = 0, unreachable = 0;
  for (const auto& worker : workers_) {
    const WorkerStatus& s = worker->status();
    leaders += s.leader ? 1 : 0;
    standbys += s.standby ? 1 : 0;
    unreachable += s.connect_failures > 0 ? 1 : 0;
  }
  return fmt::format("{} database(s): {} leading, {} standby, {} unreachable; {} reload(s) failed",
                     workers_.size(), leaders, standbys, unreachable, counters_.reloads_failed);
}

}  // namespace partitiond::runtime
