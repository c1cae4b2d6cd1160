// The COPY statement pieces an archive and its restore share, so that what is written is exactly
// what is read back: the stored columns in table order (generated columns are recomputed by the
// server, not carried in the data), text format, UTF8 (the manifest's copy_format and encoding).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/archive/manifest.h"
#include "daemon/pg/connection.h"

namespace partitiond::archive {

// Appended to "COPY table (columns) TO STDOUT" and "... FROM STDIN".
inline constexpr const char* kCopyOptions = "(FORMAT text, ENCODING 'UTF8')";

// "a", "b", ... : every column that is not generated, quoted with the connection's encoding.
std::string CopyColumnList(pg::Connection& conn, const std::vector<ColumnDefinition>& columns);

// The archive's COPY ... TO STDOUT of `quoted_table`, whose pg_class.relkind is `relkind`: the
// table itself when it has storage of its own ('r'), else (a partitioned table, whose rows are in
// its sub-partitions, or a foreign table) COPY (SELECT columns FROM table), as COPY reads those
// only through a query. Both produce the same text.
std::string CopyOutStatement(pg::Connection& conn, const std::string& quoted_table,
                             std::string_view relkind,
                             const std::vector<ColumnDefinition>& columns);

}  // namespace partitiond::archive
