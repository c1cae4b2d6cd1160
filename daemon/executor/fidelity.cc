#include "daemon/executor/fidelity.h"

#include <fmt/format.h>

#include <set>

namespace partitiond::executor {
namespace {

const std::set<std::string> kPrivileges = {"SELECT",   "INSERT",     "UPDATE", "DELETE",
                                           "TRUNCATE", "REFERENCES", "TRIGGER"};

std::string Role(pg::Connection& conn, const std::string& role) {
  return role.empty() ? "PUBLIC" : conn.QuoteIdentifier(role);
}

std::string Command(const std::string& polcmd) {
  if (polcmd == "r") return "SELECT";
  if (polcmd == "a") return "INSERT";
  if (polcmd == "w") return "UPDATE";
  if (polcmd == "d") return "DELETE";
  if (polcmd == "*") return "ALL";
  throw pg::Error("unknown policy command '" + polcmd + "'", "XX000");
}

std::string CreatePolicy(pg::Connection& conn, const catalog::Policy& policy,
                         const std::string& child) {
  std::string roles;
  for (const auto& role : policy.roles) roles += (roles.empty() ? "" : ", ") + Role(conn, role);
  // The expressions are the server's own deparse of the parent's policy: the columns match by
  // name, so the text means the same on the partition.
  std::string sql =
      fmt::format("CREATE POLICY {} ON {} AS {} FOR {} TO {}", conn.QuoteIdentifier(policy.name),
                  child, policy.permissive ? "PERMISSIVE" : "RESTRICTIVE", Command(policy.command),
                  roles.empty() ? "PUBLIC" : roles);
  if (policy.using_expr) sql += " USING (" + *policy.using_expr + ")";
  if (policy.check_expr) sql += " WITH CHECK (" + *policy.check_expr + ")";
  return sql + ";\n";
}

std::string GrantsAndPolicies(pg::Connection& conn, const catalog::TableSnapshot& parent,
                              const std::string& child) {
  std::string sql;
  for (const auto& grant : parent.grants) {
    if (!kPrivileges.contains(grant.privilege)) {
      throw pg::Error("unknown privilege '" + grant.privilege + "' on the parent", "XX000");
    }
    sql += fmt::format("GRANT {} ON TABLE {} TO {}{};\n", grant.privilege, child,
                       Role(conn, grant.grantee), grant.grantable ? " WITH GRANT OPTION" : "");
  }
  for (const auto& policy : parent.policies) sql += CreatePolicy(conn, policy, child);
  return sql;
}

}  // namespace

std::string FidelityStatements(pg::Connection& conn, const catalog::TableSnapshot& parent,
                               const std::string& child) {
  std::string sql;
  if (parent.row_security) sql += fmt::format("ALTER TABLE {} ENABLE ROW LEVEL SECURITY;\n", child);
  if (parent.force_row_security) {
    sql += fmt::format("ALTER TABLE {} FORCE ROW LEVEL SECURITY;\n", child);
  }
  // An index-based replica identity names the parent's index; the partition's copy has another
  // name and is matched when attached, so only FULL and NOTHING are carried over here.
  if (parent.replica_identity == "f")
    sql += fmt::format("ALTER TABLE {} REPLICA IDENTITY FULL;\n", child);
  if (parent.replica_identity == "n") {
    sql += fmt::format("ALTER TABLE {} REPLICA IDENTITY NOTHING;\n", child);
  }
  return sql + GrantsAndPolicies(conn, parent, child);
}

std::string RepairStatements(pg::Connection& conn, const catalog::TableSnapshot& parent,
                             const std::string& child, const ExistingSecurity& existing) {
  std::string sql =
      fmt::format("ALTER TABLE {} OWNER TO {};\n", child, conn.QuoteIdentifier(parent.owner));
  sql += fmt::format("ALTER TABLE {} {} ROW LEVEL SECURITY;\n", child,
                     parent.row_security ? "ENABLE" : "DISABLE");
  sql += fmt::format("ALTER TABLE {} {} ROW LEVEL SECURITY;\n", child,
                     parent.force_row_security ? "FORCE" : "NO FORCE");
  for (const auto& name : existing.policies) {
    sql += fmt::format("DROP POLICY {} ON {};\n", conn.QuoteIdentifier(name), child);
  }
  for (const auto& grantee : existing.grantees) {
    sql += fmt::format("REVOKE ALL ON TABLE {} FROM {};\n", child, Role(conn, grantee));
  }
  return sql + GrantsAndPolicies(conn, parent, child);
}

}  // namespace partitiond::executor