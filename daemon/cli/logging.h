// Log output for every command: spdlog on stderr, as readable text or as one JSON object per line
// (for journald and Loki), in UTC.
#pragma once

#include <string>

namespace partitiond::cli {

// `level` is trace|debug|info|warn|error (validated by the config). Safe to call again to switch.
void ConfigureLogging(const std::string& level, bool json);

}  // namespace partitiond::cli
