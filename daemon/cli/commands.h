// The subcommands of `partitiond` (run, once, plan, status, ...). Each returns the process exit
// code; output goes to the given streams (logs go to spdlog's stderr sink).
#pragma once

#include <functional>
#include <ostream>

#include "daemon/cli/args.h"
#include "daemon/common/env.h"

namespace partitiond::cli {

int RunCommand(const Args& args, Env& env, std::ostream& out, std::ostream& err);

// Exit code 1 for an internal error (a bug, memory exhaustion): an exception that escapes a
// command.
inline constexpr int kExitInternalError = 1;

// Runs `command` and returns its exit code; an exception escaping it is reported on `err` (and in
// the log) as an internal error and becomes kExitInternalError, never std::terminate.
int RunGuarded(const std::function<int()>& command, std::ostream& err) noexcept;

}  // namespace partitiond::cli
