// A parent's security as partitions must carry it (owner, RLS flags, grants, policies): the SQL
// that reads it and compares a partition's with it, shared by the pass's snapshot (drift
// detection) and the executor's guard (a create or repair that rendered stale security aborts),
// so both judge "the same security" by one definition.
#pragma once

#include <string>
#include <string_view>

#include "daemon/catalog/snapshot.h"
#include "daemon/pg/connection.h"

namespace partitiond::catalog {

// CTE definitions (no leading WITH, no trailing comma) of `grants(oid, grants)` and
// `policies(oid, policies)` for the relations of a CTE `secured(oid, relowner, relacl)` that the
// query defines before them. Grants other than the owner's are a set (the same privilege granted
// again by another grantor adds nothing a repair could take away); policies are sorted, with
// their roles sorted and NULL expressions kept apart from absent ones. Only relations with an ACL
// or policies yield a row. Deparsing a policy opens its table (ACCESS SHARE).
extern const std::string_view kSecurityCtes;

// FROM-clause joins of those CTEs for a parent row `p` and a partition row `c` (both with oid,
// relowner, relrowsecurity and relforcerowsecurity), and the condition, true when the partition's
// owner, RLS flags, grants or policies differ from the parent's.
extern const std::string_view kSecurityJoins;
extern const std::string_view kSecurityDiffers;

// A json_build_object expression over a pg_class row `c`: what a new partition must carry over
// (force_rls, replica_identity, grants with names, policies deparsed), as ParseFidelity reads it.
extern const std::string_view kFidelityJson;

// Fills the table's force_row_security, replica_identity, grants and policies (replacing any)
// from kFidelityJson's text.
void ParseFidelity(std::string_view text, TableSnapshot& table);

// Reads the parent's owner, RLS flags, replica identity, grants and policies again, in one query,
// into `table` (other fields untouched). Throws pg::Error, 42P01 when the table is gone.
asio::awaitable<void> ReadSecurity(pg::Connection& conn, TableSnapshot& table);

}  // namespace partitiond::catalog
