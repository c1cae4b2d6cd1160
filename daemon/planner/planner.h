// The planner: a pure function from (catalog snapshot, table policy, now) to the actions one pass
// should take. No I/O, no clock, no randomness; this is where the calendar, time-zone and retention
// rules live.
//
// Rules:
//  * Boundaries lie on a grid of the configured interval in the configured time zone. The grid is
//    anchored on the newest existing partition whose range is exactly one interval; without one, on
//    the natural calendar grid (hour, local midnight, ISO Monday, 1st of month, 1 January;
//    multiples of N counted from the start of the day, the epoch day, January or year 0
//    respectively).
//  * Coverage wanted: from the lowest existing lower bound (or the cell holding now when there is
//    none) up to the end of the cell `premake` cells after the one holding now. Every uncovered
//    piece of it becomes a create action, cut on grid boundaries; pieces entirely older than the
//    retention cutoff are not created. Nothing beyond that horizon is created, whatever exists
//    further ahead.
//  * Retention: a partition goes only when its catalog upper bound is <= now - retention (calendar
//    arithmetic in the table's zone). The default partition and MAXVALUE partitions never go.
//  * A partition left "detach pending" gets a finalize action before anything else.
//  * A partition whose RLS flags, grants or policies drifted from the parent's gets a repair
//    action (policy `fidelity: repair`) or a warning (`fidelity: report`), unless it expires now.
//  * Default partition (policy default_partition): `create` adds <table>_default when there is
//    none, `none` removes an existing one (the executor checks it is empty); both after the
//    creates, whose executor moves stray rows out of an existing default partition first.
//  * Retention removals then pass the removal guard (removal_guard.h): too many at once are held
//    until confirmed, and max_removals_per_pass caps them.
//  * Names: <table>_pYYYYMMDD (start of range, local time), <table>_pYYYYMMDD_HH24MISS for
//    sub-day intervals; if longer than 63 bytes the table part is cut (at a UTF-8 boundary), never
//    the suffix. A name already taken by an existing partition gets no action and a warning.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "daemon/catalog/snapshot.h"
#include "daemon/config/config.h"

namespace partitiond::planner {

enum class ActionKind {
  kCreate,
  kFinalizeDetach,
  kDrop,
  kDetach,
  kArchive,
  kRepairFidelity,
  kCreateDefault,
  kDropDefault,
};
std::string_view ToString(ActionKind kind);
// Drop, detach and archive: the actions that take a partition out of the table.
bool IsRetention(ActionKind kind);
// Create and drop of the default partition: actions without a range (from and to unset).
bool IsOnDefault(ActionKind kind);

struct Action {
  ActionKind kind = ActionKind::kCreate;
  std::string schema;        // of the partition (for create: the parent's schema)
  std::string partition;     // partition (table) name
  catalog::KeyValue from{};  // range of the partition; for retention actions its catalog bounds
  catalog::KeyValue to{};
  std::string reason;  // one line for humans: why this action
  // Create only: the whole range lies after the cell holding now, so no current row belongs in it.
  bool ahead_of_now = false;
  // Create only: a period before the one holding now (catching up, or filling an older gap).
  bool before_now = false;
};

struct TablePlan {
  std::vector<Action> actions;  // in execution order: finalize, creates (oldest first), retention
  std::vector<std::string> warnings;
  // Retention removals due but held back by the removal guard (removal_guard.h) until confirmed.
  std::size_t held_removals = 0;
  // Retention removals due but left to later passes by max_removals_per_pass.
  std::size_t deferred_removals = 0;
};

TablePlan PlanTable(const catalog::TableSnapshot& table, const config::TableConfig& policy,
                    std::chrono::sys_seconds now);

// Name for a new partition of `parent_table` whose range starts at `start_local` (wall clock in
// the table's zone), following the naming rule above.
std::string PartitionName(std::string_view parent_table,
                          std::chrono::local_time<std::chrono::seconds> start_local,
                          const config::CalendarInterval& interval);
// Name for a new default partition: <table>_default, the table part cut to fit 63 bytes.
std::string DefaultPartitionName(std::string_view parent_table);

}  // namespace partitiond::planner
