#include "daemon/runtime/table_backoff.h"

#include <algorithm>

namespace partitiond::runtime {

bool TableBackoff::SkipThisPass(const std::string& table) {
  auto it = tables_.find(table);
  if (it == tables_.end() || it->second.passes_to_skip == 0) return false;
  --it->second.passes_to_skip;
  return true;
}

void TableBackoff::Record(const std::string& table, bool failed) {
  if (!failed) {
    tables_.erase(table);
    return;
  }
  State& state = tables_[table];
  state.failures = std::min(state.failures + 1, 30);
  state.passes_to_skip = std::min((1 << std::min(state.failures - 1, 4)) - 1, 15);
}

int TableBackoff::consecutive_failures(const std::string& table) const {
  auto it = tables_.find(table);
  return it == tables_.end() ? 0 : it->second.failures;
}

}  // namespace partitiond::runtime
