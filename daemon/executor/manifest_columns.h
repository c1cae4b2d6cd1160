// A manifest's column types and collations as the server names them, before restore builds a
// table from them. The manifest is a file on disk, perhaps edited or planted: a type such as
// "int); DROP TABLE x; --" must be refused before any of it reaches SQL.
#pragma once

#include <string>
#include <vector>

#include "daemon/archive/manifest.h"
#include "daemon/pg/connection.h"

namespace partitiond::executor {

// The manifest's columns with each type replaced by the server's canonical text for it
// (format_type, modifiers kept: "numeric(12,3)", "character varying(20)") and each collation by
// its regcollation text. Changes nothing in the database. Throws pg::Error naming
// `manifest_path` and the column when a type or collation is not one the server knows by that
// name (connection errors are rethrown as they are).
asio::awaitable<std::vector<archive::ColumnDefinition>> CanonicalColumns(
    pg::Connection& conn, const archive::Manifest& manifest, const std::string& manifest_path);

}  // namespace partitiond::executor
