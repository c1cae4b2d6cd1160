#include "daemon/cli/status.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <map>
#include <nlohmann/json.hpp>

#include "daemon/common/json_text.h"
#include "daemon/health/table_health.h"
#include "daemon/maintenance/pass.h"

namespace partitiond::cli {
namespace {

struct AuditSummary {
  std::string last_success;  // started_at of the last ok action, "" if none
  std::string last_error;    // "<time> <action> <partition>: <error>" of the last failure
};

struct DatabaseStatus {
  maintenance::DatabaseReport report;
  std::map<std::string, AuditSummary> audit;  // by table
};

constexpr const char* kAuditQuery = R"sql(
SELECT t.table_name,
       (SELECT to_char(max(started_at), 'YYYY-MM-DD HH24:MI:SS') FROM partitiond.audit a
         WHERE a.table_name = t.table_name AND a.outcome = 'ok'),
       (SELECT to_char(started_at, 'YYYY-MM-DD HH24:MI:SS') || ' ' || action || ' ' ||
               partition_name || ': ' || coalesce(error, outcome)
          FROM partitiond.audit a WHERE a.table_name = t.table_name AND a.outcome <> 'ok'
         ORDER BY started_at DESC LIMIT 1)
FROM unnest($1::text[]) AS t(table_name)
)sql";

// Last success and last error per table. Without SELECT on partitiond.audit (or with any other
// problem there) the health columns still show; only these two stay empty.
asio::awaitable<std::map<std::string, AuditSummary>> ReadAudit(
    pg::Connection& conn, const maintenance::DatabaseReport& report) {
  std::map<std::string, AuditSummary> audit;
  std::vector<std::string> tables;
  for (const auto& t : report.tables) tables.push_back(t.snapshot.configured.ToString());
  pg::Params params = {pg::TextArrayLiteral(tables)};
  std::optional<std::string> failure;
  try {
    const pg::Result r = co_await conn.AsyncExec(kAuditQuery, std::move(params));
    for (int i = 0; i < r.rows(); ++i) {
      audit[std::string(r.Get(i, 0))] = {r.GetOptional(i, 1).value_or(""),
                                         r.GetOptional(i, 2).value_or("")};
    }
  } catch (const pg::Error& e) {
    if (e.error_class() == pg::ErrorClass::kConnection) throw;
    failure = e.what();
  }
  if (failure)
    spdlog::warn("database {}: cannot read partitiond.audit: {}", report.database, *failure);
  co_return audit;
}

asio::awaitable<DatabaseStatus> ReadStatus(const config::DatabaseConfig& database,
                                           const config::MaintenanceConfig& maintenance, Env& env,
                                           std::chrono::sys_seconds now, bool now_is_explicit) {
  DatabaseStatus status;
  std::optional<pg::Error> failure;
  try {
    const pg::SessionOptions session = maintenance::SessionFor(maintenance);
    pg::Connection conn = co_await pg::Connection::AsyncOpen(database.conninfo, session);
    const maintenance::PassOptions plan_only{.apply = false, .now_is_explicit = now_is_explicit};
    status.report =
        co_await maintenance::RunPassOn(conn, database, maintenance, env, now, plan_only);
    if (status.report.state_schema_present) status.audit = co_await ReadAudit(conn, status.report);
  } catch (const pg::Error& e) {
    failure = e;
  }
  if (failure) {
    status.report = {.database = database.name,
                     .error = failure->what(),
                     .unreachable = failure->error_class() == pg::ErrorClass::kConnection};
  }
  co_return status;
}

std::string Duration(double seconds) {
  const bool negative = seconds < 0;
  const auto s = static_cast<long long>(negative ? -seconds : seconds);
  std::string text;
  if (s >= 86400) {
    text = fmt::format("{}d {}h", s / 86400, s % 86400 / 3600);
  } else if (s >= 3600) {
    text = fmt::format("{}h {}m", s / 3600, s % 3600 / 60);
  } else {
    text = fmt::format("{}m", s / 60);
  }
  return negative ? "-" + text : text;
}

std::string Date(const std::optional<std::chrono::sys_seconds>& t) {
  if (!t) return "-";
  return catalog::FormatKeyLiteral(t->time_since_epoch(), catalog::KeyType::kDate);
}

std::string Retention(const health::TableHealth& h, const maintenance::TableReport& t) {
  if (!t.policy->retention) return "keep forever";
  if (t.plan.held_removals > 0) {
    return fmt::format("HELD {} removal(s), confirm", t.plan.held_removals);
  }
  size_t due = 0;
  for (const auto& a : t.plan.actions) due += planner::IsRetention(a.kind) ? 1 : 0;
  if (h.retention_overdue_seconds > 0) {
    return fmt::format("OVERDUE {} ({} due)", Duration(h.retention_overdue_seconds), due);
  }
  return "ok, " + t.policy->retention->ToString();
}

void RenderText(const std::vector<DatabaseStatus>& all, std::chrono::sys_seconds now,
                std::ostream& out) {
  constexpr const char* kRow = "  {:<28} {:>5} {:>14} {:>11} {:<26} {:>8}  {:<19}  {}\n";
  for (const auto& db : all) {
    const auto& r = db.report;
    out << fmt::format("database {}{}\n", r.database, r.standby ? " (standby)" : "");
    if (r.error) {
      out << fmt::format("  ERROR: {}\n", *r.error);
      continue;
    }
    out << fmt::format(kRow, "TABLE", "PARTS", "COVERAGE AHEAD", "OLDEST", "RETENTION", "DEFAULT",
                       "LAST SUCCESS", "LAST ERROR");
    for (const auto& t : r.tables) {
      const auto h = health::AssessTable(t, now);
      const auto audit = db.audit.count(h.table) ? db.audit.at(h.table) : AuditSummary{};
      if (h.error) {
        out << fmt::format("  {:<28} ERROR: {}\n", h.table, *h.error);
        continue;
      }
      const std::string ahead =
          h.coverage_end ? Duration(static_cast<double>((*h.coverage_end - now).count())) : "none";
      out << fmt::format(kRow, h.table, h.partitions, ahead, Date(h.oldest_start), Retention(h, t),
                         h.default_present ? fmt::format("{:.0f}", h.default_rows) : "-",
                         audit.last_success.empty() ? "-" : audit.last_success,
                         audit.last_error.empty() ? "-" : audit.last_error);
    }
  }
}

void RenderJson(const std::vector<DatabaseStatus>& all, std::chrono::sys_seconds now,
                std::ostream& out) {
  nlohmann::json root = nlohmann::json::array();
  for (const auto& db : all) {
    nlohmann::json jdb = {{"database", db.report.database},
                          {"standby", db.report.standby},
                          {"tables", nlohmann::json::array()}};
    if (db.report.error) jdb["error"] = *db.report.error;
    for (const auto& t : db.report.tables) {
      const auto h = health::AssessTable(t, now);
      nlohmann::json jt = {{"table", h.table}};
      if (h.error) {
        jt["error"] = *h.error;
      } else {
        jt["partitions"] = h.partitions;
        if (h.coverage_end) {
          jt["coverage_ahead_seconds"] = (*h.coverage_end - now).count();
        }
        if (h.oldest_start) jt["oldest_partition_start"] = Date(h.oldest_start);
        jt["retention_seconds"] = h.retention_seconds;
        jt["retention_overdue_seconds"] = h.retention_overdue_seconds;
        jt["retention_held"] = t.plan.held_removals;
        jt["default_partition"] = h.default_present;
        jt["default_rows"] = h.default_rows;
        jt["partitions_without_rls"] = h.partitions_without_rls;
        jt["bytes"] = h.bytes;
      }
      if (auto it = db.audit.find(h.table); it != db.audit.end()) {
        jt["last_success"] = it->second.last_success;
        jt["last_error"] = it->second.last_error;
      }
      jdb["tables"].push_back(jt);
    }
    root.push_back(jdb);
  }
  out << DumpJson(root, 2) << "\n";
}

}  // namespace

int Status(const config::Config& config, const Args& args, Env& env, std::ostream& out) {
  const auto now = args.now.value_or(std::chrono::floor<std::chrono::seconds>(env.Now()));
  std::vector<DatabaseStatus> all;
  int code = 0;
  for (const auto& db : config.databases) {
    if (args.database && db.name != *args.database) continue;
    all.push_back(
        RunToCompletion(ReadStatus(db, config.maintenance, env, now, args.now.has_value())));
    const auto& r = all.back().report;
    if (r.unreachable) code = 3;
    for (const auto& t : r.tables) {
      const auto h = health::AssessTable(t, now);
      if ((h.error || h.retention_overdue_seconds > 0) && code == 0) code = 1;
    }
    if (r.error && code == 0) code = 1;
  }
  if (args.format == Format::kJson) {
    RenderJson(all, now, out);
  } else {
    RenderText(all, now, out);
  }
  return code;
}

}  // namespace partitiond::cli
