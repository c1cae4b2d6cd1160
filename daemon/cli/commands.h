// The subcommands of `partitiond` (run, once, plan, status, ...). Each returns the process exit
// code; output goes to the given streams (logs go to spdlog's stderr sink).
#pragma once

#include <ostream>

#include "daemon/cli/args.h"
#include "daemon/common/env.h"

namespace partitiond::cli {

int RunCommand(const Args& args, Env& env, std::ostream& out, std::ostream& err);

}  // namespace partitiond::cli
