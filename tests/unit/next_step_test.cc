#include "daemon/executor/next_step.h"

#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <string>

namespace partitiond::executor {
namespace {

using planner::ActionKind;
using S = PartitionState;

// One cell: what NextStep decides for a state.
struct Cell {
  Step step;
  bool completes = false;
  std::optional<PartitionState> leads_to = std::nullopt;
};

constexpr Cell kNothing{Step::kNone};
constexpr Cell kRefused{Step::kRefuse};
Cell Done(Step step) { return {step, true}; }

// The states in the order of every row's cells.
constexpr std::array<PartitionState, 6> kStates = {S::kGone,          S::kAttached,
                                                   S::kDetachPending, S::kDetachedByRetention,
                                                   S::kStandalone,    S::kPendingCreate};

struct Row {
  const char* name;
  ActionFacts facts;
  std::array<Cell, 6> cells;  // gone, attached, pending, ours detached, standalone, pending create
};

const Row kRows[] = {
    {"create",
     {.kind = ActionKind::kCreate},
     {Done(Step::kCreateAndAttach), kNothing, kRefused, kRefused, kRefused, kRefused}},
    {"create beside a default",
     {.kind = ActionKind::kCreate, .has_default = true},
     {Cell{Step::kBuildBesideDefault, false, S::kPendingCreate}, kNothing, kRefused, kRefused,
      kRefused, Done(Step::kMoveRowsAndAttach)}},
    {"create the default",
     {.kind = ActionKind::kCreateDefault, .has_default = false},
     {Done(Step::kCreateDefault), kNothing, kRefused, kRefused, kRefused, kRefused}},
    {"drop the default",
     {.kind = ActionKind::kDropDefault, .has_default = true},
     {kNothing, Done(Step::kDropDefaultIfEmpty), kNothing, kNothing, kNothing, kNothing}},
    {"repair",
     {.kind = ActionKind::kRepairFidelity},
     {kNothing, Done(Step::kRepairFidelity), Done(Step::kRepairFidelity), kNothing, kNothing,
      kNothing}},
    {"finalize",
     {.kind = ActionKind::kFinalizeDetach},
     {kNothing, kNothing, Done(Step::kFinalizeDetach), kNothing, kNothing, kNothing}},
    {"drop",
     {.kind = ActionKind::kDrop, .marks = true},
     {kNothing, Done(Step::kMarkAndDetach), Done(Step::kMarkAndDetach), Done(Step::kDropDetached),
      kRefused, kRefused}},
    {"drop beside a default",
     {.kind = ActionKind::kDrop, .has_default = true, .marks = true},
     {kNothing, Done(Step::kDetachInTransaction), Done(Step::kMarkAndDetach),
      Done(Step::kDropDetached), kRefused, kRefused}},
    {"archive",
     {.kind = ActionKind::kArchive, .marks = true},
     {kNothing, Cell{Step::kMarkAndDetach, false, S::kDetachedByRetention},
      Cell{Step::kMarkAndDetach, false, S::kDetachedByRetention}, Done(Step::kArchiveAndDrop),
      kRefused, kRefused}},
    {"archive beside a default",
     {.kind = ActionKind::kArchive, .has_default = true, .marks = true},
     {kNothing, Cell{Step::kDetachInTransaction, false, S::kDetachedByRetention},
      Cell{Step::kMarkAndDetach, false, S::kDetachedByRetention}, Done(Step::kArchiveAndDrop),
      kRefused, kRefused}},
    {"detach",
     {.kind = ActionKind::kDetach},
     {kNothing, Cell{Step::kDetachConcurrently}, Cell{Step::kFinalizeDetach},
      Done(Step::kClearRetentionMark), kNothing, kNothing}},
    {"detach beside a default",
     {.kind = ActionKind::kDetach, .has_default = true},
     {kNothing, Done(Step::kDetachInTransaction), Cell{Step::kFinalizeDetach},
      Done(Step::kClearRetentionMark), kNothing, kNothing}},
    {"detach into a schema",
     {.kind = ActionKind::kDetach, .marks = true},
     {kNothing, Cell{Step::kMarkAndDetach, false, S::kDetachedByRetention},
      Cell{Step::kMarkAndDetach, false, S::kDetachedByRetention}, Done(Step::kMoveToSchema),
      kRefused, kRefused}},
    {"detach into a schema beside a default",
     {.kind = ActionKind::kDetach, .has_default = true, .marks = true},
     {kNothing, Cell{Step::kDetachInTransaction, false, S::kDetachedByRetention},
      Cell{Step::kMarkAndDetach, false, S::kDetachedByRetention}, Done(Step::kMoveToSchema),
      kRefused, kRefused}},
};

TEST(NextStepTest, EveryStateOfEveryAction) {
  for (const Row& row : kRows) {
    for (std::size_t i = 0; i < kStates.size(); ++i) {
      const Decision d = NextStep(kStates[i], row.facts);
      const Cell& want = row.cells[i];
      const std::string where = std::string(row.name) + ", state " + std::to_string(i);
      EXPECT_EQ(ToString(d.step), ToString(want.step)) << where;
      EXPECT_EQ(d.completes, want.completes) << where;
      EXPECT_EQ(d.leads_to, want.leads_to) << where;
      EXPECT_EQ(d.step == Step::kRefuse, !d.refusal.empty()) << where;
      EXPECT_EQ(d.step == Step::kRefuse, !d.sqlstate.empty()) << where;
    }
  }
}

TEST(NextStepTest, RefusalsSayWhy) {
  EXPECT_EQ(NextStep(S::kStandalone, {.kind = ActionKind::kDrop, .marks = true}).refusal,
            "is no longer a partition and was not detached by partitiond; refusing to drop it");
  const Decision exists = NextStep(S::kStandalone, {.kind = ActionKind::kCreate});
  EXPECT_EQ(exists.sqlstate, "42P07");
  EXPECT_EQ(exists.refusal,
            "already exists and is not a partition partitiond is building; not creating a "
            "partition under that name");
}

TEST(NextStepTest, DetachDetails) {
  const Decision drop = NextStep(S::kDetachPending, {.kind = ActionKind::kDrop, .marks = true});
  EXPECT_TRUE(drop.detach_pending);
  EXPECT_TRUE(drop.then_drop);
  EXPECT_EQ(drop.audit_step, "finalize_detach");
  const Decision archive = NextStep(S::kAttached, {.kind = ActionKind::kArchive, .marks = true});
  EXPECT_FALSE(archive.detach_pending);
  EXPECT_FALSE(archive.then_drop);
  EXPECT_EQ(archive.audit_step, "detach");
  auto after = [](ActionFacts facts) {
    facts.has_default = true;
    return NextStep(S::kAttached, facts).after_detach;
  };
  EXPECT_EQ(after({.kind = ActionKind::kDrop, .marks = true}), AfterDetach::kDrop);
  EXPECT_EQ(after({.kind = ActionKind::kArchive, .marks = true}), AfterDetach::kMark);
  EXPECT_EQ(after({.kind = ActionKind::kDetach, .marks = true}), AfterDetach::kMark);
  EXPECT_EQ(after({.kind = ActionKind::kDetach}), AfterDetach::kKeep);
}

TEST(NextStepTest, WhereTheFirstStepStarts) {
  const std::optional<PartitionState> attached = S::kAttached;
  EXPECT_EQ(StartingState({.kind = ActionKind::kCreate}, std::nullopt), S::kGone);
  EXPECT_EQ(StartingState({.kind = ActionKind::kCreate, .has_default = true}, std::nullopt),
            std::nullopt);
  EXPECT_EQ(StartingState({.kind = ActionKind::kCreateDefault}, std::nullopt), S::kGone);
  EXPECT_EQ(StartingState({.kind = ActionKind::kDropDefault}, std::nullopt), S::kAttached);
  EXPECT_EQ(StartingState({.kind = ActionKind::kRepairFidelity}, std::nullopt), S::kAttached);
  EXPECT_EQ(StartingState({.kind = ActionKind::kFinalizeDetach}, attached), std::nullopt);
  EXPECT_EQ(StartingState({.kind = ActionKind::kDrop, .marks = true}, attached), S::kAttached);
  EXPECT_EQ(StartingState({.kind = ActionKind::kDrop, .marks = true}, std::nullopt), std::nullopt);
  EXPECT_EQ(StartingState({.kind = ActionKind::kDetach}, attached), std::nullopt);
}

}  // namespace
}  // namespace partitiond::executor
