#include "daemon/executor/audit.h"

#include <unistd.h>

#include <array>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>

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

// The steps ($13: a JSON array of [step, outcome, duration_ms, detail, error]) and the summary
// row, in one statement: the steps first, so ids follow the order things happened.
constexpr const char* kInsertAudit = R"sql(
INSERT INTO partitiond.audit (started_at, database_label, table_name, partition_name, action,
                              step, outcome, attempts, duration_ms, sqlstate, error, detail,
                              daemon_host, daemon_pid)
SELECT to_timestamp($1::double precision / 1e6), $2, $3, $4, $5, r.step, r.outcome, r.attempts,
       r.duration_ms, r.sqlstate, r.error, r.detail, $11, $12
FROM (SELECT s.ord, s.value->>0 AS step, s.value->>1 AS outcome, 1 AS attempts,
             (s.value->>2)::double precision AS duration_ms, NULL::text AS sqlstate,
             nullif(s.value->>4, '') AS error, (nullif(s.value->>3, ''))::jsonb AS detail
      FROM jsonb_array_elements($13::jsonb) WITH ORDINALITY AS s(value, ord)
      UNION ALL
      SELECT 1e9, NULL, $6, $7, $8, $9, $10, NULL) r
ORDER BY r.ord
)sql";

std::string StepsJson(const std::vector<StepRecord>& steps) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : steps) {
    out.push_back({s.step, ToString(s.outcome), s.duration.count(), s.detail, s.error});
  }
  return out.dump();
}

}  // namespace

asio::awaitable<void> WriteAudit(pg::Connection& conn, const AuditRecord& record) {
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(record.started_at.time_since_epoch());
  // Built outside the co_await: GCC 12 miscompiles braced lists inside a co_await expression.
  pg::Params params = {std::to_string(micros.count()),
                       record.database,
                       record.table,
                       record.partition,
                       record.action,
                       std::string(ToString(record.result.outcome)),
                       std::to_string(record.result.attempts),
                       std::to_string(record.result.duration.count()),
                       NullIfEmpty(record.result.sqlstate),
                       NullIfEmpty(record.result.error),
                       HostName(),
                       std::to_string(getpid()),
                       StepsJson(record.result.steps)};
  co_await conn.AsyncExec(kInsertAudit, std::move(params));
}

asio::awaitable<void> EnsureStateSchema(pg::Connection& conn) {
  co_await conn.AsyncExec(kSchemaSql);
}

}  // namespace partitiond::executor
