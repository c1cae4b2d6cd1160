#include "daemon/cli/render.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "daemon/common/json_text.h"

namespace partitiond::cli {
namespace {

using maintenance::DatabaseReport;
using maintenance::TableReport;

std::string Timestamp(std::chrono::sys_seconds t) {
  return catalog::FormatKeyLiteral(t.time_since_epoch(), catalog::KeyType::kTimestamptz);
}

std::string Bound(const std::optional<catalog::KeyValue>& v, catalog::KeyType type, bool upper) {
  if (!v) return upper ? "MAXVALUE" : "MINVALUE";
  return catalog::FormatKeyLiteral(*v, type);
}

std::string PolicyLine(const TableReport& t) {
  const auto& p = *t.policy;
  std::string retention = "keep forever";
  if (p.retention) {
    retention = fmt::format("retention {} ({})", p.retention->ToString(),
                            config::ToString(p.retention_action));
  }
  return fmt::format("key {} {}, every {}, premake {}, {}, zone {}", t.snapshot.key_column,
                     catalog::ToString(t.snapshot.key_type), p.interval.ToString(), p.premake,
                     retention, p.timezone_name);
}

std::string CoverageLine(const TableReport& t) {
  const auto& parts = t.snapshot.partitions;
  std::optional<catalog::KeyValue> lo, hi;
  size_t ranged = 0;
  for (const auto& p : parts) {
    if (p.is_default || p.detached_by_retention) continue;
    if (ranged++ == 0) lo = p.from;
    hi = p.to;
  }
  const auto* def = t.snapshot.DefaultPartition();
  std::string line = fmt::format("{} partition(s)", ranged);
  if (ranged > 0) {
    line += fmt::format(" covering [{}, {})", Bound(lo, t.snapshot.key_type, false),
                        Bound(hi, t.snapshot.key_type, true));
  }
  if (def)
    line += fmt::format("; default partition {} (~{:.0f} rows)", def->name, def->rows_estimate);
  return line;
}

char Sign(planner::ActionKind kind) {
  using planner::ActionKind;
  if (kind == ActionKind::kCreate || kind == ActionKind::kCreateDefault) return '+';
  return planner::IsRetention(kind) || kind == ActionKind::kDropDefault ? '-' : '~';
}

void RenderTableText(const TableReport& t, std::string& out) {
  out += fmt::format("  table {}\n", t.snapshot.configured.ToString());
  if (t.snapshot.error) {
    out += fmt::format("    ERROR: {}\n", *t.snapshot.error);
    return;
  }
  out += fmt::format("    {}\n    {}\n", PolicyLine(t), CoverageLine(t));
  for (const auto& w : t.plan.warnings) out += fmt::format("    warning: {}\n", w);
  if (t.plan.actions.empty()) out += "    nothing to do\n";
  for (size_t i = 0; i < t.plan.actions.size(); ++i) {
    const auto& a = t.plan.actions[i];
    const std::string range =
        planner::IsOnDefault(a.kind)
            ? "DEFAULT"
            : fmt::format("[{}, {})", catalog::FormatKeyLiteral(a.from, t.snapshot.key_type),
                          catalog::FormatKeyLiteral(a.to, t.snapshot.key_type));
    out += fmt::format("    {} {:<15} {}.{}  {}  {}", Sign(a.kind), planner::ToString(a.kind),
                       a.schema, a.partition, range, a.reason);
    if (i < t.results.size()) {
      const auto& r = t.results[i];
      out += fmt::format("  => {}", executor::ToString(r.outcome));
      if (!r.error.empty()) out += fmt::format(": {}", r.error);
    }
    out += '\n';
  }
}

}  // namespace

std::string RenderText(const std::vector<DatabaseReport>& reports, std::chrono::sys_seconds now) {
  std::string out = fmt::format("now: {}\n", Timestamp(now));
  size_t actions = 0, failed = 0, table_errors = 0;
  for (const auto& db : reports) {
    out +=
        fmt::format("database {}{}\n", db.database, db.standby ? " (standby: observe only)" : "");
    if (db.error) out += fmt::format("  ERROR: {}\n", *db.error);
    for (const auto& t : db.tables) {
      RenderTableText(t, out);
      actions += t.plan.actions.size();
      table_errors += t.snapshot.error ? 1 : 0;
      for (const auto& r : t.results) failed += r.outcome == executor::Outcome::kFailed ? 1 : 0;
    }
  }
  out += fmt::format("summary: {} action(s), {} failed, {} table error(s)\n", actions, failed,
                     table_errors);
  return out;
}

std::string RenderJson(const std::vector<DatabaseReport>& reports, std::chrono::sys_seconds now) {
  nlohmann::json root = {{"now", Timestamp(now)}, {"databases", nlohmann::json::array()}};
  for (const auto& db : reports) {
    nlohmann::json jdb = {{"name", db.database},
                          {"standby", db.standby},
                          {"applied", db.applied},
                          {"tables", nlohmann::json::array()}};
    if (db.error) jdb["error"] = *db.error;
    if (db.clock_skew) jdb["clock_skew_seconds"] = db.clock_skew->count();
    if (!db.error) jdb["planned_now"] = Timestamp(db.planned_now);
    for (const auto& t : db.tables) {
      nlohmann::json jt = {{"table", t.snapshot.configured.ToString()}};
      if (t.snapshot.error) {
        jt["error"] = *t.snapshot.error;
        jdb["tables"].push_back(jt);
        continue;
      }
      jt["key_column"] = t.snapshot.key_column;
      jt["key_type"] = catalog::ToString(t.snapshot.key_type);
      jt["partitions"] = t.snapshot.partitions.size();
      jt["warnings"] = t.plan.warnings;
      jt["retention_held"] = t.plan.held_removals;
      jt["removals_deferred"] = t.plan.deferred_removals;
      jt["actions"] = nlohmann::json::array();
      for (size_t i = 0; i < t.plan.actions.size(); ++i) {
        const auto& a = t.plan.actions[i];
        nlohmann::json ja = {{"action", planner::ToString(a.kind)},
                             {"schema", a.schema},
                             {"partition", a.partition},
                             {"from", catalog::FormatKeyLiteral(a.from, t.snapshot.key_type)},
                             {"to", catalog::FormatKeyLiteral(a.to, t.snapshot.key_type)},
                             {"reason", a.reason}};
        if (planner::IsOnDefault(a.kind)) ja["from"] = ja["to"] = nullptr;
        if (i < t.results.size()) {
          ja["outcome"] = executor::ToString(t.results[i].outcome);
          ja["attempts"] = t.results[i].attempts;
          if (!t.results[i].error.empty()) ja["error"] = t.results[i].error;
        }
        jt["actions"].push_back(ja);
      }
      jdb["tables"].push_back(jt);
    }
    root["databases"].push_back(jdb);
  }
  return DumpJson(root, 2) + "\n";
}

}  // namespace partitiond::cli
