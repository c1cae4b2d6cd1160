// The low-lock DDL recipes (docs/design.md), one coroutine per database step. Each step is one
// short transaction with SET LOCAL lock_timeout sent in one round trip, or (for DETACH ...
// CONCURRENTLY / FINALIZE, which PostgreSQL refuses inside a transaction block) one statement under
// the session lock_timeout the connection must have been opened with. MarkAndDetach sends several
// of these in one round trip. Steps throw pg::Error; the caller decides whether to retry. A step
// that gives a partition the parent's security ends with the guard of security_guard.h: its error
// (IsSecurityChanged) asks for the parent's security to be read again before the retry.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/catalog/mark.h"
#include "daemon/catalog/snapshot.h"
#include "daemon/executor/fidelity.h"
#include "daemon/executor/next_step.h"
#include "daemon/executor/partition_state.h"
#include "daemon/pg/connection.h"
#include "daemon/planner/planner.h"

namespace partitiond::executor {

class Recipes {
 public:
  Recipes(pg::Connection& conn, std::chrono::milliseconds lock_timeout)
      : conn_(conn), lock_timeout_(lock_timeout) {}

  asio::awaitable<PartitionState> ReadState(const std::string& schema, const std::string& name);
  // ReadState for the partition a create action makes: kPendingCreate only when the table carries
  // the mark CreateBesideDefault left for exactly this parent and range.
  asio::awaitable<PartitionState> ReadCreateState(const catalog::TableSnapshot& parent,
                                                  const planner::Action& action);

  // CREATE TABLE (LIKE parent INCLUDING ALL), owner and RLS as the parent's, a CHECK matching the
  // bound, ATTACH PARTITION (SHARE UPDATE EXCLUSIVE on the parent), drop the CHECK: all or nothing.
  asio::awaitable<void> CreateAndAttach(const catalog::TableSnapshot& parent,
                                        const planner::Action& action);
  // The same for a table that already exists (a restored archive): owner, fidelity, CHECK,
  // ATTACH, drop the CHECK, the security guard, in one transaction.
  asio::awaitable<void> AttachExisting(const catalog::TableSnapshot& parent,
                                       const planner::Action& action);
  // Marks the partition so retention interrupted after the detach is finished by the next pass,
  // guarded (partition_state.h): it must be a partition of `parent`, pending detach or not as
  // `detach_pending` says. The mark commits, then DETACH ... CONCURRENTLY (FINALIZE when pending)
  // runs, then, when `then_drop`, DROP TABLE in a transaction of its own: all in one round trip,
  // each only if the one before it succeeded. On an error the table is left in the state of the
  // last step that committed (marked; detached or pending; gone), for the caller to resume from.
  // ClearRetentionMark undoes the mark when the table is to be kept after all.
  asio::awaitable<void> MarkAndDetach(const catalog::TableSnapshot& parent,
                                      const planner::Action& action, bool detach_pending,
                                      bool then_drop);
  asio::awaitable<void> ClearRetentionMark(const planner::Action& action);
  // DETACH ... CONCURRENTLY, and ... FINALIZE of a detach left pending, unmarked.
  asio::awaitable<void> DetachConcurrently(const catalog::TableSnapshot& parent,
                                           const planner::Action& action);
  asio::awaitable<void> FinalizeDetach(const catalog::TableSnapshot& parent,
                                       const planner::Action& action);
  // Plain DETACH in a transaction (when a default partition rules out CONCURRENTLY), and in the
  // same transaction what follows it: nothing, the DROP, or the retention mark (when more steps
  // follow and must survive an interruption). Not guarded: DETACH fails by itself unless the table
  // is a partition of `parent`.
  asio::awaitable<void> DetachInTransaction(const catalog::TableSnapshot& parent,
                                            const planner::Action& action, AfterDetach after);
  // Moves a detached table to `schema` and clears its retention mark, in one transaction; and
  // DROP TABLE. Guarded: the table must be detached and carry the retention mark.
  asio::awaitable<void> MoveToSchema(const planner::Action& action, const std::string& schema);
  asio::awaitable<void> DropDetached(const planner::Action& action);

  // With a default partition (default_partition.cc). ATTACH must prove that the default holds no
  // row of the new range: by scanning it under ACCESS EXCLUSIVE, unless a validated CHECK on the
  // default already excludes the range. Rows of the range that sit in the default are moved into
  // the new table first, online. The steps, each resumable from ReadCreateState:
  //  1. CreateBesideDefault: the new table, not attached, with the parent's owner and security,
  //     a CHECK matching the bound and a mark naming the parent and range. One transaction.
  //  2. MoveRowsFromDefault: rows of the range, in batches of `batch_rows`, each batch one
  //     statement (its own transaction, under the session lock_timeout; rows locked by others are
  //     skipped and taken by a later batch). Returns the rows moved.
  //  3. Ranges ahead of now: ExcludeFromDefault adds CHECK (key < from OR key >= to) NOT VALID on
  //     the default (ACCESS EXCLUSIVE for an instant, no scan); from then on the default refuses
  //     rows of the range, so the rows that arrived meanwhile are moved (2 again), and
  //     ValidateExclusion proves it with a scan under SHARE UPDATE EXCLUSIVE, which lets
  //     inserts, updates and reads go on.
  //  4. AttachBesideDefault: ATTACH (no scan of the default when 3 ran), drop the bound CHECK, the
  //     exclusion and the mark. For ranges that hold now or the past (a current row may be arriving
  //     in the default) there is no step 3: the transaction locks the parent against writes
  //     (SHARE ROW EXCLUSIVE: inserts wait, reads go on) and the default, moves what arrived since
  //     step 2 and attaches, and PostgreSQL scans the default under that lock.
  asio::awaitable<void> CreateBesideDefault(const catalog::TableSnapshot& parent,
                                            const planner::Action& action);
  asio::awaitable<long long> MoveRowsFromDefault(const catalog::TableSnapshot& parent,
                                                 const planner::Action& action, int batch_rows);
  asio::awaitable<void> ExcludeFromDefault(const catalog::TableSnapshot& parent,
                                           const planner::Action& action);
  asio::awaitable<void> ValidateExclusion(const catalog::TableSnapshot& parent);
  // `move_rest`: move the rows that arrived since step 2 inside the locked transaction (ranges
  // that hold now or the past); false when MoveSideEffects ruled moves out, and ATTACH then fails
  // by itself if such a row arrived.
  asio::awaitable<void> AttachBesideDefault(const catalog::TableSnapshot& parent,
                                            const planner::Action& action, bool move_rest);
  // Everything a move would set off besides changing the rows' location, one description each
  // (naming it): the default partition's DELETE triggers that fire in a normal session (user row
  // and statement triggers, those cloned from the parent, and the referential actions of foreign
  // keys that reference the parent: ON DELETE CASCADE would delete the referencing rows), its
  // DELETE rules, and the publications that would replicate the move as a deletion. Empty when
  // rows can move without side effects. A statement trigger on the parent does not fire for a
  // DELETE on the default partition alone, so it is not listed.
  asio::awaitable<std::vector<std::string>> MoveSideEffects(const catalog::TableSnapshot& parent);
  // Whether the default partition holds a row of the action's range (after SuspendForcedSecurity:
  // FORCE ROW LEVEL SECURITY would hide rows from the owner role).
  asio::awaitable<bool> DefaultHoldsRange(const catalog::TableSnapshot& parent,
                                          const planner::Action& action);
  // Reads the whole default partition under statement_timeout = lock_timeout, with no lock that
  // blocks writers: an estimate of the scan ATTACH makes of it for a range holding now or the past,
  // while writes to the parent wait. False when the read was cancelled: that scan would hold
  // writers longer than lock_timeout.
  asio::awaitable<bool> DefaultScanFitsLockTimeout(const catalog::TableSnapshot& parent);
  // Before step 2 when the parent forces RLS: the default partition without FORCE (the new table
  // never had it), so that the owner role's move sees every row; step 4 restores both.
  asio::awaitable<void> SuspendForcedSecurity(const catalog::TableSnapshot& parent);
  // After a failed create: removes the exclusion (if any) so the default accepts the range's rows
  // again, and gives it back FORCE ROW LEVEL SECURITY. Best effort: errors are logged, not thrown.
  asio::awaitable<void> RestoreDefaultQuietly(const catalog::TableSnapshot& parent);
  // default_partition: create. A new, empty default partition with the parent's owner and
  // security, attached in one transaction.
  asio::awaitable<void> CreateDefault(const catalog::TableSnapshot& parent,
                                      const planner::Action& action);
  // default_partition: none. Drops the default partition if it is empty, checked under ACCESS
  // EXCLUSIVE on the parent and the default (for an instant: the check stops at the first row).
  // Returns false, changing nothing, when it holds rows.
  asio::awaitable<bool> DropDefaultIfEmpty(const catalog::TableSnapshot& parent,
                                           const planner::Action& action);

  // Reads the partition's policies and grantees, then replaces them (and its RLS flags) with the
  // parent's, in one transaction that locks the parent (ACCESS SHARE) and ends with the security
  // guard.
  asio::awaitable<void> RepairFidelity(const catalog::TableSnapshot& parent,
                                       const planner::Action& action);

 private:
  // Runs `body` inside BEGIN; SET LOCAL lock_timeout; ...; COMMIT. Prepares the security guard
  // first (once per session), which bodies may EXECUTE.
  asio::awaitable<void> RunInTransaction(const std::string& body);
  // Runs one statement that must not be in a transaction block, under the session lock_timeout
  // the connection was opened with (pg::SessionOptions::lock_timeout).
  asio::awaitable<void> RunOutsideTransaction(const std::string& statement);
  std::string SetLocalLockTimeout() const;
  // Appends BEGIN, SET LOCAL lock_timeout, `body` and COMMIT to `pipeline`.
  void AppendTransaction(std::vector<pg::PipelinedStatement>& pipeline,
                         std::vector<pg::PipelinedStatement> body) const;
  std::string DropStatement(const planner::Action& action);
  // ALTER TABLE parent DETACH PARTITION child CONCURRENTLY, or FINALIZE.
  std::string DetachStatement(const catalog::TableSnapshot& parent, const planner::Action& action,
                              bool finalize);
  std::string AttachStatements(const catalog::TableSnapshot& parent, const planner::Action& action);
  // BoundCheckStatement, then AttachOnlyStatements: ATTACH and drop the bound CHECK.
  std::string AttachOnlyStatements(const catalog::TableSnapshot& parent,
                                   const planner::Action& action);
  std::string OwnerAndSecurityStatements(const catalog::TableSnapshot& parent,
                                         const std::string& child);
  // A key value as a quoted literal of the key's type (bounds cannot be parameters in DDL).
  std::string Literal(const catalog::TableSnapshot& parent, catalog::KeyValue value);
  // CREATE TABLE (LIKE parent ...) for `child`, its owner and security made the parent's, then
  // the security guard (security_guard.h).
  std::string CreateLikeStatements(const catalog::TableSnapshot& parent, const std::string& child);
  // ADD CONSTRAINT partitiond_bound on the child: lets ATTACH skip scanning it.
  std::string BoundCheckStatement(const catalog::TableSnapshot& parent,
                                  const planner::Action& action);
  // "<key> >= from AND <key> < to", the action's range as a condition on the key.
  std::string InRange(const catalog::TableSnapshot& parent, const planner::Action& action);
  // The comment that marks a table as ours (catalog/mark.h) for the action's parent and range.
  std::string MarkText(catalog::MarkKind kind, const catalog::TableSnapshot& parent,
                       const planner::Action& action);
  std::string PendingMark(const catalog::TableSnapshot& parent, const planner::Action& action);
  // One statement: INSERT INTO child SELECT ... FROM (DELETE FROM ONLY default WHERE key in the
  // action's range ...). `limit` 0: all such rows, else at most that many, skipping locked ones.
  asio::awaitable<std::string> MoveStatement(const catalog::TableSnapshot& parent,
                                             const planner::Action& action, int limit);
  std::string Default(const catalog::TableSnapshot& parent);
  // The policies and grantees a partition has now, to remove before giving it the parent's;
  // nullopt when there is no such table.
  asio::awaitable<std::optional<ExistingSecurity>> ReadExistingSecurity(
      const planner::Action& action);
  // The parent's CHECK constraints that are NOT VALID, as (name, definition). Rows may sit in the
  // default partition that violate them, and a NOT VALID CHECK is still enforced on the rows moved
  // into the new table, so it has none of them while rows move and gets them back (NOT VALID, as
  // on its parent, which ATTACH accepts) just before it is attached.
  asio::awaitable<std::vector<std::pair<std::string, std::string>>> NotValidChecks(
      const catalog::TableSnapshot& parent);
  std::string MarkStatement(const catalog::TableSnapshot& parent, const planner::Action& action);
  std::string Parent(const catalog::TableSnapshot& parent);
  std::string Child(const planner::Action& action);

  pg::Connection& conn_;
  std::chrono::milliseconds lock_timeout_;
};

}  // namespace partitiond::executor
