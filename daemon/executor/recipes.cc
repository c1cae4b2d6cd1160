#include "daemon/executor/recipes.h"

#include <fmt/format.h>

#include "daemon/catalog/mark.h"
#include "daemon/executor/fidelity.h"
#include "daemon/executor/security_guard.h"

#include <nlohmann/json.hpp>

namespace partitiond::executor {
namespace {

constexpr const char* kExistingSecurityQuery =
    "SELECT (SELECT coalesce(json_agg(p.polname), '[]') FROM pg_policy p "
    "        WHERE p.polrelid = c.oid)::text, "
    "       (SELECT coalesce(json_agg(DISTINCT CASE WHEN g.grantee = 0 THEN NULL "
    "                                 ELSE pg_get_userbyid(g.grantee) END), '[]') "
    "        FROM aclexplode(c.relacl) g WHERE g.grantee <> c.relowner)::text "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = $1 AND c.relname = $2";

}  // namespace

asio::awaitable<PartitionState> Recipes::ReadState(const std::string& schema,
                                                   const std::string& name) {
  const PartitionState state = co_await ReadPartitionState(conn_, schema, name, std::nullopt);
  co_return state;
}

asio::awaitable<PartitionState> Recipes::ReadCreateState(const catalog::TableSnapshot& parent,
                                                         const planner::Action& action) {
  const std::optional<std::string> mark = PendingMark(parent, action);
  const PartitionState state =
      co_await ReadPartitionState(conn_, action.schema, action.partition, mark);
  co_return state;
}

asio::awaitable<void> Recipes::CreateAndAttach(const catalog::TableSnapshot& parent,
                                               const planner::Action& action) {
  co_await RunInTransaction(CreateLikeStatements(parent, Child(action)) +
                            AttachStatements(parent, action));
}

std::string Recipes::CreateLikeStatements(const catalog::TableSnapshot& parent,
                                          const std::string& child) {
  // Identity stays with the parent (as with PARTITION OF): a copied identity would give each
  // partition its own sequence and duplicate keys on direct inserts.
  const std::string tablespace =
      parent.tablespace.empty() ? "" : " TABLESPACE " + conn_.QuoteIdentifier(parent.tablespace);
  // The security statements come from the snapshot, which a migration may have outdated; LIKE
  // holds ACCESS SHARE on the parent from here to COMMIT, so the guard sees the parent's final
  // policies and RLS flags (security_guard.h).
  return fmt::format("CREATE TABLE {} (LIKE {} INCLUDING ALL EXCLUDING IDENTITY){};\n", child,
                     Parent(parent), tablespace) +
         OwnerAndSecurityStatements(parent, child) + ExpectParentSecurity(conn_, parent, child);
}

std::string Recipes::OwnerAndSecurityStatements(const catalog::TableSnapshot& parent,
                                                const std::string& child) {
  return fmt::format("ALTER TABLE {} OWNER TO {};\n", child, conn_.QuoteIdentifier(parent.owner)) +
         FidelityStatements(conn_, parent, child);
}

std::string Recipes::BoundCheckStatement(const catalog::TableSnapshot& parent,
                                         const planner::Action& action) {
  // With the CHECK in place ATTACH can prove the bound without scanning the table under its lock.
  return fmt::format(
      "ALTER TABLE {} ADD CONSTRAINT partitiond_bound CHECK ({} IS NOT NULL AND {});\n",
      Child(action), conn_.QuoteIdentifier(parent.key_column), InRange(parent, action));
}

std::string Recipes::InRange(const catalog::TableSnapshot& parent, const planner::Action& action) {
  return fmt::format("{0} >= {1}::{3} AND {0} < {2}::{3}", conn_.QuoteIdentifier(parent.key_column),
                     Literal(parent, action.from), Literal(parent, action.to),
                     catalog::ToString(parent.key_type));
}

std::string Recipes::Literal(const catalog::TableSnapshot& parent, catalog::KeyValue value) {
  return conn_.QuoteLiteral(catalog::FormatKeyLiteral(value, parent.key_type));
}

asio::awaitable<void> Recipes::AttachExisting(const catalog::TableSnapshot& parent,
                                              const planner::Action& action) {
  // The guard after ATTACH, which locks the parent (security_guard.h).
  co_await RunInTransaction(OwnerAndSecurityStatements(parent, Child(action)) +
                            AttachStatements(parent, action) + "\n" +
                            ExpectParentSecurity(conn_, parent, Child(action)));
}

std::string Recipes::AttachStatements(const catalog::TableSnapshot& parent,
                                      const planner::Action& action) {
  return BoundCheckStatement(parent, action) + AttachOnlyStatements(parent, action);
}

std::string Recipes::AttachOnlyStatements(const catalog::TableSnapshot& parent,
                                          const planner::Action& action) {
  const std::string child = Child(action);
  std::string body =
      fmt::format("ALTER TABLE {} ATTACH PARTITION {} FOR VALUES FROM ({}) TO ({});\n",
                  Parent(parent), child, Literal(parent, action.from), Literal(parent, action.to));
  body += fmt::format("ALTER TABLE {} DROP CONSTRAINT partitiond_bound;", child);
  return body;
}

std::string Recipes::MarkText(catalog::MarkKind kind, const catalog::TableSnapshot& parent,
                              const planner::Action& action) {
  return catalog::FormatMark(
      {.kind = kind, .parent_oid = parent.oid, .lower = action.from, .upper = action.to});
}

std::string Recipes::MarkStatement(const catalog::TableSnapshot& parent,
                                   const planner::Action& action) {
  return fmt::format("COMMENT ON TABLE {} IS {};", Child(action),
                     conn_.QuoteLiteral(MarkText(catalog::MarkKind::kRetention, parent, action)));
}

asio::awaitable<void> Recipes::MarkAndDetach(const catalog::TableSnapshot& parent,
                                             const planner::Action& action, bool detach_pending,
                                             bool then_drop) {
  // COMMENT locks the table (SHARE UPDATE EXCLUSIVE, which a concurrent DETACH also needs) before
  // the guard reads its state, so the state cannot change between the check and the commit. The
  // DETACH and the DROP follow in the same round trip: after a failure the server skips the rest,
  // so each runs only once the step before it committed. The DROP needs no guard of its own: the
  // table it names was marked and detached by the statements just before it.
  co_await PreparePartitionState(conn_);
  std::vector<pg::PipelinedStatement> pipeline;
  AppendTransaction(pipeline, {{.sql = MarkStatement(parent, action)},
                               ExpectPartitionOf(conn_, parent, action, detach_pending)});
  pipeline.push_back({.sql = DetachStatement(parent, action, detach_pending)});
  if (then_drop) AppendTransaction(pipeline, {{.sql = DropStatement(action)}});
  co_await conn_.AsyncExecPipeline(std::move(pipeline));
}

asio::awaitable<void> Recipes::ClearRetentionMark(const planner::Action& action) {
  co_await RunInTransaction(fmt::format("COMMENT ON TABLE {} IS NULL;", Child(action)));
}

asio::awaitable<void> Recipes::DetachConcurrently(const catalog::TableSnapshot& parent,
                                                  const planner::Action& action) {
  co_await RunOutsideTransaction(DetachStatement(parent, action, /*finalize=*/false));
}

asio::awaitable<void> Recipes::FinalizeDetach(const catalog::TableSnapshot& parent,
                                              const planner::Action& action) {
  co_await RunOutsideTransaction(DetachStatement(parent, action, /*finalize=*/true));
}

std::string Recipes::DetachStatement(const catalog::TableSnapshot& parent,
                                     const planner::Action& action, bool finalize) {
  // SET LOCAL cannot apply to these (PostgreSQL refuses them in a transaction block); the
  // session-wide lock_timeout set at connect bounds their waits.
  return fmt::format("ALTER TABLE {} DETACH PARTITION {} {}", Parent(parent), Child(action),
                     finalize ? "FINALIZE" : "CONCURRENTLY");
}

asio::awaitable<void> Recipes::DetachInTransaction(const catalog::TableSnapshot& parent,
                                                   const planner::Action& action,
                                                   AfterDetach after) {
  // No guard: DETACH itself fails unless the table is a partition of the parent (42P01, see
  // IsStateChanged), and a guard would have to lock the partition before its parent, the reverse
  // of the order queries through the parent take them in.
  std::string body =
      fmt::format("ALTER TABLE {} DETACH PARTITION {};", Parent(parent), Child(action));
  if (after == AfterDetach::kDrop) body += fmt::format("\nDROP TABLE {};", Child(action));
  if (after == AfterDetach::kMark) body += "\n" + MarkStatement(parent, action);
  co_await RunInTransaction(body);
}

asio::awaitable<void> Recipes::MoveToSchema(const planner::Action& action,
                                            const std::string& schema) {
  co_await PreparePartitionState(conn_);
  co_await RunInTransaction(
      LockDetachedByRetention(conn_, action) +
      fmt::format("ALTER TABLE {} SET SCHEMA {};\nCOMMENT ON TABLE {} IS NULL;", Child(action),
                  conn_.QuoteIdentifier(schema), conn_.QuoteQualified(schema, action.partition)));
}

std::string Recipes::DropStatement(const planner::Action& action) {
  return fmt::format("DROP TABLE {};", Child(action));
}

asio::awaitable<void> Recipes::DropDetached(const planner::Action& action) {
  co_await PreparePartitionState(conn_);
  co_await RunInTransaction(LockDetachedByRetention(conn_, action) + DropStatement(action));
}

asio::awaitable<std::optional<ExistingSecurity>> Recipes::ReadExistingSecurity(
    const planner::Action& action) {
  pg::Params params = {action.schema, action.partition};
  const pg::Result r = co_await conn_.AsyncExec(kExistingSecurityQuery, std::move(params));
  if (r.rows() == 0) co_return std::nullopt;
  ExistingSecurity existing;
  for (const auto& name : nlohmann::json::parse(r.Get(0, 0))) existing.policies.push_back(name);
  for (const auto& grantee : nlohmann::json::parse(r.Get(0, 1))) {
    existing.grantees.push_back(grantee.is_null() ? "" : grantee.get<std::string>());
  }
  co_return existing;
}

asio::awaitable<void> Recipes::RepairFidelity(const catalog::TableSnapshot& parent,
                                              const planner::Action& action) {
  const std::optional<ExistingSecurity> read = co_await ReadExistingSecurity(action);
  if (!read) co_return;  // gone since the snapshot: nothing to repair
  const ExistingSecurity& existing = *read;
  // The parent first (the order queries through it lock the two in), ACCESS SHARE: only a change
  // to its policies, RLS flags or owner waits for the repair, and the guard then sees the parent's
  // security as it stays until COMMIT (security_guard.h).
  co_await RunInTransaction(
      fmt::format("LOCK TABLE ONLY {} IN ACCESS SHARE MODE;\n", Parent(parent)) +
      RepairStatements(conn_, parent, Child(action), existing) +
      ExpectParentSecurity(conn_, parent, Child(action)));
}

asio::awaitable<void> Recipes::RunInTransaction(const std::string& body) {
  // Creates, repairs and attaches carry the security guard, as EXECUTE of a prepared statement.
  co_await PrepareSecurityGuard(conn_);
  co_await pg::RunTransaction(conn_, SetLocalLockTimeout() + "\n" + body);
}

asio::awaitable<void> Recipes::RunOutsideTransaction(const std::string& statement) {
  co_await conn_.AsyncExec(statement);
}

std::string Recipes::SetLocalLockTimeout() const {
  return fmt::format("SET LOCAL lock_timeout = '{}';", pg::ToPgDuration(lock_timeout_));
}

void Recipes::AppendTransaction(std::vector<pg::PipelinedStatement>& pipeline,
                                std::vector<pg::PipelinedStatement> body) const {
  pipeline.push_back({.sql = "BEGIN"});
  pipeline.push_back({.sql = SetLocalLockTimeout()});
  for (auto& statement : body) pipeline.push_back(std::move(statement));
  pipeline.push_back({.sql = "COMMIT"});
}

std::string Recipes::Parent(const catalog::TableSnapshot& parent) {
  return conn_.QuoteQualified(parent.configured.schema, parent.configured.table);
}

std::string Recipes::Child(const planner::Action& action) {
  return conn_.QuoteQualified(action.schema, action.partition);
}

}  // namespace partitiond::executor
