// partitiond entry point: parse the command line and hand over to the command.
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "daemon/cli/args.h"
#include "daemon/cli/commands.h"
#include "daemon/common/env.h"
#include "daemon/common/logging.h"

int main(int argc, char** argv) {
  namespace cli = partitiond::cli;
  // A file-size limit (ulimit -f) must fail a write with EFBIG, reported like a full disk, not
  // kill the process in the middle of an archive.
  std::signal(SIGXFSZ, SIG_IGN);
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
}
