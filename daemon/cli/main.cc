// partitiond entry point: parse the command line and hand over to the command.
#include <csignal>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "daemon/cli/args.h"
#include "daemon/cli/commands.h"
#include "daemon/common/env.h"
#include "daemon/common/logging.h"

namespace {

// Reached only by an exception escaping a thread other than main's (the metrics renderer, the
// config reader) or a noexcept function: say why before the abort, which systemd then restarts.
[[noreturn]] void LogAndAbort() {
  const std::exception_ptr failure = std::current_exception();
  spdlog::critical("internal error: terminating: {}",
                   failure ? partitiond::DescribeException(failure) : "std::terminate called");
  spdlog::shutdown();
  std::abort();
}

}  // namespace

int main(int argc, char** argv) {
  namespace cli = partitiond::cli;
  // A file-size limit (ulimit -f) must fail a write with EFBIG, reported like a full disk, not
  // kill the process in the middle of an archive.
  std::signal(SIGXFSZ, SIG_IGN);
  std::set_terminate(LogAndAbort);
  return cli::RunGuarded(
      [&] {
        partitiond::ConfigureLogging("info", false);
        cli::Args args;
        try {
          args = cli::ParseArgs(std::vector<std::string>(argv + 1, argv + argc));
        } catch (const cli::UsageError& e) {
          std::cerr << "partitiond: " << e.what() << "\n" << cli::UsageText();
          return 2;
        }
        auto env = partitiond::MakeSystemEnv();
        return cli::RunCommand(args, *env, std::cout, std::cerr);
      },
      std::cerr);
}
