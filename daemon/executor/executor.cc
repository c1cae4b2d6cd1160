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

ActionResult Executor::Apply(const catalog::TableSnapshot& table, const planner::Action& action) {
  ActionResult result;
  const auto started = env_.Now();
  auto finish = [&](Outcome outcome) {
    result.outcome = outcome;
    if (outcome == Outcome::kOk) result.error.clear(), result.sqlstate.clear();
    result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(env_.Now() - started);
    return result;
  };
  if (action.kind == planner::ActionKind::kArchive) {
    result.error = "retention_action archive is not implemented in this build; partition kept";
    return finish(Outcome::kSkipped);
  }
  result.attempts = 1;
  for (int steps = 0; steps < kMaxStepsPerAction;) {
    try {
      if (Step(table, action)) return finish(Outcome::kOk);
      ++steps;
    } catch (const pg::Error& e) {
      result.sqlstate = e.sqlstate();
      result.error = e.what();
      if (e.error_class() != pg::ErrorClass::kLockTimeout) return finish(Outcome::kFailed);
      ++result.lock_timeouts;
      if (result.attempts >= maintenance_.max_attempts) {
        result.error = fmt::format("gave up after {} attempts: {}", result.attempts, e.what());
        return finish(Outcome::kFailed);
      }
      const auto backoff = JitteredBackoff(
          env_, result.attempts,
          std::max(maintenance_.lock_timeout, std::chrono::milliseconds(100)), kBackoffCap);
      spdlog::debug("{} {}.{}: lock not available (attempt {} of {}), retrying in {} ms",
                    planner::ToString(action.kind), action.schema, action.partition,
                    result.attempts, maintenance_.max_attempts, backoff.count());
      env_.SleepFor(backoff);
      ++result.attempts;
    }
  }
  result.error = "the action did not complete in the expected number of steps";
  return finish(Outcome::kFailed);
}

bool Executor::Step(const catalog::TableSnapshot& table, const planner::Action& action) {
  switch (action.kind) {
    case planner::ActionKind::kCreate:
      recipes_.CreateAndAttach(table, action);
      return true;
    case planner::ActionKind::kFinalizeDetach:
      if (recipes_.ReadState(action.schema, action.partition) == PartitionState::kDetachPending) {
        recipes_.FinalizeDetach(table, action);
      }
      return true;
    case planner::ActionKind::kDetach:
      return StepDetach(table, action, /*drop=*/false);
    case planner::ActionKind::kDrop:
      return StepDetach(table, action, /*drop=*/true);
    case planner::ActionKind::kArchive:
      break;
  }
  throw pg::Error("unexpected action kind", "XX000");
}

bool Executor::StepDetach(const catalog::TableSnapshot& table, const planner::Action& action,
                          bool drop) {
  switch (recipes_.ReadState(action.schema, action.partition)) {
    case PartitionState::kGone:
      return true;
    case PartitionState::kAttached:
      if (table.DefaultPartition() != nullptr) {
        // PostgreSQL refuses DETACH CONCURRENTLY when a default partition exists.
        recipes_.DetachInTransaction(table, action, drop);
        return true;
      }
      if (drop) recipes_.MarkForDrop(table, action);
      recipes_.DetachConcurrently(table, action);
      return !drop;
    case PartitionState::kDetachPending:
      if (drop) recipes_.MarkForDrop(table, action);
      recipes_.FinalizeDetach(table, action);
      return !drop;
    case PartitionState::kDetachedForDrop:
      if (drop) recipes_.DropTable(action);
      return true;
    case PartitionState::kStandalone:
      if (!drop) return true;
      // Someone else detached it; it was never marked by us, so it is not ours to delete.
      throw pg::Error(fmt::format("{}.{} is no longer a partition and was not detached by "
                                  "partitiond; refusing to drop it",
                                  action.schema, action.partition),
                      "55000");
  }
  return true;
}

}  // namespace partitiond::executor
