#include "daemon/catalog/reader.h"

#include <algorithm>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "daemon/catalog/mark.h"
#include "daemon/catalog/security.h"

namespace partitiond::catalog {
namespace {

// One row per configured table (partition columns NULL), even for a table that does not exist,
// then one row per partition (parent columns NULL but the table's position). A table detached by
// an interrupted retention drop is no longer in pg_inherits, so it is found through the comment
// the executor left on it, which names the parent's OID.
//
// Cost (a pass with nothing to do is this query): no sort, and nothing computed per partition but
// its pg_class row, its bound and its index sizes. Security drift is compared here rather than
// fingerprinted per relation: owner and RLS flags as columns, grants and policies only for the
// relations that have any.
constexpr std::string_view kSnapshotTemplate = R"sql(
WITH wanted AS (
  SELECT w.nspname, w.relname, w.ord
  FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS w(nspname, relname, ord)
),
parents AS (
  SELECT w.ord, c.oid, c.relkind, c.relowner, c.relacl, c.relrowsecurity, c.relforcerowsecurity,
         pg_get_userbyid(c.relowner) AS owner,
         (SELECT spcname FROM pg_tablespace s WHERE s.oid = c.reltablespace) AS tablespace,
         pt.partstrat, pt.partnatts, a.attname, a.atttypid,
         -- What a new partition must carry over from its parent (owner, grants, RLS and policies).
         {fidelity}::text AS fidelity
  FROM wanted w
  LEFT JOIN pg_namespace n ON n.nspname = w.nspname
  LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = w.relname
  LEFT JOIN pg_partitioned_table pt ON pt.partrelid = c.oid
  LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = pt.partattrs[0] AND pt.partnatts = 1
),
children AS (
  SELECT i.inhparent AS parent, i.inhrelid AS child, i.inhdetachpending AS pending,
         NULL::text AS orphan_lower, NULL::text AS orphan_upper
  FROM pg_inherits i JOIN parents p ON p.oid = i.inhparent AND p.relkind = 'p'
  UNION ALL
  SELECT m.parent::oid, m.objoid, false, m.lower, m.upper
  FROM (SELECT d.objoid, {mark_parent} AS parent, {mark_lower} AS lower,
               {mark_upper} AS upper
        FROM pg_description d
        WHERE d.classoid = 'pg_class'::regclass AND d.objsubid = 0
          AND d.description LIKE $3::text || ' %'
          AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = d.objoid)) m
  WHERE m.parent <= 4294967295
),
-- Every partition with what the pass needs of it. Sizes come from pg_class statistics; bounds are
-- deparsed without opening the partition.
partitions AS (
  SELECT ch.parent, ch.pending, ch.orphan_lower, ch.orphan_upper, cc.oid, cc.relowner, cc.relacl,
         cc.relrowsecurity, cc.relforcerowsecurity, cn.nspname, cc.relname,
         pg_get_expr(cc.relpartbound, 0) AS bound,
         (cc.relpages::bigint + coalesce(t.relpages, 0) + coalesce(ix.pages, 0))
           * (SELECT current_setting('block_size')::bigint) AS bytes,
         greatest(cc.reltuples, 0) AS rows
  FROM children ch
  JOIN pg_class cc ON cc.oid = ch.child
  JOIN pg_namespace cn ON cn.oid = cc.relnamespace
  LEFT JOIN pg_class t ON t.oid = cc.reltoastrelid
  LEFT JOIN (SELECT x.indrelid, sum(ic.relpages) AS pages
             FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid
             WHERE x.indrelid IN (SELECT child FROM children)
             GROUP BY x.indrelid) ix ON ix.indrelid = cc.oid
),
-- What a partition must share with its parent (security.h).
secured AS (
  SELECT oid, relowner, relacl FROM parents
  UNION ALL SELECT oid, relowner, relacl FROM partitions
),{security_ctes}
-- One row per configured table (partition columns NULL), then one per partition (parent columns
-- NULL but for the table's position).
SELECT p.ord, p.oid, p.relkind::text, p.partstrat::text, p.partnatts,
       p.attname, format_type(p.atttypid, NULL), p.owner, p.relrowsecurity,
       NULL, NULL, NULL, NULL::bool, NULL, NULL::bigint, NULL::real, NULL::bool,
       pg_is_in_recovery(), to_regclass('partitiond.audit') IS NOT NULL,
       extract(epoch FROM now())::bigint, p.tablespace, p.fidelity, NULL::bool, NULL
FROM parents p
UNION ALL
SELECT p.ord, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       c.nspname, c.relname, c.bound, c.pending, c.orphan_upper, c.bytes, c.rows, c.relrowsecurity,
       NULL, NULL, NULL, NULL, NULL,
       {differs},
       c.orphan_lower
FROM partitions c
JOIN parents p ON p.oid = c.parent
{joins})sql";

// The query with the shared security SQL in place of its {placeholders} (not fmt: the
// template's regular expressions use braces).
const std::string& SnapshotQuery() {
  static const std::string query = [] {
    std::string text(kSnapshotTemplate);
    const std::pair<std::string_view, std::string> parts[] = {
        {"{fidelity}", std::string(kFidelityJson)},
        {"{security_ctes}", std::string(kSecurityCtes)},
        {"{differs}", std::string(kSecurityDiffers)},
        {"{joins}", std::string(kSecurityJoins)},
        {"{mark_parent}", SqlMarkParent("d.description")},
        {"{mark_lower}", SqlMarkLower("d.description")},
        {"{mark_upper}", SqlMarkUpper("d.description")}};
    for (const auto& [placeholder, sql] : parts) {
      const std::size_t at = text.find(placeholder);
      text.replace(at, placeholder.size(), sql);
    }
    return text;
  }();
  return query;
}

enum Column {
  kOrd,
  kOid,
  kRelkind,
  kStrategy,
  kKeyColumns,
  kKeyName,
  kKeyType,
  kOwner,
  kParentRls,
  kChildSchema,
  kChildName,
  kBoundExpr,
  kPending,
  kOrphanUpper,
  kBytes,
  kRows,
  kChildRls,
  kInRecovery,
  kStatePresent,
  kServerNow,
  kTablespace,
  kFidelity,  // JSON
  kDrifted,
  kOrphanLower,
};

std::optional<KeyType> KeyTypeFromName(std::string_view name) {
  if (name == "date") return KeyType::kDate;
  if (name == "timestamp without time zone") return KeyType::kTimestamp;
  if (name == "timestamp with time zone") return KeyType::kTimestamptz;
  return std::nullopt;
}

std::string_view RelkindName(std::string_view relkind) {
  if (relkind == "r") return "a regular table";
  if (relkind == "v") return "a view";
  if (relkind == "m") return "a materialized view";
  if (relkind == "f") return "a foreign table";
  return "not a table";
}

// Validates the parent columns of a row; returns the error for the table, if any.
std::optional<std::string> ParentError(const pg::Result& r, int row, const std::string& table) {
  if (r.IsNull(row, kOid)) return fmt::format("table {} does not exist", table);
  if (r.Get(row, kRelkind) != "p") {
    return fmt::format("{} is {}, not a partitioned table", table,
                       RelkindName(r.Get(row, kRelkind)));
  }
  const std::string_view strategy = r.Get(row, kStrategy);
  if (strategy != "r") {
    return fmt::format("{} is {}-partitioned; only RANGE partitioning is supported", table,
                       strategy == "l" ? "LIST" : "HASH");
  }
  if (r.GetInt(row, kKeyColumns) != 1) {
    return fmt::format("{} has a {}-column partition key; only a single column is supported", table,
                       r.GetInt(row, kKeyColumns));
  }
  if (r.IsNull(row, kKeyName)) {
    return fmt::format("{} is partitioned on an expression; only a plain column is supported",
                       table);
  }
  if (!KeyTypeFromName(r.Get(row, kKeyType))) {
    return fmt::format(
        "partition key column \"{}\" of {} has type {}; only date, timestamp and timestamptz are "
        "supported",
        r.Get(row, kKeyName), table, r.Get(row, kKeyType));
  }
  return std::nullopt;
}

void AddPartition(const pg::Result& r, int row, TableSnapshot& table) {
  Partition p;
  p.schema = r.Get(row, kChildSchema);
  p.name = r.Get(row, kChildName);
  p.detach_pending = r.GetBool(row, kPending);
  p.detached_by_retention = !r.IsNull(row, kOrphanUpper);
  p.bytes = r.GetInt(row, kBytes);
  p.rows_estimate = r.GetDouble(row, kRows);
  p.row_security = r.GetBool(row, kChildRls);
  p.security_drift = r.GetBool(row, kDrifted);
  if (p.detached_by_retention) {
    // A detached table's range is known only from the bounds our mark recorded.
    const KeyValue lower(r.GetInt(row, kOrphanLower));
    if (lower != KeyValue::min()) p.from = lower;
    p.to = KeyValue(r.GetInt(row, kOrphanUpper));
  } else {
    p.bound_expr = r.Get(row, kBoundExpr);
    if (!ParseRangeBound(p.bound_expr, table.key_type, p)) {
      table.error = fmt::format("cannot understand the bound of partition {}.{} of {}: {}",
                                p.schema, p.name, table.configured.ToString(), p.bound_expr);
      return;
    }
  }
  table.partitions.push_back(std::move(p));
}

// The table's own row: validates it and fills the parent's fields.
void ReadTable(const pg::Result& r, int row, TableSnapshot& table) {
  table.error = ParentError(r, row, table.configured.ToString());
  if (table.error) return;
  table.oid = static_cast<std::uint32_t>(r.GetInt(row, kOid));
  table.owner = r.Get(row, kOwner);
  table.tablespace = r.GetOptional(row, kTablespace).value_or("");
  table.key_column = r.Get(row, kKeyName);
  table.key_type = *KeyTypeFromName(r.Get(row, kKeyType));
  table.row_security = r.GetBool(row, kParentRls);
  ParseFidelity(r.Get(row, kFidelity), table);
}

// Range partitions by lower bound (MINVALUE first), then the default, then orphans.
void SortPartitions(std::vector<Partition>& partitions) {
  auto rank = [](const Partition& p) { return p.detached_by_retention ? 2 : p.is_default ? 1 : 0; };
  std::stable_sort(partitions.begin(), partitions.end(),
                   [&](const Partition& a, const Partition& b) {
                     if (rank(a) != rank(b)) return rank(a) < rank(b);
                     const KeyValue lo = KeyValue::min();
                     return a.from.value_or(lo) < b.from.value_or(lo);
                   });
}

}  // namespace

asio::awaitable<DatabaseSnapshot> ReadSnapshot(pg::Connection& conn,
                                               const std::vector<config::TableConfig>& tables) {
  std::vector<std::string> schemas, names;
  for (const auto& t : tables) {
    schemas.push_back(t.name.schema);
    names.push_back(t.name.table);
  }
  pg::Params params = {pg::TextArrayLiteral(schemas), pg::TextArrayLiteral(names),
                       MarkPrefix(MarkKind::kRetention)};
  const pg::Result r = co_await conn.AsyncExec(SnapshotQuery(), std::move(params));

  DatabaseSnapshot snapshot;
  for (const auto& t : tables) snapshot.tables.push_back(TableSnapshot{.configured = t.name});
  auto table_of = [&](int row) -> TableSnapshot& {
    return snapshot.tables.at(static_cast<size_t>(r.GetInt(row, kOrd) - 1));
  };
  // Tables first: a partition's bound is parsed with its table's key type.
  for (int row = 0; row < r.rows(); ++row) {
    if (!r.IsNull(row, kChildName)) continue;
    snapshot.in_recovery = r.GetBool(row, kInRecovery);
    snapshot.state_schema_present = r.GetBool(row, kStatePresent);
    snapshot.server_now = std::chrono::sys_seconds(std::chrono::seconds(r.GetInt(row, kServerNow)));
    ReadTable(r, row, table_of(row));
  }
  for (int row = 0; row < r.rows(); ++row) {
    if (r.IsNull(row, kChildName)) continue;
    TableSnapshot& table = table_of(row);
    if (!table.error) AddPartition(r, row, table);
  }
  for (auto& table : snapshot.tables) {
    if (table.error) table.partitions.clear();
    SortPartitions(table.partitions);
  }
  co_return snapshot;
}

}  // namespace partitiond::catalog
