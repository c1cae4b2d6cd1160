// plan/once --format json with text that is not UTF-8 in the server's messages and names (a
// database whose encoding the session did not convert, a libpq message in the host's locale):
// the report is printed, with the bad bytes replaced, instead of the command aborting.
#include "daemon/cli/render.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace partitiond::cli {
namespace {

TEST(RenderTest, JsonReportReplacesInvalidUtf8) {
  const auto now = std::chrono::sys_seconds(std::chrono::seconds(1'800'000'000));
  maintenance::DatabaseReport unreadable{.database = "d\xe9j\xe0",
                                         .error = std::string("FATAL: base \xab x \xbb")};
  maintenance::DatabaseReport table_error{.database = "main"};
  maintenance::TableReport table;
  table.snapshot.configured = {"app", "events"};
  table.snapshot.error = "relation \"app.\xe9v\xe9nements\" does not exist";
  table_error.tables.push_back(std::move(table));
  std::string text;
  ASSERT_NO_THROW(text = RenderJson({unreadable, table_error}, now));
  const nlohmann::json root = nlohmann::json::parse(text);
  EXPECT_EQ(root["databases"][0]["name"], "d\xef\xbf\xbdj\xef\xbf\xbd");
  EXPECT_EQ(root["databases"][0]["error"], "FATAL: base \xef\xbf\xbd x \xef\xbf\xbd");
  EXPECT_EQ(root["databases"][1]["tables"][0]["error"],
            "relation \"app.\xef\xbf\xbdv\xef\xbf\xbdnements\" does not exist");
}

}  // namespace
}  // namespace partitiond::cli
