// Text from servers, configs and files may be any bytes: JSON output and metric labels built
// from it replace what is not UTF-8 and never throw (nlohmann::json::dump() alone throws
// type_error 316 on such bytes).
#include "daemon/common/json_text.h"

#include <gtest/gtest.h>

#include <string>

namespace partitiond {
namespace {

const std::string kReplacement = "\xef\xbf\xbd";  // U+FFFD

TEST(JsonTextTest, InvalidUtf8IsReplacedInsteadOfThrowing) {
  struct Case {
    std::string input;
    std::string output;
  };
  const Case cases[] = {
      {"plain", "plain"},
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
      // LATIN1 "é" as a server in that encoding sends it.
      {"caf\xe9", "caf" + kReplacement},
      {"\xff", kReplacement},
      {"a\xe2\x82", "a" + kReplacement},          // truncated sequence at the end
      {"\xc0\xaf", kReplacement + kReplacement},  // overlong encoding of '/'
      {"\xed\xa0\x80", kReplacement + kReplacement + kReplacement},  // a UTF-16 surrogate
      {std::string("nul\0byte", 8), std::string("nul\0byte", 8)},
  };
  for (const Case& c : cases) {
    const nlohmann::json object = {{"name", c.input}, {"list", {c.input}}};
    if (c.input != c.output) {
      // The trap this guards against.
      EXPECT_THROW((void)object.dump(), nlohmann::json::type_error) << c.output;
    }
    std::string text;
    ASSERT_NO_THROW(text = DumpJson(object));
    const nlohmann::json back = nlohmann::json::parse(text);
    EXPECT_EQ(back["name"], c.output);
    EXPECT_EQ(back["list"][0], c.output);
    EXPECT_EQ(ValidUtf8(c.input), c.output);
    // Indented output (plan and status --format json) alike.
    ASSERT_NO_THROW((void)DumpJson(object, 2));
  }
}

}  // namespace
}  // namespace partitiond
