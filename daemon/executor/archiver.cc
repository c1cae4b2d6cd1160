#include "daemon/executor/archiver.h"

#include <unistd.h>

#include <exception>
#include <filesystem>
#include <functional>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "build_info.h"
#include "daemon/archive/copy_sql.h"
#include "daemon/archive/error.h"
#include "daemon/archive/layout.h"
#include "daemon/archive/manifest.h"
#include "daemon/archive/off_loop.h"
#include "daemon/archive/off_loop_writer.h"
#include "daemon/common/json_text.h"
#include "daemon/executor/archive_bound.h"
#include "daemon/executor/archive_watchdog.h"
#include "daemon/executor/partition_state.h"
#include "daemon/executor/step_timer.h"

namespace partitiond::executor {
namespace {

// Columns in table order with what a restore needs to recreate them; generated columns are
// recreated from their expression, not loaded.
constexpr const char* kDescribeQuery = R"sql(
SELECT current_database(), current_setting('server_version'),
       (SELECT json_agg(json_build_object(
                 'name', a.attname,
                 'type', format_type(a.atttypid, a.atttypmod),
                 'not_null', a.attnotnull,
                 'collation', CASE WHEN a.attcollation <> t.typcollation THEN
                                (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
                                 FROM pg_collation co
                                 JOIN pg_namespace cn ON cn.oid = co.collnamespace
                                 WHERE co.oid = a.attcollation) END,
                 'generated', CASE WHEN a.attgenerated = 's' THEN pg_get_expr(d.adbin, d.adrelid)
                              END) ORDER BY a.attnum)
        FROM pg_attribute a
        JOIN pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped)::text
)sql";

// What the archive transaction needs before it starts work: the kind of relation (a partitioned
// or foreign table has no heap of its own to COPY), the session and transaction the watchdog
// watches, and the size the time bound scales with (sub-partitions included).
constexpr const char* kSessionQuery = R"sql(
SELECT c.relkind::text, pg_backend_pid()::text, now()::text,
       (SELECT coalesce(sum(pg_total_relation_size(t.relid)), 0)::bigint
        FROM pg_partition_tree(c.oid) t)
FROM pg_class c WHERE c.oid = $1::regclass
)sql";

std::string FormatBound(catalog::KeyValue value, catalog::KeyType type, const char* infinite) {
  if (value == catalog::KeyValue::min() || value == catalog::KeyValue::max()) return infinite;
  return catalog::FormatKeyLiteral(value, type);
}

// Removes an attempt's final-named files (and a manifest .partial that Publish left), on `files`:
// unlinking a file of many GiB takes long enough to matter to the loop.
asio::awaitable<void> RemoveFiles(asio::thread_pool::executor_type files,
                                  const archive::ArchivePaths& paths) {
  const std::function<void()> remove = [paths] {
    unlink(paths.archive.c_str());
    unlink(paths.manifest.c_str());
    unlink((paths.manifest + archive::kPartialSuffix).c_str());
  };
  co_await archive::RunOffLoop(files, remove);
}

// The directories, a fresh stem, and the .partial files a killed attempt left; on `files`.
asio::awaitable<archive::ArchivePaths> PreparePaths(asio::thread_pool::executor_type files,
                                                    const std::string& archive_dir,
                                                    const std::string& database,
                                                    const planner::Action& action,
                                                    std::chrono::system_clock::time_point now) {
  const std::function<archive::ArchivePaths()> prepare =
      [archive_dir, database, schema = action.schema, table = action.partition, now] {
        archive::ArchivePaths paths =
            archive::PrepareArchivePaths(archive_dir, database, schema, table, now);
        for (const auto& stale : archive::RemoveStalePartials(paths.directory, table)) {
          spdlog::warn("removed {} left by an interrupted archive", stale);
        }
        return paths;
      };
  co_return co_await archive::RunOffLoop(files, prepare);
}

struct VerifiedArchive {
  archive::Manifest manifest;
  archive::ArchivePaths paths;
};

// One archive attempt over ArchiveAndDrop's arguments, which outlive it.
struct ArchiveJob {
  // Steps 1 to 5: opens the transaction and, unless something fails, commits it.
  asio::awaitable<void> Run();
  // Step 1 after the lock: bounds the transaction in time (archive_bound.h); returns the relkind.
  asio::awaitable<std::string> BoundInTime();
  // Steps 2 to 4 inside the open transaction; returns the verified archive, in place.
  asio::awaitable<VerifiedArchive> WriteAndVerify(const std::string& relkind);
  // Step 4 on the written .partial: verify, then put the archive and the manifest in place.
  asio::awaitable<void> VerifyAndPublish(archive::OffLoopWriter& writer,
                                         const archive::Manifest& manifest,
                                         const archive::ArchivePaths& paths);
  // Step 5: DROP and COMMIT. When the server refuses either, the transaction is rolled back and
  // this attempt's files are removed: the table keeps its rows, and an archive per failed pass
  // would only fill the disk.
  asio::awaitable<void> DropAndCommit(const VerifiedArchive& archived);
  // The archive's session was ended from outside: by the watchdog past the bound, say so.
  pg::Error Explain(const pg::Error& e) const;

  pg::Connection& conn;
  const config::MaintenanceConfig& maintenance;
  Env& env;
  const catalog::TableSnapshot& parent;
  const config::TableConfig& policy;
  const planner::Action& action;
  const ArchiveSettings& settings;
  std::vector<StepRecord>& steps;
  // Where every file operation runs: never on the loop (off_loop.h).
  asio::thread_pool::executor_type files;
  std::chrono::steady_clock::time_point started{};
  std::chrono::milliseconds bound{};
  std::optional<pg::Connection> watchdog{};
};

// DROP TABLE in a savepoint, rolled back: the server's own answer to whether the final DROP can
// succeed, before anything is written. It fails when other objects depend on the table (views,
// materialized views, functions with SQL-standard bodies, foreign keys, ...), and its error names
// them. The ACCESS EXCLUSIVE lock the transaction holds keeps new dependents out until the end.
asio::awaitable<void> CheckDroppable(pg::Connection& conn, const planner::Action& action) {
  const std::string child = conn.QuoteQualified(action.schema, action.partition);
  std::optional<pg::Error> refused;
  try {
    co_await conn.AsyncExec(fmt::format(
        "SAVEPOINT partitiond_drop_check; DROP TABLE {}; "
        "ROLLBACK TO SAVEPOINT partitiond_drop_check; RELEASE SAVEPOINT partitiond_drop_check",
        child));
  } catch (const pg::Error& e) {
    if (e.error_class() == pg::ErrorClass::kConnection) throw;
    refused = e;
  }
  if (!refused) co_return;
  throw pg::Error(fmt::format("{}.{} cannot be dropped, so it is not archived (nothing was "
                              "written; it keeps its rows): {}",
                              action.schema, action.partition, refused->what()),
                  refused->sqlstate());
}

// GCC 12 reports -Wmismatched-new-delete when this coroutine's ramp is inlined into Run: Asio's
// frame operator new calls ::operator new, its sized operator delete pairs with it correctly, but
// GCC compares them after inlining only one (GCC PR middle-end/109224, a false positive). Taking
// the body out of a lambda, external linkage, [[gnu::noinline]]/noipa, member functions and a
// void return did not avoid it, so the warning is silenced for this definition alone.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
asio::awaitable<VerifiedArchive> ArchiveJob::WriteAndVerify(const std::string& relkind) {
  const std::string child = conn.QuoteQualified(action.schema, action.partition);
  StepTimer write(env, steps, "write");
  archive::Manifest manifest;
  archive::ArchivePaths paths;
  std::unique_ptr<archive::OffLoopWriter> writer;
  std::optional<pg::Error> failure;
  try {
    co_await CheckDroppable(conn, action);
    pg::Params params = {child};
    const pg::Result facts = co_await conn.AsyncExec(kDescribeQuery, std::move(params));
    const pg::Result counted = co_await conn.AsyncExec("SELECT count(*) FROM " + child);
    manifest = archive::Manifest{
        .database = settings.database,
        .database_name = std::string(facts.Get(0, 0)),
        .parent_schema = parent.configured.schema,
        .parent_table = parent.configured.table,
        .schema = action.schema,
        .table = action.partition,
        .key_column = parent.key_column,
        .key_type = std::string(catalog::ToString(parent.key_type)),
        .from = FormatBound(action.from, parent.key_type, "MINVALUE"),
        .to = FormatBound(action.to, parent.key_type, "MAXVALUE"),
        .columns = archive::ParseColumns(facts.Get(0, 2)),
        .rows = static_cast<std::uint64_t>(counted.GetInt(0, 0)),
        .partitiond_version = kVersion,
        .server_version = std::string(facts.Get(0, 1)),
        .created_at = fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                                  std::chrono::floor<std::chrono::seconds>(env.Now()))};
    paths = co_await PreparePaths(files, policy.archive_dir, settings.database, action, env.Now());
    writer = co_await archive::OffLoopWriter::Open(files, paths.archive);
    // The COPY stays on the loop; its data goes to the pool in batches, and the COPY waits (in
    // `pace`, never blocking the loop) while the pool is behind.
    archive::OffLoopWriter& out = *writer;
    std::function<void(std::string_view)> sink = [&out](std::string_view data) { out.Write(data); };
    std::function<asio::awaitable<void>()> pace = [&out] { return out.Pace(); };
    const long long copied = co_await conn.AsyncCopyOut(
        archive::CopyOutStatement(conn, child, relkind, manifest.columns), std::move(sink),
        std::move(pace));
    if (static_cast<std::uint64_t>(copied) != manifest.rows) {
      throw archive::CorruptArchive(
          fmt::format("COPY wrote {} rows, count(*) found {}", copied, manifest.rows));
    }
    const archive::WrittenArchive written = co_await writer->Finish();
    manifest.archive_file = std::filesystem::path(paths.archive).filename().string();
    manifest.raw_bytes = written.raw_bytes;
    manifest.compressed_bytes = written.compressed_bytes;
    manifest.sha256 = written.sha256;
  } catch (const pg::Error& e) {
    failure = e;
  }
  if (failure) {
    // Removes the .partial, on the pool.
    if (writer) co_await writer->Close();
    write.Failed(*failure);
    throw *failure;
  }
  write.Done(DumpJson({{"file", paths.archive},
                       {"manifest", paths.manifest},
                       {"rows", manifest.rows},
                       {"raw_bytes", manifest.raw_bytes},
                       {"compressed_bytes", manifest.compressed_bytes},
                       {"sha256", manifest.sha256}}));
  co_await VerifyAndPublish(*writer, manifest, paths);
  co_await writer->Close();
  co_return VerifiedArchive{.manifest = std::move(manifest), .paths = std::move(paths)};
}

asio::awaitable<void> ArchiveJob::VerifyAndPublish(archive::OffLoopWriter& writer,
                                                   const archive::Manifest& manifest,
                                                   const archive::ArchivePaths& paths) {
  StepTimer verify(env, steps, "verify");
  std::optional<pg::Error> failure;
  try {
    // The .partial is read back before anything final-named exists: a process killed before
    // Publish leaves only .partial files, and a final-named manifest always stands beside a
    // verified archive (writer.h).
    if (settings.before_verify) settings.before_verify(writer.partial_path());
    spdlog::debug("verifying {}", writer.partial_path());
    co_await writer.Verify(manifest);
    co_await writer.Publish(paths.manifest, manifest);
  } catch (const pg::Error& e) {
    failure = e;
  }
  if (!failure) {
    verify.Done(DumpJson({{"file", paths.archive}, {"rows", manifest.rows}}));
    co_return;
  }
  // A bad archive is worth nothing and would only fill the disk on every retry. (A Publish that
  // failed halfway may have put the archive in place already.)
  co_await writer.Close();
  co_await RemoveFiles(files, paths);
  verify.Failed(*failure);
  throw *failure;
}
#pragma GCC diagnostic pop

asio::awaitable<void> ArchiveJob::Run() {
  // The lock and its guard first: only a table our retention detached is archived and dropped.
  co_await PreparePartitionState(conn);
  co_await conn.AsyncExec(fmt::format(
      "BEGIN ISOLATION LEVEL REPEATABLE READ; SET LOCAL lock_timeout = '{0}'; {1}",
      pg::ToPgDuration(maintenance.lock_timeout), LockDetachedByRetention(conn, action)));
  started = env.SteadyNow();
  const std::string relkind = co_await BoundInTime();
  const VerifiedArchive archived = co_await WriteAndVerify(relkind);
  co_await DropAndCommit(archived);
  spdlog::info("archived {}.{} ({} rows, {} bytes compressed) and dropped it", action.schema,
               action.partition, archived.manifest.rows, archived.manifest.compressed_bytes);
}

asio::awaitable<std::string> ArchiveJob::BoundInTime() {
  const std::string child = conn.QuoteQualified(action.schema, action.partition);
  pg::Params params = {child};
  const pg::Result facts = co_await conn.AsyncExec(kSessionQuery, std::move(params));
  const std::string relkind(facts.Get(0, 0));
  bound =
      ArchiveBound(facts.GetInt(0, 3), maintenance.statement_timeout, maintenance.archive_timeout);
  // The daemon owns the table through the owner role, so FORCE ROW LEVEL SECURITY would filter
  // count(*) and COPY alike: an archive of only the rows it may see would verify, and the rest
  // would be dropped. NO FORCE (undone by a rollback; on success the table is dropped) lets the
  // owner see every row; row_security = off turns any policy still in the way into an error.
  // (A foreign table has no row level security to lift.)
  // Built outside the co_await: GCC 12 destroys temporaries of a conditional expression inside
  // a co_await expression twice (tests/gcc/coro_conditional_temporaries.cc).
  std::string no_force;
  if (relkind != "f") no_force = fmt::format("ALTER TABLE {} NO FORCE ROW LEVEL SECURITY; ", child);
  co_await conn.AsyncExec(fmt::format(
      "SET LOCAL statement_timeout = '{0}'; SET LOCAL idle_in_transaction_session_timeout = "
      "'{0}'; {1}SET LOCAL row_security = off",
      pg::ToPgDuration(bound), no_force));
  const ArchiveSession session{.pid = std::string(facts.Get(0, 1)),
                               .xact_start = std::string(facts.Get(0, 2))};
  const pg::SessionOptions options{.statement_timeout = maintenance.statement_timeout,
                                   .lock_timeout = maintenance.lock_timeout};
  pg::Connection started_watchdog =
      co_await StartArchiveWatchdog(settings.conninfo, options, child, session, bound);
  watchdog.emplace(std::move(started_watchdog));
  spdlog::debug("archiving {}.{}: {} bytes, time bound {} ms", action.schema, action.partition,
                facts.GetInt(0, 3), bound.count());
  co_return relkind;
}

asio::awaitable<void> ArchiveJob::DropAndCommit(const VerifiedArchive& archived) {
  const std::string child = conn.QuoteQualified(action.schema, action.partition);
  StepTimer drop(env, steps, "drop");
  std::optional<pg::Error> failure;
  bool commit_sent = false;
  try {
    co_await conn.AsyncExec("DROP TABLE " + child);
    commit_sent = true;
    co_await conn.AsyncExec("COMMIT");
  } catch (const pg::Error& e) {
    failure = e;
  }
  if (!failure) {
    drop.Done();
    co_return;
  }
  // A COMMIT lost with the connection may have happened: then the files are kept. Otherwise the
  // transaction did not commit, the table keeps its rows, and this attempt's archive has no use.
  if (!commit_sent || failure->error_class() != pg::ErrorClass::kConnection) {
    co_await RemoveFiles(files, archived.paths);
    spdlog::warn("{}.{}: the DROP failed after the archive was written; removed {} and {}",
                 action.schema, action.partition, archived.paths.archive, archived.paths.manifest);
  }
  drop.Failed(*failure);
  throw *failure;
}

pg::Error ArchiveJob::Explain(const pg::Error& e) const {
  if (e.error_class() != pg::ErrorClass::kConnection || bound.count() == 0 ||
      env.SteadyNow() - started < bound) {
    return e;
  }
  return pg::Error(fmt::format("the archive of {}.{} passed its time bound of {} "
                               "(maintenance.archive_timeout, scaled to the partition's size) "
                               "and the server ended its session: {}",
                               action.schema, action.partition, pg::ToPgDuration(bound), e.what()),
                   e.sqlstate());
}

}  // namespace

asio::awaitable<void> ArchiveAndDrop(pg::Connection& conn,
                                     const config::MaintenanceConfig& maintenance, Env& env,
                                     const catalog::TableSnapshot& parent,
                                     const config::TableConfig& policy,
                                     const planner::Action& action, const ArchiveSettings& settings,
                                     std::vector<StepRecord>& steps) {
  // The archive's file work runs on a thread of its own, owned here so that it outlives every
  // piece of work posted to it: each is awaited before the job returns.
  asio::thread_pool files(1);
  ArchiveJob job{.conn = conn,
                 .maintenance = maintenance,
                 .env = env,
                 .parent = parent,
                 .policy = policy,
                 .action = action,
                 .settings = settings,
                 .steps = steps,
                 .files = files.get_executor()};
  std::optional<pg::Error> failure;
  try {
    co_await pg::RollBackOnError(conn, [&job] { return job.Run(); });
  } catch (const pg::Error& e) {
    failure = job.Explain(e);
  }
  if (failure) throw *failure;
}

}  // namespace partitiond::executor
