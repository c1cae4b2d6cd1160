#include "tests/support/pg_cluster.h"

#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace partitiond::testing {
namespace {

constexpr const char* kPgBin = "/usr/lib/postgresql/15/bin";

bool IsRoot() { return geteuid() == 0; }

// initdb and postgres refuse to run as root, so as root the cluster belongs to `postgres`.
std::string AsClusterOwner(const std::string& command) {
  return IsRoot() ? "runuser -u postgres -- " + command : command;
}

}  // namespace

std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

int RunShell(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

PgCluster& PgCluster::Shared() {
  static PgCluster cluster;
  return cluster;
}

PgCluster::PgCluster() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "partitiond-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  data_dir_ = dir_ + "/data";
  // The socket lives in our private directory, so any port number is free there.
  port_ = 54320 + static_cast<int>(getpid() % 1000);
  if (IsRoot()) {
    const passwd* pw = getpwnam("postgres");
    if (pw == nullptr) throw std::runtime_error("user postgres missing (install postgresql-15)");
    if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("chown failed");
  }
  const std::string initdb = AsClusterOwner(
      fmt::format("{}/initdb -D {} -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 "
                  "--no-sync >{}/initdb.log 2>&1",
                  kPgBin, ShellQuote(data_dir_), ShellQuote(dir_)));
  if (RunShell(initdb) != 0) {
    RunShell("cat " + ShellQuote(dir_ + "/initdb.log"));
    throw std::runtime_error("initdb failed");
  }
  const std::string options = fmt::format(
      "-p {} -k {} -c listen_addresses='' -c fsync=off -c full_page_writes=off "
      "-c max_connections=200 -c log_min_messages=warning -c log_line_prefix='%d|%a| '",
      port_, dir_);
  const std::string start = AsClusterOwner(
      fmt::format("{}/pg_ctl -D {} -o {} -l {}/server.log -w -t 60 start >/dev/null", kPgBin,
                  ShellQuote(data_dir_), ShellQuote(options), ShellQuote(dir_)));
  if (RunShell(start) != 0) {
    RunShell("cat " + ShellQuote(dir_ + "/server.log"));
    throw std::runtime_error("pg_ctl start failed");
  }
}

PgCluster::~PgCluster() { Stop(); }

void PgCluster::Stop() {
  if (dir_.empty()) return;
  RunShell(AsClusterOwner(fmt::format("{}/pg_ctl -D {} -m immediate -w stop >/dev/null 2>&1",
                                      kPgBin, ShellQuote(data_dir_))));
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
  dir_.clear();
}

std::string PgCluster::CreateDatabase(const std::string& prefix) {
  const std::string name = fmt::format("{}_{}_{}", prefix, getpid(), next_database_++);
  pg::Connection admin = Connect("postgres");
  admin.Exec("CREATE DATABASE " + admin.QuoteIdentifier(name));
  return name;
}

std::string PgCluster::ConnInfo(const std::string& dbname) const {
  return fmt::format("host={} port={} user=postgres dbname={}", dir_, port_, dbname);
}

pg::Connection PgCluster::Connect(const std::string& dbname) const {
  return pg::Connection::Open(ConnInfo(dbname), {.application_name = "partitiond-test"});
}

}  // namespace partitiond::testing
