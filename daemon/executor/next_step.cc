#include "daemon/executor/next_step.h"

#include <fmt/format.h>

namespace partitiond::executor {
namespace {

using planner::ActionKind;

Decision Complete(Step step) { return {.step = step, .completes = true}; }

Decision Refuse(std::string why, std::string sqlstate) {
  return {.step = Step::kRefuse, .refusal = std::move(why), .sqlstate = std::move(sqlstate)};
}

Decision NextCreate(PartitionState state, const ActionFacts& facts) {
  if (state == PartitionState::kAttached) return {};
  if (state == PartitionState::kGone) {
    if (!facts.has_default) return Complete(Step::kCreateAndAttach);
    return {.step = Step::kBuildBesideDefault, .leads_to = PartitionState::kPendingCreate};
  }
  if (state == PartitionState::kPendingCreate && facts.has_default) {
    return Complete(Step::kMoveRowsAndAttach);
  }
  return Refuse(
      "already exists and is not a partition partitiond is building; not creating a partition "
      "under that name",
      "42P07");
}

// A partition that is out of its parent, whether we detached it or not.
Decision NextDetached(PartitionState state, const ActionFacts& facts) {
  if (state == PartitionState::kDetachedByRetention) {
    if (facts.kind == ActionKind::kDrop) return Complete(Step::kDropDetached);
    if (facts.kind == ActionKind::kArchive) return Complete(Step::kArchiveAndDrop);
    return Complete(facts.marks ? Step::kMoveToSchema : Step::kClearRetentionMark);
  }
  // Someone else detached it: not ours to delete or move; a plain detach is done.
  if (!facts.marks) return {};
  return Refuse(fmt::format("is no longer a partition and was not detached by partitiond; "
                            "refusing to {} it",
                            planner::ToString(facts.kind)),
                "55000");
}

Decision NextRetention(PartitionState state, const ActionFacts& facts) {
  const bool drop = facts.kind == ActionKind::kDrop;
  // After a marked detach the table is ours and detached: the guarded next step needs no read.
  const std::optional<PartitionState> marked =
      facts.marks && !drop ? std::optional(PartitionState::kDetachedByRetention) : std::nullopt;
  if (state == PartitionState::kGone) return {};
  if (state == PartitionState::kAttached && facts.has_default) {
    // PostgreSQL refuses DETACH ... CONCURRENTLY when the parent has a default partition.
    return {.step = Step::kDetachInTransaction,
            .after_detach = drop          ? AfterDetach::kDrop
                            : facts.marks ? AfterDetach::kMark
                                          : AfterDetach::kKeep,
            .completes = drop || !facts.marks,
            .leads_to = marked,
            .audit_step = "detach"};
  }
  if (state == PartitionState::kAttached || state == PartitionState::kDetachPending) {
    const bool pending = state == PartitionState::kDetachPending;
    const std::string audit = pending ? "finalize_detach" : "detach";
    if (facts.marks) {
      return {.step = Step::kMarkAndDetach,
              .detach_pending = pending,
              .then_drop = drop,
              .completes = drop,
              .leads_to = marked,
              .audit_step = audit};
    }
    // Read again afterwards: a table an older, interrupted action marked has its mark cleared.
    return {.step = pending ? Step::kFinalizeDetach : Step::kDetachConcurrently,
            .audit_step = audit};
  }
  return NextDetached(state, facts);
}

}  // namespace

ActionFacts FactsOf(const catalog::TableSnapshot& table, const config::TableConfig& policy,
                    const planner::Action& action) {
  const bool marks = action.kind == ActionKind::kDrop || action.kind == ActionKind::kArchive ||
                     (action.kind == ActionKind::kDetach && !policy.archive_schema.empty());
  return {.kind = action.kind, .has_default = table.DefaultPartition() != nullptr, .marks = marks};
}

Decision NextStep(PartitionState state, const ActionFacts& facts) {
  switch (facts.kind) {
    case ActionKind::kCreate:
      return NextCreate(state, facts);
    case ActionKind::kCreateDefault:
      if (state == PartitionState::kGone) return Complete(Step::kCreateDefault);
      if (state == PartitionState::kAttached) return {};
      return Refuse(
          "already exists and is not a partition; not creating the default partition "
          "under that name",
          "42P07");
    case ActionKind::kDropDefault:
      if (state == PartitionState::kAttached) return Complete(Step::kDropDefaultIfEmpty);
      return {};
    case ActionKind::kRepairFidelity:
      if (state == PartitionState::kAttached || state == PartitionState::kDetachPending) {
        return Complete(Step::kRepairFidelity);
      }
      return {};
    case ActionKind::kFinalizeDetach:
      if (state == PartitionState::kDetachPending) {
        return {.step = Step::kFinalizeDetach, .completes = true, .audit_step = "finalize_detach"};
      }
      return {};
    case ActionKind::kDrop:
    case ActionKind::kDetach:
    case ActionKind::kArchive:
      return NextRetention(state, facts);
  }
  return Refuse("unexpected action kind", "XX000");
}

std::optional<PartitionState> StartingState(const ActionFacts& facts,
                                            std::optional<PartitionState> in_snapshot) {
  switch (facts.kind) {
    case ActionKind::kCreate:
      // Beside a default partition an earlier pass may have left the table half-way.
      if (facts.has_default) return std::nullopt;
      return PartitionState::kGone;
    case ActionKind::kCreateDefault:
      return PartitionState::kGone;
    case ActionKind::kDropDefault:
    case ActionKind::kRepairFidelity:
      return PartitionState::kAttached;
    case ActionKind::kFinalizeDetach:
      return std::nullopt;
    case ActionKind::kDrop:
    case ActionKind::kDetach:
    case ActionKind::kArchive:
      // Every step of a marking action is guarded; an unmarked detach is not, so it reads.
      return facts.marks ? in_snapshot : std::nullopt;
  }
  return std::nullopt;
}

std::string_view ToString(Step step) {
  switch (step) {
    case Step::kNone:
      return "none";
    case Step::kRefuse:
      return "refuse";
    case Step::kCreateAndAttach:
      return "create_and_attach";
    case Step::kBuildBesideDefault:
      return "build_beside_default";
    case Step::kMoveRowsAndAttach:
      return "move_rows_and_attach";
    case Step::kCreateDefault:
      return "create_default";
    case Step::kDropDefaultIfEmpty:
      return "drop_default_if_empty";
    case Step::kRepairFidelity:
      return "repair_fidelity";
    case Step::kDetachConcurrently:
      return "detach_concurrently";
    case Step::kFinalizeDetach:
      return "finalize_detach";
    case Step::kMarkAndDetach:
      return "mark_and_detach";
    case Step::kDetachInTransaction:
      return "detach_in_transaction";
    case Step::kDropDetached:
      return "drop_detached";
    case Step::kArchiveAndDrop:
      return "archive_and_drop";
    case Step::kMoveToSchema:
      return "move_to_schema";
    case Step::kClearRetentionMark:
      return "clear_retention_mark";
  }
  return "unknown";
}

}  // namespace partitiond::executor
