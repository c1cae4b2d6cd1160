// Schema-qualified relation names, read as PostgreSQL reads them in SQL: unquoted parts are
// ASCII-folded to lower case and must be plain identifiers; "quoted" parts keep their case and may
// hold anything ("" stands for one quote). No whitespace is allowed around the dot.
#pragma once

#include <string>
#include <string_view>

#include "daemon/config/config.h"

namespace partitiond::config {

// Parses exactly `schema.table`. Throws std::invalid_argument whose what() names the text and the
// problem, fit to show a user as is. Parts longer than 63 bytes (PostgreSQL's NAMEDATALEN - 1) are
// rejected rather than silently truncated.
QualifiedName ParseQualifiedName(std::string_view text);

// Parses one identifier (a schema name, ...) by the same rules; `what` names it in errors
// ("invalid schema name 'x': ...").
std::string ParseIdentifier(std::string_view text, std::string_view what);

// `part` unchanged when it is a plain lower-case identifier ([a-z_][a-z0-9_$]*), otherwise
// double-quoted with inner quotes doubled. Reserved words are not considered.
std::string QuoteIdentifierIfNeeded(std::string_view part);

}  // namespace partitiond::config
