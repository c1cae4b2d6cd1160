#include "daemon/health/table_health.h"

#include <algorithm>
#include <set>
#include <vector>

#include "daemon/planner/calendar.h"

namespace partitiond::health {
namespace {

using catalog::KeyValue;

struct Range {
  std::optional<KeyValue> from, to;  // nullopt: MINVALUE / MAXVALUE
  bool row_security = false;
  bool drifted = false;
};

// The partitions as they stand after the pass: the snapshot's, without those a retention action
// removed, plus those a create action made.
std::vector<Range> RangesAfterPass(const maintenance::TableReport& report) {
  std::set<std::string> removed, repaired;
  std::vector<Range> ranges;
  for (size_t i = 0; i < report.results.size(); ++i) {
    if (report.results[i].outcome != executor::Outcome::kOk) continue;
    const planner::Action& action = report.plan.actions[i];
    if (action.kind == planner::ActionKind::kCreate) {
      ranges.push_back({action.from, action.to, report.snapshot.row_security});
    } else if (planner::IsRetention(action.kind)) {
      removed.insert(action.schema + "." + action.partition);
    } else if (action.kind == planner::ActionKind::kRepairFidelity) {
      repaired.insert(action.schema + "." + action.partition);
    }
  }
  for (const auto& p : report.snapshot.partitions) {
    if (p.is_default || p.detached_by_retention || removed.contains(p.schema + "." + p.name))
      continue;
    const std::string name = p.schema + "." + p.name;
    ranges.push_back({p.from, p.to, p.row_security, p.security_drift && !repaired.contains(name)});
  }
  return ranges;
}

std::chrono::sys_seconds ToInstant(KeyValue key, catalog::KeyType type, const date::time_zone& tz) {
  const auto local = planner::KeyToLocal(planner::ClampToCalendarRange(key), type, tz);
  return std::chrono::floor<std::chrono::seconds>(planner::LocalToInstant(local, tz));
}

bool RepairedOk(const maintenance::TableReport& report, const catalog::Partition& p) {
  for (size_t i = 0; i < report.results.size(); ++i) {
    const planner::Action& a = report.plan.actions[i];
    if (a.kind == planner::ActionKind::kRepairFidelity && a.schema == p.schema &&
        a.partition == p.name && report.results[i].outcome == executor::Outcome::kOk) {
      return true;
    }
  }
  return false;
}

}  // namespace

double NominalSeconds(const config::CalendarInterval& interval) {
  constexpr double kDay = 86400;
  double unit = 3600;
  switch (interval.unit) {
    case config::CalendarUnit::kHour:
      unit = 3600;
      break;
    case config::CalendarUnit::kDay:
      unit = kDay;
      break;
    case config::CalendarUnit::kWeek:
      unit = 7 * kDay;
      break;
    case config::CalendarUnit::kMonth:
      unit = 30.436875 * kDay;
      break;
    case config::CalendarUnit::kYear:
      unit = 365.2425 * kDay;
      break;
  }
  return unit * static_cast<double>(interval.count);
}

TableHealth AssessTable(const maintenance::TableReport& report, std::chrono::sys_seconds now) {
  TableHealth health{.table = report.snapshot.configured.ToString()};
  const config::TableConfig& policy = *report.policy;
  health.interval_seconds = NominalSeconds(policy.interval);
  health.premake = policy.premake;
  if (report.snapshot.error) {
    health.error = report.snapshot.error;
    return health;
  }
  const catalog::KeyType type = report.snapshot.key_type;
  const date::time_zone& tz = *policy.timezone;
  std::optional<std::chrono::sys_seconds> cutoff;
  if (policy.retention) {
    const auto now_local = planner::InstantToLocal(now, tz);
    cutoff = std::chrono::floor<std::chrono::seconds>(
        planner::LocalToInstant(planner::AddInterval(now_local, *policy.retention, -1), tz));
    health.retention_seconds = static_cast<double>((now - *cutoff).count());
  }
  for (const Range& r : RangesAfterPass(report)) {
    ++health.partitions;
    if (report.snapshot.row_security && !r.row_security) ++health.partitions_without_rls;
    if (r.drifted) ++health.partitions_drifted;
    // A MAXVALUE partition covers everything ahead: as far as the calendar goes.
    const auto end = r.to ? ToInstant(*r.to, type, tz)
                          : std::chrono::sys_seconds(std::chrono::sys_days(
                                std::chrono::year(9999) / std::chrono::December / 31));
    health.coverage_end = std::max(health.coverage_end.value_or(end), end);
    if (r.to) {
      if (cutoff && end <= *cutoff) {
        health.retention_overdue_seconds = std::max(health.retention_overdue_seconds,
                                                    static_cast<double>((*cutoff - end).count()));
      }
    }
    if (r.from) {
      const auto start = ToInstant(*r.from, type, tz);
      health.oldest_start = std::min(health.oldest_start.value_or(start), start);
    }
  }
  for (const auto& p : report.snapshot.partitions) {
    health.bytes += p.bytes;
    if (p.is_default) {
      health.default_present = true;
      health.default_rows = p.rows_estimate;
      // Counted like any partition: it holds stray rows of every tenant.
      if (report.snapshot.row_security && !p.row_security) ++health.partitions_without_rls;
      if (p.security_drift && !RepairedOk(report, p)) ++health.partitions_drifted;
    }
  }
  for (const auto& r : report.results) {
    health.failed_actions += r.outcome == executor::Outcome::kOk ? 0 : 1;
  }
  return health;
}

}  // namespace partitiond::health
