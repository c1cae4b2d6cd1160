// How long one archive transaction may stay open. The archive holds a snapshot (and so the xmin
// horizon: VACUUM removes no row deleted after it began, in any table of the database) from its
// LOCK to its COMMIT, so a frozen or stalled archiver must not keep it open for ever; a large
// partition needs longer than a small one.
//
//   bound = min(archive_timeout, statement_timeout + partition bytes / kArchiveMinThroughput)
//
// The server enforces the bound (archiver.h): statement_timeout and
// idle_in_transaction_session_timeout of the archive transaction, and a watchdog session that
// ends the archive session when it is still in that transaction after the bound (the one case the
// two timeouts miss: a backend blocked sending COPY data to a client that stopped reading).
#pragma once

#include <chrono>
#include <cstdint>

namespace partitiond::executor {

// The slowest archive the bound allows for: COPY, zstd and the disk together, per second.
inline constexpr std::int64_t kArchiveMinThroughput = 4 * 1024 * 1024;

// `bytes`: the partition's table, TOAST and indexes, with its sub-partitions' (0 when unknown).
std::chrono::milliseconds ArchiveBound(std::int64_t bytes,
                                       std::chrono::milliseconds statement_timeout,
                                       std::chrono::milliseconds archive_timeout);

}  // namespace partitiond::executor
