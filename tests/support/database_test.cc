#include "tests/support/database_test.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace partitiond::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

void DatabaseTest::SetUp() {
  PgCluster& cluster = PgCluster::Shared();
  dbname_ = cluster.CreateDatabase("itest", database_options_);
  conn_.emplace(cluster.Connect(dbname_));
  std::string tmpl = (std::filesystem::temp_directory_path() / "partitiond-case-XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  tmp_dir_ = tmpl;
  // Roles are cluster-wide: their names carry the database's, so tests never share them.
  owner_role_ = dbname_ + "_owner";
  daemon_role_ = dbname_ + "_partitiond";
  conn_->Exec("CREATE ROLE " + conn_->QuoteIdentifier(owner_role_) + " NOLOGIN");
  // Before the test creates anything, as on a fresh database: the state schema exists from here
  // on, so "nothing changed" fingerprints taken by tests already include it.
  ASSERT_NO_FATAL_FAILURE(RunRoleSql());
}

void DatabaseTest::RunRoleSql() {
  const std::string log = tmp_dir_ + "/role.sql.log";
  const int status = RunShell(fmt::format(
      "{} -f {} -v owner_role={} -v daemon_role={} >{} 2>&1",
      PgCluster::Shared().PsqlCommand(dbname_), ShellQuote(PARTITIOND_SOURCE_DIR "/sql/role.sql"),
      ShellQuote(owner_role_), ShellQuote(daemon_role_), ShellQuote(log)));
  ASSERT_EQ(status, 0) << "sql/role.sql failed:\n" << ReadFile(log);
}

void DatabaseTest::GrantDaemon() {
  // The bootstrap superuser's schemas and relations, except the system's and the state schema
  // (which role.sql deliberately leaves to the superuser, so the daemon cannot rewrite its audit
  // trail). ALTER TABLE takes the table's indexes and identity sequences along.
  const pg::Result handover = conn_->Exec(
      "SELECT format('ALTER SCHEMA %I OWNER TO %I', n.nspname, $1::text) FROM pg_namespace n "
      "WHERE n.nspowner = 'postgres'::regrole AND n.nspname NOT IN ('public', 'partitiond', "
      "'information_schema') AND n.nspname NOT LIKE 'pg\\_%' "
      "UNION ALL SELECT format('ALTER TABLE %s OWNER TO %I', c.oid::regclass, $1::text) "
      "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relowner = 'postgres'::regrole AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
      "AND n.nspname NOT IN ('partitiond', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'",
      {owner_role_});
  if (handover.rows() == 0) return;
  std::string sql = "BEGIN; SET LOCAL lock_timeout = '10s';";
  for (int i = 0; i < handover.rows(); ++i) sql += fmt::format(" {};", handover.Get(i, 0));
  conn_->Exec(sql + " COMMIT;");
  ASSERT_NO_FATAL_FAILURE(RunRoleSql());
}

std::string DatabaseTest::DaemonConnInfo(const PgCluster& cluster) {
  GrantDaemon();
  return cluster.ConnInfo(dbname_, daemon_role_);
}

void DatabaseTest::TearDown() {
  conn_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(tmp_dir_, ignored);
}

void DatabaseTest::CreateMonthlyEvents() {
  conn_->Exec(
      "CREATE SCHEMA app; CREATE TABLE app.events (id bigint GENERATED ALWAYS AS IDENTITY, "
      "at timestamptz NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);");
}

std::string DatabaseTest::WriteFile(const std::string& name, const std::string& text) {
  const std::string path = tmp_dir_ + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::string DatabaseTest::WriteConfig(const std::string& tables_yaml,
                                      const std::string& maintenance_yaml,
                                      const std::string& log_yaml) {
  const std::string text = fmt::format(
      "log: {}\n"
      "maintenance: {}\n"
      "databases:\n"
      "  - name: test\n"
      "    conninfo: \"{}\"\n"
      "    tables:\n{}",
      log_yaml, maintenance_yaml, DaemonConnInfo(), tables_yaml);
  return WriteFile("partitiond.yaml", text);
}

CliResult DatabaseTest::RunCli(const std::string& args, const std::string& wrapper) {
  const std::string out = tmp_dir_ + "/cli.out";
  const std::string err = tmp_dir_ + "/cli.err";
  CliResult result;
  result.exit_code = RunShell(fmt::format("{} {} {} >{} 2>{}", wrapper, PartitiondBinary(), args,
                                          ShellQuote(out), ShellQuote(err)));
  result.out = ReadFile(out);
  result.err = ReadFile(err);
  return result;
}

std::vector<std::string> DatabaseTest::Partitions(const std::string& parent) {
  const pg::Result r = conn_->Exec(
      "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
      "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY 1",
      {parent});
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) {
    std::string bound(r.Get(i, 1));
    // "FOR VALUES FROM ('a') TO ('b')" -> "[a, b)"
    const std::string prefix = "FOR VALUES FROM ('";
    if (bound.starts_with(prefix)) {
      const auto mid = bound.find("') TO ('");
      bound = fmt::format("[{}, {})", bound.substr(prefix.size(), mid - prefix.size()),
                          bound.substr(mid + 8, bound.size() - mid - 8 - 2));
    }
    out.push_back(std::string(r.Get(i, 0)) + " " + bound);
  }
  return out;
}

std::string DatabaseTest::CatalogFingerprint() {
  return QueryText(
      "SELECT count(*) || ':' || coalesce(string_agg(n.nspname || '.' || c.relname || ':' || "
      "c.relkind::text, ',' ORDER BY c.oid), '') FROM pg_class c JOIN pg_namespace n ON "
      "n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', "
      "'pg_toast')");
}

long long DatabaseTest::QueryInt(const std::string& sql) { return conn_->Exec(sql).GetInt(0, 0); }

std::string DatabaseTest::QueryText(const std::string& sql) {
  return std::string(conn_->Exec(sql).Get(0, 0));
}

}  // namespace partitiond::testing
