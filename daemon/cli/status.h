// `partitiond status`: the health model of every managed table (the one the metrics export),
// read from the catalog now, plus the last success and last error recorded in partitiond.audit.
// Changes nothing.
#pragma once

#include <ostream>

#include "daemon/cli/args.h"
#include "daemon/common/env.h"
#include "daemon/config/config.h"

namespace partitiond::cli {

// Returns the exit code: 3 if a database is unreachable, 1 if a table cannot be maintained or
// its retention is overdue, else 0.
int Status(const config::Config& config, const Args& args, Env& env, std::ostream& out);

}  // namespace partitiond::cli
