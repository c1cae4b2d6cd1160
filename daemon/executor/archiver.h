// retention_action: archive, after the detach: exports a table our retention detached (it carries
// the retention mark) to a verified, compressed file and only then drops it.
//
// All in one REPEATABLE READ transaction on the maintenance connection:
//  1. LOCK TABLE ... IN ACCESS EXCLUSIVE MODE under lock_timeout: nothing changes the table while
//     it is archived, and the final DROP cannot queue behind anyone. (The table is detached and
//     expired; only stray readers of it wait, not application traffic on the parent.)
//     Then the transaction is bounded in time (archive_bound.h): statement_timeout and
//     idle_in_transaction_session_timeout of the bound, and a watchdog session that ends this
//     one past the bound (archive_watchdog.h), so that a frozen daemon cannot pin the xmin
//     horizon for longer; and a DROP TABLE tried in a savepoint and rolled back proves the final
//     DROP will not be refused (by views or other objects that depend on the table, named in the
//     error) before anything is written;
//  2. one query: its columns, count(*), and facts for the manifest;
//  3. COPY (columns) TO STDOUT (FORMAT text) (COPY (SELECT ...) for a partitioned table, whose
//     sub-partitions hold its rows, or a foreign table), streamed through zstd into
//     <archive_dir>/<database>/<schema>/<stem>.copy.zst.partial and fsynced (layout.h);
//  4. verify: re-read the .partial, compare its SHA-256 with the one computed while writing, and
//     its decompressed row count with count(*) and COPY's own count; only then the manifest is
//     written beside it as a .partial, the archive renamed into place, the directory fsynced,
//     the manifest renamed into place and the directory fsynced again (writer.h);
//  5. DROP TABLE, COMMIT.
// Every file operation (compression and write, fsync, verification, renames, removals) runs on a
// thread of the job's own, never on the event loop, which only streams the COPY and waits
// (archive/off_loop_writer.h); memory stays bounded whatever the partition's size.
// Any failure rolls the transaction back, so the table keeps all its rows; files of a failed
// verification or a refused DROP or COMMIT are removed (after a broken connection the COMMIT may
// have happened, and they are kept); a process killed before the verified archive is in place
// leaves only .partial files, removed on the next attempt.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "daemon/catalog/snapshot.h"
#include "daemon/common/env.h"
#include "daemon/config/config.h"
#include "daemon/executor/outcome.h"
#include "daemon/pg/connection.h"
#include "daemon/planner/planner.h"

namespace partitiond::executor {

struct ArchiveSettings {
  std::string database;  // the config label: the first directory level under archive_dir
  std::string conninfo;  // the database's, for the watchdog session (archive_watchdog.h)
  // Fault injection for tests: called on the loop with the path of the written .partial, before
  // it is verified. Empty in production.
  std::function<void(const std::string&)> before_verify;
};

// Throws pg::Error: lock timeouts (55P03, retried by the caller), file errors (58030), failed
// verification (XX001), or database errors. Appends a StepRecord per step to `steps`.
asio::awaitable<void> ArchiveAndDrop(pg::Connection& conn,
                                     const config::MaintenanceConfig& maintenance, Env& env,
                                     const catalog::TableSnapshot& parent,
                                     const config::TableConfig& policy,
                                     const planner::Action& action, const ArchiveSettings& settings,
                                     std::vector<StepRecord>& steps);

}  // namespace partitiond::executor
