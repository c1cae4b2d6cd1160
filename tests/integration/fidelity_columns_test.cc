// Partition fidelity beyond security, on real PostgreSQL: each partition partitiond creates has
// the parent's columns (types, NOT NULL, defaults, the stored generated column), CHECK
// constraints, indexes (unique ones included) and foreign keys, and behaves as the parent does
// when written directly: identity values come from the parent's sequence, the generated column
// is computed, defaults apply, constraints are enforced, and a foreign key that references the
// partitioned table still holds. The parent is shaped like the demo tables (sql/demo): RLS by
// tenant_id, forced, and a stored generated column extracted from a jsonb payload.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tests/support/database_test.h"

namespace partitiond::testing {
namespace {

constexpr const char* kTenantA = "00000000-0000-0000-0000-00000000000a";
constexpr const char* kTenantB = "00000000-0000-0000-0000-00000000000b";
// The partitions a first pass makes at 2026-11-25 with premake 1.
constexpr const char* kPartitions[] = {"app.events_p20261101", "app.events_p20261201"};

class FidelityColumnsTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    const std::string owner = conn_->QuoteIdentifier(owner_role_);
    conn_->Exec(fmt::format(
        "CREATE SCHEMA app;"
        "CREATE TABLE app.tenants (tenant_id uuid PRIMARY KEY, name text NOT NULL);"
        "INSERT INTO app.tenants VALUES ('{0}', 'a'), ('{1}', 'b');"
        "CREATE TABLE app.events ("
        "  id bigint GENERATED ALWAYS AS IDENTITY,"
        "  tenant_id uuid NOT NULL REFERENCES app.tenants (tenant_id),"
        "  at timestamptz NOT NULL,"
        "  kind text NOT NULL DEFAULT 'info' CONSTRAINT events_kind CHECK (kind IN ('info', "
        "'warn', 'error')),"
        "  payload jsonb NOT NULL DEFAULT '{{}}',"
        "  severity text GENERATED ALWAYS AS (payload->>'severity') STORED,"
        "  external_ref text,"
        "  PRIMARY KEY (id, at),"
        "  CONSTRAINT events_ref_unique UNIQUE (tenant_id, external_ref, at)"
        ") PARTITION BY RANGE (at);"
        "CREATE INDEX events_severity_idx ON app.events (tenant_id, severity, at DESC);"
        "CREATE INDEX events_payload_idx ON app.events USING gin (payload);"
        "ALTER TABLE app.events ENABLE ROW LEVEL SECURITY;"
        "ALTER TABLE app.events FORCE ROW LEVEL SECURITY;"
        "CREATE POLICY tenant_isolation ON app.events"
        "  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)"
        "  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);"
        // A foreign key that references the partitioned table.
        "CREATE TABLE app.event_notes (event_id bigint NOT NULL, event_at timestamptz NOT NULL,"
        "  note text NOT NULL, FOREIGN KEY (event_id, event_at) REFERENCES app.events (id, at));"
        "ALTER TABLE app.tenants OWNER TO {2}; ALTER TABLE app.events OWNER TO {2};"
        "ALTER TABLE app.event_notes OWNER TO {2};",
        kTenantA, kTenantB, owner));
    const CliResult r =
        RunCli("once --config " +
               WriteConfig("      - { name: app.events, interval: 1 month, premake: 1 }\n") +
               " --now 2026-11-25T00:00:00Z");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    ASSERT_EQ(Partitions("app.events").size(), 2u);
    // For comparison, a partition PostgreSQL makes itself, for a month partitiond left alone.
    conn_->Exec(
        "CREATE TABLE app.events_native PARTITION OF app.events FOR VALUES FROM ('2027-06-01') "
        "TO ('2027-07-01'); ALTER TABLE app.events_native OWNER TO " +
        owner + ";");
    // The application's writes: as the tables' owner, subject to the forced RLS, for tenant A.
    writer_.emplace(PgCluster::Shared().Connect(dbname_));
    writer_->Exec("SET ROLE " + owner + "; SET app.tenant_id = '" + kTenantA + "'");
  }

  // One text per aspect of `relation` that a partition must share with its parent. Names that
  // differ by construction (the table's own, its indexes') are left out.
  std::string Columns(const std::string& relation) {
    return QueryText(
        "SELECT string_agg(concat_ws(':', a.attname, format_type(a.atttypid, a.atttypmod), "
        "a.attnotnull, a.attgenerated, pg_get_expr(d.adbin, d.adrelid)), ', ' ORDER BY a.attnum) "
        "FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = "
        "a.attnum WHERE a.attrelid = '" +
        relation + "'::regclass AND a.attnum > 0 AND NOT a.attisdropped");
  }
  std::string Constraints(const std::string& relation, const std::string& types) {
    return QueryText(
        "SELECT coalesce(string_agg(contype::text || ' ' || pg_get_constraintdef(oid), ', ' ORDER "
        "BY "
        "contype, pg_get_constraintdef(oid)), '') FROM pg_constraint WHERE conrelid = '" +
        relation + "'::regclass AND contype::text = ANY (string_to_array('" + types + "', ','))");
  }
  // Every index of the parent, as "unique primary method (keys)", and for a partition only those
  // attached to one of the parent's: the partition has the parent's indexes, not just similar ones.
  std::string Indexes(const std::string& relation) {
    return QueryText(
        "SELECT string_agg(concat_ws(' ', i.indisunique, i.indisprimary, "
        "regexp_replace(pg_get_indexdef(i.indexrelid), '^.* USING ', '')), ', ' ORDER BY 1) "
        "FROM pg_index i WHERE i.indrelid = '" +
        relation +
        "'::regclass AND (NOT EXISTS (SELECT FROM pg_inherits h WHERE h.inhrelid = "
        "i.indrelid) OR EXISTS (SELECT FROM pg_inherits h JOIN pg_index p ON p.indexrelid = "
        "h.inhparent WHERE h.inhrelid = i.indexrelid AND p.indrelid = 'app.events'::regclass))");
  }

  // The SQLSTATE `sql` (one statement, its own transaction) fails with on the writer, or ""
  // when it succeeds.
  std::string SqlState(const std::string& sql) {
    try {
      writer_->Exec(sql);
      return "";
    } catch (const pg::Error& e) {
      return e.sqlstate();
    }
  }

  std::optional<pg::Connection> writer_;
};

TEST_F(FidelityColumnsTest, NewPartitionsHaveTheParentsColumnsConstraintsIndexesAndForeignKeys) {
  const std::string parent = "app.events";
  EXPECT_THAT(Columns(parent), ::testing::HasSubstr("severity:text:f:s:(payload ->> 'severity'"));
  EXPECT_THAT(Indexes(parent), ::testing::HasSubstr("t f btree (tenant_id, external_ref"));
  EXPECT_THAT(Constraints(parent, "f"), ::testing::HasSubstr("REFERENCES app.tenants(tenant_id)"));
  for (const std::string partition : kPartitions) {
    SCOPED_TRACE(partition);
    // The identity column differs on purpose: it stays with the parent (see the next test).
    EXPECT_EQ(Columns(partition), Columns(parent));
    EXPECT_EQ(Constraints(partition, "c,f,p,u"), Constraints(parent, "c,f,p,u"));
    EXPECT_EQ(Indexes(partition), Indexes(parent));
    // No leftover of the create recipe (its temporary bound CHECK).
    EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_constraint WHERE conrelid = '" + partition +
                       "'::regclass AND conname = 'partitiond_bound'"),
              0);
  }
}

TEST_F(FidelityColumnsTest, DirectWritesToNewPartitionsBehaveAsWritesThroughTheParent) {
  for (const std::string partition : kPartitions) {
    SCOPED_TRACE(partition);
    const std::string at =
        partition.ends_with("1101") ? "2026-11-10 00:00:00+00" : "2026-12-10 00:00:00+00";
    // Identity stays with the parent, as on partitions PostgreSQL 15 makes itself (PARTITION
    // OF): ids come from the parent's one sequence through the parent, and a direct insert
    // without an id is refused exactly as on such a partition (PostgreSQL 17 changed this).
    const std::string through_parent = fmt::format(
        "INSERT INTO app.events (tenant_id, at) VALUES ('{}', '{}') RETURNING id", kTenantA, at);
    const long long first = writer_->Exec(through_parent).GetInt(0, 0);
    const auto direct = [](const std::string& target, const std::string& when) {
      return fmt::format("INSERT INTO {} (tenant_id, at) VALUES ('{}', '{}')", target, kTenantA,
                         when);
    };
    EXPECT_EQ(SqlState(direct(partition, at)), "23502");
    EXPECT_EQ(SqlState(direct("app.events_native", "2027-06-10 00:00:00+00")), "23502");
    EXPECT_EQ(writer_->Exec(through_parent).GetInt(0, 0), first + 1);
    EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_class WHERE relkind = 'S' AND relnamespace = "
                       "'app'::regnamespace"),
              1);
    ASSERT_EQ(SqlState(fmt::format("INSERT INTO {} (id, tenant_id, at, payload) VALUES ({}, '{}', "
                                   "'{}', '{{\"severity\": \"high\"}}')",
                                   partition, -first, kTenantA, at)),
              "");

    // Generated column and defaults on the row inserted directly.
    EXPECT_EQ(std::string(writer_
                              ->Exec("SELECT concat_ws(' ', severity, kind, payload) FROM " +
                                     partition + " WHERE payload ? 'severity'")
                              .Get(0, 0)),
              "high info {\"severity\": \"high\"}");
    // Constraints, enforced on direct writes as through the parent.
    for (const std::string& target : {std::string("app.events"), partition}) {
      SCOPED_TRACE(target);
      // Rows (tenant_id, kind, external_ref) at `at`. A direct insert must give the id itself
      // (see above); ids below any the sequence gives keep them apart from the others.
      const auto insert = [&](const std::vector<std::string>& rows) {
        std::string values;
        for (const auto& row : rows) {
          values += fmt::format("{}('{}'::timestamptz, {})", values.empty() ? "" : ", ", at, row);
        }
        return target == "app.events"
                   ? "INSERT INTO app.events (at, tenant_id, kind, external_ref) VALUES " + values
                   : "INSERT INTO " + target +
                         " (id, at, tenant_id, kind, external_ref) SELECT -1000 - row_number() "
                         "OVER (), * FROM (VALUES " +
                         values + ") v";
      };
      const std::string a = fmt::format("'{}'::uuid", kTenantA);
      EXPECT_EQ(SqlState(insert({a + ", 'bogus', NULL::text"})), "23514");     // CHECK
      EXPECT_EQ(SqlState(insert({a + ", NULL::text, NULL::text"})), "23502");  // NOT NULL
      EXPECT_EQ(SqlState(insert({a + ", 'info', 'r1'", a + ", 'info', 'r1'"})), "23505");  // UNIQUE
      // One row of r1 goes in through the parent; the same row written directly is a duplicate.
      EXPECT_EQ(SqlState(insert({a + ", 'info', 'r1'"})), target == "app.events" ? "" : "23505");
      // Foreign key to app.tenants, cloned onto the partition on ATTACH. The row is allowed by
      // the tenant policy, so only the foreign key can refuse it.
      const std::string unknown = "00000000-0000-0000-0000-0000000000ff";
      writer_->Exec("SET app.tenant_id = '" + unknown + "'");
      EXPECT_EQ(SqlState(insert({"'" + unknown + "'::uuid, 'info', NULL::text"})), "23503");
      writer_->Exec(std::string("SET app.tenant_id = '") + kTenantA + "'");
      // RLS WITH CHECK: tenant B's row is refused for tenant A, directly too.
      EXPECT_EQ(SqlState(insert({fmt::format("'{}'::uuid, 'info', NULL::text", kTenantB)})),
                "42501");
    }

    // A foreign key referencing the partitioned table sees rows of the new partition, and
    // protects them from a direct delete.
    const std::string event = fmt::format("(SELECT id FROM {} ORDER BY id LIMIT 1)", partition);
    EXPECT_EQ(
        SqlState(fmt::format("INSERT INTO app.event_notes VALUES ({}, '{}', 'seen')", event, at)),
        "");
    EXPECT_EQ(
        SqlState(fmt::format(
            "INSERT INTO app.event_notes VALUES (9223372036854775807, '{}', 'dangling')", at)),
        "23503");
    EXPECT_EQ(SqlState(fmt::format("DELETE FROM {} WHERE id = {}", partition, event)), "23503");
  }
}

}  // namespace
}  // namespace partitiond::testing
