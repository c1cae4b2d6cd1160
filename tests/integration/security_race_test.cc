// A migration that changes the parent's security while partitiond's create is retrying behind
// its lock: the partitions that pass creates must carry the parent's security as it is when they
// commit (RLS on, the new policy, the new grants), not as the pass's snapshot read it, or a tenant
// reads another tenant's rows directly from the new partition until the next pass repairs it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/support/daemon_process.h"
#include "tests/support/database_test.h"

namespace partitiond::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr std::chrono::milliseconds kWait = 60s;

class SecurityRaceTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    // Roles are cluster-wide: names carry the database so tests never collide.
    tenant_a_ = dbname_ + "_tenant_a";
    tenant_b_ = dbname_ + "_tenant_b";
    legacy_ = dbname_ + "_legacy";
    for (const auto& role : {tenant_a_, tenant_b_, legacy_}) {
      conn_->Exec("CREATE ROLE " + conn_->QuoteIdentifier(role));
    }
    // Before the migration: no RLS, and the tenants (and a legacy reporting role) may read.
    conn_->Exec("CREATE SCHEMA app; GRANT USAGE ON SCHEMA app TO " + Roles() +
                ";"
                "CREATE TABLE app.events (tenant name NOT NULL, at timestamptz NOT NULL, "
                "body text) PARTITION BY RANGE (at);"
                "GRANT SELECT ON app.events TO " +
                Roles() + ";");
  }

  std::string Roles() {
    return conn_->QuoteIdentifier(tenant_a_) + ", " + conn_->QuoteIdentifier(tenant_b_) + ", " +
           conn_->QuoteIdentifier(legacy_);
  }

  // What a partition must share with its parent, as one comparable text per relation.
  std::string Security(const std::string& relation) {
    return QueryText(
        "SELECT concat_ws(' | ', c.relrowsecurity, c.relforcerowsecurity, "
        "pg_get_userbyid(c.relowner), "
        "(SELECT string_agg(v, ',' ORDER BY v) FROM (SELECT g.privilege_type || ':' || "
        "pg_get_userbyid(g.grantee) || ':' || g.is_grantable AS v FROM aclexplode(c.relacl) g "
        "WHERE g.grantee <> c.relowner) x), "
        "(SELECT string_agg(concat_ws(':', p.polname, p.polpermissive, p.polcmd, "
        "p.polroles::regrole[]::text, pg_get_expr(p.polqual, p.polrelid)), ',' ORDER BY "
        "p.polname) FROM pg_policy p WHERE p.polrelid = c.oid)) FROM pg_class c WHERE c.oid = '" +
        relation + "'::regclass");
  }

  std::string tenant_a_, tenant_b_, legacy_;
};

TEST_F(SecurityRaceTest, ACreateRetriedAfterAMigrationCarriesTheParentsNewSecurity) {
  const std::string config =
      WriteConfig("      - { name: app.events, interval: 1 month, premake: 1 }\n",
                  "{ lock_timeout: 100ms, max_attempts: 20, statement_timeout: 30s }");
  // The migration takes its lock first; the daemon's pass reads its snapshot (the parent has no
  // policy yet, so reading it needs no lock) and its first create times out behind the lock.
  pg::Connection migration = PgCluster::Shared().Connect(dbname_);
  migration.Exec("BEGIN; LOCK TABLE app.events IN ACCESS EXCLUSIVE MODE");
  DaemonProcess daemon("once", {"once", "--config", config, "--now", "2026-01-15T00:00:00Z"});
  ASSERT_TRUE(daemon.WaitForLine("lock not available (attempt 1 of 20)", kWait)) << daemon.Output();
  // The migration commits while the create waits to retry: RLS on, a tenant policy, the tenants
  // may now insert, the legacy role may no longer read.
  migration.Exec(
      "ALTER TABLE app.events ENABLE ROW LEVEL SECURITY;"
      "CREATE POLICY tenant_isolation ON app.events USING (tenant = current_user);"
      "GRANT INSERT ON app.events TO " +
      conn_->QuoteIdentifier(tenant_a_) + ", " + conn_->QuoteIdentifier(tenant_b_) +
      ";"
      "REVOKE SELECT ON app.events FROM " +
      conn_->QuoteIdentifier(legacy_) + "; COMMIT;");
  ASSERT_EQ(daemon.WaitExit(kWait), 0) << daemon.Output();

  const std::string parent = Security("app.events");
  ASSERT_THAT(parent, HasSubstr("tenant_isolation"));
  const std::vector<std::string> partitions = {"app.events_p20260101", "app.events_p20260201"};
  for (const auto& partition : partitions) {
    EXPECT_EQ(Security(partition), parent) << partition << "\n" << daemon.Output();
  }

  // Tenant A reads only its own row from the partition, queried directly.
  conn_->Exec("INSERT INTO app.events (tenant, at) VALUES (" + conn_->QuoteLiteral(tenant_a_) +
              ", '2026-01-20'), (" + conn_->QuoteLiteral(tenant_b_) + ", '2026-01-21')");
  pg::Connection tenant = PgCluster::Shared().Connect(dbname_);
  tenant.Exec("SET ROLE " + tenant.QuoteIdentifier(tenant_a_));
  EXPECT_EQ(std::string(tenant
                            .Exec("SELECT coalesce(string_agg(tenant::text, ','), '') FROM "
                                  "app.events_p20260101")
                            .Get(0, 0)),
            tenant_a_);
  // The audit says the creates succeeded; the log says why some took one more transaction.
  EXPECT_EQ(QueryText("SELECT string_agg(outcome, ',') FROM partitiond.audit WHERE action = "
                      "'create'"),
            "ok,ok");
  EXPECT_THAT(daemon.Output(), HasSubstr("the parent's security changed since it was read"));
}

TEST_F(SecurityRaceTest, AnAttachBesideADefaultPartitionCarriesTheParentsNewSecurity) {
  // Beside a default partition the table is built in one transaction and attached in another.
  // The migration holds ROW EXCLUSIVE (as its own writes would): the build (ACCESS SHARE) goes
  // through, the attach (SHARE ROW EXCLUSIVE on the parent) times out behind it, and the
  // migration commits between the two.
  conn_->Exec(
      "CREATE TABLE app.events_default PARTITION OF app.events DEFAULT;"
      "INSERT INTO app.events VALUES ('someone', '2026-01-10', 'stray');");
  const std::string config =
      WriteConfig("      - { name: app.events, interval: 1 month, premake: 1 }\n",
                  "{ lock_timeout: 100ms, max_attempts: 20, statement_timeout: 30s }");
  pg::Connection migration = PgCluster::Shared().Connect(dbname_);
  migration.Exec("BEGIN; LOCK TABLE app.events IN ROW EXCLUSIVE MODE");
  DaemonProcess daemon("once", {"once", "--config", config, "--now", "2026-01-15T00:00:00Z"});
  ASSERT_TRUE(daemon.WaitForLine("lock not available (attempt 1 of 20)", kWait)) << daemon.Output();
  migration.Exec(
      "ALTER TABLE app.events ENABLE ROW LEVEL SECURITY;"
      "CREATE POLICY tenant_isolation ON app.events USING (tenant = current_user);"
      "REVOKE SELECT ON app.events FROM " +
      conn_->QuoteIdentifier(legacy_) + "; COMMIT;");
  ASSERT_EQ(daemon.WaitExit(kWait), 0) << daemon.Output();

  const std::string parent = Security("app.events");
  ASSERT_THAT(parent, HasSubstr("tenant_isolation"));
  EXPECT_EQ(QueryText("SELECT string_agg(body, ',') FROM ONLY app.events_p20260101"), "stray");
  for (const auto& partition : {"app.events_p20260101", "app.events_p20260201"}) {
    EXPECT_EQ(Security(partition), parent) << partition << "\n" << daemon.Output();
  }
}

}  // namespace
}  // namespace partitiond::testing
