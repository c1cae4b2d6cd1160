// The leadership lease: whether the daemon holding the leadership lock (leadership.h) is still
// alive, decided from what a follower reads on the server. A pure function: no I/O, no clock; the
// ages come from the server's own clock, so hosts' clocks never matter.
//
// Why: a leader that is frozen (SIGSTOP, a paused VM) keeps its session, and with it the
// session-level lock, for as long as its kernel answers TCP keepalives. So the leader proves it
// is alive by writing a heartbeat (partitiond.leader) at least every LeaseHeartbeatPeriod, and a
// follower that finds the lock holder's heartbeat older than LeaseStaleAfter ends the holder's
// session (pg_terminate_backend) and takes the lock. The holder's heartbeat is the lease row
// when the row names the holder's backend; otherwise (it has just taken the lock and not yet
// written, or it writes no heartbeat) the time since its session last changed state (began or
// ended a statement, pg_stat_activity.state_change) stands in.
#pragma once

#include <chrono>
#include <optional>

namespace partitiond::maintenance {

// A leader's heartbeat is overdue after this many intervals. Three: a missed beat or a slow pass
// is tolerated, and a frozen leader is replaced well before `premake` partitions run out.
inline constexpr int kLeaseStaleIntervals = 3;

// How often the leader writes its heartbeat: twice per interval, so that a beat is never more
// than half an interval late.
std::chrono::milliseconds LeaseHeartbeatPeriod(std::chrono::milliseconds interval);

// What a follower read in one query.
struct LeaseObservation {
  std::optional<int> holder_pid;  // the backend holding the leadership lock; empty: nobody
  std::optional<int> lease_pid;   // the backend the lease row names; empty: no row
  std::optional<std::chrono::milliseconds> lease_age;  // server now - the row's heartbeat
  // server now - the holder's pg_stat_activity.state_change
  std::optional<std::chrono::milliseconds> quiet_age;
  bool holder_active = false;  // the holder's backend is running a statement right now
};

struct LeasePolicy {
  std::chrono::milliseconds interval;           // maintenance.interval
  std::chrono::milliseconds statement_timeout;  // maintenance.statement_timeout
};

enum class LeaseVerdict {
  kFree,   // nobody holds the lock: claim it the ordinary way
  kLive,   // the holder is alive, or cannot be judged: observe
  kStale,  // the holder is silent past the limit: end its session and take over
};

struct LeaseDecision {
  LeaseVerdict verdict = LeaseVerdict::kLive;
  std::optional<std::chrono::milliseconds> age;  // the holder's silence, when known
  std::chrono::milliseconds limit{0};            // the silence allowed
};

// kLeaseStaleIntervals intervals; a holder running a statement also gets statement_timeout,
// which bounds the statement (a long action is not a frozen leader).
std::chrono::milliseconds LeaseStaleAfter(const LeasePolicy& policy, bool holder_active);

LeaseDecision DecideLease(const LeaseObservation& seen, const LeasePolicy& policy);

}  // namespace partitiond::maintenance
