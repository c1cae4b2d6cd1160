#include "daemon/executor/restorer.h"

#include <fmt/format.h>

#include "daemon/archive/copy_sql.h"
#include "daemon/archive/error.h"
#include "daemon/archive/reader.h"
#include "daemon/catalog/reader.h"
#include "daemon/catalog/security.h"
#include "daemon/executor/manifest_columns.h"
#include "daemon/executor/recipes.h"
#include "daemon/executor/security_guard.h"

namespace partitiond::executor {
namespace {

// `columns` as CanonicalColumns returned them: types and collations are the server's own text.
std::string ColumnDefinitions(pg::Connection& conn,
                              const std::vector<archive::ColumnDefinition>& columns) {
  std::string sql;
  for (const auto& c : columns) {
    if (!sql.empty()) sql += ",\n  ";
    sql += conn.QuoteIdentifier(c.name) + " " + c.type;
    if (c.collation) sql += " COLLATE " + *c.collation;
    if (c.generated) sql += " GENERATED ALWAYS AS (" + *c.generated + ") STORED";
    if (c.not_null) sql += " NOT NULL";
  }
  return sql;
}

std::optional<catalog::KeyType> KeyTypeNamed(std::string_view name) {
  for (const auto type :
       {catalog::KeyType::kDate, catalog::KeyType::kTimestamp, catalog::KeyType::kTimestamptz}) {
    if (catalog::ToString(type) == name) return type;
  }
  return std::nullopt;
}

// The partition of `parent` overlapping [from, to), if any.
const catalog::Partition* Overlapping(const catalog::TableSnapshot& parent, catalog::KeyValue from,
                                      catalog::KeyValue to) {
  for (const auto& p : parent.partitions) {
    if (p.is_default || p.detached_by_retention) continue;
    const auto lo = p.from.value_or(catalog::KeyValue::min());
    const auto hi = p.to.value_or(catalog::KeyValue::max());
    if (from < hi && lo < to) return &p;
  }
  return nullptr;
}

// Step 2 in full: opens the transaction and, unless something fails, commits it.
asio::awaitable<void> CreateAndLoad(pg::Connection& conn,
                                    const config::MaintenanceConfig& maintenance,
                                    const archive::Manifest& manifest,
                                    const std::vector<archive::ColumnDefinition>& columns,
                                    const std::string& archive_path) {
  const std::string table = conn.QuoteQualified(manifest.schema, manifest.table);
  co_await conn.AsyncExec(
      fmt::format("BEGIN; SET LOCAL lock_timeout = '{}'; SET LOCAL statement_timeout = 0;",
                  pg::ToPgDuration(maintenance.lock_timeout)));
  // Generated-column expressions are the manifest's SQL; sent alone through the extended
  // protocol, the CREATE TABLE cannot carry another statement after it.
  std::vector<pg::PipelinedStatement> create = {
      {.sql = fmt::format("CREATE TABLE {} (\n  {}\n)", table, ColumnDefinitions(conn, columns))}};
  co_await conn.AsyncExecPipeline(std::move(create));
  archive::ArchiveReader reader(archive_path);
  const long long copied = co_await conn.AsyncCopyIn(
      fmt::format("COPY {} ({}) FROM STDIN {}", table,
                  archive::CopyColumnList(conn, manifest.columns), archive::kCopyOptions),
      [&reader](std::string& chunk) { return reader.Next(chunk); });
  // The file was verified before, but it is read again here: check it did not change since.
  const archive::ReadArchive read = reader.Finish();
  if (read.sha256 != manifest.sha256) {
    throw archive::CorruptArchive(archive_path + " changed while it was being restored");
  }
  const pg::Result counted = co_await conn.AsyncExec("SELECT count(*) FROM " + table);
  const auto rows = static_cast<std::uint64_t>(counted.GetInt(0, 0));
  if (rows != manifest.rows || static_cast<std::uint64_t>(copied) != manifest.rows) {
    throw archive::CorruptArchive(fmt::format(
        "restored {} rows (COPY reported {}), the manifest says {}", rows, copied, manifest.rows));
  }
  co_await conn.AsyncExec("COMMIT");
}

// Step 3: finds the parent and the range; returns why it stays standalone, or attaches it.
asio::awaitable<void> Attach(pg::Connection& conn, const config::MaintenanceConfig& maintenance,
                             Env& env, const archive::Manifest& manifest, RestoreReport& report) {
  const config::TableConfig parent_config{
      .name = {.schema = manifest.parent_schema, .table = manifest.parent_table}};
  std::vector<config::TableConfig> wanted = {parent_config};
  catalog::DatabaseSnapshot snapshot = co_await catalog::ReadSnapshot(conn, wanted);
  catalog::TableSnapshot& parent = snapshot.tables.at(0);
  const std::string parent_name = parent_config.name.ToString();
  if (parent.error) {
    report.standalone_reason = *parent.error;
    co_return;
  }
  const auto key_type = KeyTypeNamed(manifest.key_type);
  if (!key_type || *key_type != parent.key_type || manifest.key_column != parent.key_column) {
    report.standalone_reason = fmt::format(
        "{} is now partitioned on {} ({}), the archive on {} ({})", parent_name, parent.key_column,
        catalog::ToString(parent.key_type), manifest.key_column, manifest.key_type);
    co_return;
  }
  const auto from = catalog::ParseKeyLiteral(manifest.from, *key_type);
  const auto to = catalog::ParseKeyLiteral(manifest.to, *key_type);
  if (!from || !to) {
    report.standalone_reason = fmt::format(
        "the archived range [{}, {}) is unbounded; attach it by hand", manifest.from, manifest.to);
    co_return;
  }
  if (const catalog::Partition* taken = Overlapping(parent, *from, *to)) {
    report.standalone_reason =
        fmt::format("its range [{}, {}) is taken by partition {}.{} ({})", manifest.from,
                    manifest.to, taken->schema, taken->name, taken->bound_expr);
    co_return;
  }
  Recipes recipes(conn, maintenance.lock_timeout);
  const planner::Action action{.kind = planner::ActionKind::kCreate,
                               .schema = manifest.schema,
                               .partition = manifest.table,
                               .from = *from,
                               .to = *to};
  int security_rereads = 0;
  for (int attempt = 1;; ++attempt) {
    std::optional<pg::Error> failure;
    try {
      co_await recipes.AttachExisting(parent, action);
      report.attached = true;
      co_return;
    } catch (const pg::Error& e) {
      failure = e;
    }
    // The parent's security changed since it was read: read it again and retry at once.
    if (IsSecurityChanged(*failure) && ++security_rereads <= kMaxSecurityRereads) {
      try {
        co_await catalog::ReadSecurity(conn, parent);
        --attempt;
        continue;
      } catch (const pg::Error& e) {
        failure = e;
      }
    }
    if (failure->error_class() == pg::ErrorClass::kConnection) throw *failure;
    if (failure->error_class() != pg::ErrorClass::kLockTimeout ||
        attempt >= maintenance.max_attempts) {
      report.standalone_reason =
          fmt::format("ATTACH to {} failed: {}", parent_name, failure->what());
      report.attach_failed = true;
      co_return;
    }
    co_await SleepFor(env, JitteredBackoff(env, attempt, std::chrono::milliseconds(200),
                                           std::chrono::milliseconds(5000)));
  }
}

}  // namespace

void VerifyArchiveAgainstManifest(const archive::Manifest& manifest,
                                  const std::string& archive_path) {
  archive::VerifyAgainstManifest(manifest, archive_path);
}

asio::awaitable<RestoreReport> RestoreArchive(pg::Connection& conn,
                                              const config::MaintenanceConfig& maintenance,
                                              Env& env, const archive::Manifest& manifest,
                                              const std::string& manifest_path,
                                              const std::string& archive_path, bool attach) {
  RestoreReport report{.table = config::QualifiedName{manifest.schema, manifest.table}.ToString(),
                       .rows = manifest.rows};
  const std::vector<archive::ColumnDefinition> columns =
      co_await CanonicalColumns(conn, manifest, manifest_path);
  co_await pg::RollBackOnError(
      conn, [&] { return CreateAndLoad(conn, maintenance, manifest, columns, archive_path); });
  if (attach) co_await Attach(conn, maintenance, env, manifest, report);
  co_return report;
}

}  // namespace partitiond::executor
