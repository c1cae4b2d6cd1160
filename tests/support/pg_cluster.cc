#include "tests/support/pg_cluster.h"

#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

namespace partitiond::testing {
namespace {

constexpr const char* kPgBin = "/usr/lib/postgresql/15/bin";

bool IsRoot() { return geteuid() == 0; }

bool EnvIs(const char* name, const std::string& value) {
  const char* set = std::getenv(name);
  return set != nullptr && value == set;
}

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

std::string PartitiondBinary() {
  const char* binary = std::getenv("PARTITIOND_TEST_BINARY");
  return binary != nullptr && *binary != '\0' ? binary : PARTITIOND_BINARY;
}

PgCluster& PgCluster::Shared() {
  static const std::unique_ptr<PgCluster> cluster = [] {
    const char* details = std::getenv(kClusterEnv);
    return std::unique_ptr<PgCluster>(details != nullptr && *details != '\0'
                                          ? new PgCluster(std::string(details))
                                          : new PgCluster());
  }();
  return *cluster;
}

void PgCluster::StartDetached(const std::string& details_file) {
  StopDetached(details_file);
  PgCluster cluster;
  // Written whole, then renamed: a reader never sees half of it.
  const std::string partial = details_file + ".partial";
  std::ofstream(partial, std::ios::trunc) << cluster.dir_ << "\n" << cluster.port_ << "\n";
  std::filesystem::rename(partial, details_file);
  cluster.owned_ = false;
}

void PgCluster::StopDetached(const std::string& details_file) {
  if (!std::filesystem::exists(details_file)) return;
  try {
    PgCluster cluster(details_file);
    cluster.owned_ = true;
  } catch (const std::runtime_error&) {
    // Its directory is gone already (a cleaned /tmp): only the file is left to remove.
  }
  std::filesystem::remove(details_file);
}

PgCluster::PgCluster(const std::string& details_file) : owned_(false) {
  std::ifstream in(details_file);
  if (!(in >> dir_ >> port_) || !std::filesystem::is_directory(dir_)) {
    throw std::runtime_error(details_file + " names no running test cluster (" + kClusterEnv +
                             "); run `integration_cluster start " + details_file + "` first");
  }
  data_dir_ = dir_ + "/data";
}

PgCluster::PgCluster() {
  // The socket lives in our private directory, so any port number is free there.
  MakeDirectory(54320 + static_cast<int>(getpid() % 1000));
  const std::string initdb = AsClusterOwner(
      fmt::format("{}/initdb -D {} -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 "
                  "--no-sync >{}/initdb.log 2>&1",
                  kPgBin, ShellQuote(data_dir_), ShellQuote(dir_)));
  if (RunShell(initdb) != 0) {
    RunShell("cat " + ShellQuote(dir_ + "/initdb.log"));
    throw std::runtime_error("initdb failed");
  }
  Start();
}

PgCluster::PgCluster(const PgCluster& primary, int port) {
  MakeDirectory(port);
  try {
    // initdb's trust rules include local replication connections, so no setup on the primary.
    const std::string backup = AsClusterOwner(fmt::format(
        "{}/pg_basebackup -D {} -R -X stream -c fast --no-sync -h {} -p {} -U postgres "
        ">{}/basebackup.log 2>&1",
        kPgBin, ShellQuote(data_dir_), ShellQuote(primary.dir_), primary.port_, ShellQuote(dir_)));
    if (RunShell(backup) != 0) {
      RunShell("cat " + ShellQuote(dir_ + "/basebackup.log"));
      throw std::runtime_error("pg_basebackup failed");
    }
    Start();
  } catch (...) {
    Stop();
    throw;
  }
}

void PgCluster::MakeDirectory(int port) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "partitiond-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  data_dir_ = dir_ + "/data";
  port_ = port;
  if (IsRoot()) {
    const passwd* pw = getpwnam("postgres");
    if (pw == nullptr) throw std::runtime_error("user postgres missing (install postgresql-15)");
    if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("chown failed");
  }
}

std::string PgCluster::ServerOptions() const {
  return fmt::format(
      "-p {} -k {} -c listen_addresses='' -c fsync=off -c full_page_writes=off "
      "-c max_connections=200 -c log_min_messages=warning -c log_line_prefix='%d|%a| '",
      port_, dir_);
}

void PgCluster::Start() {
  const std::string start = AsClusterOwner(
      fmt::format("{}/pg_ctl -D {} -o {} -l {}/server.log -w -t 60 start >/dev/null", kPgBin,
                  ShellQuote(data_dir_), ShellQuote(ServerOptions()), ShellQuote(dir_)));
  if (RunShell(start) != 0) {
    RunShell("cat " + ShellQuote(dir_ + "/server.log"));
    throw std::runtime_error("pg_ctl start failed");
  }
}

std::unique_ptr<PgCluster> PgCluster::StartStandby() const {
  return std::unique_ptr<PgCluster>(new PgCluster(*this, port_ + 1000));
}

void PgCluster::Promote() {
  const std::string promote = AsClusterOwner(
      fmt::format("{}/pg_ctl -D {} -w -t 60 promote >/dev/null", kPgBin, ShellQuote(data_dir_)));
  if (RunShell(promote) != 0) throw std::runtime_error("pg_ctl promote failed");
}

void PgCluster::Restart() {
  if (!owned_ && !EnvIs(kExclusiveEnv, "1")) {
    throw std::runtime_error(
        "this test restarts the cluster other ctest processes share: list it as RUN_SERIAL in "
        "tests/integration/ctest-properties.cmake");
  }
  const std::string restart = AsClusterOwner(
      fmt::format("{}/pg_ctl -D {} -o {} -l {}/server.log -m fast -w -t 60 restart >/dev/null",
                  kPgBin, ShellQuote(data_dir_), ShellQuote(ServerOptions()), ShellQuote(dir_)));
  if (RunShell(restart) != 0) {
    RunShell("tail -n 20 " + ShellQuote(dir_ + "/server.log"));
    throw std::runtime_error("pg_ctl restart failed");
  }
}

PgCluster::~PgCluster() {
  if (owned_) Stop();
}

void PgCluster::Stop() {
  if (dir_.empty()) return;
  RunShell(AsClusterOwner(fmt::format("{}/pg_ctl -D {} -m immediate -w stop >/dev/null 2>&1",
                                      kPgBin, ShellQuote(data_dir_))));
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
  dir_.clear();
}

std::string PgCluster::CreateDatabase(const std::string& prefix, const std::string& options) {
  pg::Connection admin = Connect("postgres");
  // Other processes share the cluster, and a process id comes back once the kernel wraps around:
  // skip names an earlier process took.
  std::string name;
  do {
    name = fmt::format("{}_{}_{}", prefix, getpid(), next_database_++);
  } while (admin.Exec("SELECT 1 FROM pg_database WHERE datname = $1", {name}).rows() > 0);
  admin.Exec("CREATE DATABASE " + admin.QuoteIdentifier(name) + (options.empty() ? "" : " ") +
             options);
  return name;
}

std::string PgCluster::ConnInfo(const std::string& dbname, const std::string& user) const {
  return fmt::format("host={} port={} user={} dbname={}", dir_, port_, user, dbname);
}

std::string PgCluster::PsqlCommand(const std::string& dbname) const {
  return fmt::format("{}/psql -X -v ON_ERROR_STOP=1 -h {} -p {} -U postgres -d {}", kPgBin,
                     ShellQuote(dir_), port_, ShellQuote(dbname));
}

pg::Connection PgCluster::Connect(const std::string& dbname) const {
  return pg::Connection::Open(ConnInfo(dbname), {.application_name = "partitiond-test"});
}

}  // namespace partitiond::testing
