// Where a partition stands, read from the catalog, and the checks that make a step act only from
// the state the executor believes the partition is in.
//
// The executor reads a partition's state before a step (ReadPartitionState), or takes it from the
// pass's catalog snapshot or from the step it just completed. Either way, a step that changes or
// removes a table first runs a guard inside its own transaction, after it holds the table's lock:
// the guard aborts the transaction when the partition is no longer in the expected state, so a
// stale belief can cost a retry but never a wrong DROP or mark. Reads and guards are prepared
// once per session (pg::Connection::AsyncPrepare); after that they cost no planning.
#pragma once

#include <optional>
#include <string>

#include "daemon/catalog/snapshot.h"
#include "daemon/pg/connection.h"
#include "daemon/planner/planner.h"

namespace partitiond::executor {

enum class PartitionState {
  kGone,                 // no such relation
  kAttached,             // a partition of its parent
  kDetachPending,        // a DETACH ... CONCURRENTLY that did not finish
  kDetachedByRetention,  // detached by our retention action (carries its mark), not yet finished
  kStandalone,           // a plain table that is not ours to drop
  kPendingCreate,  // a new partition built beside a default partition, not attached yet (our mark)
};

// Prepares the read and the guards on `conn` (once per session; later calls are free).
asio::awaitable<void> PreparePartitionState(pg::Connection& conn);

// One round trip. kPendingCreate only when the table carries exactly `pending_mark` (the mark a
// create beside a default partition leaves for its parent and range).
asio::awaitable<PartitionState> ReadPartitionState(pg::Connection& conn, const std::string& schema,
                                                   const std::string& name,
                                                   const std::optional<std::string>& pending_mark);

// The state the snapshot recorded for the action's partition; nullopt when it is not there.
std::optional<PartitionState> SnapshotState(const catalog::TableSnapshot& parent,
                                            const planner::Action& action);

// Guards, to put in a step's transaction (PreparePartitionState first). Each aborts the
// transaction with an error IsStateChanged recognizes unless the partition is:
//  - ExpectPartitionOf (a pipelined statement, after one that locks the partition): a partition of
//    `parent`, pending detach or not as `detach_pending` says;
//  - LockDetachedByRetention (statements for a multi-statement string: LOCK TABLE ... ACCESS
//    EXCLUSIVE first, so that nobody attaches it again before the transaction ends): no longer a
//    partition, and carrying the retention mark.
pg::PipelinedStatement ExpectPartitionOf(pg::Connection& conn, const catalog::TableSnapshot& parent,
                                         const planner::Action& action, bool detach_pending);
std::string LockDetachedByRetention(pg::Connection& conn, const planner::Action& action);

// The error of a failed guard, or of a statement naming a table that no longer exists (42P01,
// which DETACH also raises for a table that is not a partition of the parent): the state changed
// since it was last read, and reading it again decides what to do.
bool IsStateChanged(const pg::Error& error);

}  // namespace partitiond::executor
