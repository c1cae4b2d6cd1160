#include "daemon/executor/archiver.h"

#include <unistd.h>

#include <exception>
#include <filesystem>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "build_info.h"
#include "daemon/archive/copy_sql.h"
#include "daemon/archive/error.h"
#include "daemon/archive/layout.h"
#include "daemon/archive/manifest.h"
#include "daemon/archive/reader.h"
#include "daemon/archive/writer.h"
#include "daemon/executor/partition_state.h"

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

std::string FormatBound(catalog::KeyValue value, catalog::KeyType type, const char* infinite) {
  if (value == catalog::KeyValue::min() || value == catalog::KeyValue::max()) return infinite;
  return catalog::FormatKeyLiteral(value, type);
}

// Times one step and records it; the step's exception (if any) is recorded and rethrown.
class StepTimer {
 public:
  StepTimer(Env& env, std::vector<StepRecord>& steps, std::string name)
      : env_(env), steps_(steps), name_(std::move(name)), started_(env.SteadyNow()) {}
  void Done(std::string detail = {}) { Record(Outcome::kOk, std::move(detail), {}); }
  void Failed(const std::exception& e) { Record(Outcome::kFailed, {}, e.what()); }

 private:
  void Record(Outcome outcome, std::string detail, std::string error) {
    steps_.push_back({.step = name_,
                      .outcome = outcome,
                      .duration = std::chrono::duration_cast<std::chrono::milliseconds>(
                          env_.SteadyNow() - started_),
                      .detail = std::move(detail),
                      .error = std::move(error)});
  }
  Env& env_;
  std::vector<StepRecord>& steps_;
  std::string name_;
  std::chrono::steady_clock::time_point started_;
};

void RemoveFiles(const archive::ArchivePaths& paths) {
  unlink(paths.archive.c_str());
  unlink(paths.manifest.c_str());
}

// One archive attempt over ArchiveAndDrop's arguments, which outlive it.
struct ArchiveJob {
  // Steps 1 to 5: opens the transaction and, unless something fails, commits it.
  asio::awaitable<void> Run(std::chrono::milliseconds lock_timeout);
  // Steps 2 to 4 inside the open transaction; returns the verified manifest.
  asio::awaitable<archive::Manifest> WriteAndVerify();

  pg::Connection& conn;
  Env& env;
  const catalog::TableSnapshot& parent;
  const config::TableConfig& policy;
  const planner::Action& action;
  const ArchiveSettings& settings;
  std::vector<StepRecord>& steps;
};

// GCC 12 reports -Wmismatched-new-delete when this coroutine's ramp is inlined into Run: Asio's
// frame operator new calls ::operator new, its sized operator delete pairs with it correctly, but
// GCC compares them after inlining only one (GCC PR middle-end/109224, a false positive). Taking
// the body out of a lambda, external linkage, [[gnu::noinline]]/noipa, member functions and a
// void return did not avoid it, so the warning is silenced for this definition alone.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
asio::awaitable<archive::Manifest> ArchiveJob::WriteAndVerify() {
  const std::string child = conn.QuoteQualified(action.schema, action.partition);
  StepTimer write(env, steps, "write");
  archive::Manifest manifest;
  archive::ArchivePaths paths;
  std::optional<pg::Error> failure;
  try {
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
    paths = archive::PrepareArchivePaths(policy.archive_dir, settings.database, action.schema,
                                         action.partition, env.Now());
    for (const auto& stale : archive::RemoveStalePartials(paths.directory, action.partition)) {
      spdlog::warn("removed {} left by an interrupted archive", stale);
    }
    archive::ArchiveWriter writer(paths.archive);
    const long long copied = co_await conn.AsyncCopyOut(
        fmt::format("COPY {} ({}) TO STDOUT {}", child,
                    archive::CopyColumnList(conn, manifest.columns), archive::kCopyOptions),
        [&writer](std::string_view data) { writer.Write(data); });
    if (static_cast<std::uint64_t>(copied) != manifest.rows) {
      throw archive::CorruptArchive(
          fmt::format("COPY wrote {} rows, count(*) found {}", copied, manifest.rows));
    }
    const archive::WrittenArchive written = writer.Commit();
    manifest.archive_file = std::filesystem::path(paths.archive).filename().string();
    manifest.raw_bytes = written.raw_bytes;
    manifest.compressed_bytes = written.compressed_bytes;
    manifest.sha256 = written.sha256;
    archive::WriteManifest(paths.manifest, manifest);
  } catch (const pg::Error& e) {
    failure = e;
  }
  if (failure) {
    write.Failed(*failure);
    throw *failure;
  }
  write.Done(nlohmann::json{{"file", paths.archive},
                            {"manifest", paths.manifest},
                            {"rows", manifest.rows},
                            {"raw_bytes", manifest.raw_bytes},
                            {"compressed_bytes", manifest.compressed_bytes},
                            {"sha256", manifest.sha256}}
                 .dump());

  StepTimer verify(env, steps, "verify");
  try {
    if (settings.before_verify) settings.before_verify(paths.archive);
    archive::VerifyAgainstManifest(manifest, paths.archive);
  } catch (const pg::Error& e) {
    // A bad archive is worth nothing and would only fill the disk on every retry.
    RemoveFiles(paths);
    verify.Failed(e);
    throw;
  }
  verify.Done(nlohmann::json{{"file", paths.archive}, {"rows", manifest.rows}}.dump());
  co_return manifest;
}
#pragma GCC diagnostic pop

asio::awaitable<void> ArchiveJob::Run(std::chrono::milliseconds lock_timeout) {
  const std::string child = conn.QuoteQualified(action.schema, action.partition);
  // The daemon owns the table through the owner role, so FORCE ROW LEVEL SECURITY would filter
  // count(*) and COPY alike: an archive of only the rows it may see would verify, and the rest
  // would be dropped. NO FORCE (undone by a rollback; on success the table is dropped) lets the
  // owner see every row; row_security = off turns any policy still in the way into an error.
  // The lock and its guard first: only a table our retention detached is archived and dropped.
  co_await PreparePartitionState(conn);
  co_await conn.AsyncExec(fmt::format(
      "BEGIN ISOLATION LEVEL REPEATABLE READ; SET LOCAL lock_timeout = '{0}'; "
      "SET LOCAL statement_timeout = 0; SET LOCAL idle_in_transaction_session_timeout = 0; "
      "{2} ALTER TABLE {1} NO FORCE ROW LEVEL SECURITY; SET LOCAL row_security = off",
      pg::ToPgDuration(lock_timeout), child, LockDetachedByRetention(conn, action)));
  const archive::Manifest manifest = co_await WriteAndVerify();
  StepTimer drop(env, steps, "drop");
  try {
    co_await conn.AsyncExec(fmt::format("DROP TABLE {}; COMMIT", child));
  } catch (const pg::Error& e) {
    drop.Failed(e);
    throw;
  }
  drop.Done();
  spdlog::info("archived {}.{} ({} rows, {} bytes compressed) and dropped it", action.schema,
               action.partition, manifest.rows, manifest.compressed_bytes);
}

}  // namespace

asio::awaitable<void> ArchiveAndDrop(pg::Connection& conn, std::chrono::milliseconds lock_timeout,
                                     Env& env, const catalog::TableSnapshot& parent,
                                     const config::TableConfig& policy,
                                     const planner::Action& action, const ArchiveSettings& settings,
                                     std::vector<StepRecord>& steps) {
  ArchiveJob job{.conn = conn,
                 .env = env,
                 .parent = parent,
                 .policy = policy,
                 .action = action,
                 .settings = settings,
                 .steps = steps};
  co_await pg::RollBackOnError(conn, [&job, lock_timeout] { return job.Run(lock_timeout); });
}

}  // namespace partitiond::executor
