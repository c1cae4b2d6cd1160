// archive::ParseColumns and the manifest's column round trip: the archiver's catalog query writes
// SQL NULLs as JSON null, ToJson leaves absent values out; both must read as absent.
#include "daemon/archive/manifest.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace partitiond::archive {
namespace {

TEST(ParseColumnsTest, NullCollationAndGeneratedAreAbsent) {
  const auto columns = ParseColumns(
      R"json([{"name": "at", "type": "timestamp with time zone", "not_null": true,
           "collation": null, "generated": null}])json");
  ASSERT_EQ(columns.size(), 1u);
  EXPECT_EQ(columns[0].name, "at");
  EXPECT_EQ(columns[0].type, "timestamp with time zone");
  EXPECT_TRUE(columns[0].not_null);
  EXPECT_FALSE(columns[0].collation.has_value());
  EXPECT_FALSE(columns[0].generated.has_value());
}

TEST(ParseColumnsTest, MissingKeysAreAbsent) {
  const auto columns =
      ParseColumns(R"json([{"name": "v", "type": "integer", "not_null": false}])json");
  ASSERT_EQ(columns.size(), 1u);
  EXPECT_FALSE(columns[0].not_null);
  EXPECT_FALSE(columns[0].collation.has_value());
  EXPECT_FALSE(columns[0].generated.has_value());
}

TEST(ParseColumnsTest, KeepsCollationGeneratedAndOrder) {
  const auto columns = ParseColumns(
      R"json([{"name": "b", "type": "text", "not_null": false, "collation": "pg_catalog.\"C\""},
          {"name": "a", "type": "bigint", "not_null": false, "generated": "(id * 2)"}])json");
  ASSERT_EQ(columns.size(), 2u);
  EXPECT_EQ(columns[0].name, "b");
  EXPECT_EQ(columns[0].collation, std::optional<std::string>("pg_catalog.\"C\""));
  EXPECT_EQ(columns[1].generated, std::optional<std::string>("(id * 2)"));
  EXPECT_FALSE(columns[1].collation.has_value());
}

TEST(ParseColumnsTest, MalformedInputThrows) {
  EXPECT_THROW(ParseColumns("[{\"name\": \"x\"}]"), nlohmann::json::exception);
  EXPECT_THROW(ParseColumns("not json"), nlohmann::json::exception);
}

TEST(ManifestTest, ColumnsSurviveTheRoundTrip) {
  Manifest manifest{.columns = {{.name = "id", .type = "bigint", .not_null = true},
                                {.name = "twice",
                                 .type = "bigint",
                                 .collation = std::nullopt,
                                 .generated = "(id * 2)"}},
                    .archive_file = "t.copy.zst"};
  const Manifest parsed = ParseManifest(ToJson(manifest), "test");
  ASSERT_EQ(parsed.columns.size(), 2u);
  EXPECT_EQ(parsed.columns[0].name, "id");
  EXPECT_TRUE(parsed.columns[0].not_null);
  EXPECT_FALSE(parsed.columns[0].generated.has_value());
  EXPECT_EQ(parsed.columns[1].generated, std::optional<std::string>("(id * 2)"));
}

}  // namespace
}  // namespace partitiond::archive
