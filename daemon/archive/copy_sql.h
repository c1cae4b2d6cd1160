// The COPY statement pieces an archive and its restore share, so that what is written is exactly
// what is read back: the stored columns in table order (generated columns are recomputed by the
// server, not carried in the data), text format, UTF8 (the manifest's copy_format and encoding).
#pragma once

#include <string>
#include <vector>

#include "daemon/archive/manifest.h"
#include "daemon/pg/connection.h"

namespace partitiond::archive {

// Appended to "COPY table (columns) TO STDOUT" and "... FROM STDIN".
inline constexpr const char* kCopyOptions = "(FORMAT text, ENCODING 'UTF8')";

// "a", "b", ... : every column that is not generated, quoted with the connection's encoding.
std::string CopyColumnList(pg::Connection& conn, const std::vector<ColumnDefinition>& columns);

}  // namespace partitiond::archive
