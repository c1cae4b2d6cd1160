// Partition fidelity on real PostgreSQL: a partition partitiond creates carries its parent's
// owner, RLS (enabled and forced), replica identity, grants and policies, so an application role
// that queries the partition directly sees only its tenant's rows. The same query on a partition
// made with plain CREATE TABLE ... PARTITION OF shows the leak this prevents.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/database_test.h"

namespace partitiond::testing {
namespace {

constexpr const char* kTenantA = "00000000-0000-0000-0000-00000000000a";
constexpr const char* kTenantB = "00000000-0000-0000-0000-00000000000b";

class FidelityTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    // Roles are cluster-wide: names carry the database so tests never collide.
    app_ = dbname_ + "_app";
    auditor_ = dbname_ + "_auditor";
    for (const auto& role : {app_, auditor_}) {
      conn_->Exec("CREATE ROLE " + conn_->QuoteIdentifier(role));
    }
    const std::string app = conn_->QuoteIdentifier(app_);
    const std::string auditor = conn_->QuoteIdentifier(auditor_);
    conn_->Exec("CREATE SCHEMA app; GRANT USAGE ON SCHEMA app TO " + app + ", " + auditor + ", " +
                conn_->QuoteIdentifier(owner_role_) + ";" +
                "CREATE TABLE app.events (tenant_id uuid NOT NULL, at timestamptz NOT NULL, "
                "payload jsonb, kind text GENERATED ALWAYS AS (payload->>'kind') STORED, "
                "PRIMARY KEY (tenant_id, at)) PARTITION BY RANGE (at);"
                "ALTER TABLE app.events OWNER TO " +
                conn_->QuoteIdentifier(owner_role_) +
                ";"
                "ALTER TABLE app.events ENABLE ROW LEVEL SECURITY;"
                "ALTER TABLE app.events FORCE ROW LEVEL SECURITY;"
                "ALTER TABLE app.events REPLICA IDENTITY FULL;"
                "CREATE POLICY tenant_isolation ON app.events USING "
                "(tenant_id = current_setting('app.tenant_id', true)::uuid) WITH CHECK "
                "(tenant_id = current_setting('app.tenant_id', true)::uuid);"
                "CREATE POLICY no_test_rows ON app.events AS RESTRICTIVE FOR SELECT TO " +
                app + " USING (kind IS DISTINCT FROM 'test');" +
                "GRANT SELECT, INSERT ON app.events TO " + app +
                "; GRANT SELECT ON app.events TO " + auditor + " WITH GRANT OPTION;");
  }

  // What a partition must share with its parent, as one comparable text per relation.
  std::string Fingerprint(const std::string& relation) {
    return QueryText(
        "SELECT concat_ws(' | ', c.relrowsecurity, c.relforcerowsecurity, c.relreplident, "
        "pg_get_userbyid(c.relowner), "
        "(SELECT string_agg(g.privilege_type || ':' || pg_get_userbyid(g.grantee) || ':' || "
        "g.is_grantable, ',' ORDER BY 1) FROM aclexplode(c.relacl) g WHERE g.grantee <> "
        "c.relowner), "
        "(SELECT string_agg(concat_ws(':', p.polname, p.polpermissive, p.polcmd, "
        "p.polroles::regrole[]::text, pg_get_expr(p.polqual, p.polrelid), "
        "pg_get_expr(p.polwithcheck, p.polrelid)), ',' ORDER BY p.polname) FROM pg_policy p "
        "WHERE p.polrelid = c.oid)) FROM pg_class c WHERE c.oid = '" +
        relation + "'::regclass");
  }

  // Rows of `relation` that the application role sees when acting for tenant A.
  long long RowsSeenByTenantA(const std::string& relation) {
    pg::Connection app = PgCluster::Shared().Connect(dbname_);
    app.Exec("SET ROLE " + app.QuoteIdentifier(app_) + "; SET app.tenant_id = '" +
             std::string(kTenantA) + "'");
    return app.Exec("SELECT count(*) FROM " + relation).GetInt(0, 0);
  }

  std::string app_, auditor_;
};

TEST_F(FidelityTest, NewPartitionsCarryTheParentsSecurity) {
  const std::string config =
      WriteConfig("      - { name: app.events, interval: 1 month, premake: 1 }\n");
  const CliResult r = RunCli("once --config " + config + " --now 2026-11-25T00:00:00Z");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string parent = Fingerprint("app.events");
  EXPECT_THAT(parent, ::testing::HasSubstr("tenant_isolation"));
  EXPECT_EQ(Fingerprint("app.events_p20261101"), parent);
  EXPECT_EQ(Fingerprint("app.events_p20261201"), parent);
  // The generated column and the primary key came along with LIKE ... INCLUDING ALL.
  EXPECT_EQ(QueryText("SELECT attgenerated FROM pg_attribute WHERE attrelid = "
                      "'app.events_p20261101'::regclass AND attname = 'kind'"),
            "s");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_index WHERE indrelid = "
                     "'app.events_p20261101'::regclass AND indisprimary"),
            1);
}

TEST_F(FidelityTest, DirectQueriesOnOurPartitionsSeeOneTenantWhilePlainPartitionOfLeaks) {
  const std::string config =
      WriteConfig("      - { name: app.events, interval: 1 month, premake: 1 }\n");
  ASSERT_EQ(RunCli("once --config " + config + " --now 2026-11-25T00:00:00Z").exit_code, 0);
  // What a naive tool does for the month after: no policies on the new partition.
  conn_->Exec(
      "CREATE TABLE app.events_naive PARTITION OF app.events FOR VALUES FROM ('2027-01-01') TO "
      "('2027-02-01'); GRANT SELECT ON app.events_naive TO " +
      conn_->QuoteIdentifier(app_));
  conn_->Exec(std::string("SET ROLE ") + conn_->QuoteIdentifier(owner_role_) +
              "; SET app.tenant_id = '" + kTenantA + "';" +
              "INSERT INTO app.events (tenant_id, at) VALUES ('" + kTenantA +
              "', '2026-11-10'), ('" + kTenantA + "', '2027-01-10');" + "SET app.tenant_id = '" +
              kTenantB + "';" + "INSERT INTO app.events (tenant_id, at) VALUES ('" + kTenantB +
              "', '2026-11-11'), ('" + kTenantB + "', '2027-01-11'); RESET ROLE;");
  // Through the parent, both are safe; queried directly, only ours is.
  EXPECT_EQ(RowsSeenByTenantA("app.events"), 2);
  EXPECT_EQ(RowsSeenByTenantA("app.events_p20261101"), 1);
  EXPECT_EQ(RowsSeenByTenantA("app.events_naive"), 2) << "the naive partition should leak";
}

TEST_F(FidelityTest, DriftFromTheParentIsRepairedOrReported) {
  const std::string tables = "      - { name: app.events, interval: 1 month, premake: 1 }\n";
  ASSERT_EQ(
      RunCli("once --config " + WriteConfig(tables) + " --now 2026-11-25T00:00:00Z").exit_code, 0);
  // The parent's security changes after the partitions exist, and one partition is tampered with.
  conn_->Exec(
      "CREATE POLICY only_recent ON app.events AS RESTRICTIVE USING (at > '2000-01-01');"
      "REVOKE INSERT ON app.events FROM " +
      conn_->QuoteIdentifier(app_) +
      ";"
      "ALTER TABLE app.events_p20261201 NO FORCE ROW LEVEL SECURITY;"
      "GRANT DELETE ON app.events_p20261201 TO PUBLIC;");
  const std::string parent = Fingerprint("app.events");
  ASSERT_NE(Fingerprint("app.events_p20261101"), parent);

  // fidelity: report changes nothing and says so.
  const std::string before = Fingerprint("app.events_p20261201");
  const CliResult report =
      RunCli("once --config " +
             WriteConfig("      - { name: app.events, interval: 1 month, premake: 1, fidelity: "
                         "report }\n") +
             " --now 2026-11-25T00:00:00Z");
  ASSERT_EQ(report.exit_code, 0) << report.out << report.err;
  EXPECT_THAT(report.err, ::testing::HasSubstr(
                              "app.events_p20261201: RLS flags, grants or policies differ from "
                              "the parent's (fidelity: report)"));
  EXPECT_EQ(Fingerprint("app.events_p20261201"), before);

  // fidelity: repair (the default) brings both partitions back in line, audited.
  const CliResult repair =
      RunCli("once --config " + WriteConfig(tables) + " --now 2026-11-25T00:00:00Z");
  ASSERT_EQ(repair.exit_code, 0) << repair.out << repair.err;
  EXPECT_EQ(Fingerprint("app.events_p20261101"), parent);
  EXPECT_EQ(Fingerprint("app.events_p20261201"), parent);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM partitiond.audit WHERE action = 'repair_fidelity' "
                     "AND outcome = 'ok'"),
            2)
      << repair.err;
  // Nothing left to repair, even with the same grants stored in another order.
  const std::string app = conn_->QuoteIdentifier(app_);
  conn_->Exec("REVOKE ALL ON app.events_p20261101 FROM " + app +
              "; GRANT SELECT ON app.events_p20261101 TO " + app + ";");
  ASSERT_NE(QueryText("SELECT relacl::text FROM pg_class WHERE oid = 'app.events'::regclass"),
            QueryText("SELECT relacl::text FROM pg_class WHERE oid = "
                      "'app.events_p20261101'::regclass"));
  const CliResult again =
      RunCli("plan --config " + WriteConfig(tables) + " --now 2026-11-25T00:00:00Z");
  EXPECT_THAT(again.out, ::testing::HasSubstr("summary: 0 action(s)")) << again.out;
}

}  // namespace
}  // namespace partitiond::testing
