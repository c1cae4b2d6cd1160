#include "daemon/executor/archive_watchdog.h"

#include <optional>

#include <fmt/format.h>

namespace partitiond::executor {
namespace {

// The archive transaction's age is checked too: the LOCK may also fail early (the partition
// dropped by the archive's COMMIT, a cancelled session), and then nothing must be terminated.
constexpr const char* kTerminateQuery =
    "SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity "
    "WHERE pid = $1::integer AND xact_start = $2::timestamptz "
    "  AND xact_start <= pg_catalog.statement_timestamp() - $3::interval";

}  // namespace

asio::awaitable<pg::Connection> StartArchiveWatchdog(const std::string& conninfo,
                                                     const pg::SessionOptions& options,
                                                     const std::string& quoted_table,
                                                     const ArchiveSession& archive,
                                                     std::chrono::milliseconds bound) {
  std::optional<pg::Error> failure;
  try {
    pg::SessionOptions watchdog_options = options;
    watchdog_options.application_name = "partitiond archive watchdog";
    pg::Connection watchdog = co_await pg::Connection::AsyncOpen(conninfo, watchdog_options);
    const std::string duration = pg::ToPgDuration(bound);
    std::vector<pg::PipelinedStatement> wait = {
        {.sql = "BEGIN"},
        {.sql = "SET LOCAL statement_timeout = 0"},
        {.sql = fmt::format("SET LOCAL lock_timeout = '{}'", duration)},
        {.sql = fmt::format("LOCK TABLE {} IN ACCESS SHARE MODE", quoted_table)},
        {.sql = "ROLLBACK"}};
    pg::Params params = {archive.pid, archive.xact_start, duration};
    // A Sync ends the skipping after a failure but not an explicit transaction block: the first
    // ROLLBACK ends the one a failed LOCK left aborted (after a granted LOCK it only warns).
    std::vector<pg::PipelinedStatement> terminate = {
        {.sql = "ROLLBACK"}, {.sql = kTerminateQuery, .params = std::move(params)}};
    std::vector<std::vector<pg::PipelinedStatement>> segments = {std::move(wait),
                                                                 std::move(terminate)};
    co_await watchdog.AsyncSendUnawaited(std::move(segments));
    co_return std::move(watchdog);
  } catch (const pg::Error& e) {
    failure = e;
  }
  // Without its watchdog the archive has no bound in every case: it is not started.
  throw pg::Error(fmt::format("cannot start the archive's watchdog session, so the archive is "
                              "not started: {}",
                              failure->what()),
                  "55000");
}

}  // namespace partitiond::executor
