// JSON log lines stay one valid JSON object each, whatever bytes a server's message carries.
#include "daemon/common/logging.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace partitiond {
namespace {

std::vector<nlohmann::json> Lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST(LoggingTest, JsonLinesReplaceInvalidUtf8) {
  ConfigureLogging("info", true);
  ::testing::internal::CaptureStderr();
  LogEvent(spdlog::level::err, "database d\xe9j\xe0: \"quoted\"\nnext line",
           {.database = "d\xe9j\xe0", .table = "app.\xff", .error = "bad \xc3"});
  spdlog::error("plain {}", "caf\xe9");
  spdlog::default_logger()->flush();
  const std::string text = ::testing::internal::GetCapturedStderr();
  ConfigureLogging("info", false);
  std::vector<nlohmann::json> lines;
  ASSERT_NO_THROW(lines = Lines(text)) << text;
  ASSERT_EQ(lines.size(), 2u) << text;
  EXPECT_EQ(lines[0]["message"], "database d\xef\xbf\xbdj\xef\xbf\xbd: \"quoted\"\nnext line");
  EXPECT_EQ(lines[0]["database"], "d\xef\xbf\xbdj\xef\xbf\xbd");
  EXPECT_EQ(lines[0]["table"], "app.\xef\xbf\xbd");
  EXPECT_EQ(lines[0]["error"], "bad \xef\xbf\xbd");
  EXPECT_EQ(lines[1]["message"], "plain caf\xef\xbf\xbd");
}

TEST(LoggingTest, DescribeExceptionNamesWhatWasThrown) {
  auto thrown = [](auto value) {
    try {
      throw value;
    } catch (...) {
      return DescribeException(std::current_exception());
    }
  };
  EXPECT_EQ(thrown(std::runtime_error("disk on fire")), "disk on fire");
  EXPECT_EQ(thrown(42), "unknown exception (not a std::exception)");
  EXPECT_EQ(DescribeException(nullptr), "no exception");
}

}  // namespace
}  // namespace partitiond
