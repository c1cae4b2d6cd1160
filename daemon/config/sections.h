// Private to daemon/config: the parts of the config that have their own source file.
#pragma once

#include <vector>

#include "daemon/config/config.h"
#include "daemon/config/yaml_reader.h"

namespace partitiond::config::detail {

// The `databases` list with its tables, every check applied (including duplicate names).
std::vector<DatabaseConfig> ParseDatabases(const Field& field);

}  // namespace partitiond::config::detail
