// The state schema's version against a real server: the daemon upgrades an older schema when its
// role may, refuses with an exact message when it may not, and refuses a newer schema; neither
// refusal changes anything. Also: a large premake plans the current period first.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "build_info.h"
#include "tests/support/database_test.h"

namespace partitiond::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kNow = " --now 2026-11-25T10:00:00Z";

std::string SchemaV1() {
  std::ifstream in(PARTITIOND_SOURCE_DIR "/tests/integration/state/schema_v1.sql");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class StateSchemaTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    CreateMonthlyEvents();
    // Written (and the grants made) before the state schema is replaced below: role.sql would
    // upgrade it.
    config_ = WriteConfig("      - { name: app.events, interval: 1 month, premake: 2 }\n");
  }

  // Replaces the state schema by version 1 with one audit row, made by `creator` (a role name, or
  // empty for the superuser).
  void InstallVersion1(const std::string& creator) {
    conn_->Exec("DROP SCHEMA partitiond CASCADE");
    std::string sql = "BEGIN; ";
    if (!creator.empty()) sql += "SET LOCAL ROLE " + conn_->QuoteIdentifier(creator) + "; ";
    conn_->Exec(sql + SchemaV1() +
                "; INSERT INTO partitiond.audit (started_at, database_label, table_name, "
                "partition_name, action, outcome, attempts, duration_ms, daemon_host, daemon_pid) "
                "VALUES (now(), 'test', 'app.events', 'app.events_p20260101', 'create', 'ok', 1, "
                "1, 'old', 1); COMMIT;");
  }

  std::string config_;
};

TEST_F(StateSchemaTest, UpgradesAnOlderSchemaWhenItsRoleMay) {
  // A daemon that made its state schema on first start, before the lease and the version existed.
  conn_->Exec("GRANT CREATE ON DATABASE " + conn_->QuoteIdentifier(dbname_) + " TO " +
              conn_->QuoteIdentifier(daemon_role_));
  InstallVersion1(daemon_role_);
  conn_->Exec("DROP TABLE partitiond.leader");
  const CliResult r = RunCli("once --config " + config_ + kNow);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("database test: upgraded state schema partitiond from version 1 "
                               "to 2"));
  EXPECT_EQ(QueryInt("SELECT version FROM partitiond.schema_version"), 2);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_class WHERE oid = 'partitiond.leader'::regclass"), 1);
  // The old row is kept; the pass's actions are audited after it.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM partitiond.audit WHERE daemon_host = 'old'"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM partitiond.audit WHERE action = 'create' AND "
                     "daemon_host <> 'old'"),
            3);
  EXPECT_EQ(Partitions("app.events").size(), 3u);
  // The next pass finds the version it needs and says nothing about it.
  const CliResult again = RunCli("once --config " + config_ + kNow);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.err, Not(HasSubstr("state schema")));
}

TEST_F(StateSchemaTest, RefusesAnOlderSchemaItsRoleMayNotUpgrade) {
  // Made by the owner with the grants of the time; the daemon's role has no CREATE.
  InstallVersion1("");
  conn_->Exec("GRANT USAGE ON SCHEMA partitiond TO " + conn_->QuoteIdentifier(daemon_role_) +
              "; GRANT SELECT, INSERT ON partitiond.audit TO " +
              conn_->QuoteIdentifier(daemon_role_));
  const std::string before = CatalogFingerprint();
  const CliResult r = RunCli("once --config " + config_ + kNow);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("database test: state schema partitiond in database \"" + dbname_ +
                               "\" is version 1, this partitiond needs version 2, and role \"" +
                               daemon_role_ +
                               "\" may not upgrade it; run sql/schema.sql as the owner of schema "
                               "partitiond (psql -d " +
                               dbname_ + " -f sql/schema.sql), then sql/role.sql for the grants"));
  EXPECT_EQ(CatalogFingerprint(), before);
  EXPECT_TRUE(Partitions("app.events").empty());
  EXPECT_EQ(QueryInt("SELECT count(*) FROM partitiond.audit"), 1);
}

TEST_F(StateSchemaTest, RefusesANewerSchema) {
  conn_->Exec("UPDATE partitiond.schema_version SET version = 3");
  const std::string before = CatalogFingerprint();
  const CliResult r = RunCli("once --config " + config_ + kNow);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("database test: state schema partitiond in database \"" + dbname_ +
                               "\" is version 3, newer than version 2 that this partitiond "
                               "knows; refusing to use it (it is never downgraded): upgrade "
                               "partitiond"));
  EXPECT_EQ(CatalogFingerprint(), before);
  EXPECT_TRUE(Partitions("app.events").empty());
  // The script refuses to downgrade it too.
  try {
    conn_->Exec(kSchemaSql);
    ADD_FAILURE() << "sql/schema.sql ran over a newer schema";
  } catch (const pg::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("is version 3, newer than version 2 of this script; refusing "
                                    "to downgrade it"));
  }
  EXPECT_EQ(QueryInt("SELECT version FROM partitiond.schema_version"), 3);
}

// The live constraint accepts every name the daemon writes to audit.action.
TEST_F(StateSchemaTest, AuditAcceptsEveryActionName) {
  for (const char* action : {"create", "finalize_detach", "drop", "detach", "archive",
                             "repair_fidelity", "restore", "create_default", "drop_default"}) {
    conn_->Exec(
        "INSERT INTO partitiond.audit (started_at, database_label, table_name, partition_name, "
        "action, outcome, attempts, duration_ms, daemon_host, daemon_pid) VALUES (now(), 't', "
        "'a.b', 'a.c', $1, 'ok', 1, 1, 'h', 1)",
        {action});
  }
  EXPECT_EQ(QueryInt("SELECT count(*) FROM partitiond.audit"), 9);
}

// premake beyond the per-pass cap on an empty parent: the current period is planned first.
TEST_F(StateSchemaTest, LargePremakePlansTheCurrentPeriodFirst) {
  const std::string config =
      WriteConfig("      - { name: app.events, interval: 1 day, premake: 1000 }\n");
  const CliResult r = RunCli("plan --config " + config + kNow + " --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto plan = nlohmann::json::parse(r.out);
  const auto& actions = plan["databases"][0]["tables"][0]["actions"];
  ASSERT_EQ(actions.size(), 1000u);
  EXPECT_EQ(actions[0]["partition"], "events_p20261125");
  EXPECT_EQ(actions[0]["reason"], "current period");
}

}  // namespace
}  // namespace partitiond::testing
