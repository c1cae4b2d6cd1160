#include "daemon/runtime/database_worker.h"

#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/common/logging.h"
#include "daemon/executor/audit.h"
#include "daemon/maintenance/leadership.h"
#include "daemon/runtime/worker_restart.h"

namespace partitiond::runtime {
namespace {

constexpr std::chrono::milliseconds kReconnectBase{1'000};
constexpr std::chrono::milliseconds kReconnectCap{60'000};
// How long a takeover waits for the stale leader's backend to exit (and free the lock).
constexpr std::chrono::milliseconds kEndSessionWait{5'000};

const char* RoleName(const WorkerStatus& status) {
  if (status.standby) return "standby, observing";
  return status.leader ? "leader" : "not leader, observing";
}

}  // namespace

DatabaseWorker::DatabaseWorker(config::DatabaseConfig database,
                               config::MaintenanceConfig maintenance, Env& env,
                               std::optional<std::chrono::sys_seconds> fixed_now,
                               metrics::Metrics* metrics)
    : database_(std::move(database)),
      maintenance_(maintenance),
      env_(env),
      fixed_now_(fixed_now),
      metrics_(metrics),
      host_(executor::HostName()) {}

void DatabaseWorker::PublishState() {
  if (metrics_) {
    metrics_->SetDatabaseState(database_.name, status_.connected, status_.leader, status_.standby);
  }
}

asio::awaitable<void> DatabaseWorker::Run() {
  timer_ = env_.MakeTimer(co_await asio::this_coro::executor);
  started_ = env_.SteadyNow();
  while (!stopping_) {
    std::exception_ptr failure;
    try {
      co_await Cycle();
    } catch (...) {
      // Whatever it is: a worker that ended here would leave its database unmaintained while
      // the daemon looked healthy to systemd.
      failure = std::current_exception();
    }
    if (failure) co_await RestartAfter(failure);
  }
  if (conn_ && status_.leader) {
    try {
      co_await maintenance::ReleaseLeadership(*conn_);
    } catch (const pg::Error& e) {
      spdlog::debug("database {}: releasing leadership: {}", database_.name, e.what());
    }
  }
  conn_.reset();
  // A stopped worker (shutdown, or replaced by a reload) no longer holds anything.
  status_.connected = status_.leader = false;
  PublishState();
  LogEvent(spdlog::level::info, fmt::format("database {}: stopped", database_.name),
           {.database = database_.name});
}

asio::awaitable<void> DatabaseWorker::Cycle() {
  if (before_cycle_) before_cycle_();
  const bool connected = co_await Connect();
  if (!connected) {
    co_await Wait(JitteredBackoff(env_, status_.connect_failures, kReconnectBase, kReconnectCap));
    co_return;
  }
  co_await Pass();
  if (!stopping_) co_await WaitForNextPass(NextInterval());
}

asio::awaitable<void> DatabaseWorker::RestartAfter(std::exception_ptr failure) {
  const std::string why = DescribeException(failure);
  const auto ran_for =
      std::chrono::duration_cast<std::chrono::milliseconds>(env_.SteadyNow() - started_);
  const WorkerRestart restart = DecideWorkerRestart(restart_failures_, ran_for);
  restart_failures_ = restart.failures;
  // The failure may have left the session mid-transaction or mid-pass: start from nothing, and
  // let another daemon lead meanwhile.
  conn_.reset();
  status_.connected = status_.leader = status_.standby = false;
  last_beat_.reset();
  ++status_.restarts;
  PublishState();
  if (metrics_) metrics_->RecordWorkerRestart(database_.name);
  LogEvent(spdlog::level::err,
           fmt::format("database {}: worker failed with an internal error: {}; connection "
                       "dropped, restarting in {} ms ({} failure(s) in a row)",
                       database_.name, why, restart.delay.count(), restart.failures),
           {.database = database_.name, .error = why});
  co_await Wait(restart.delay);
  started_ = env_.SteadyNow();
  if (!stopping_) {
    LogEvent(spdlog::level::info, fmt::format("database {}: worker restarted", database_.name),
             {.database = database_.name});
  }
}

void DatabaseWorker::Stop() {
  stopping_ = true;
  if (timer_) timer_->Cancel();
}

void DatabaseWorker::CancelInFlight() {
  if (conn_) conn_->Cancel();
}

asio::awaitable<bool> DatabaseWorker::Connect() {
  if (conn_ && conn_->IsOk()) co_return true;
  conn_.reset();
  status_.connected = status_.leader = false;
  std::optional<std::string> failure;
  try {
    const pg::SessionOptions session = maintenance::SessionFor(maintenance_);
    conn_.emplace(co_await pg::Connection::AsyncOpen(database_.conninfo, session));
  } catch (const pg::Error& e) {
    failure = e.what();
  }
  if (failure) {
    ++status_.connect_failures;
    PublishState();
    LogEvent(spdlog::level::err,
             fmt::format("database {}: cannot connect (attempt {}): {}", database_.name,
                         status_.connect_failures, *failure),
             {.database = database_.name, .error = *failure});
    co_return false;
  }
  if (status_.connect_failures > 0) {
    LogEvent(spdlog::level::info,
             fmt::format("database {}: connected after {} failed attempt(s)", database_.name,
                         status_.connect_failures),
             {.database = database_.name});
  }
  status_.connect_failures = 0;
  status_.connected = true;
  PublishState();
  co_return true;
}

asio::awaitable<void> DatabaseWorker::Pass() {
  std::optional<pg::Error> failure;
  try {
    maintenance::Role role = co_await maintenance::ClaimLeadership(*conn_);
    if (!role.leader && !role.standby && co_await TakeOverIfStale()) {
      role = co_await maintenance::ClaimLeadership(*conn_);
    }
    // The heartbeat right away, so that nobody judges a new leader by the previous one's.
    if (role.leader) role.leader = co_await Beat(/*force=*/true);
    if (role.leader && !status_.leader)
      LogEvent(spdlog::level::info, fmt::format("database {}: became leader", database_.name),
               {.database = database_.name});
    status_.standby = role.standby;
    status_.leader = role.leader;
    PublishState();
    maintenance::PassOptions options{
        .apply = role.leader,
        .now_is_explicit = fixed_now_.has_value(),
        .skip_table =
            [this](const config::QualifiedName& t) { return backoff_.SkipThisPass(t.ToString()); },
        .may_act = [this]() { return MayAct(); },
        .stopping = [this]() { return stopping_; }};
    const auto now = fixed_now_.value_or(std::chrono::floor<std::chrono::seconds>(env_.Now()));
    maintenance::DatabaseReport report =
        co_await maintenance::RunPassOn(*conn_, database_, maintenance_, env_, now, options);
    size_t actions = 0, failed = 0;
    for (const auto& table : report.tables) {
      // Only a table that cannot be read backs off: a failed action has its own bounded
      // retries, and backing off would also hold back the creates that keep inserts working.
      backoff_.Record(table.snapshot.configured.ToString(), table.snapshot.error.has_value());
      actions += table.results.size();
      failed += table.Failed() ? 1 : 0;
    }
    ++status_.passes;
    // A pass cut short left planned actions untried: no success, whatever the tried ones did.
    if (failed == 0 && !report.cut_short) status_.last_success = env_.Now();
    if (metrics_) metrics_->RecordPass(report, report.planned_now, env_.Now());
    const bool cut_short = report.cut_short;
    status_.last_report = std::move(report);
    if (cut_short) {
      LogEvent(spdlog::level::warn,
               fmt::format("database {}: pass cut short ({}): {} action(s) done, {} table(s) "
                           "failed; the rest is left to the next pass",
                           database_.name, stopping_ ? "stopping or reloading" : "leadership lost",
                           actions, failed),
               {.database = database_.name});
    } else {
      LogEvent(spdlog::level::info,
               fmt::format("database {}: pass complete ({}): {} action(s), {} table(s) failed",
                           database_.name, RoleName(status_), actions, failed),
               {.database = database_.name});
    }
  } catch (const pg::Error& e) {
    failure = e;
  } catch (...) {
    // Not a database error: a bug or a resource problem in this pass. Logged, and the schedule
    // goes on with the same session; the next pass starts from a fresh catalog snapshot.
    failure = pg::Error("internal error: " + DescribeException(std::current_exception()), "XX000");
  }
  if (failure) Failed(*failure, "pass failed");
}

void DatabaseWorker::Failed(const pg::Error& failure, const char* what) {
  if (failure.error_class() == pg::ErrorClass::kConnection) {
    LogEvent(spdlog::level::err,
             fmt::format("database {}: connection lost ({}); reconnecting", database_.name,
                         failure.what()),
             {.database = database_.name, .error = failure.what()});
    conn_.reset();
    status_.connected = status_.leader = false;
    PublishState();
  } else {
    LogEvent(spdlog::level::err,
             fmt::format("database {}: {}: {}", database_.name, what, failure.what()),
             {.database = database_.name});
  }
}

asio::awaitable<bool> DatabaseWorker::MayAct() {
  if (stopping_) co_return false;
  const bool leader = co_await Beat(/*force=*/false);
  if (!leader) LeadershipLost();
  co_return leader;
}

void DatabaseWorker::LeadershipLost() {
  LogEvent(spdlog::level::warn,
           fmt::format("database {}: leadership lost; stopping this pass", database_.name),
           {.database = database_.name});
  status_.leader = false;
  PublishState();
}

asio::awaitable<bool> DatabaseWorker::Beat(bool force) {
  const auto now = env_.SteadyNow();
  const bool due =
      !last_beat_ || now - *last_beat_ >= maintenance::LeaseHeartbeatPeriod(maintenance_.interval);
  if ((force || due) && !lease_unusable_logged_) {
    std::optional<pg::Error> failure;
    try {
      const bool held = co_await maintenance::Heartbeat(*conn_, host_, getpid());
      last_beat_ = now;
      co_return held;
    } catch (const pg::Error& e) {
      if (e.error_class() == pg::ErrorClass::kConnection) throw;
      failure = e;
    }
    // A state schema from an older version, or grants not re-run: lead without a lease rather
    // than not at all. Once: the next start tries again.
    lease_unusable_logged_ = true;
    LogEvent(spdlog::level::warn,
             fmt::format("database {}: cannot write the leadership lease partitiond.leader ({}); "
                         "a frozen leader will not be replaced. Run sql/role.sql as the "
                         "database owner.",
                         database_.name, failure->what()),
             {.database = database_.name, .error = failure->what()});
  }
  co_return co_await maintenance::StillLeader(*conn_);
}

asio::awaitable<bool> DatabaseWorker::TakeOverIfStale() {
  std::optional<maintenance::LeaseReading> reading;
  try {
    reading = co_await maintenance::ReadLease(*conn_);
  } catch (const pg::Error& e) {
    if (e.error_class() == pg::ErrorClass::kConnection) throw;
    // Without the lease table there is nothing to judge: observe, as before the lease existed.
    LogEvent(
        spdlog::level::debug,
        fmt::format("database {}: cannot read the leadership lease: {}", database_.name, e.what()),
        {.database = database_.name});
    co_return false;
  }
  const maintenance::LeaseDecision decision = maintenance::DecideLease(
      reading->seen,
      {.interval = maintenance_.interval, .statement_timeout = maintenance_.statement_timeout});
  if (decision.verdict != maintenance::LeaseVerdict::kStale) co_return false;
  const std::string leader =
      fmt::format("backend {} (partitiond pid {} on {})", reading->seen.holder_pid.value_or(0),
                  reading->daemon_pid ? std::to_string(*reading->daemon_pid) : "?",
                  reading->daemon_host.empty() ? "?" : reading->daemon_host);
  LogEvent(spdlog::level::warn,
           fmt::format("database {}: leader {} silent for {} ms (limit {} ms); ending its "
                       "session to take over",
                       database_.name, leader,
                       decision.age.value_or(std::chrono::milliseconds(0)).count(),
                       decision.limit.count()),
           {.database = database_.name});
  std::string why = "it has written a heartbeat since, or is not a session of this role";
  bool ended = false;
  try {
    ended = co_await maintenance::EndLeaderSession(*conn_, *reading, kEndSessionWait);
  } catch (const pg::Error& e) {
    if (e.error_class() == pg::ErrorClass::kConnection) throw;
    why = e.what();
    if (metrics_) metrics_->RecordTakeover(database_.name, false);
  }
  if (!ended) {
    LogEvent(spdlog::level::err,
             fmt::format("database {}: did not end the session of leader {}: {}", database_.name,
                         leader, why),
             {.database = database_.name, .error = why});
    co_return false;
  }
  if (metrics_) metrics_->RecordTakeover(database_.name, true);
  LogEvent(spdlog::level::warn,
           fmt::format("database {}: ended the session of silent leader {}; taking over",
                       database_.name, leader),
           {.database = database_.name});
  co_return true;
}

asio::awaitable<void> DatabaseWorker::WaitForNextPass(std::chrono::milliseconds duration) {
  const auto period = maintenance::LeaseHeartbeatPeriod(maintenance_.interval);
  while (!stopping_ && duration.count() > 0) {
    const auto step = status_.leader ? std::min(duration, period) : duration;
    co_await Wait(step);
    duration -= step;
    if (stopping_ || duration.count() <= 0 || !status_.leader) co_return;
    std::optional<pg::Error> failure;
    try {
      if (!co_await Beat(/*force=*/true)) LeadershipLost();
    } catch (const pg::Error& e) {
      failure = e;
    }
    if (failure) {
      Failed(*failure, "heartbeat failed");
      co_return;
    }
  }
}

asio::awaitable<void> DatabaseWorker::Wait(std::chrono::milliseconds duration) {
  if (stopping_) co_return;
  co_await timer_->Wait(duration);
}

std::chrono::milliseconds DatabaseWorker::NextInterval() {
  const auto jitter = std::chrono::milliseconds(static_cast<std::int64_t>(
      static_cast<double>(maintenance_.jitter.count()) * env_.Random01()));
  return maintenance_.interval + jitter;
}

}  // namespace partitiond::runtime
