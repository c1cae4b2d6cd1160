// Leadership among daemons pointed at the same database (one per host of a cluster): a session
// advisory lock on the primary, keyed by the database's own name. Only the holder acts; the
// others observe. A standby never takes it (it only observes) and competes after promotion.
#pragma once

#include "daemon/common/asio.h"
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

}  // namespace partitiond::maintenance
