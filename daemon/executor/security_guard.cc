#include "daemon/executor/security_guard.h"

#include <fmt/format.h>

#include <string_view>

#include "daemon/catalog/security.h"

namespace partitiond::executor {
namespace {

constexpr const char* kGuardName = "partitiond_expect_parent_security";

// The project's failing-cast idiom (partition_state.cc) rather than a DO block that RAISEs a code
// of our own: a DO block cannot be prepared (its body would be compiled on every create), takes
// its values spliced into PL/pgSQL source instead of as parameters, and needs plpgsql, which a
// database may have dropped. The cast fails with SQLSTATE 22P02 and the tag in its message.
constexpr std::string_view kSecurityChangedTag =
    "its security differs from its parent's: the parent changed since partitiond read it";

const std::string& GuardQuery() {
  static const std::string query = fmt::format(
      "SELECT coalesce(("
      "WITH secured AS ("
      "  SELECT oid, relowner, relacl, relrowsecurity, relforcerowsecurity "
      "  FROM pg_catalog.pg_class WHERE oid IN (pg_catalog.to_regclass($1::text), $2::oid)),{} "
      "SELECT '0' FROM secured p JOIN secured c ON c.oid = pg_catalog.to_regclass($1::text) {} "
      "WHERE p.oid = $2::oid AND NOT {}), "
      "$1::text || ': ' || $3::text)::integer",
      catalog::kSecurityCtes, catalog::kSecurityJoins, catalog::kSecurityDiffers);
  return query;
}

}  // namespace

asio::awaitable<void> PrepareSecurityGuard(pg::Connection& conn) {
  co_await conn.AsyncPrepare(kGuardName, GuardQuery());
}

std::string ExpectParentSecurity(pg::Connection& conn, const catalog::TableSnapshot& parent,
                                 const std::string& child) {
  return fmt::format("EXECUTE {}({}, {}, {});\n", kGuardName, conn.QuoteLiteral(child), parent.oid,
                     conn.QuoteLiteral(std::string(kSecurityChangedTag)));
}

bool IsSecurityChanged(const pg::Error& error) {
  return error.sqlstate() == "22P02" &&
         std::string_view(error.what()).find(kSecurityChangedTag) != std::string_view::npos;
}

}  // namespace partitiond::executor
