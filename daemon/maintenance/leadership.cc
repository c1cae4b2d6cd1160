#include "daemon/maintenance/leadership.h"

namespace partitiond::maintenance {
namespace {

// Two-int advisory key: ('p','a','r','t') and hashtext(current_database()). pg_locks shows the
// keys as oids (unsigned), hence the masking when we look ourselves up.
constexpr const char* kHeld =
    "EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND pid = pg_backend_pid() AND classid = 1885434484 AND objsubid = 2 "
    "AND objid = (hashtext(current_database())::bigint & 4294967295)::oid)";

}  // namespace

asio::awaitable<Role> ClaimLeadership(pg::Connection& conn) {
  const std::string sql = std::string("SELECT standby, CASE WHEN standby THEN false WHEN held ") +
                          "THEN true ELSE pg_try_advisory_lock(1885434484, " +
                          "hashtext(current_database())) END FROM (SELECT pg_is_in_recovery() " +
                          "AS standby, " + kHeld + " AS held) s";
  const pg::Result r = co_await conn.AsyncExec(sql);
  co_return Role{.standby = r.GetBool(0, 0), .leader = r.GetBool(0, 1)};
}

asio::awaitable<bool> StillLeader(pg::Connection& conn) {
  const pg::Result r = co_await conn.AsyncExec(std::string("SELECT ") + kHeld);
  co_return r.GetBool(0, 0);
}

}  // namespace partitiond::maintenance
