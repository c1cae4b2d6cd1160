#include "daemon/state/schema_version.h"

#include <charconv>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "build_info.h"
#include "daemon/planner/planner.h"

namespace partitiond::state {
namespace {

constexpr std::string_view kVersionMarker = "set_config('partitiond.schema_version', '";
constexpr std::string_view kActionCheck = "ADD CONSTRAINT audit_action_check";
constexpr std::string_view kActionList = "CHECK (action IN (";

struct Found {
  std::optional<int> version;  // nullopt: no state schema
  std::string database;        // current_database()
  std::string role;            // current_user
};

asio::awaitable<Found> ReadVersion(pg::Connection& conn) {
  const pg::Result r = co_await conn.AsyncExec(
      "SELECT to_regclass('partitiond.audit') IS NOT NULL, "
      "to_regclass('partitiond.schema_version') IS NOT NULL, current_database(), current_user");
  Found found{.version = std::nullopt,
              .database = std::string(r.Get(0, 2)),
              .role = std::string(r.Get(0, 3))};
  const bool audit = r.GetBool(0, 0);
  const bool versioned = r.GetBool(0, 1);
  if (versioned) {
    // An empty table counts as the first version: whatever wrote it stopped before its last line.
    const pg::Result v =
        co_await conn.AsyncExec("SELECT coalesce(max(version), 1) FROM partitiond.schema_version");
    found.version = static_cast<int>(v.GetInt(0, 0));
  } else if (audit) {
    found.version = 1;
  }
  co_return found;
}

// Runs the compiled-in script in one transaction, so a failure (a privilege, a lock timeout)
// leaves the schema exactly as it was.
asio::awaitable<void> ApplyScript(pg::Connection& conn, std::chrono::milliseconds lock_timeout) {
  std::string body =
      fmt::format("SET LOCAL lock_timeout = '{}';\n", pg::ToPgDuration(lock_timeout));
  body.append(kSchemaSql);
  co_await pg::RunTransaction(conn, std::move(body));
}

}  // namespace

int SchemaVersionOf(std::string_view script) {
  const std::size_t at = script.find(kVersionMarker);
  if (at == std::string_view::npos) return 0;
  const std::string_view rest = script.substr(at + kVersionMarker.size());
  int version = 0;
  const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), version);
  if (error != std::errc() || end == rest.data() || *end != '\'') return 0;
  return version;
}

int NeededSchemaVersion() { return SchemaVersionOf(kSchemaSql); }

std::vector<std::string> AuditActionNames() {
  // ActionKind is a plain enumeration from 0, and ToString covers every kind (a switch without a
  // default, so a new kind that is not named there does not compile).
  std::vector<std::string> names;
  for (int i = 0;; ++i) {
    const std::string_view name = planner::ToString(static_cast<planner::ActionKind>(i));
    if (name == "unknown") break;
    names.emplace_back(name);
  }
  names.emplace_back("restore");
  return names;
}

std::vector<std::string> CheckedActionNames(std::string_view script) {
  std::vector<std::string> names;
  const std::size_t constraint = script.find(kActionCheck);
  if (constraint == std::string_view::npos) return names;
  const std::size_t list = script.find(kActionList, constraint);
  if (list == std::string_view::npos) return names;
  std::string_view rest = script.substr(list + kActionList.size());
  rest = rest.substr(0, rest.find(')'));
  for (std::size_t open = rest.find('\''); open != std::string_view::npos; open = rest.find('\'')) {
    const std::size_t close = rest.find('\'', open + 1);
    if (close == std::string_view::npos) break;
    names.emplace_back(rest.substr(open + 1, close - open - 1));
    rest.remove_prefix(close + 1);
  }
  return names;
}

SchemaStep DecideSchemaStep(std::optional<int> found, int needed) {
  if (!found) return SchemaStep::kCreate;
  if (*found < needed) return SchemaStep::kUpgrade;
  if (*found > needed) return SchemaStep::kRefuseNewer;
  return SchemaStep::kUse;
}

std::string CannotUpgradeMessage(const std::string& database, int found, int needed,
                                 const std::string& role) {
  return fmt::format(
      "state schema partitiond in database \"{}\" is version {}, this partitiond needs version "
      "{}, and role \"{}\" may not upgrade it; run sql/schema.sql as the owner of schema "
      "partitiond (psql -d {} -f sql/schema.sql), then sql/role.sql for the grants",
      database, found, needed, role, database);
}

std::string NewerSchemaMessage(const std::string& database, int found, int needed) {
  return fmt::format(
      "state schema partitiond in database \"{}\" is version {}, newer than version {} that this "
      "partitiond knows; refusing to use it (it is never downgraded): upgrade partitiond",
      database, found, needed);
}

asio::awaitable<bool> PrepareStateSchema(pg::Connection& conn, const std::string& label,
                                         std::chrono::milliseconds lock_timeout,
                                         bool create_if_absent) {
  const int needed = NeededSchemaVersion();
  const Found found = co_await ReadVersion(conn);
  const SchemaStep step = DecideSchemaStep(found.version, needed);
  if (step == SchemaStep::kUse) co_return true;
  if (step == SchemaStep::kRefuseNewer) {
    throw pg::Error(NewerSchemaMessage(found.database, *found.version, needed), "55000");
  }
  if (step == SchemaStep::kCreate && !create_if_absent) co_return false;
  std::optional<pg::Error> failure;
  try {
    co_await ApplyScript(conn, lock_timeout);
  } catch (const pg::Error& e) {
    if (e.error_class() == pg::ErrorClass::kConnection) throw;
    failure = e;
  }
  if (step == SchemaStep::kCreate) {
    if (!failure) {
      spdlog::info("database {}: created state schema partitiond (version {})", label, needed);
      co_return true;
    }
    // Without the schema actions still run, only unaudited, as before the schema was versioned.
    spdlog::error(
        "database {}: cannot create state schema partitiond ({}); run sql/schema.sql as the "
        "database owner. Actions will not be audited.",
        label, failure->what());
    co_return false;
  }
  if (!failure) {
    spdlog::info("database {}: upgraded state schema partitiond from version {} to {}", label,
                 *found.version, needed);
    co_return true;
  }
  if (failure->sqlstate() == "42501") {  // insufficient_privilege
    spdlog::debug("database {}: upgrading state schema partitiond: {}", label, failure->what());
    throw pg::Error(CannotUpgradeMessage(found.database, *found.version, needed, found.role),
                    failure->sqlstate());
  }
  throw pg::Error(fmt::format("cannot upgrade state schema partitiond from version {} to {}: {}",
                              *found.version, needed, failure->what()),
                  failure->sqlstate());
}

}  // namespace partitiond::state
