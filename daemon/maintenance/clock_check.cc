#include "daemon/maintenance/clock_check.h"

#include <algorithm>

namespace partitiond::maintenance {

std::string_view ToString(ClockSource source) {
  switch (source) {
    case ClockSource::kHost:
      return "host";
    case ClockSource::kServer:
      return "server";
    case ClockSource::kExplicit:
      return "--now";
  }
  return "unknown";
}

ClockDecision ChooseClock(std::chrono::sys_seconds host_now,
                          std::optional<std::chrono::sys_seconds> server_now,
                          std::optional<std::chrono::sys_seconds> explicit_now) {
  ClockDecision d{.plan_now = explicit_now.value_or(host_now),
                  .source = explicit_now ? ClockSource::kExplicit : ClockSource::kHost};
  if (!server_now) return d;
  d.skew = host_now - *server_now;
  d.disagree = std::chrono::abs(*d.skew) > kMaxClockSkew;
  if (d.disagree && !explicit_now) {
    d.plan_now = *server_now;
    d.source = ClockSource::kServer;
    d.withhold = true;
  }
  return d;
}

std::size_t WithholdOnDisagreement(planner::TablePlan& plan) {
  return std::erase_if(plan.actions, [](const planner::Action& a) {
    return planner::IsRetention(a.kind) || (a.kind == planner::ActionKind::kCreate && a.before_now);
  });
}

}  // namespace partitiond::maintenance
