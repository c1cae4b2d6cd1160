// Which clock a pass plans from, when the host's and the database server's disagree. Pure: the
// caller reads both clocks (the server's in the catalog snapshot's round trip) and applies the
// decision.
//
// Rule:
//  * `--now` given (an operator's deliberate choice, for dry runs and tests): plan from it. The
//    host clock is still compared with the server's, so a bad host clock is reported all the same.
//  * Otherwise, when |host - server| <= kMaxClockSkew (or the server's clock is unknown): plan
//    from the host clock, as always.
//  * Otherwise the clocks disagree and one of them is wrong. Plan from the server's clock (rows
//    are stamped by the server's now(); a host with a bad RTC must not create partitions for a
//    future nobody writes into), and withhold what a wrong clock would make irreversible or
//    massive: every retention action, and every create for a period before the planning clock's
//    current one (catch-up and gap filling). Only the current period and premake ahead of the
//    server's clock are created until the clocks agree again.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "daemon/planner/planner.h"

namespace partitiond::maintenance {

// NTP keeps healthy hosts within milliseconds; five minutes leaves room for a slow catalog
// query and a host that has gone unsynchronised for a while, and is far below any interval.
inline constexpr std::chrono::seconds kMaxClockSkew{300};

enum class ClockSource { kHost, kServer, kExplicit };
std::string_view ToString(ClockSource source);

struct ClockDecision {
  std::chrono::sys_seconds plan_now{};  // what the pass plans from
  ClockSource source = ClockSource::kHost;
  std::optional<std::chrono::seconds> skew;  // host - server; nullopt when the server's is unknown
  bool disagree = false;                     // |skew| > kMaxClockSkew
  // Retention and catch-up creates wait (disagree and not explicit).
  bool withhold = false;
};

// `host_now`: the host clock read just before the catalog query; `server_now`: the server's now()
// from that query (nullopt when it returned no row); `explicit_now`: --now.
ClockDecision ChooseClock(std::chrono::sys_seconds host_now,
                          std::optional<std::chrono::sys_seconds> server_now,
                          std::optional<std::chrono::sys_seconds> explicit_now);

// Removes from `plan` the actions a `withhold` decision holds back (retention actions, and creates
// for periods before the current one); returns how many it removed.
std::size_t WithholdOnDisagreement(planner::TablePlan& plan);

}  // namespace partitiond::maintenance
