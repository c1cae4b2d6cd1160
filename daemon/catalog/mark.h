// The comments partitiond leaves on a table while it works on it, so that work interrupted between
// two transactions is recognised and finished by a later pass:
//  - a retention mark on a partition about to be detached (drop, archive, or detach into an
//    archive schema): once detached, the table is ours to finish, and its range is known only
//    from the mark;
//  - a pending-create mark on a table built beside a default partition and not attached yet.
// Text: "<prefix> of <parent oid> lower <from> upper <to>", bounds as KeyValue counts (lower
// KeyValue::min() for MINVALUE). This file is the only place that writes or reads that text: the
// SQL the catalog reader and the state checks use to find marks is built here from the same
// constants. Pure; no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/catalog/snapshot.h"

namespace partitiond::catalog {

enum class MarkKind { kRetention, kPendingCreate };

struct Mark {
  MarkKind kind = MarkKind::kRetention;
  std::uint32_t parent_oid = 0;
  KeyValue lower{};  // KeyValue::min(): MINVALUE
  KeyValue upper{};
  bool operator==(const Mark&) const = default;
};

std::string FormatMark(const Mark& mark);
// nullopt for any text FormatMark cannot have written (someone else's comment, a truncated one).
std::optional<Mark> ParseMark(std::string_view text);

// "<prefix> of": what every mark of `kind` starts with; as a parameter for `LIKE $n || ' %'`.
std::string MarkPrefix(MarkKind kind);

// SQL expressions over a text column `column` holding a comment, for the catalog query: true for
// a retention mark; and, for such a comment, the parent oid (bigint), lower and upper (text of a
// bigint). The patterns accept exactly what ParseMark accepts.
std::string SqlIsRetentionMark(std::string_view column);
std::string SqlMarkParent(std::string_view column);
std::string SqlMarkLower(std::string_view column);
std::string SqlMarkUpper(std::string_view column);

}  // namespace partitiond::catalog
