#include "daemon/executor/executor.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "daemon/catalog/security.h"
#include "daemon/executor/security_guard.h"
#include "daemon/executor/step_timer.h"

namespace partitiond::executor {
namespace {

// A retention action passes through at most: mark + detach, finalize, then drop, archive or move,
// each after a state read, and each possibly once more after finding the state changed.
constexpr int kMaxStepsPerAction = 8;
constexpr std::chrono::milliseconds kBackoffCap{30'000};
// Rows moved out of a default partition per transaction: small enough that a batch holds its row
// locks for milliseconds, large enough that a million stray rows take a few hundred batches.
constexpr int kMoveBatchRows = 5'000;

std::chrono::milliseconds Since(Env& env, std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(env.SteadyNow() - start);
}

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
                                              const config::TableConfig& policy,
                                              const planner::Action& action) {
  ActionResult result = co_await Attempt(table, policy, action);
  // A failed create must not leave the default partition refusing rows of its range.
  if (result.outcome == Outcome::kFailed && action.kind == planner::ActionKind::kCreate &&
      table.DefaultPartition() != nullptr) {
    co_await recipes_.RestoreDefaultQuietly(table);
  }
  if (result.outcome == Outcome::kFailed && planner::IsRetention(action.kind) &&
      table.DefaultPartition() == nullptr) {
    result.left_detach_pending = co_await LeftDetachPending(action);
  }
  co_return result;
}

asio::awaitable<bool> Executor::LeftDetachPending(const planner::Action& action) {
  try {
    const PartitionState state = co_await recipes_.ReadState(action.schema, action.partition);
    co_return state == PartitionState::kDetachPending;
  } catch (const pg::Error& e) {
    if (e.error_class() == pg::ErrorClass::kConnection) throw;
    spdlog::debug("{}.{}: cannot read its state after the failure: {}", action.schema,
                  action.partition, e.what());
  }
  co_return false;
}

// GCC 12 reports -Wmismatched-new-delete for Asio's coroutine frame allocation once Perform is
// inlined here (GCC PR middle-end/109224, a false positive; see ArchiveJob::WriteAndVerify), so
// the warning is silenced for this definition alone.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
asio::awaitable<ActionResult> Executor::Attempt(const catalog::TableSnapshot& table,
                                                const config::TableConfig& policy,
                                                const planner::Action& action) {
  ActionResult result;
  const auto started = env_.SteadyNow();
  auto finish = [&](Outcome outcome) {
    result.outcome = outcome;
    if (outcome == Outcome::kOk) result.error.clear(), result.sqlstate.clear();
    result.duration = Since(env_, started);
    return result;
  };
  result.attempts = 1;
  const ActionFacts facts = FactsOf(table, policy, action);
  // The state the next step starts from when it is known without a read (next_step.h).
  std::optional<PartitionState> known = StartingState(facts, SnapshotState(table, action));
  // The table with its parent's security read again, once the guard found the snapshot's stale.
  std::optional<catalog::TableSnapshot> reread;
  int security_rereads = 0;
  for (int steps = 0; steps < kMaxStepsPerAction;) {
    std::optional<pg::Error> failure;
    const bool assumed = known.has_value();
    const catalog::TableSnapshot& current = reread ? *reread : table;
    try {
      PartitionState state = PartitionState::kGone;
      if (known) {
        state = *std::exchange(known, std::nullopt);
      } else {
        const PartitionState read = co_await ReadState(current, action, facts);
        state = read;
      }
      const Decision decision = NextStep(state, facts);
      if (decision.step == Step::kRefuse) {
        throw pg::Error(fmt::format("{}.{} {}", action.schema, action.partition, decision.refusal),
                        decision.sqlstate);
      }
      if (decision.step != Step::kNone) {
        co_await Perform(decision, current, policy, action, result);
      }
      if (decision.step == Step::kNone || decision.completes) {
        co_return finish(result.outcome == Outcome::kSkipped ? Outcome::kSkipped : Outcome::kOk);
      }
      known = decision.leads_to;
      ++steps;
      continue;
    } catch (const pg::Error& e) {
      failure = e;
    }
    known.reset();
    if (assumed && IsStateChanged(*failure)) {
      spdlog::debug("{} {}.{}: {}; reading its state again", planner::ToString(action.kind),
                    action.schema, action.partition, failure->what());
      ++steps;
      continue;
    }
    if (IsSecurityChanged(*failure) && security_rereads < kMaxSecurityRereads) {
      ++security_rereads;
      spdlog::info("{} {}.{}: the parent's security changed since it was read; reading it again",
                   planner::ToString(action.kind), action.schema, action.partition);
      if (!reread) reread = table;
      try {
        co_await catalog::ReadSecurity(conn_, *reread);
        continue;
      } catch (const pg::Error& e) {
        failure = e;
      }
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
#pragma GCC diagnostic pop

asio::awaitable<PartitionState> Executor::ReadState(const catalog::TableSnapshot& table,
                                                    const planner::Action& action,
                                                    const ActionFacts& facts) {
  if (facts.kind == planner::ActionKind::kCreate) {
    const PartitionState state = co_await recipes_.ReadCreateState(table, action);
    co_return state;
  }
  const PartitionState state = co_await recipes_.ReadState(action.schema, action.partition);
  co_return state;
}

// One branch per step, each awaiting one recipe, with no co_await in a condition: GCC 12
// miscompiles that (tests/gcc/coro_await_in_condition.cc).
asio::awaitable<void> Executor::Perform(const Decision& decision,
                                        const catalog::TableSnapshot& table,
                                        const config::TableConfig& policy,
                                        const planner::Action& action, ActionResult& result) {
  // Archive actions are audited step by step; the other retention steps are short enough to be
  // one record.
  StepTimer timer(env_, result.steps, decision.audit_step);
  const bool audit_steps = action.kind == planner::ActionKind::kArchive;
  const Step step = decision.step;
  if (step == Step::kCreateAndAttach) co_await recipes_.CreateAndAttach(table, action);
  if (step == Step::kBuildBesideDefault) co_await BuildBesideDefault(table, action, result);
  if (step == Step::kMoveRowsAndAttach) co_await MoveRowsAndAttach(table, action, result);
  if (step == Step::kCreateDefault) co_await recipes_.CreateDefault(table, action);
  if (step == Step::kDropDefaultIfEmpty) {
    const bool dropped = co_await recipes_.DropDefaultIfEmpty(table, action);
    if (!dropped) {
      result.outcome = Outcome::kSkipped;
      result.error = fmt::format(
          "default partition {}.{} holds rows outside every partition's range; not removed "
          "(move or delete them, or set default_partition: keep)",
          action.schema, action.partition);
    }
  }
  if (step == Step::kRepairFidelity) co_await recipes_.RepairFidelity(table, action);
  if (step == Step::kDetachConcurrently) co_await recipes_.DetachConcurrently(table, action);
  if (step == Step::kFinalizeDetach) co_await recipes_.FinalizeDetach(table, action);
  if (step == Step::kMarkAndDetach) {
    co_await recipes_.MarkAndDetach(table, action, decision.detach_pending, decision.then_drop);
  }
  if (step == Step::kDetachInTransaction) {
    co_await recipes_.DetachInTransaction(table, action, decision.after_detach);
  }
  if (step == Step::kDropDetached) co_await recipes_.DropDetached(action);
  if (step == Step::kArchiveAndDrop) {
    co_await ArchiveAndDrop(conn_, maintenance_, env_, table, policy, action, archive_,
                            result.steps);
  }
  if (step == Step::kMoveToSchema) co_await recipes_.MoveToSchema(action, policy.archive_schema);
  if (step == Step::kClearRetentionMark) co_await recipes_.ClearRetentionMark(action);
  if (audit_steps && !decision.audit_step.empty()) timer.Done();
}

// recipes.h, "With a default partition", steps 1 to 4: each call starts from the new table's
// state, so a retry or the next pass resumes an interrupted create.
asio::awaitable<void> Executor::BuildBesideDefault(const catalog::TableSnapshot& table,
                                                   const planner::Action& action,
                                                   ActionResult& result) {
  // Decided before the table is built and again before rows move, so that a create that cannot
  // finish leaves nothing half-built and no row moves that has to stay where it is.
  co_await CheckMovableBesideDefault(table, action);
  StepTimer build(env_, result.steps, "build");
  co_await recipes_.CreateBesideDefault(table, action);
  build.Done();
}

asio::awaitable<void> Executor::MoveRowsAndAttach(const catalog::TableSnapshot& table,
                                                  const planner::Action& action,
                                                  ActionResult& result) {
  const bool can_move = co_await CheckMovableBesideDefault(table, action);
  StepTimer move_rows(env_, result.steps, "move_rows");
  co_await recipes_.SuspendForcedSecurity(table);
  long long moved = 0;
  if (can_move) moved = co_await recipes_.MoveRowsFromDefault(table, action, kMoveBatchRows);
  if (action.ahead_of_now) {
    co_await recipes_.ExcludeFromDefault(table, action);
    if (can_move) {
      const long long late = co_await recipes_.MoveRowsFromDefault(table, action, 0);
      moved += late;
    }
    co_await recipes_.ValidateExclusion(table);
  }
  move_rows.Done(fmt::format(R"({{"rows": {}}})", moved));
  StepTimer attach(env_, result.steps, "attach");
  co_await recipes_.AttachBesideDefault(table, action, can_move);
  const auto attach_took = attach.Done();
  spdlog::info(
      "{}.{}: attached beside default partition {} after moving {} row(s) out of it "
      "(attach took {} ms)",
      action.schema, action.partition, table.DefaultPartition()->name, moved, attach_took.count());
}

asio::awaitable<bool> Executor::CheckMovableBesideDefault(const catalog::TableSnapshot& table,
                                                          const planner::Action& action) {
  const std::string def = table.DefaultPartition()->name;
  if (!action.ahead_of_now) {
    const bool fits = co_await recipes_.DefaultScanFitsLockTimeout(table);
    if (!fits) {
      throw pg::Error(
          fmt::format("{}.{}: not created for now: reading default partition {}.{} takes longer "
                      "than lock_timeout ({} ms), and attaching a range that holds now or the "
                      "past scans it while writes to {}.{} wait; the range's rows stay in the "
                      "default partition (move or delete the rows it holds to let this range be "
                      "created)",
                      action.schema, action.partition, action.schema, def,
                      maintenance_.lock_timeout.count(), table.configured.schema,
                      table.configured.table),
          "57014");
    }
  }
  const std::vector<std::string> effects = co_await recipes_.MoveSideEffects(table);
  if (effects.empty()) co_return true;
  co_await recipes_.SuspendForcedSecurity(table);
  const bool holds_rows = co_await recipes_.DefaultHoldsRange(table, action);
  if (holds_rows) {
    throw pg::Error(
        fmt::format("{}.{}: not created: default partition {}.{} holds rows of its range, and "
                    "moving them out would also set off {}; the rows stay in the default "
                    "partition (move them yourself, or remove what is listed)",
                    action.schema, action.partition, action.schema, def, fmt::join(effects, "; ")),
        "55000");
  }
  spdlog::debug("{}.{}: default partition holds no rows of the range; nothing to move ({})",
                action.schema, action.partition, fmt::join(effects, "; "));
  co_return false;
}

}  // namespace partitiond::executor
