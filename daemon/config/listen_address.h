// The metrics endpoint's "host:port".
#pragma once

#include <string_view>

#include "daemon/config/config.h"

namespace partitiond::config {

// Parses "127.0.0.1:9187", "localhost:9187" or "[::1]:9187" (port 0..65535; 0 picks a free port).
// The host is kept as written, brackets included for IPv6, so that host + ":" + port is again a
// valid listen address (the form the metrics server binds to). Host names other than localhost
// are rejected: an exporter binds to an address. Throws std::invalid_argument on anything else.
MetricsConfig ParseListenAddress(std::string_view text);

}  // namespace partitiond::config
