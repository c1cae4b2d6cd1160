// The recipes for parents with a default partition (contracts in recipes.h).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/executor/recipes.h"
#include "daemon/executor/security_guard.h"

namespace partitiond::executor {
namespace {

// One name, so that a later pass replaces an exclusion an interrupted one left behind.
constexpr const char* kExclusion = "partitiond_exclusion";

// Generated columns cannot be inserted into: the new table computes them again.
constexpr const char* kInsertableColumnsQuery =
    "SELECT attname FROM pg_attribute WHERE attrelid = $1::oid AND attnum > 0 "
    "AND NOT attisdropped AND attgenerated = '' ORDER BY attnum";

constexpr const char* kDefaultStateQuery =
    "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = c.oid AND conname = $2), "
    "       c.relforcerowsecurity "
    "FROM pg_class c WHERE c.oid = to_regclass($1)";

// What a DELETE FROM ONLY <default> sets off ($1 the default, $2/$3 schema and name of the
// default, $4/$5 of the parent). Triggers: enabled ones fire in an ordinary session ('O' and 'A';
// 'R' only under session_replication_role = replica, 'D' never); bit 8 of tgtype is DELETE. A
// referential action trigger belongs to a clone of the foreign key: it is named by the key the
// user declared (the clone's topmost ancestor).
constexpr const char* kMoveSideEffectsQuery = R"sql(
WITH d AS (SELECT to_regclass($1) AS oid)
SELECT CASE WHEN k.contype = 'f' THEN
         format('the ON DELETE %s action of foreign key %I on %s',
                CASE k.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL'
                     WHEN 'd' THEN 'SET DEFAULT' WHEN 'r' THEN 'RESTRICT' ELSE 'NO ACTION' END,
                (WITH RECURSIVE up AS (
                   SELECT oid, conparentid, conname FROM pg_constraint WHERE oid = k.oid
                   UNION ALL
                   SELECT c.oid, c.conparentid, c.conname FROM pg_constraint c
                   JOIN up ON c.oid = up.conparentid)
                 SELECT conname FROM up WHERE conparentid = 0 LIMIT 1),
                k.conrelid::regclass)
       ELSE format('%s trigger %I on %s', CASE WHEN t.tgtype & 1 = 1 THEN 'row' ELSE 'statement' END,
                   t.tgname, t.tgrelid::regclass) END
FROM d JOIN pg_trigger t ON t.tgrelid = d.oid
LEFT JOIN pg_constraint k ON k.oid = t.tgconstraint
WHERE t.tgenabled IN ('O', 'A') AND t.tgtype & 8 = 8
UNION ALL
SELECT format('rule %I on %s', r.rulename, r.ev_class::regclass)
FROM d JOIN pg_rewrite r ON r.ev_class = d.oid WHERE r.ev_type = '4'
UNION ALL
SELECT DISTINCT format('publication %I', p.pubname) FROM pg_publication_tables p
WHERE (p.schemaname = $2 AND p.tablename = $3) OR (p.schemaname = $4 AND p.tablename = $5)
)sql";

constexpr const char* kNotValidChecksQuery =
    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
    "WHERE conrelid = $1::oid AND contype = 'c' AND NOT convalidated ORDER BY conname";

// FORCE ROW LEVEL SECURITY applies the policies to the owner too, and the daemon acts as a member
// of the owner role: with it, moving rows would see (and delete) only the rows the policies let an
// unset tenant see, and inserting them could fail WITH CHECK. So both tables go without FORCE
// while rows move, and get it back in the attach transaction.
std::string ForceStatement(const std::string& table, bool force) {
  return fmt::format("ALTER TABLE {} {}FORCE ROW LEVEL SECURITY;\n", table, force ? "" : "NO ");
}

}  // namespace

std::string Recipes::Default(const catalog::TableSnapshot& parent) {
  const catalog::Partition* def = parent.DefaultPartition();
  if (def == nullptr) throw pg::Error("the parent has no default partition", "XX000");
  return conn_.QuoteQualified(def->schema, def->name);
}

std::string Recipes::PendingMark(const catalog::TableSnapshot& parent,
                                 const planner::Action& action) {
  return MarkText(catalog::MarkKind::kPendingCreate, parent, action);
}

asio::awaitable<void> Recipes::CreateBesideDefault(const catalog::TableSnapshot& parent,
                                                   const planner::Action& action) {
  const std::string child = Child(action);
  std::string body = CreateLikeStatements(parent, child) + BoundCheckStatement(parent, action);
  const auto not_valid = co_await NotValidChecks(parent);
  for (const auto& [name, definition] : not_valid) {
    body += fmt::format("ALTER TABLE {} DROP CONSTRAINT {};\n", child, conn_.QuoteIdentifier(name));
  }
  if (parent.force_row_security) body += ForceStatement(child, false);
  body += fmt::format("COMMENT ON TABLE {} IS {};", child,
                      conn_.QuoteLiteral(PendingMark(parent, action)));
  co_await RunInTransaction(body);
}

asio::awaitable<void> Recipes::SuspendForcedSecurity(const catalog::TableSnapshot& parent) {
  if (!parent.force_row_security) co_return;
  co_await RunInTransaction(ForceStatement(Default(parent), false));
}

asio::awaitable<std::string> Recipes::MoveStatement(const catalog::TableSnapshot& parent,
                                                    const planner::Action& action, int limit) {
  pg::Params params = {std::to_string(parent.oid)};
  const pg::Result r = co_await conn_.AsyncExec(kInsertableColumnsQuery, std::move(params));
  std::string columns;
  for (int i = 0; i < r.rows(); ++i) {
    if (i > 0) columns += ", ";
    columns += conn_.QuoteIdentifier(r.Get(i, 0));
  }
  const std::string def = Default(parent);
  const std::string in_range = InRange(parent, action);
  // Columns by name: the default's column order may differ from the parent's (a table attached
  // as default, dropped columns). The DELETE and the INSERT are one statement, so a row is either
  // still in the default or in the new table, never both or neither.
  std::string deleted;
  if (limit > 0) {
    // SKIP LOCKED: a row an application transaction holds is left for a later batch instead of
    // making this one wait.
    deleted = fmt::format(
        "DELETE FROM ONLY {0} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ONLY {0} WHERE {1} "
        "LIMIT {2} FOR UPDATE SKIP LOCKED)) RETURNING *",
        def, in_range, limit);
  } else {
    deleted = fmt::format("DELETE FROM ONLY {} WHERE {} RETURNING *", def, in_range);
  }
  co_return fmt::format("WITH moved AS ({}) INSERT INTO {} ({}) SELECT {} FROM moved", deleted,
                        Child(action), columns, columns);
}

asio::awaitable<long long> Recipes::MoveRowsFromDefault(const catalog::TableSnapshot& parent,
                                                        const planner::Action& action,
                                                        int batch_rows) {
  const std::string statement = co_await MoveStatement(parent, action, batch_rows);
  long long total = 0;
  for (int batch = 1;; ++batch) {
    // Autocommit: each batch is its own transaction under the session's lock_timeout.
    const pg::Result r = co_await conn_.AsyncExec(statement);
    const long long moved = r.CommandRows();
    total += moved;
    spdlog::debug("{}.{}: batch {} moved {} row(s) out of the default partition ({} so far)",
                  action.schema, action.partition, batch, moved, total);
    if (batch_rows <= 0 || moved < batch_rows) break;
  }
  co_return total;
}

asio::awaitable<void> Recipes::ExcludeFromDefault(const catalog::TableSnapshot& parent,
                                                  const planner::Action& action) {
  const std::string key = conn_.QuoteIdentifier(parent.key_column);
  const std::string type(catalog::ToString(parent.key_type));
  // NULL keys stay allowed: they belong in the default partition and nowhere else.
  co_await RunInTransaction(fmt::format(
      "ALTER TABLE {0} DROP CONSTRAINT IF EXISTS {1}, ADD CONSTRAINT {1} CHECK ({2} < {3}::{5} OR "
      "{2} >= {4}::{5}) NOT VALID;",
      Default(parent), kExclusion, key, Literal(parent, action.from), Literal(parent, action.to),
      type));
}

asio::awaitable<void> Recipes::ValidateExclusion(const catalog::TableSnapshot& parent) {
  co_await RunInTransaction(
      fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {};", Default(parent), kExclusion));
}

asio::awaitable<void> Recipes::AttachBesideDefault(const catalog::TableSnapshot& parent,
                                                   const planner::Action& action, bool move_rest) {
  const std::string def = Default(parent);
  std::string body;
  if (!action.ahead_of_now) {
    std::string moves;
    if (move_rest) moves = co_await MoveStatement(parent, action, 0);
    if (!moves.empty()) moves += ";\n";
    // Writes through the parent wait (reads go on) until the ATTACH commits. An INSERT already
    // routed to the default when ATTACH changes the default's partition constraint would fail
    // ("violates partition constraint"); one that waits on the parent's lock routes afresh. The
    // parent first, as ATTACH itself locks them; the default's lock then stops rows of the range
    // that are inserted into it directly.
    body = fmt::format(
        "LOCK TABLE ONLY {} IN SHARE ROW EXCLUSIVE MODE;\n"
        "LOCK TABLE ONLY {} IN ACCESS EXCLUSIVE MODE;\n{}",
        Parent(parent), def, moves);
  }
  const auto not_valid = co_await NotValidChecks(parent);
  for (const auto& [name, definition] : not_valid) {
    body += fmt::format("ALTER TABLE {} ADD CONSTRAINT {} {};\n", Child(action),
                        conn_.QuoteIdentifier(name), definition);
  }
  // The table was built in an earlier transaction, maybe an earlier pass: its security is given
  // again from this pass's snapshot (which the executor reads afresh when the guard finds it
  // outdated), and the guard after ATTACH checks it against the parent's.
  const std::optional<ExistingSecurity> existing = co_await ReadExistingSecurity(action);
  if (existing) body += RepairStatements(conn_, parent, Child(action), *existing);
  body += AttachOnlyStatements(parent, action);
  body +=
      fmt::format("\nALTER TABLE {} DROP CONSTRAINT IF EXISTS {};\nCOMMENT ON TABLE {} IS NULL;\n",
                  def, kExclusion, Child(action));
  if (parent.force_row_security)
    body += ForceStatement(def, true) + ForceStatement(Child(action), true);
  body += ExpectParentSecurity(conn_, parent, Child(action));
  co_await RunInTransaction(body);
}

asio::awaitable<std::vector<std::string>> Recipes::MoveSideEffects(
    const catalog::TableSnapshot& parent) {
  const catalog::Partition* def = parent.DefaultPartition();
  if (def == nullptr) throw pg::Error("the parent has no default partition", "XX000");
  pg::Params params = {Default(parent), def->schema, def->name, parent.configured.schema,
                       parent.configured.table};
  const pg::Result r = co_await conn_.AsyncExec(kMoveSideEffectsQuery, std::move(params));
  std::vector<std::string> effects;
  for (int i = 0; i < r.rows(); ++i) effects.emplace_back(r.Get(i, 0));
  co_return effects;
}

asio::awaitable<bool> Recipes::DefaultHoldsRange(const catalog::TableSnapshot& parent,
                                                 const planner::Action& action) {
  const pg::Result r = co_await conn_.AsyncExec(fmt::format(
      "SELECT EXISTS (SELECT 1 FROM ONLY {} WHERE {})", Default(parent), InRange(parent, action)));
  co_return r.GetBool(0, 0);
}

asio::awaitable<bool> Recipes::DefaultScanFitsLockTimeout(const catalog::TableSnapshot& parent) {
  // count(*) reads every row as ATTACH's check does; it takes ACCESS SHARE only.
  try {
    co_await pg::RunTransaction(
        conn_, fmt::format("SET LOCAL statement_timeout = '{}';\nSELECT count(*) FROM ONLY {};",
                           pg::ToPgDuration(lock_timeout_), Default(parent)));
  } catch (const pg::Error& e) {
    if (e.sqlstate() != "57014") throw;
    co_return false;
  }
  co_return true;
}

asio::awaitable<std::vector<std::pair<std::string, std::string>>> Recipes::NotValidChecks(
    const catalog::TableSnapshot& parent) {
  pg::Params params = {std::to_string(parent.oid)};
  const pg::Result r = co_await conn_.AsyncExec(kNotValidChecksQuery, std::move(params));
  std::vector<std::pair<std::string, std::string>> checks;
  for (int i = 0; i < r.rows(); ++i) checks.emplace_back(r.Get(i, 0), r.Get(i, 1));
  co_return checks;
}

asio::awaitable<void> Recipes::RestoreDefaultQuietly(const catalog::TableSnapshot& parent) {
  try {
    const std::string def = Default(parent);
    pg::Params params = {def, std::string(kExclusion)};
    const pg::Result r = co_await conn_.AsyncExec(kDefaultStateQuery, std::move(params));
    if (r.rows() == 0) co_return;
    std::string body;
    if (r.GetBool(0, 0))
      body += fmt::format("ALTER TABLE {} DROP CONSTRAINT {};\n", def, kExclusion);
    if (parent.force_row_security && !r.GetBool(0, 1)) body += ForceStatement(def, true);
    if (!body.empty()) co_await RunInTransaction(body);
  } catch (const pg::Error& e) {
    spdlog::warn(
        "{}.{}: could not restore the default partition after a failed create (the "
        "next pass does): {}",
        parent.configured.schema, parent.configured.table, e.what());
  }
}

asio::awaitable<void> Recipes::CreateDefault(const catalog::TableSnapshot& parent,
                                             const planner::Action& action) {
  const std::string child = Child(action);
  co_await RunInTransaction(
      CreateLikeStatements(parent, child) +
      fmt::format("ALTER TABLE {} ATTACH PARTITION {} DEFAULT;", Parent(parent), child));
}

asio::awaitable<bool> Recipes::DropDefaultIfEmpty(const catalog::TableSnapshot& parent,
                                                  const planner::Action& action) {
  const std::string def = Child(action);
  // Emptiness is proved by validating CHECK (false), which fails on the first row it finds: a
  // constraint check reads the table itself, where a query would see only the rows that forced
  // RLS lets the daemon (a member of the owner role) see. Under the locks no row can arrive, and a
  // failure leaves everything as it was.
  bool holds_rows = false;
  try {
    co_await RunInTransaction(
        fmt::format("LOCK TABLE ONLY {0} IN ACCESS EXCLUSIVE MODE;\n"
                    "LOCK TABLE ONLY {1} IN ACCESS EXCLUSIVE MODE;\n"
                    "ALTER TABLE {1} ADD CONSTRAINT partitiond_empty CHECK (false);\n"
                    "DROP TABLE {1};",
                    Parent(parent), def));
  } catch (const pg::Error& e) {
    if (e.sqlstate() != "23514") throw;
    holds_rows = true;
  }
  co_return !holds_rows;
}

}  // namespace partitiond::executor
