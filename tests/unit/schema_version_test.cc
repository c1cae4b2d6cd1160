#include "daemon/state/schema_version.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "build_info.h"

namespace partitiond::state {
namespace {

TEST(SchemaVersionTest, TheCompiledInScriptStatesItsVersion) {
  EXPECT_EQ(NeededSchemaVersion(), 2);
  EXPECT_EQ(SchemaVersionOf("DO $v$ BEGIN PERFORM set_config('partitiond.schema_version', '17', "
                            "false); END $v$;"),
            17);
  EXPECT_EQ(SchemaVersionOf("CREATE SCHEMA partitiond;"), 0);
  EXPECT_EQ(SchemaVersionOf("set_config('partitiond.schema_version', 'x', false)"), 0);
}

// The action names live in the C++ (planner::ToString and "restore") and in sql/schema.sql's CHECK
// constraint; a name added on one side only fails here.
TEST(SchemaVersionTest, AuditActionCheckListsExactlyTheDaemonsActions) {
  std::vector<std::string> in_sql = CheckedActionNames(kSchemaSql);
  std::vector<std::string> in_code = AuditActionNames();
  ASSERT_FALSE(in_sql.empty());
  std::sort(in_sql.begin(), in_sql.end());
  std::sort(in_code.begin(), in_code.end());
  EXPECT_EQ(in_sql, in_code);
  EXPECT_THAT(AuditActionNames(), ::testing::Contains("restore"));
  EXPECT_THAT(AuditActionNames(), ::testing::Contains("create"));
}

TEST(SchemaVersionTest, ReadsTheCheckListOfAScript) {
  EXPECT_THAT(CheckedActionNames("ALTER TABLE partitiond.audit ADD CONSTRAINT audit_action_check\n"
                                 "    CHECK (action IN ('create', 'drop',\n 'detach'));"),
              ::testing::ElementsAre("create", "drop", "detach"));
  EXPECT_THAT(CheckedActionNames("CHECK (action IN ('create'))"), ::testing::IsEmpty());
}

TEST(SchemaVersionTest, DecidesFromTheVersionFound) {
  const struct {
    std::optional<int> found;
    int needed;
    SchemaStep step;
  } cases[] = {
      {std::nullopt, 2, SchemaStep::kCreate},
      {1, 2, SchemaStep::kUpgrade},
      {2, 2, SchemaStep::kUse},
      {3, 2, SchemaStep::kRefuseNewer},
      {0, 2, SchemaStep::kUpgrade},
      {1, 1, SchemaStep::kUse},
      {2, 5, SchemaStep::kUpgrade},
      {9, 5, SchemaStep::kRefuseNewer},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(DecideSchemaStep(c.found, c.needed), c.step)
        << (c.found ? std::to_string(*c.found) : "none") << " vs " << c.needed;
  }
}

TEST(SchemaVersionTest, RefusalsNameDatabaseVersionsRoleAndScript) {
  EXPECT_EQ(CannotUpgradeMessage("app", 1, 2, "partitiond"),
            "state schema partitiond in database \"app\" is version 1, this partitiond needs "
            "version 2, and role \"partitiond\" may not upgrade it; run sql/schema.sql as the "
            "owner of schema partitiond (psql -d app -f sql/schema.sql), then sql/role.sql for "
            "the grants");
  EXPECT_EQ(NewerSchemaMessage("app", 3, 2),
            "state schema partitiond in database \"app\" is version 3, newer than version 2 that "
            "this partitiond knows; refusing to use it (it is never downgraded): upgrade "
            "partitiond");
}

}  // namespace
}  // namespace partitiond::state
