// Leadership among daemons pointed at the same database (one per host of a cluster): a session
// advisory lock on the primary, keyed by the database's own name. Only the holder acts; the
// others observe. A standby never takes it (it only observes) and competes after promotion.
//
// The lease (lease.h): the holder writes a heartbeat into partitiond.leader; a follower that finds
// it stale ends the holder's session, which frees the lock, and claims it.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "daemon/common/asio.h"
#include "daemon/maintenance/lease.h"
#include "daemon/pg/connection.h"

namespace partitiond::maintenance {

struct Role {
  bool standby = false;  // pg_is_in_recovery()
  bool leader = false;   // this session holds the lock
};

// Reads whether the server is a standby and, on a primary, holds or takes the lock, in one round
// trip. Taking it again while held does not stack it. Throws pg::Error.
asio::awaitable<Role> ClaimLeadership(pg::Connection& conn);

// Whether this session still holds the lock (checked before each action). Throws pg::Error.
asio::awaitable<bool> StillLeader(pg::Connection& conn);
// Gives the leadership lock up at once (a worker stopping for a reload or shutdown): closing the
// session would release it too, but only once the server's backend has exited, which a new
// worker's first pass can beat.
asio::awaitable<void> ReleaseLeadership(pg::Connection& conn);

// StillLeader, and when it holds the lock, also writes the heartbeat (this session's backend,
// `daemon_host`, `daemon_pid`, the server's clock) in the same statement. Throws pg::Error, e.g.
// 42P01 when partitiond.leader is missing or 42501 when the role may not write it.
asio::awaitable<bool> Heartbeat(pg::Connection& conn, const std::string& daemon_host,
                                int daemon_pid);

// What a follower needs to judge the lease, in one round trip, with who wrote the last
// heartbeat for the log. Throws pg::Error.
struct LeaseReading {
  LeaseObservation seen;
  std::string heartbeat_at;  // as the server printed it; "-infinity" when there is no row
  std::string daemon_host;   // of the last heartbeat; empty when there is no row
  std::optional<int> daemon_pid;
};
asio::awaitable<LeaseReading> ReadLease(pg::Connection& conn);

// Ends the session of `holder_pid`, waiting up to `wait` for it to exit, but only if that backend
// still holds the leadership lock, belongs to this session's own role, and has written no
// heartbeat after `reading.heartbeat_at` (so a leader that woke up meanwhile is spared). Returns
// true when the session was ended. Throws pg::Error (42501 when not allowed to signal it).
asio::awaitable<bool> EndLeaderSession(pg::Connection& conn, const LeaseReading& reading,
                                       std::chrono::milliseconds wait);

}  // namespace partitiond::maintenance
