// A throwaway PostgreSQL 15 cluster for integration tests: initdb in a temporary directory, its
// own Unix socket directory and no TCP listener. Works as root (the server runs as the `postgres`
// user via runuser) and as a normal user. Each test creates its own database, so tests do not see
// each other's tables.
//
// Under ctest every integration test is its own process, and all of them share one cluster: the
// `integration.cluster_setup` test runs `integration_cluster start FILE`, which starts it and
// writes where it is to FILE; the tests find FILE through $PARTITIOND_TEST_CLUSTER; the
// `integration.cluster_cleanup` test stops and removes it. Without that variable (the
// integration_tests binary run by hand) the program starts its own cluster on first use and
// removes it when the program ends.
#pragma once

#include <memory>
#include <string>

#include "daemon/pg/connection.h"

namespace partitiond::testing {

// Names the file written by StartDetached; when set, Shared() uses the cluster it describes.
inline constexpr const char* kClusterEnv = "PARTITIOND_TEST_CLUSTER";
// Set to 1 for tests that may restart the shared cluster: ctest must run them alone (RUN_SERIAL),
// since a restart cuts every other test's sessions.
inline constexpr const char* kExclusiveEnv = "PARTITIOND_TEST_CLUSTER_EXCLUSIVE";

class PgCluster {
 public:
  // The process-wide cluster: the one $PARTITIOND_TEST_CLUSTER describes, else one started on the
  // first call. Throws std::runtime_error if it cannot start.
  static PgCluster& Shared();

  // Starts a cluster that outlives this process and writes its location to `details_file`. A
  // cluster a previous, interrupted run left behind in that file is stopped first.
  static void StartDetached(const std::string& details_file);
  // Stops and removes the cluster `details_file` describes, and the file. Quiet if it is absent.
  static void StopDetached(const std::string& details_file);

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
  // before must be opened again. On a cluster shared between processes only with
  // $PARTITIOND_TEST_CLUSTER_EXCLUSIVE=1 (else throws std::runtime_error naming the fix).
  void Restart();

  const std::string& socket_dir() const { return dir_; }
  // The server's log; every line starts with "DBNAME|APPLICATION| ".
  std::string server_log() const { return dir_ + "/server.log"; }
  int port() const { return port_; }

 private:
  PgCluster();
  // The running cluster `details_file` describes; not stopped when destroyed.
  explicit PgCluster(const std::string& details_file);
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
  bool owned_ = true;  // stopped and removed when destroyed
};

// The partitiond binary the tests run: $PARTITIOND_TEST_BINARY when set (a sanitized build, say),
// else the one built beside the tests.
std::string PartitiondBinary();
// Runs a shell command line; returns its exit status. Output goes to the test's output.
int RunShell(const std::string& command);
// Single-quotes `text` for a POSIX shell.
std::string ShellQuote(const std::string& text);

}  // namespace partitiond::testing
