#include "daemon/executor/audit.h"

#include <unistd.h>

#include <array>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "daemon/common/json_text.h"

namespace partitiond::executor {
namespace {

nlohmann::json NullIfEmpty(const std::string& text) {
  if (text.empty()) return nullptr;
  return text;
}

// $1: a JSON array of actions, each with its steps ([step, outcome, duration_ms, detail, error]).
// One statement writes them all: for each action its step rows, then the row summing it up, so
// ids follow the order things happened.
constexpr const char* kInsertAudit = R"sql(
INSERT INTO partitiond.audit (started_at, database_label, table_name, partition_name, action,
                              step, outcome, attempts, duration_ms, sqlstate, error, detail,
                              daemon_host, daemon_pid)
SELECT to_timestamp((a.value->>'started_us')::double precision / 1e6), a.value->>'database',
       a.value->>'table', a.value->>'partition', a.value->>'action', r.step, r.outcome,
       r.attempts, r.duration_ms, r.sqlstate, r.error, r.detail, $2, $3::integer
FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS a(value, ord)
CROSS JOIN LATERAL (
      SELECT s.ord, s.value->>0 AS step, s.value->>1 AS outcome, 1 AS attempts,
             (s.value->>2)::double precision AS duration_ms, NULL::text AS sqlstate,
             nullif(s.value->>4, '') AS error, (nullif(s.value->>3, ''))::jsonb AS detail
      FROM jsonb_array_elements(a.value->'steps') WITH ORDINALITY AS s(value, ord)
      UNION ALL
      SELECT 1e9, NULL, a.value->>'outcome', (a.value->>'attempts')::integer,
             (a.value->>'duration_ms')::double precision, a.value->>'sqlstate',
             a.value->>'error', NULL) r
ORDER BY a.ord, r.ord
)sql";

nlohmann::json StepsJson(const std::vector<StepRecord>& steps) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : steps) {
    out.push_back({s.step, ToString(s.outcome), s.duration.count(), s.detail, s.error});
  }
  return out;
}

nlohmann::json RecordJson(const AuditRecord& record) {
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(record.started_at.time_since_epoch());
  return {{"started_us", micros.count()},
          {"database", record.database},
          {"table", record.table},
          {"partition", record.partition},
          {"action", record.action},
          {"outcome", ToString(record.result.outcome)},
          {"attempts", record.result.attempts},
          {"duration_ms", record.result.duration.count()},
          {"sqlstate", NullIfEmpty(record.result.sqlstate)},
          {"error", NullIfEmpty(record.result.error)},
          {"steps", StepsJson(record.result.steps)}};
}

}  // namespace

std::string HostName() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0) return "unknown";
  return name.data();
}

asio::awaitable<void> WriteAudit(pg::Connection& conn, const std::vector<AuditRecord>& records) {
  if (records.empty()) co_return;
  nlohmann::json actions = nlohmann::json::array();
  for (const auto& record : records) actions.push_back(RecordJson(record));
  // Built outside the co_await: GCC 12 rejects a braced list initializing a coroutine's argument
  // inside a co_await expression (tests/gcc/coro_braced_list_argument.cc).
  pg::Params params = {DumpJson(actions), HostName(), std::to_string(getpid())};
  co_await conn.AsyncExec(kInsertAudit, std::move(params));
}

}  // namespace partitiond::executor
