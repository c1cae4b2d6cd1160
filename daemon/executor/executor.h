// Applies planned actions to one database, one short transaction per step, retrying lock timeouts
// (SQLSTATE 55P03, and deadlocks) with jittered backoff up to maintenance.max_attempts. A failed
// action is returned as an outcome so the pass goes on with the next action and table; only a
// broken connection (pg::ErrorClass::kConnection) is thrown. Not thread-safe; one Executor per
// connection.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "daemon/catalog/snapshot.h"
#include "daemon/common/env.h"
#include "daemon/config/config.h"
#include "daemon/executor/archiver.h"
#include "daemon/executor/next_step.h"
#include "daemon/executor/outcome.h"
#include "daemon/executor/recipes.h"
#include "daemon/pg/connection.h"
#include "daemon/planner/planner.h"

namespace partitiond::executor {

struct ActionResult {
  Outcome outcome = Outcome::kOk;
  int attempts = 0;       // statements tried that failed or completed the action; 0: not tried
  int lock_timeouts = 0;  // attempts lost to lock_timeout or deadlock
  std::chrono::milliseconds duration{0};
  std::string sqlstate;  // of the last error, when failed
  std::string error;     // why it failed or was skipped
  // Archive actions, and creates beside a default partition: each step taken, in order.
  std::vector<StepRecord> steps;
  // A failed retention action left its partition pending detach (DETACH ... CONCURRENTLY timed
  // out waiting for older transactions). PostgreSQL then refuses any other DETACH ...
  // CONCURRENTLY on the parent until this one is finalized.
  bool left_detach_pending = false;
};

class Executor {
 public:
  // `stopping` (may be empty) is asked before each retry; true ends the action as failed.
  // `archive` names the database for archive paths and may carry a fault-injection hook.
  Executor(pg::Connection& conn, const config::MaintenanceConfig& maintenance, Env& env,
           ArchiveSettings archive, std::function<bool()> stopping = {})
      : conn_(conn),
        recipes_(conn, maintenance.lock_timeout),
        maintenance_(maintenance),
        env_(env),
        archive_(std::move(archive)),
        stopping_(std::move(stopping)) {}

  // `policy` is the table's configuration (archive_dir, archive_schema).
  asio::awaitable<ActionResult> Apply(const catalog::TableSnapshot& table,
                                      const config::TableConfig& policy,
                                      const planner::Action& action);

 private:
  // After a failed retention action: whether its partition is pending detach. Read errors other
  // than a broken connection count as no.
  asio::awaitable<bool> LeftDetachPending(const planner::Action& action);
  // Apply without the clean-up after a failed create.
  asio::awaitable<ActionResult> Attempt(const catalog::TableSnapshot& table,
                                        const config::TableConfig& policy,
                                        const planner::Action& action);
  // Where the partition stands now, read from the catalog (with the pending-create mark for a
  // create beside a default partition).
  asio::awaitable<PartitionState> ReadState(const catalog::TableSnapshot& table,
                                            const planner::Action& action,
                                            const ActionFacts& facts);
  // Performs one decided step. Throws pg::Error (the caller retries, reads again or fails).
  asio::awaitable<void> Perform(const Decision& decision, const catalog::TableSnapshot& table,
                                const config::TableConfig& policy, const planner::Action& action,
                                ActionResult& result);
  asio::awaitable<void> BuildBesideDefault(const catalog::TableSnapshot& table,
                                           const planner::Action& action, ActionResult& result);
  asio::awaitable<void> MoveRowsAndAttach(const catalog::TableSnapshot& table,
                                          const planner::Action& action, ActionResult& result);
  // Before a create beside a default partition builds the table or moves rows: throws (the action
  // fails, nothing changed) when a range holding now or the past cannot be attached within
  // lock_timeout, or when rows of the range sit in the default and moving them would set off
  // triggers, referential actions, rules or publications (Recipes::MoveSideEffects). Returns
  // whether rows may be moved; false when there are such side effects but no rows to move.
  asio::awaitable<bool> CheckMovableBesideDefault(const catalog::TableSnapshot& table,
                                                  const planner::Action& action);

  pg::Connection& conn_;
  Recipes recipes_;
  const config::MaintenanceConfig& maintenance_;
  Env& env_;
  ArchiveSettings archive_;
  std::function<bool()> stopping_;
};

}  // namespace partitiond::executor
