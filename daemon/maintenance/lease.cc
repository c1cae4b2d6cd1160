#include "daemon/maintenance/lease.h"

#include <algorithm>

namespace partitiond::maintenance {

std::chrono::milliseconds LeaseHeartbeatPeriod(std::chrono::milliseconds interval) {
  return std::max(interval / 2, std::chrono::milliseconds(1));
}

std::chrono::milliseconds LeaseStaleAfter(const LeasePolicy& policy, bool holder_active) {
  return kLeaseStaleIntervals * policy.interval +
         (holder_active ? policy.statement_timeout : std::chrono::milliseconds(0));
}

LeaseDecision DecideLease(const LeaseObservation& seen, const LeasePolicy& policy) {
  LeaseDecision out{.limit = LeaseStaleAfter(policy, seen.holder_active)};
  if (!seen.holder_pid) {
    out.verdict = LeaseVerdict::kFree;
    return out;
  }
  // The row speaks for the holder only when it names the holder's backend: a row left by an
  // earlier leader says nothing about this one.
  out.age = seen.lease_pid == seen.holder_pid ? seen.lease_age : seen.quiet_age;
  // Unknown age (statistics hidden from us): never end a session we cannot judge.
  out.verdict = out.age && *out.age > out.limit ? LeaseVerdict::kStale : LeaseVerdict::kLive;
  return out;
}

}  // namespace partitiond::maintenance
