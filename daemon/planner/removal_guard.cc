#include "daemon/planner/removal_guard.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include <fmt/format.h>

namespace partitiond::planner {
namespace {

// Names of partitions that an interrupted retention action already detached.
std::set<std::string, std::less<>> Orphans(const catalog::TableSnapshot& table) {
  std::set<std::string, std::less<>> names;
  for (const auto& p : table.partitions) {
    if (p.detached_by_retention) names.insert(p.schema + "." + p.name);
  }
  return names;
}

std::size_t AttachedRangePartitions(const catalog::TableSnapshot& table) {
  return static_cast<std::size_t>(std::count_if(
      table.partitions.begin(), table.partitions.end(),
      [](const catalog::Partition& p) { return !p.is_default && !p.detached_by_retention; }));
}

void Hold(const catalog::TableSnapshot& table, const config::TableConfig& policy, TablePlan& plan) {
  const auto orphans = Orphans(table);
  auto guarded = [&](const Action& a) {
    return IsRetention(a.kind) && !orphans.contains(a.schema + "." + a.partition);
  };
  const auto due =
      static_cast<std::size_t>(std::count_if(plan.actions.begin(), plan.actions.end(), guarded));
  const std::size_t partitions = AttachedRangePartitions(table);
  const std::size_t limit = RemovalLimit(partitions);
  if (due <= limit || policy.retention_confirmed || !policy.retention) return;
  std::erase_if(plan.actions, guarded);
  plan.held_removals = due;
  const std::string retention = policy.retention->ToString();
  plan.warnings.push_back(fmt::format(
      "retention {} would remove {} of {} partitions in one pass, more than the {} a pass may "
      "remove unconfirmed (the larger of {} and {:.0f}% of the partitions); holding them. If that "
      "is intended, add retention_confirm: \"{}\" to this table",
      retention, due, partitions, limit, kFreeRemovals, kRemovalShare * 100, retention));
}

void Cap(const config::TableConfig& policy, TablePlan& plan) {
  if (policy.max_removals_per_pass <= 0) return;
  const auto cap = static_cast<std::size_t>(policy.max_removals_per_pass);
  std::size_t kept = 0;
  // Retention actions come oldest first: the oldest go now, the newest wait.
  const std::size_t removed = std::erase_if(plan.actions, [&](const Action& a) {
    if (!IsRetention(a.kind)) return false;
    return ++kept > cap;
  });
  if (removed == 0) return;
  plan.deferred_removals = removed;
  plan.warnings.push_back(
      fmt::format("removing the oldest {} expired partition(s) this pass (max_removals_per_pass); "
                  "{} more in later passes",
                  cap, removed));
}

}  // namespace

std::size_t RemovalLimit(std::size_t partitions) {
  const auto share =
      static_cast<std::size_t>(std::floor(kRemovalShare * static_cast<double>(partitions)));
  return std::max(kFreeRemovals, share);
}

void GuardRemovals(const catalog::TableSnapshot& table, const config::TableConfig& policy,
                   TablePlan& plan) {
  Hold(table, policy, plan);
  Cap(policy, plan);
}

}  // namespace partitiond::planner
