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
  dbname_ = cluster.CreateDatabase("itest");
  conn_.emplace(cluster.Connect(dbname_));
  std::string tmpl = (std::filesystem::temp_directory_path() / "partitiond-case-XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  tmp_dir_ = tmpl;
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
      log_yaml, maintenance_yaml, PgCluster::Shared().ConnInfo(dbname_), tables_yaml);
  return WriteFile("partitiond.yaml", text);
}

CliResult DatabaseTest::RunCli(const std::string& args, const std::string& wrapper) {
  const std::string out = tmp_dir_ + "/cli.out";
  const std::string err = tmp_dir_ + "/cli.err";
  CliResult result;
  result.exit_code = RunShell(fmt::format("{} {} {} >{} 2>{}", wrapper, PARTITIOND_BINARY, args,
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
