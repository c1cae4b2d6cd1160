// The guard that keeps a create or repair from committing a partition whose security (owner, RLS
// flags, grants, policies) differs from its parent's. The statements that give a partition its
// security are rendered from the pass's snapshot; a migration that changed the parent since (say,
// while the create was retrying behind a lock) would leave the partition without the new policy,
// readable directly by every role the old grants named. The guard runs last in the transaction and
// compares the two as the server sees them then, with the snapshot's own definition of "the same
// security" (catalog/security.h); when they differ it aborts the transaction, and the executor
// reads the parent's security again and retries.
//
// What it covers depends on the locks the transaction holds when the guard runs:
//  - ENABLE/DISABLE/FORCE ROW LEVEL SECURITY, CREATE/ALTER/DROP POLICY and OWNER TO on the parent
//    take ACCESS EXCLUSIVE on it. The create holds ACCESS SHARE on the parent from CREATE TABLE
//    (LIKE parent) on, ATTACH takes SHARE UPDATE EXCLUSIVE, and a repair locks the parent ACCESS
//    SHARE first: so such a change either committed before the guard's statement began (and the
//    guard sees it) or waits until the transaction has committed (and the next pass's drift
//    check sees it).
//  - GRANT and REVOKE take no table lock. One that commits between the guard and COMMIT (the
//    same round trip, well under a millisecond) is not caught here; the next pass's snapshot
//    reports the partition as drifted and repairs it.
#pragma once

#include <string>

#include "daemon/catalog/snapshot.h"
#include "daemon/pg/connection.h"

namespace partitiond::executor {

// How many times an action reads its parent's security again after the guard failed, retrying at
// once each time (no lock was lost); a parent rewritten this often is left to the next pass.
inline constexpr int kMaxSecurityRereads = 3;

// Prepares the guard on `conn` (once per session; later calls are free).
asio::awaitable<void> PrepareSecurityGuard(pg::Connection& conn);

// A statement (ending in ";\n") for a multi-statement transaction body: aborts the transaction
// with an error IsSecurityChanged recognizes unless `child` (an already quoted qualified name)
// has the owner, RLS flags, grants and policies of `parent` now. PrepareSecurityGuard first.
std::string ExpectParentSecurity(pg::Connection& conn, const catalog::TableSnapshot& parent,
                                 const std::string& child);

// The error of a failed ExpectParentSecurity.
bool IsSecurityChanged(const pg::Error& error);

}  // namespace partitiond::executor
