// An exception escaping a command is an internal error: exit code 1 and a message on stderr,
// never std::terminate.
#include "daemon/cli/commands.h"

#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>
#include <string>

namespace partitiond::cli {
namespace {

TEST(RunGuardedTest, EscapingExceptionsBecomeExitCodeOneWithTheReason) {
  struct Case {
    std::function<int()> command;
    int exit_code;
    std::string err;
  };
  const Case cases[] = {
      {[] { return 0; }, 0, ""},
      {[] { return 3; }, 3, ""},
      {[]() -> int { throw std::runtime_error("boom"); }, 1, "partitiond: internal error: boom\n"},
      {[]() -> int { throw std::bad_alloc(); }, 1, "partitiond: internal error: std::bad_alloc\n"},
      {[]() -> int { throw 7; }, 1,
       "partitiond: internal error: unknown exception (not a std::exception)\n"},
  };
  for (const Case& c : cases) {
    std::ostringstream err;
    EXPECT_EQ(RunGuarded(c.command, err), c.exit_code) << c.err;
    EXPECT_EQ(err.str(), c.err);
  }
}

}  // namespace
}  // namespace partitiond::cli
