// Fixture for integration tests: a fresh database in the shared throwaway cluster, a superuser
// connection to it, and helpers to write a config and run the real partitiond binary on it.
//
// Least privilege: the daemon under test never connects as a superuser. SetUp makes two roles
// for the test's database: owner_role_, an ordinary NOLOGIN role that owns the managed tables
// (as an application's migration role would), and daemon_role_, created and granted by
// sql/role.sql exactly as the README tells operators to. conn_ stays the superuser, so tests set
// up whatever they need; the configs the fixture writes (WriteConfig, DaemonConnInfo) first hand
// everything the superuser created in the test's schemas to owner_role_ and re-run role.sql.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "daemon/pg/connection.h"
#include "tests/support/pg_cluster.h"

namespace partitiond::testing {

// The `tables:` entry for CreateMonthlyEvents' table, kept for one month (WriteConfig's input).
inline constexpr const char* kMonthlyEventsKeptAMonth =
    "      - name: app.events\n"
    "        interval: 1 month\n"
    "        premake: 3\n"
    "        retention: 1 month\n";

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Writes a config whose one database (label "test") is this test's database, with the given
  // YAML for its `tables:` list (already indented by 6 spaces) and maintenance settings.
  std::string WriteConfig(const std::string& tables_yaml,
                          const std::string& maintenance_yaml =
                              "{ lock_timeout: 100ms, max_attempts: 3, statement_timeout: 30s }",
                          const std::string& log_yaml = "{ level: debug }");
  // libpq conninfo for the daemon: this test's database on `cluster` (a standby, say), as
  // daemon_role_. Calls GrantDaemon() first.
  std::string DaemonConnInfo(const PgCluster& cluster = PgCluster::Shared());
  // Gives owner_role_ every schema and table (with its indexes and identity sequences) that the
  // superuser created outside the system schemas and the daemon's state schema, then re-runs
  // sql/role.sql when anything changed hands. Idempotent. Takes ACCESS EXCLUSIVE on what it
  // hands over: call it before a test's own sessions lock those tables.
  void GrantDaemon();
  // Schema app and app.events (id identity, at timestamptz), RANGE-partitioned on `at`, empty.
  void CreateMonthlyEvents();
  // Writes arbitrary text to a file in the test's temporary directory; returns its path.
  std::string WriteFile(const std::string& name, const std::string& text);
  // Runs the partitiond binary with `args` (shell words, already quoted where needed), after
  // `wrapper` when given (e.g. "prlimit --fsize=65536 --").
  CliResult RunCli(const std::string& args, const std::string& wrapper = "");

  // "name [from, to)" per partition of `parent` (schema.table as SQL), ordered by name; the
  // default partition as "name DEFAULT".
  std::vector<std::string> Partitions(const std::string& parent);
  // Number of relations in the database outside the system schemas: a cheap "did anything
  // change" fingerprint together with the list of their names.
  std::string CatalogFingerprint();
  long long QueryInt(const std::string& sql);
  std::string QueryText(const std::string& sql);

  // CREATE DATABASE options for the test's database (e.g. another encoding); a fixture's
  // constructor sets them before SetUp.
  std::string database_options_;
  std::string dbname_;
  std::string owner_role_;   // owns the managed tables; not a superuser, cannot log in
  std::string daemon_role_;  // what the daemon connects as; made by sql/role.sql
  std::optional<pg::Connection> conn_;
  std::string tmp_dir_;

 private:
  // Runs sql/role.sql on this test's database for daemon_role_ and owner_role_.
  void RunRoleSql();
};

}  // namespace partitiond::testing
