#include "daemon/archive/copy_sql.h"

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

}  // namespace partitiond::archive
