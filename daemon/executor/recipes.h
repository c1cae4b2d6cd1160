// The low-lock DDL recipes of GUIDE §3, one coroutine per database step. Each step is one short
// transaction with SET LOCAL lock_timeout sent in one round trip, or (for DETACH ... CONCURRENTLY /
// FINALIZE, which PostgreSQL refuses inside a transaction block) one statement under the session
// lock_timeout the connection must have been opened with. Steps throw pg::Error; the caller decides
// whether to retry.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "daemon/catalog/snapshot.h"
#include "daemon/pg/connection.h"
#include "daemon/planner/planner.h"

namespace partitiond::executor {

// Where a partition stands right now (read just before acting, since the snapshot may be stale).
enum class PartitionState {
  kGone,                 // no such relation
  kAttached,             // a partition of its parent
  kDetachPending,        // a DETACH ... CONCURRENTLY that did not finish
  kDetachedByRetention,  // detached by our retention action (carries its mark), not yet finished
  kStandalone,           // a plain table that is not ours to drop
};

class Recipes {
 public:
  Recipes(pg::Connection& conn, std::chrono::milliseconds lock_timeout)
      : conn_(conn), lock_timeout_(lock_timeout) {}

  asio::awaitable<PartitionState> ReadState(const std::string& schema, const std::string& name);

  // CREATE TABLE (LIKE parent INCLUDING ALL), owner and RLS as the parent's, a CHECK matching the
  // bound, ATTACH PARTITION (SHARE UPDATE EXCLUSIVE on the parent), drop the CHECK: all or nothing.
  asio::awaitable<void> CreateAndAttach(const catalog::TableSnapshot& parent,
                                        const planner::Action& action);
  // The same for a table that already exists (a restored archive): owner, fidelity, CHECK,
  // ATTACH, drop the CHECK, in one transaction.
  asio::awaitable<void> AttachExisting(const catalog::TableSnapshot& parent,
                                       const planner::Action& action);
  // Marks the partition so retention interrupted after the detach is finished by the next pass;
  // ClearRetentionMark undoes it when the table is to be kept after all.
  asio::awaitable<void> ClearRetentionMark(const planner::Action& action);
  asio::awaitable<void> MarkForRetention(const catalog::TableSnapshot& parent,
                                         const planner::Action& action);
  asio::awaitable<void> DetachConcurrently(const catalog::TableSnapshot& parent,
                                           const planner::Action& action);
  asio::awaitable<void> FinalizeDetach(const catalog::TableSnapshot& parent,
                                       const planner::Action& action);
  // Plain DETACH in a transaction (when a default partition rules out CONCURRENTLY), and in the
  // same transaction what follows it: nothing, the DROP, or the retention mark (when more steps
  // follow and must survive an interruption).
  enum class AfterDetach { kKeep, kDrop, kMark };
  asio::awaitable<void> DetachInTransaction(const catalog::TableSnapshot& parent,
                                            const planner::Action& action, AfterDetach after);
  // Moves a detached table to `schema` and clears its retention mark, in one transaction.
  asio::awaitable<void> MoveToSchema(const planner::Action& action, const std::string& schema);
  asio::awaitable<void> DropTable(const planner::Action& action);
  // Reads the partition's policies and grantees, then replaces them (and its RLS flags) with the
  // parent's, in one transaction.
  asio::awaitable<void> RepairFidelity(const catalog::TableSnapshot& parent,
                                       const planner::Action& action);

 private:
  // Runs `body` inside BEGIN; SET LOCAL lock_timeout; ...; COMMIT.
  asio::awaitable<void> RunInTransaction(const std::string& body);
  // Runs one statement that must not be in a transaction block, under the session lock_timeout
  // the connection was opened with (pg::SessionOptions::lock_timeout).
  asio::awaitable<void> RunOutsideTransaction(const std::string& statement);
  std::string AttachStatements(const catalog::TableSnapshot& parent, const planner::Action& action);
  std::string MarkStatement(const catalog::TableSnapshot& parent, const planner::Action& action);
  std::string Parent(const catalog::TableSnapshot& parent);
  std::string Child(const planner::Action& action);

  pg::Connection& conn_;
  std::chrono::milliseconds lock_timeout_;
};

}  // namespace partitiond::executor
