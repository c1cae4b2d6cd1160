#include "daemon/archive/copy_sql.h"

#include <fmt/format.h>

namespace partitiond::archive {

std::string CopyColumnList(pg::Connection& conn, const std::vector<ColumnDefinition>& columns) {
  std::string list;
  for (const auto& column : columns) {
    if (column.generated) continue;
    if (!list.empty()) list += ", ";
    list += conn.QuoteIdentifier(column.name);
  }
  return list;
}

std::string CopyOutStatement(pg::Connection& conn, const std::string& quoted_table,
                             std::string_view relkind,
                             const std::vector<ColumnDefinition>& columns) {
  const std::string list = CopyColumnList(conn, columns);
  if (relkind == "r")
    return fmt::format("COPY {} ({}) TO STDOUT {}", quoted_table, list, kCopyOptions);
  return fmt::format("COPY (SELECT {} FROM {}) TO STDOUT {}", list, quoted_table, kCopyOptions);
}

}  // namespace partitiond::archive
