#include "daemon/executor/manifest_columns.h"

#include <fmt/format.h>

#include <optional>

namespace partitiond::executor {
namespace {

// Each check is a statement of its own with the text as a parameter, so the server names the
// failing column's problem and the text is never SQL. regtype's input accepts exactly one type
// name (PostgreSQL 14 and later parse it with the type-name grammar alone; modifiers must be
// constants), so a type that passed may then be written into a query; regtype drops modifiers,
// which is why the canonical text is taken in two more steps below.
constexpr const char* kTypeQuery = "SELECT $1::text::pg_catalog.regtype::oid";
constexpr const char* kCollationQuery = "SELECT $1::text::pg_catalog.regcollation::text";
constexpr const char* kFormatQuery =
    "SELECT pg_catalog.format_type(t.oid, t.mod) "
    "FROM unnest($1::oid[], $2::int[]) WITH ORDINALITY AS t(oid, mod, n) ORDER BY t.n";

std::string Refusal(const std::string& manifest_path, const archive::ColumnDefinition& column,
                    std::string_view what, std::string_view value, const pg::Error& e) {
  return fmt::format(
      "manifest {}: column \"{}\": {} \"{}\" is not one the server knows; nothing restored: {}",
      manifest_path, column.name, what, value, e.what());
}

}  // namespace

asio::awaitable<std::vector<archive::ColumnDefinition>> CanonicalColumns(
    pg::Connection& conn, const archive::Manifest& manifest, const std::string& manifest_path) {
  std::vector<archive::ColumnDefinition> columns = manifest.columns;
  for (auto& column : columns) {
    std::optional<pg::Error> failure;
    std::string_view what = "type";
    std::string_view value = column.type;
    try {
      pg::Params type = {column.type};
      co_await conn.AsyncExec(kTypeQuery, std::move(type));
      if (column.collation) {
        what = "collation";
        value = *column.collation;
        pg::Params collation = {*column.collation};
        const pg::Result r = co_await conn.AsyncExec(kCollationQuery, std::move(collation));
        column.collation = std::string(r.Get(0, 0));
      }
    } catch (const pg::Error& e) {
      failure = e;
    }
    if (failure) {
      if (failure->error_class() == pg::ErrorClass::kConnection) throw *failure;
      throw pg::Error(Refusal(manifest_path, column, what, value, *failure), failure->sqlstate());
    }
  }
  if (columns.empty()) co_return columns;
  // Every type is now known to be a type name: the server describes a column of each, with its
  // modifier (one statement, extended protocol: nothing can follow it), and formats them. The
  // line breaks end any comment a type's text may carry; WHERE false evaluates no cast (a NOT
  // NULL domain refuses NULL).
  std::string probe = "SELECT ";
  for (std::size_t i = 0; i < columns.size(); ++i) {
    probe += fmt::format("{}NULL::{}\n", i == 0 ? "" : ", ", columns[i].type);
  }
  probe += "WHERE false";
  std::vector<pg::PipelinedStatement> statements = {{.sql = probe}};
  const pg::Result described = co_await conn.AsyncExecPipeline(std::move(statements));
  std::vector<std::string> oids, mods;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    oids.push_back(std::to_string(described.ColumnType(static_cast<int>(i))));
    mods.push_back(std::to_string(described.ColumnTypmod(static_cast<int>(i))));
  }
  pg::Params params = {pg::TextArrayLiteral(oids), pg::TextArrayLiteral(mods)};
  const pg::Result formatted = co_await conn.AsyncExec(kFormatQuery, std::move(params));
  for (std::size_t i = 0; i < columns.size(); ++i) {
    columns[i].type = std::string(formatted.Get(static_cast<int>(i), 0));
  }
  co_return columns;
}

}  // namespace partitiond::executor
