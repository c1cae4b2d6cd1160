// retention_action: archive, after the detach: exports a table our retention detached (it carries
// the retention mark) to a verified, compressed file and only then drops it.
//
// All in one REPEATABLE READ transaction on the maintenance connection:
//  1. LOCK TABLE ... IN ACCESS EXCLUSIVE MODE under lock_timeout: nothing changes the table while
//     it is archived, and the final DROP cannot queue behind anyone. (The table is detached and
//     expired; only stray readers of it wait, not application traffic on the parent.)
//  2. one query: its columns, count(*), and facts for the manifest;
//  3. COPY (columns) TO STDOUT (FORMAT text), streamed through zstd into
//     <archive_dir>/<database>/<schema>/<stem>.copy.zst.partial, fsynced, renamed into place,
//     directory fsynced; then the JSON manifest beside it, written the same way (layout.h);
//  4. verify: re-read the file, compare its SHA-256 with the one computed while writing, and its
//     decompressed row count with count(*) and COPY's own count;
//  5. DROP TABLE, COMMIT.
// Any failure rolls the transaction back, so the table keeps all its rows; files of a failed
// verification are removed; a killed process leaves only a .partial, removed on the next attempt.
// statement_timeout and idle_in_transaction_session_timeout are lifted for this transaction: a
// large partition may take longer than the maintenance statement limit.
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
  // Fault injection for tests: called with the archive's path once it is in place, before it is
  // verified. Empty in production.
  std::function<void(const std::string&)> before_verify;
};

// Throws pg::Error: lock timeouts (55P03, retried by the caller), file errors (58030), failed
// verification (XX001), or database errors. Appends a StepRecord per step to `steps`.
asio::awaitable<void> ArchiveAndDrop(pg::Connection& conn, std::chrono::milliseconds lock_timeout,
                                     Env& env, const catalog::TableSnapshot& parent,
                                     const config::TableConfig& policy,
                                     const planner::Action& action, const ArchiveSettings& settings,
                                     std::vector<StepRecord>& steps);

}  // namespace partitiond::executor
