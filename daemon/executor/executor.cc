#include "daemon/executor/executor.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "daemon/catalog/security.h"
#include "daemon/executor/security_guard.h"

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

// Drop, archive and detach into an archive schema mark the table before detaching it; a plain
// detach keeps the table as it is.
bool Marks(const config::TableConfig& policy, const planner::Action& action) {
  using planner::ActionKind;
  return action.kind == ActionKind::kDrop || action.kind == ActionKind::kArchive ||
         (action.kind == ActionKind::kDetach && !policy.archive_schema.empty());
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
  // Every step of a marking retention action is guarded (partition_state.h), so its first step may
  // start from the snapshot's state instead of reading it again.
  known_state_.reset();
  if (Marks(policy, action)) known_state_ = SnapshotState(table, action);
  // The table with its parent's security read again, once the guard found the snapshot's stale.
  std::optional<catalog::TableSnapshot> reread;
  int security_rereads = 0;
  for (int steps = 0; steps < kMaxStepsPerAction;) {
    std::optional<pg::Error> failure;
    const bool assumed = known_state_.has_value();
    const catalog::TableSnapshot& current = reread ? *reread : table;
    try {
      const bool done = co_await Step(current, policy, action, result);
      if (done)
        co_return finish(result.outcome == Outcome::kSkipped ? Outcome::kSkipped : Outcome::kOk);
      ++steps;
      continue;
    } catch (const pg::Error& e) {
      failure = e;
    }
    known_state_.reset();
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

// Written with if-chains and awaited values held in locals: GCC 12 miscompiles co_await inside
// switch statements and conditions.
asio::awaitable<bool> Executor::Step(const catalog::TableSnapshot& table,
                                     const config::TableConfig& policy,
                                     const planner::Action& action, ActionResult& result) {
  using planner::ActionKind;
  if (action.kind == ActionKind::kCreate) {
    if (table.DefaultPartition() != nullptr) {
      const bool done = co_await StepCreateBesideDefault(table, action, result);
      co_return done;
    }
    co_await recipes_.CreateAndAttach(table, action);
    co_return true;
  }
  if (action.kind == ActionKind::kCreateDefault) {
    co_await recipes_.CreateDefault(table, action);
    co_return true;
  }
  if (action.kind == ActionKind::kDropDefault) {
    const bool dropped = co_await recipes_.DropDefaultIfEmpty(table, action);
    if (!dropped) {
      result.outcome = Outcome::kSkipped;
      result.error = fmt::format(
          "default partition {}.{} holds rows outside every partition's range; not removed "
          "(move or delete them, or set default_partition: keep)",
          action.schema, action.partition);
    }
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
  if (planner::IsRetention(action.kind)) {
    const bool done = co_await StepRetention(table, policy, action, result);
    co_return done;
  }
  throw pg::Error("unexpected action kind", "XX000");
}

// Each call performs one step from the new table's current state (recipes.h, "With a default
// partition"), so a retry or the next pass resumes an interrupted create.
asio::awaitable<bool> Executor::StepCreateBesideDefault(const catalog::TableSnapshot& table,
                                                        const planner::Action& action,
                                                        ActionResult& result) {
  const PartitionState state = co_await recipes_.ReadCreateState(table, action);
  if (state == PartitionState::kAttached) co_return true;
  if (state != PartitionState::kGone && state != PartitionState::kPendingCreate) {
    throw pg::Error(fmt::format("{}.{} already exists and is not a partition partitiond is "
                                "building; not creating a partition under that name",
                                action.schema, action.partition),
                    "42P07");
  }
  // Decided before the table is built and again before rows move, so that a create that cannot
  // finish leaves nothing half-built and no row moves that has to stay where it is.
  const bool can_move = co_await CheckMovableBesideDefault(table, action);
  auto started = env_.SteadyNow();
  if (state == PartitionState::kGone) {
    co_await recipes_.CreateBesideDefault(table, action);
    result.steps.push_back({.step = "build", .duration = Since(env_, started)});
    co_return false;
  }
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
  result.steps.push_back({.step = "move_rows",
                          .duration = Since(env_, started),
                          .detail = fmt::format(R"({{"rows": {}}})", moved)});
  started = env_.SteadyNow();
  co_await recipes_.AttachBesideDefault(table, action, can_move);
  result.steps.push_back({.step = "attach", .duration = Since(env_, started)});
  spdlog::info(
      "{}.{}: attached beside default partition {} after moving {} row(s) out of it "
      "(attach took {} ms)",
      action.schema, action.partition, table.DefaultPartition()->name, moved,
      result.steps.back().duration.count());
  co_return true;
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

// Drop, archive and detach share the way out of the table: DETACH (CONCURRENTLY unless a default
// partition forbids it), marked first when more steps follow, so that an interruption anywhere is
// finished by the next pass. Each call performs one step from the partition's current state.
asio::awaitable<bool> Executor::StepRetention(const catalog::TableSnapshot& table,
                                              const config::TableConfig& policy,
                                              const planner::Action& action, ActionResult& result) {
  using planner::ActionKind;
  const bool drop = action.kind == ActionKind::kDrop;
  const bool archive = action.kind == ActionKind::kArchive;
  const bool mark = Marks(policy, action);
  const bool move = mark && action.kind == ActionKind::kDetach;  // into the archive schema
  // Archive steps are audited one by one; the others are short enough to be one record.
  auto step_started = env_.SteadyNow();
  auto record = [&](const char* step) {
    if (archive) {
      result.steps.push_back(
          {.step = step, .outcome = Outcome::kOk, .duration = Since(env_, step_started)});
    }
    step_started = env_.SteadyNow();
  };
  PartitionState state = PartitionState::kGone;
  if (known_state_) {
    state = *std::exchange(known_state_, std::nullopt);
  } else {
    const PartitionState read = co_await recipes_.ReadState(action.schema, action.partition);
    state = read;
  }
  // After a marked detach the table is ours and detached: the guarded next step needs no read.
  const std::optional<PartitionState> after_marked_detach =
      mark ? std::optional(PartitionState::kDetachedByRetention) : std::nullopt;
  if (state == PartitionState::kGone) co_return true;
  if (state == PartitionState::kAttached) {
    if (table.DefaultPartition() != nullptr) {
      // PostgreSQL refuses DETACH CONCURRENTLY when a default partition exists.
      using After = Recipes::AfterDetach;
      const After after = drop ? After::kDrop : mark ? After::kMark : After::kKeep;
      co_await recipes_.DetachInTransaction(table, action, after);
      record("detach");
      known_state_ = after_marked_detach;
      co_return drop || !mark;
    }
    if (mark) {
      co_await recipes_.MarkAndDetach(table, action, /*detach_pending=*/false, drop);
    } else {
      co_await recipes_.DetachConcurrently(table, action);
    }
    record("detach");
    known_state_ = after_marked_detach;
    co_return drop;  // else the next step finishes it (or clears an older mark)
  }
  if (state == PartitionState::kDetachPending) {
    if (mark) {
      co_await recipes_.MarkAndDetach(table, action, /*detach_pending=*/true, drop);
    } else {
      co_await recipes_.FinalizeDetach(table, action);
    }
    record("finalize_detach");
    known_state_ = after_marked_detach;
    co_return drop;
  }
  if (state == PartitionState::kDetachedByRetention) {
    if (drop) {
      co_await recipes_.DropDetached(action);
    } else if (archive) {
      co_await ArchiveAndDrop(conn_, maintenance_, env_, table, policy, action, archive_,
                              result.steps);
    } else if (move) {
      co_await recipes_.MoveToSchema(action, policy.archive_schema);
    } else {
      // A detach keeps the table: an older, interrupted action's mark must not outlive that.
      co_await recipes_.ClearRetentionMark(action);
    }
    co_return true;
  }
  if (!mark) co_return true;
  // Someone else detached it; it was never marked by us, so it is not ours to delete or move.
  throw pg::Error(fmt::format("{}.{} is no longer a partition and was not detached by "
                              "partitiond; refusing to {} it",
                              action.schema, action.partition, planner::ToString(action.kind)),
                  "55000");
}

}  // namespace partitiond::executor
