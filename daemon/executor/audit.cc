#include "daemon/executor/audit.h"

#include <unistd.h>

#include <array>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "build_info.h"

namespace partitiond::executor {
namespace {

std::string HostName() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0) return "unknown";
  return name.data();
}

std::optional<std::string> NullIfEmpty(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return text;
}

constexpr const char* kInsertAudit =
    "INSERT INTO partitiond.audit (started_at, database_label, table_name, partition_name, "
    "action, outcome, attempts, duration_ms, sqlstate, error, daemon_host, daemon_pid) "
    "VALUES (to_timestamp($1::double precision / 1e6), $2, $3, $4, $5, $6, $7, $8, $9, $10, "
    "$11, $12)";

}  // namespace

asio::awaitable<void> WriteAudit(pg::Connection& conn, const AuditRecord& record) {
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(record.started_at.time_since_epoch());
  // Built outside the co_await: GCC 12 miscompiles braced lists inside a co_await expression.
  pg::Params params = {std::to_string(micros.count()),
                       record.database,
                       record.table,
                       record.partition,
                       std::string(planner::ToString(record.action)),
                       std::string(ToString(record.result.outcome)),
                       std::to_string(record.result.attempts),
                       std::to_string(record.result.duration.count()),
                       NullIfEmpty(record.result.sqlstate),
                       NullIfEmpty(record.result.error),
                       HostName(),
                       std::to_string(getpid())};
  co_await conn.AsyncExec(kInsertAudit, std::move(params));
}

asio::awaitable<void> EnsureStateSchema(pg::Connection& conn) {
  co_await conn.AsyncExec(kSchemaSql);
}

}  // namespace partitiond::executor
