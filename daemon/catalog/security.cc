#include "daemon/catalog/security.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace partitiond::catalog {

const std::string_view kSecurityCtes = R"sql(
grants AS (
  SELECT e.oid, array_agg(DISTINCT e.item ORDER BY e.item) AS grants
  FROM (SELECT r.oid, format('%s %s %s', g.privilege_type, g.grantee, g.is_grantable) AS item
        FROM secured r
        CROSS JOIN LATERAL aclexplode(r.relacl) g
        WHERE r.relacl IS NOT NULL AND g.grantee <> r.relowner) e
  GROUP BY e.oid
),
policies AS (
  SELECT p.polrelid AS oid,
         json_agg(json_build_array(p.polname, p.polpermissive, p.polcmd,
                                   (SELECT array_agg(x ORDER BY x) FROM unnest(p.polroles) x),
                                   pg_get_expr(p.polqual, p.polrelid),
                                   pg_get_expr(p.polwithcheck, p.polrelid))
                  ORDER BY p.polname)::text AS policies
  FROM pg_policy p
  WHERE p.polrelid IN (SELECT oid FROM secured)
  GROUP BY p.polrelid
))sql";

const std::string_view kSecurityJoins = R"sql(
LEFT JOIN grants pg ON pg.oid = p.oid
LEFT JOIN grants cg ON cg.oid = c.oid
LEFT JOIN policies ppol ON ppol.oid = p.oid
LEFT JOIN policies cpol ON cpol.oid = c.oid
)sql";

const std::string_view kSecurityDiffers = R"sql(
(c.relowner <> p.relowner OR c.relrowsecurity <> p.relrowsecurity
 OR c.relforcerowsecurity <> p.relforcerowsecurity
 OR cg.grants IS DISTINCT FROM pg.grants OR cpol.policies IS DISTINCT FROM ppol.policies))sql";

const std::string_view kFidelityJson = R"sql(
json_build_object(
  'force_rls', c.relforcerowsecurity,
  'replica_identity', c.relreplident,
  'grants', (SELECT coalesce(json_agg(json_build_array(
               g.privilege_type,
               CASE WHEN g.grantee = 0 THEN NULL ELSE pg_get_userbyid(g.grantee) END,
               g.is_grantable)), '[]')
             FROM aclexplode(c.relacl) g WHERE g.grantee <> c.relowner),
  'policies', (SELECT coalesce(json_agg(json_build_object(
                 'name', p.polname, 'permissive', p.polpermissive, 'command', p.polcmd,
                 'roles', (SELECT json_agg(CASE WHEN r = 0 THEN NULL
                                                ELSE pg_get_userbyid(r) END)
                           FROM unnest(p.polroles) r),
                 'using', pg_get_expr(p.polqual, p.polrelid),
                 'check', pg_get_expr(p.polwithcheck, p.polrelid)) ORDER BY p.polname),
                 '[]')
               FROM pg_policy p WHERE p.polrelid = c.oid)))sql";

void ParseFidelity(std::string_view text, TableSnapshot& table) {
  const auto json = nlohmann::json::parse(text);
  table.force_row_security = json.at("force_rls").get<bool>();
  table.replica_identity = json.at("replica_identity").get<std::string>();
  table.grants.clear();
  for (const auto& g : json.at("grants")) {
    table.grants.push_back({.privilege = g.at(0).get<std::string>(),
                            .grantee = g.at(1).is_null() ? "" : g.at(1).get<std::string>(),
                            .grantable = g.at(2).get<bool>()});
  }
  table.policies.clear();
  for (const auto& p : json.at("policies")) {
    Policy policy{.name = p.at("name").get<std::string>(),
                  .permissive = p.at("permissive").get<bool>(),
                  .command = p.at("command").get<std::string>()};
    for (const auto& role : p.at("roles")) {
      policy.roles.push_back(role.is_null() ? "" : role.get<std::string>());
    }
    if (!p.at("using").is_null()) policy.using_expr = p.at("using").get<std::string>();
    if (!p.at("check").is_null()) policy.check_expr = p.at("check").get<std::string>();
    table.policies.push_back(std::move(policy));
  }
}

asio::awaitable<void> ReadSecurity(pg::Connection& conn, TableSnapshot& table) {
  static const std::string query = fmt::format(
      "SELECT pg_get_userbyid(c.relowner), c.relrowsecurity, {}::text FROM pg_class c "
      "WHERE c.oid = $1::oid",
      kFidelityJson);
  pg::Params params = {std::to_string(table.oid)};
  const pg::Result r = co_await conn.AsyncExec(query, std::move(params));
  if (r.rows() == 0) {
    throw pg::Error(fmt::format("table {} no longer exists", table.configured.ToString()), "42P01");
  }
  table.owner = r.Get(0, 0);
  table.row_security = r.GetBool(0, 1);
  ParseFidelity(r.Get(0, 2), table);
}

}  // namespace partitiond::catalog
