// Reads the DatabaseSnapshot for a list of configured tables in one round trip, whatever the
// number of tables and partitions. Sizes come from pg_class statistics and bounds are deparsed
// without opening the partitions; only tables with row-level-security policies are opened (ACCESS
// SHARE, to deparse the policies), so a long ACCESS EXCLUSIVE lock on such a table fails the read
// after lock_timeout and the pass is retried at the next interval.
#pragma once

#include <vector>

#include "daemon/catalog/snapshot.h"
#include "daemon/config/config.h"
#include "daemon/pg/connection.h"

namespace partitiond::catalog {

// Throws pg::Error when the query itself fails; problems with one table (missing, wrong kind of
// partitioning, unparseable bounds) are reported in that table's TableSnapshot::error instead.
asio::awaitable<DatabaseSnapshot> ReadSnapshot(pg::Connection& conn,
                                               const std::vector<config::TableConfig>& tables);

}  // namespace partitiond::catalog
