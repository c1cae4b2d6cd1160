// The statements that make a new partition carry its parent's RLS flags (enabled and forced),
// replica identity, table grants and row-level-security policies. They run in the create
// transaction, so a partition never exists without them.
#pragma once

#include <string>
#include <vector>

#include "daemon/catalog/snapshot.h"
#include "daemon/pg/connection.h"

namespace partitiond::executor {

// SQL statements (each ending in ";\n") for `child`, an already quoted qualified name. Throws
// pg::Error for a catalog value it does not recognise (never guesses at a privilege or command).
std::string FidelityStatements(pg::Connection& conn, const catalog::TableSnapshot& parent,
                               const std::string& child);

// What an existing partition has that a repair must remove first.
struct ExistingSecurity {
  std::vector<std::string> policies;  // policy names
  std::vector<std::string> grantees;  // roles holding grants other than the owner; "" is PUBLIC
};

// Brings `child` back to the parent's RLS flags (exactly: enabled/disabled, forced/not), grants
// and policies: drops its policies and revokes its grants, then applies the parent's.
std::string RepairStatements(pg::Connection& conn, const catalog::TableSnapshot& parent,
                             const std::string& child, const ExistingSecurity& existing);

}  // namespace partitiond::executor
