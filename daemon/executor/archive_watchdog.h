// The server-side bound on an archive transaction (archive_bound.h) for the one case PostgreSQL's
// own timeouts miss: a backend blocked sending COPY data to a client that stopped reading (the
// daemon paused, frozen on a hung archive disk, or stopped by a signal) never checks
// statement_timeout, and is not idle in a transaction either, so it would hold its snapshot, and
// with it the xmin horizon of the whole database, for as long as the daemon stays frozen.
//
// StartArchiveWatchdog opens a second session and hands the server, in one unawaited pipeline:
//  1. BEGIN; LOCK TABLE <partition> IN ACCESS SHARE MODE under lock_timeout = bound; ROLLBACK.
//     The archive transaction holds ACCESS EXCLUSIVE on the partition from its start to its end,
//     so this wait ends as soon as the archive commits or rolls back, or when the bound passes.
//     A waiting LOCK takes no snapshot of its own: the watchdog holds back nothing the archive
//     does not already hold back.
//  2. (after its own Sync, so it runs whatever became of 1) pg_terminate_backend of the archive
//     session, only if that session is still in the same transaction (pid and xact_start) and
//     the transaction is at least `bound` old.
// The server carries this out whatever the daemon does meanwhile. Keep the returned connection
// until the archive transaction has ended; destroying it then closes the session.
#pragma once

#include <chrono>
#include <string>

#include "daemon/pg/connection.h"

namespace partitiond::executor {

struct ArchiveSession {
  std::string pid;         // pg_backend_pid() of the archive session
  std::string xact_start;  // now() inside the archive transaction, as the server printed it
};

// Throws pg::Error (SQLSTATE 55000, never a connection-class error, since the archive's own
// connection is fine) when the watchdog session cannot be opened.
asio::awaitable<pg::Connection> StartArchiveWatchdog(const std::string& conninfo,
                                                     const pg::SessionOptions& options,
                                                     const std::string& quoted_table,
                                                     const ArchiveSession& archive,
                                                     std::chrono::milliseconds bound);

}  // namespace partitiond::executor
