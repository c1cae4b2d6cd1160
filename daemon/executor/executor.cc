#include "daemon/executor/executor.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace partitiond::executor {
namespace {

// A drop passes through at most: mark, detach, (finalize,) drop, and a final state read.
constexpr int kMaxStepsPerAction = 6;
constexpr std::chrono::milliseconds kBackoffCap{30'000};

}  // namespace

std::string_view ToString(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kSkipped:
      return "skipped";
  }
  return "unknown";
}

asio::awaitable<ActionResult> Executor::Apply(const catalog::TableSnapshot& table,
                                              const planner::Action& action) {
  ActionResult result;
  const auto started = env_.SteadyNow();
  auto finish = [&](Outcome outcome) {
    result.outcome = outcome;
    if (outcome == Outcome::kOk) result.error.clear(), result.sqlstate.clear();
    result.duration =
        std::chrono::duration_cast<std::chrono::milliseconds>(env_.SteadyNow() - started);
    return result;
  };
  if (action.kind == planner::ActionKind::kArchive) {
    result.error = "retention_action archive is not implemented in this build; partition kept";
    co_return finish(Outcome::kSkipped);
  }
  result.attempts = 1;
  for (int steps = 0; steps < kMaxStepsPerAction;) {
    std::optional<pg::Error> failure;
    try {
      const bool done = co_await Step(table, action);
      if (done) co_return finish(Outcome::kOk);
      ++steps;
      continue;
    } catch (const pg::Error& e) {
      failure = e;
    }
    result.sqlstate = failure->sqlstate();
    result.error = failure->what();
    // A broken connection ends the pass: the caller reconnects, and the resumable steps pick up
    // from the partition's state next time.
    if (failure->error_class() == pg::ErrorClass::kConnection) throw *failure;
    if (failure->error_class() != pg::ErrorClass::kLockTimeout) co_return finish(Outcome::kFailed);
    ++result.lock_timeouts;
    if (stopping_ && stopping_()) {
      result.error = fmt::format("shutting down; gave up after {} attempt(s): {}", result.attempts,
                                 result.error);
      co_return finish(Outcome::kFailed);
    }
    if (result.attempts >= maintenance_.max_attempts) {
      result.error = fmt::format("gave up after {} attempts: {}", result.attempts, result.error);
      co_return finish(Outcome::kFailed);
    }
    const auto backoff = JitteredBackoff(
        env_, result.attempts, std::max(maintenance_.lock_timeout, std::chrono::milliseconds(100)),
        kBackoffCap);
    spdlog::debug("{} {}.{}: lock not available (attempt {} of {}), retrying in {} ms",
                  planner::ToString(action.kind), action.schema, action.partition, result.attempts,
                  maintenance_.max_attempts, backoff.count());
    co_await SleepFor(env_, backoff);
    ++result.attempts;
  }
  result.error = "the action did not complete in the expected number of steps";
  co_return finish(Outcome::kFailed);
}

// Written with if-chains and awaited values held in locals: GCC 12 miscompiles co_await inside
// switch statements and conditions.
asio::awaitable<bool> Executor::Step(const catalog::TableSnapshot& table,
                                     const planner::Action& action) {
  using planner::ActionKind;
  if (action.kind == ActionKind::kCreate) {
    co_await recipes_.CreateAndAttach(table, action);
    co_return true;
  }
  if (action.kind == ActionKind::kFinalizeDetach) {
    const PartitionState state = co_await recipes_.ReadState(action.schema, action.partition);
    if (state == PartitionState::kDetachPending) co_await recipes_.FinalizeDetach(table, action);
    co_return true;
  }
  if (action.kind == ActionKind::kRepairFidelity) {
    co_await recipes_.RepairFidelity(table, action);
    co_return true;
  }
  if (action.kind == ActionKind::kDetach || action.kind == ActionKind::kDrop) {
    const bool done = co_await StepDetach(table, action, action.kind == ActionKind::kDrop);
    co_return done;
  }
  throw pg::Error("unexpected action kind", "XX000");
}

asio::awaitable<bool> Executor::StepDetach(const catalog::TableSnapshot& table,
                                           const planner::Action& action, bool drop) {
  const PartitionState state = co_await recipes_.ReadState(action.schema, action.partition);
  if (state == PartitionState::kGone) co_return true;
  if (state == PartitionState::kAttached) {
    if (table.DefaultPartition() != nullptr) {
      // PostgreSQL refuses DETACH CONCURRENTLY when a default partition exists.
      co_await recipes_.DetachInTransaction(table, action, drop);
      co_return true;
    }
    if (drop) co_await recipes_.MarkForDrop(table, action);
    co_await recipes_.DetachConcurrently(table, action);
    co_return false;  // the next step drops it, or clears an older drop mark
  }
  if (state == PartitionState::kDetachPending) {
    if (drop) co_await recipes_.MarkForDrop(table, action);
    co_await recipes_.FinalizeDetach(table, action);
    co_return false;
  }
  if (state == PartitionState::kDetachedForDrop) {
    // A detach keeps the table: an older, interrupted drop's mark must not outlive that decision.
    if (drop) {
      co_await recipes_.DropTable(action);
    } else {
      co_await recipes_.ClearDropMark(action);
    }
    co_return true;
  }
  if (!drop) co_return true;
  // Someone else detached it; it was never marked by us, so it is not ours to delete.
  throw pg::Error(fmt::format("{}.{} is no longer a partition and was not detached by "
                              "partitiond; refusing to drop it",
                              action.schema, action.partition),
                  "55000");
}

}  // namespace partitiond::executor
