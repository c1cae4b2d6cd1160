// The version of the daemon's state schema (sql/schema.sql, compiled in): which version a database
// holds, which one this build needs, and what a pass does about a difference. The daemon creates
// or upgrades the schema itself when its role may (the script is idempotent and upgrades in
// place), refuses a schema it may not upgrade, and never uses or downgrades a newer one.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/common/asio.h"
#include "daemon/pg/connection.h"

namespace partitiond::state {

// The version a copy of sql/schema.sql brings the schema to (its set_config call); 0 when the text
// has none.
int SchemaVersionOf(std::string_view script);
// The version of the compiled-in script: the one this build needs.
int NeededSchemaVersion();

// The names partitiond.audit.action may hold: every planner action kind, and "restore".
std::vector<std::string> AuditActionNames();
// The names a copy of sql/schema.sql allows in its audit_action_check constraint, in its order;
// empty when the text has no such constraint.
std::vector<std::string> CheckedActionNames(std::string_view script);

enum class SchemaStep {
  kUse,          // the version needed
  kCreate,       // no state schema at all
  kUpgrade,      // an older version
  kRefuseNewer,  // a newer version: never used, never downgraded
};

// `found`: nullopt when the database has no state schema (no partitiond.audit); 1 for a schema
// made before partitiond.schema_version existed.
SchemaStep DecideSchemaStep(std::optional<int> found, int needed);

// The exact refusals. `database` is the server's name of the database, `role` the daemon's.
std::string CannotUpgradeMessage(const std::string& database, int found, int needed,
                                 const std::string& role);
std::string NewerSchemaMessage(const std::string& database, int found, int needed);

// Checks the state schema before a pass acts, and creates (only when `create_if_absent`) or
// upgrades it as DecideSchemaStep says, in one transaction whose DDL waits at most
// `lock_timeout` for a lock. Returns whether the audit table may be written to: false when there
// is no state schema (not created, or the role may not create it; logged). Throws pg::Error whose
// message is CannotUpgradeMessage (SQLSTATE 42501) or NewerSchemaMessage (55000), or any
// failure of the upgrade, or of the connection. `label` names the database in logs.
asio::awaitable<bool> PrepareStateSchema(pg::Connection& conn, const std::string& label,
                                         std::chrono::milliseconds lock_timeout,
                                         bool create_if_absent);

}  // namespace partitiond::state
