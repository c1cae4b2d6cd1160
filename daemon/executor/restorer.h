// `partitiond restore`: brings an archived partition back from its manifest and archive file.
//
//  1. Before touching the database: the archive is read in full and its SHA-256 and row count
//     compared with the manifest's (a corrupt archive changes nothing).
//  2. One transaction: CREATE TABLE <schema>.<table> from the manifest's columns, COPY the archive
//     in (streamed: constant memory), check count(*) against the manifest. The table must not
//     exist yet; nothing is overwritten.
//  3. Unless attaching was declined: when the parent still exists and no partition covers any of
//     the range, the table is attached with the low-lock recipe (owner, grants and policies as
//     the parent's; CHECK first, then ATTACH). When the range is taken the table is left
//     standalone and the report says by whom.
// Column types and collations are checked and canonicalised by the server first
// (manifest_columns.h): a manifest naming something else is refused and nothing is created.
// Generated-column expressions remain the manifest's SQL, trusted like a pg_dump file; the
// CREATE TABLE goes alone, so nothing can be appended to it.
#pragma once

#include <optional>
#include <string>

#include "daemon/archive/manifest.h"
#include "daemon/common/env.h"
#include "daemon/config/config.h"
#include "daemon/pg/connection.h"

namespace partitiond::executor {

struct RestoreReport {
  std::string table;  // schema.table as restored
  std::uint64_t rows = 0;
  bool attached = false;
  // Why the table was left standalone (when attaching was asked for), or empty.
  std::string standalone_reason;
  // The ATTACH itself failed (as opposed to the range being taken): an error for the exit code.
  bool attach_failed = false;
};

// Step 1; throws pg::Error XX001 naming the file on a mismatch, 58030 when it cannot be read.
void VerifyArchiveAgainstManifest(const archive::Manifest& manifest,
                                  const std::string& archive_path);

// Steps 2 and 3. Throws pg::Error when a column's type or collation is refused (naming
// `manifest_path` and the column) or the table cannot be recreated or loaded (nothing is left
// behind then).
asio::awaitable<RestoreReport> RestoreArchive(pg::Connection& conn,
                                              const config::MaintenanceConfig& maintenance,
                                              Env& env, const archive::Manifest& manifest,
                                              const std::string& manifest_path,
                                              const std::string& archive_path, bool attach);

}  // namespace partitiond::executor
