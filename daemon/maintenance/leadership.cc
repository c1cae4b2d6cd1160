#include "daemon/maintenance/leadership.h"

#include <fmt/format.h>

namespace partitiond::maintenance {
namespace {

// Two-int advisory key: ('p','a','r','t') and hashtext(current_database()). pg_locks shows the
// keys as oids (unsigned), hence the masking. `alias` is the pg_locks row's alias.
std::string IsLeadershipLock(const std::string& alias) {
  return fmt::format(
      "{0}.locktype = 'advisory' AND {0}.granted AND {0}.classid = 1885434484 "
      "AND {0}.objsubid = 2 AND {0}.objid = (hashtext(current_database())::bigint & "
      "4294967295)::oid AND {0}.database = (SELECT oid FROM pg_database WHERE datname = "
      "current_database())",
      alias);
}

std::string Held() {
  return "EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = pg_backend_pid() AND " +
         IsLeadershipLock("l") + ")";
}

std::optional<std::chrono::milliseconds> Millis(const pg::Result& r, int column) {
  if (r.IsNull(0, column)) return std::nullopt;
  return std::chrono::milliseconds(r.GetInt(0, column));
}

std::optional<int> Int(const pg::Result& r, int column) {
  if (r.IsNull(0, column)) return std::nullopt;
  return static_cast<int>(r.GetInt(0, column));
}

}  // namespace

asio::awaitable<Role> ClaimLeadership(pg::Connection& conn) {
  const std::string sql =
      "SELECT standby, CASE WHEN standby THEN false WHEN held "
      "THEN true ELSE pg_try_advisory_lock(1885434484, "
      "hashtext(current_database())) END FROM (SELECT pg_is_in_recovery() "
      "AS standby, " +
      Held() + " AS held) s";
  const pg::Result r = co_await conn.AsyncExec(sql);
  co_return Role{.standby = r.GetBool(0, 0), .leader = r.GetBool(0, 1)};
}

asio::awaitable<void> ReleaseLeadership(pg::Connection& conn) {
  co_await conn.AsyncExec(
      "SELECT pg_advisory_unlock(1885434484, hashtext(current_database())) FROM (SELECT " + Held() +
      " AS held) s WHERE held");
}

asio::awaitable<bool> StillLeader(pg::Connection& conn) {
  const pg::Result r = co_await conn.AsyncExec("SELECT " + Held());
  co_return r.GetBool(0, 0);
}

asio::awaitable<bool> Heartbeat(pg::Connection& conn, const std::string& daemon_host,
                                int daemon_pid) {
  // A data-modifying CTE runs whether or not the outer query reads it; it writes only while the
  // lock is held, so a session that lost it never refreshes the lease.
  const std::string sql =
      "WITH s AS (SELECT " + Held() +
      " AS held), beat AS (INSERT INTO partitiond.leader AS h (singleton, backend_pid, "
      "daemon_host, daemon_pid, heartbeat_at) SELECT true, pg_backend_pid(), $1, $2::integer, "
      "clock_timestamp() FROM s WHERE held ON CONFLICT (singleton) DO UPDATE SET backend_pid = "
      "excluded.backend_pid, daemon_host = excluded.daemon_host, daemon_pid = "
      "excluded.daemon_pid, heartbeat_at = excluded.heartbeat_at RETURNING 1) SELECT held FROM s";
  pg::Params params{daemon_host, std::to_string(daemon_pid)};
  const pg::Result r = co_await conn.AsyncExec(sql, params);
  co_return r.GetBool(0, 0);
}

asio::awaitable<LeaseReading> ReadLease(pg::Connection& conn) {
  // One row whatever exists: the lock holder (if any), the lease row (if any), the holder's
  // activity (visible to us for sessions of our own role).
  const std::string sql =
      "SELECT l.pid, h.backend_pid, "
      "(extract(epoch FROM clock_timestamp() - h.heartbeat_at) * 1000)::bigint, "
      "(extract(epoch FROM clock_timestamp() - a.state_change) * 1000)::bigint, "
      "coalesce(a.state = 'active', false), coalesce(h.heartbeat_at::text, '-infinity'), "
      "h.daemon_host, h.daemon_pid "
      "FROM (SELECT 1) one "
      "LEFT JOIN pg_locks l ON " +
      IsLeadershipLock("l") +
      " LEFT JOIN partitiond.leader h ON true "
      "LEFT JOIN pg_stat_activity a ON a.pid = l.pid";
  const pg::Result r = co_await conn.AsyncExec(sql);
  LeaseReading out;
  out.seen = LeaseObservation{.holder_pid = Int(r, 0),
                              .lease_pid = Int(r, 1),
                              .lease_age = Millis(r, 2),
                              .quiet_age = Millis(r, 3),
                              .holder_active = r.GetBool(0, 4)};
  out.heartbeat_at = std::string(r.Get(0, 5));
  out.daemon_host = r.GetOptional(0, 6).value_or("");
  out.daemon_pid = Int(r, 7);
  co_return out;
}

asio::awaitable<bool> EndLeaderSession(pg::Connection& conn, const LeaseReading& reading,
                                       std::chrono::milliseconds wait) {
  // Membership in the managed tables' owner role would also let us signal that role's sessions
  // (an application's, perhaps): only a session of our own role holding our lock qualifies.
  const std::string sql =
      "SELECT pg_terminate_backend(l.pid, $3::bigint) FROM pg_locks l JOIN pg_stat_activity a "
      "ON a.pid = l.pid WHERE " +
      IsLeadershipLock("l") +
      " AND l.pid = $1::integer AND a.usename = current_user AND NOT EXISTS (SELECT 1 FROM "
      "partitiond.leader h WHERE h.backend_pid = l.pid AND h.heartbeat_at > $2::timestamptz)";
  pg::Params params{std::to_string(reading.seen.holder_pid.value_or(0)), reading.heartbeat_at,
                    std::to_string(wait.count())};
  const pg::Result r = co_await conn.AsyncExec(sql, params);
  co_return r.rows() == 1 && r.GetBool(0, 0);
}

}  // namespace partitiond::maintenance
