// What the executor does next for an action: a pure function of where the partition stands and
// what the action is, like the planner. The executor reads (or knows) the partition's state, asks
// NextStep, performs the step it names, records it, and asks again from the state the step leads
// to, until the action is complete or refused. Every step is one short transaction (or one
// pipeline of them) whose statements check the state they assume, so a stale belief costs a retry
// but never a wrong DROP or mark.
//
// Retention (drop, archive, detach) goes out of the parent the same way for all three: DETACH ...
// CONCURRENTLY, or a plain DETACH in a transaction when a default partition forbids CONCURRENTLY,
// marked first (catalog/mark.h) when more steps follow, so that an interruption anywhere is
// finished by the next pass. A create beside a default partition is built, then has the rows of
// its range moved out of the default, then is attached. The full table of (state, action) cells
// is in tests/unit/next_step_test.cc.
#pragma once

#include <optional>
#include <string>

#include "daemon/catalog/snapshot.h"
#include "daemon/config/config.h"
#include "daemon/executor/partition_state.h"
#include "daemon/planner/planner.h"

namespace partitiond::executor {

enum class Step {
  kNone,    // nothing (left) to do: the action is complete
  kRefuse,  // the action must not go on from this state; Decision::refusal says why
  kCreateAndAttach,
  kBuildBesideDefault,  // create beside a default partition: the new table, marked, not attached
  kMoveRowsAndAttach,   // ... then the range's rows out of the default, and ATTACH
  kCreateDefault,
  kDropDefaultIfEmpty,
  kRepairFidelity,
  kDetachConcurrently,   // unmarked DETACH ... CONCURRENTLY
  kFinalizeDetach,       // unmarked DETACH ... FINALIZE of a pending detach
  kMarkAndDetach,        // mark, DETACH ... CONCURRENTLY (FINALIZE when pending), DROP if asked
  kDetachInTransaction,  // plain DETACH, and in its transaction `after_detach`
  kDropDetached,         // a table our retention detached: DROP
  kArchiveAndDrop,       // ... archive to a verified file, then DROP
  kMoveToSchema,         // ... move to the archive schema and clear the mark
  kClearRetentionMark,   // ... kept (plain detach): an older action's mark must not outlive it
};

// What follows a plain DETACH in its transaction.
enum class AfterDetach { kKeep, kDrop, kMark };

// What NextStep needs to know of an action besides the partition's state.
struct ActionFacts {
  planner::ActionKind kind = planner::ActionKind::kCreate;
  bool has_default = false;  // the parent has a default partition
  // Drop, archive, and detach into an archive schema mark the partition before detaching it; a
  // plain detach keeps the table as it is.
  bool marks = false;
};
ActionFacts FactsOf(const catalog::TableSnapshot& table, const config::TableConfig& policy,
                    const planner::Action& action);

struct Decision {
  Step step = Step::kNone;
  bool detach_pending = false;  // kMarkAndDetach: FINALIZE a pending detach instead
  bool then_drop = false;       // kMarkAndDetach: DROP in the same round trip
  AfterDetach after_detach = AfterDetach::kKeep;  // kDetachInTransaction
  bool completes = false;                         // the action is complete once this step succeeds
  // The state the step leaves the partition in, when the next step may start from it without
  // reading it (its statements are guarded); nullopt: read it again.
  std::optional<PartitionState> leads_to;
  // kRefuse: why, to follow the partition's name ("already exists and ..."), and its SQLSTATE.
  std::string refusal;
  std::string sqlstate;
  // The audit step name of a detach ("detach" or "finalize_detach"), else empty.
  std::string audit_step;
};

Decision NextStep(PartitionState state, const ActionFacts& facts);

// The state the first step may start from without reading it: from the pass's snapshot for a
// marking retention action (`in_snapshot`, when the snapshot has the partition), or the state
// that actions planned on the snapshot's word assume (a create: gone; a repair or a default's
// removal: attached), whose statements fail by themselves if it is wrong. nullopt: read it.
std::optional<PartitionState> StartingState(const ActionFacts& facts,
                                            std::optional<PartitionState> in_snapshot);

std::string_view ToString(Step step);

}  // namespace partitiond::executor
