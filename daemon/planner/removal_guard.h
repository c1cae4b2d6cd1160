// The removal guard: a pure rule that keeps one pass from taking out much of a table at once,
// whatever the cause (a shortened retention on reload or restart, a typo such as "12d" for
// "12 months", a first run on a table with years of expired partitions).
//
// Rule (stateless: it looks only at the snapshot, the policy and the plan, so a restart, a
// reload and a first run are judged alike; docs/adr/0001-removal-guard.md says why):
//  * P = the table's attached range partitions (default partition and partitions left detached by
//    an interrupted retention action not counted); R = the retention actions planned for them.
//  * When R > max(kFreeRemovals, floor(kRemovalShare * P)) and the policy is not confirmed
//    (`retention_confirm` equal to `retention`), all R are held: removed from the plan, counted
//    in TablePlan::held_removals, and a warning says how to confirm.
//  * Finishing a partition an interrupted retention action already detached is never held (that
//    removal was decided and allowed by an earlier pass).
//  * Then `max_removals_per_pass` (when set) keeps only the oldest that many retention actions;
//    the rest are counted in TablePlan::deferred_removals and follow in later passes.
#pragma once

#include <cstddef>

#include "daemon/catalog/snapshot.h"
#include "daemon/config/config.h"
#include "daemon/planner/planner.h"

namespace partitiond::planner {

// Removals a pass may always make: a table with a handful of partitions, or a daemon back after
// a few intervals down, is not held.
inline constexpr std::size_t kFreeRemovals = 5;
// Share of the table's partitions one pass may remove without confirmation. Normal expiry
// removes one partition per interval; even a daemon down for a week on a daily table with a
// month's retention stays below it.
inline constexpr double kRemovalShare = 0.25;

// The most retention removals a pass may make on a table of `partitions` attached range
// partitions without confirmation.
std::size_t RemovalLimit(std::size_t partitions);

// Applies the rule above to `plan` (built for `table` under `policy`).
void GuardRemovals(const catalog::TableSnapshot& table, const config::TableConfig& policy,
                   TablePlan& plan);

}  // namespace partitiond::planner
