// A throwaway PostgreSQL 15 cluster for integration tests: initdb in a temporary directory, its
// own Unix socket directory and no TCP listener, started on first use and removed when the test
// program ends. Works as root (the server runs as the `postgres` user via runuser) and as a
// normal user. Each test creates its own database, so tests do not see each other's tables.
#pragma once

#include <memory>
#include <string>

#include "daemon/pg/connection.h"

namespace partitiond::testing {

class PgCluster {
 public:
  // The process-wide cluster, started on the first call. Fails the test program if it cannot start.
  static PgCluster& Shared();

  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  // A fresh, empty database whose name starts with `prefix`, made with CREATE DATABASE `options`
  // (e.g. ENCODING ...); returns its name.
  std::string CreateDatabase(const std::string& prefix, const std::string& options = "");
  // libpq conninfo for `dbname` as `user` (by default the cluster's superuser).
  std::string ConnInfo(const std::string& dbname, const std::string& user = "postgres") const;
  // The start of a psql command line (shell words) connected to `dbname` as the superuser, with
  // no psqlrc and ON_ERROR_STOP; append -f FILE, -v NAME=VALUE, ...
  std::string PsqlCommand(const std::string& dbname) const;
  pg::Connection Connect(const std::string& dbname) const;

  // A hot standby of this cluster, streaming from it: pg_basebackup -R into a new temporary
  // directory, started on its own port and socket directory. The caller owns it; it is stopped
  // and removed when destroyed. Throws std::runtime_error if it cannot start.
  std::unique_ptr<PgCluster> StartStandby() const;
  // Promotes a standby to a primary (pg_ctl promote), waiting until it accepts writes.
  void Promote();
  // Restarts the server (pg_ctl restart -m fast): every session is terminated. Connections made
  // before must be opened again.
  void Restart();

  const std::string& socket_dir() const { return dir_; }
  // The server's log; every line starts with "DBNAME|APPLICATION| ".
  std::string server_log() const { return dir_ + "/server.log"; }
  int port() const { return port_; }

 private:
  PgCluster();
  // A standby of `primary`; see StartStandby().
  PgCluster(const PgCluster& primary, int port);
  // Makes dir_ (owned by the cluster's user) for a cluster on `port`.
  void MakeDirectory(int port);
  std::string ServerOptions() const;
  void Start();
  void Stop();

  std::string dir_;
  std::string data_dir_;
  int port_ = 0;
  int next_database_ = 0;
};

// Runs a shell command line; returns its exit status. Output goes to the test's output.
int RunShell(const std::string& command);
// Single-quotes `text` for a POSIX shell.
std::string ShellQuote(const std::string& text);

}  // namespace partitiond::testing
