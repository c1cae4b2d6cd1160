#include "daemon/runtime/database_worker.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/common/logging.h"
#include "daemon/maintenance/leadership.h"

namespace partitiond::runtime {
namespace {

constexpr std::chrono::milliseconds kReconnectBase{1'000};
constexpr std::chrono::milliseconds kReconnectCap{60'000};

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
      metrics_(metrics) {}

void DatabaseWorker::PublishState() {
  if (metrics_) {
    metrics_->SetDatabaseState(database_.name, status_.connected, status_.leader, status_.standby);
  }
}

asio::awaitable<void> DatabaseWorker::Run() {
  timer_ = env_.MakeTimer(co_await asio::this_coro::executor);
  while (!stopping_) {
    const bool connected = co_await Connect();
    if (!connected) {
      co_await Wait(JitteredBackoff(env_, status_.connect_failures, kReconnectBase, kReconnectCap));
      continue;
    }
    co_await Pass();
    if (!stopping_) co_await Wait(NextInterval());
  }
  conn_.reset();
  // A stopped worker (shutdown, or replaced by a reload) no longer holds anything.
  status_.connected = status_.leader = false;
  PublishState();
  LogEvent(spdlog::level::info, fmt::format("database {}: stopped", database_.name),
           {.database = database_.name});
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
    const maintenance::Role role = co_await maintenance::ClaimLeadership(*conn_);
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
  } catch (const std::exception& e) {
    // Not a database error: a bug or a resource problem. Logged, and the schedule goes on.
    failure = pg::Error(std::string("internal error: ") + e.what(), "XX000");
  }
  if (!failure) co_return;
  if (failure->error_class() == pg::ErrorClass::kConnection) {
    LogEvent(spdlog::level::err,
             fmt::format("database {}: connection lost ({}); reconnecting", database_.name,
                         failure->what()),
             {.database = database_.name, .error = failure->what()});
    conn_.reset();
    status_.connected = status_.leader = false;
    PublishState();
  } else {
    LogEvent(spdlog::level::err,
             fmt::format("database {}: pass failed: {}", database_.name, failure->what()),
             {.database = database_.name});
  }
}

asio::awaitable<bool> DatabaseWorker::MayAct() {
  if (stopping_) co_return false;
  const bool leader = co_await maintenance::StillLeader(*conn_);
  if (!leader) {
    LogEvent(spdlog::level::warn,
             fmt::format("database {}: leadership lost; stopping this pass", database_.name),
             {.database = database_.name});
    status_.leader = false;
    PublishState();
  }
  co_return leader;
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
