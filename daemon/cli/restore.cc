#include "daemon/cli/restore.h"

#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "daemon/archive/manifest.h"
#include "daemon/common/json_text.h"
#include "daemon/executor/audit.h"
#include "daemon/executor/restorer.h"
#include "daemon/maintenance/pass.h"

namespace partitiond::cli {
namespace {

const config::DatabaseConfig* FindDatabase(const config::Config& config, const std::string& label) {
  for (const auto& db : config.databases) {
    if (db.name == label) return &db;
  }
  return nullptr;
}

// The audit row is best effort: the restore itself already happened (or failed) by then.
asio::awaitable<void> AuditRestore(pg::Connection& conn, const archive::Manifest& manifest,
                                   const std::string& manifest_path,
                                   const executor::ActionResult& result,
                                   std::chrono::system_clock::time_point started, bool attached) {
  executor::AuditRecord record{
      .started_at = started,
      .database = manifest.database,
      .table = config::QualifiedName{manifest.parent_schema, manifest.parent_table}.ToString(),
      .partition = config::QualifiedName{manifest.schema, manifest.table}.ToString(),
      .action = "restore",
      .result = result};
  record.result.steps.push_back(
      {.step = "load",
       .outcome = result.outcome,
       .duration = result.duration,
       .detail =
           DumpJson({{"manifest", manifest_path}, {"rows", manifest.rows}, {"attached", attached}}),
       .error = result.error});
  const std::vector<executor::AuditRecord> records = {std::move(record)};
  try {
    co_await executor::WriteAudit(conn, records);
  } catch (const pg::Error& e) {
    spdlog::warn("restore: cannot write audit row: {}", e.what());
  }
}

asio::awaitable<int> RestoreOn(const config::DatabaseConfig& database,
                               const config::MaintenanceConfig& maintenance, Env& env,
                               const archive::Manifest& manifest, const std::string& manifest_path,
                               const std::string& archive_path, bool attach, std::ostream& out) {
  const pg::SessionOptions session = maintenance::SessionFor(maintenance);
  std::optional<pg::Connection> conn;
  try {
    conn.emplace(co_await pg::Connection::AsyncOpen(database.conninfo, session));
  } catch (const pg::Error& e) {
    out << fmt::format("database {}: cannot connect: {}\n", database.name, e.what());
    co_return 3;
  }
  const auto started = env.Now();
  const auto steady_start = env.SteadyNow();
  executor::ActionResult result;
  executor::RestoreReport report;
  try {
    report = co_await executor::RestoreArchive(*conn, maintenance, env, manifest, manifest_path,
                                               archive_path, attach);
  } catch (const pg::Error& e) {
    result.outcome = executor::Outcome::kFailed;
    result.error = e.what();
    result.sqlstate = e.sqlstate();
  }
  result.attempts = 1;
  result.duration =
      std::chrono::duration_cast<std::chrono::milliseconds>(env.SteadyNow() - steady_start);
  if (report.attach_failed) {
    result.outcome = executor::Outcome::kFailed;
    result.error = report.standalone_reason;
  }
  if (conn->IsOk()) {
    co_await AuditRestore(*conn, manifest, manifest_path, result, started, report.attached);
  }
  const std::string table = config::QualifiedName{manifest.schema, manifest.table}.ToString();
  if (report.table.empty()) {
    out << fmt::format("database {}: restore of {} failed: {}\n", database.name, table,
                       result.error);
    co_return 1;
  }
  out << fmt::format("database {}: restored {} ({} rows, verified against {})\n", database.name,
                     table, manifest.rows, manifest_path);
  const std::string parent =
      config::QualifiedName{manifest.parent_schema, manifest.parent_table}.ToString();
  if (report.attached) {
    out << fmt::format("attached to {} FOR VALUES FROM ('{}') TO ('{}')\n", parent, manifest.from,
                       manifest.to);
  } else if (!attach) {
    out << "left standalone (--no-attach)\n";
  } else {
    out << fmt::format("left standalone, not attached to {}: {}\n", parent,
                       report.standalone_reason);
  }
  co_return report.attach_failed ? 1 : 0;
}

}  // namespace

int Restore(const config::Config& config, const Args& args, Env& env, std::ostream& out) {
  const std::string manifest_path = args.positional.at(0);
  archive::Manifest manifest;
  try {
    manifest = archive::ReadManifest(manifest_path);
  } catch (const pg::Error& e) {
    out << "partitiond: " << e.what() << "\n";
    return 2;
  }
  const config::DatabaseConfig* database = FindDatabase(config, manifest.database);
  if (database == nullptr) {
    out << fmt::format("partitiond: {} was archived from database {}, which {} does not name\n",
                       manifest_path, manifest.database, config.source);
    return 2;
  }
  const std::string archive_path =
      (std::filesystem::path(manifest_path).parent_path() / manifest.archive_file).string();
  try {
    executor::VerifyArchiveAgainstManifest(manifest, archive_path);
  } catch (const pg::Error& e) {
    out << "partitiond: archive not restored, nothing changed: " << e.what() << "\n";
    return 1;
  }
  return RunToCompletion(RestoreOn(*database, config.maintenance, env, manifest, manifest_path,
                                   archive_path, !args.no_attach, out));
}

}  // namespace partitiond::cli
