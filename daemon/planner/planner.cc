#include "daemon/planner/planner.h"

#include <date/tz.h>

#include <algorithm>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "daemon/planner/calendar.h"
#include "daemon/planner/removal_guard.h"

namespace partitiond::planner {

std::string_view ToString(ActionKind kind) {
  switch (kind) {
    case ActionKind::kCreate:
      return "create";
    case ActionKind::kFinalizeDetach:
      return "finalize_detach";
    case ActionKind::kDrop:
      return "drop";
    case ActionKind::kDetach:
      return "detach";
    case ActionKind::kArchive:
      return "archive";
    case ActionKind::kRepairFidelity:
      return "repair_fidelity";
    case ActionKind::kCreateDefault:
      return "create_default";
    case ActionKind::kDropDefault:
      return "drop_default";
  }
  return "unknown";
}

bool IsRetention(ActionKind kind) {
  return kind == ActionKind::kDrop || kind == ActionKind::kDetach || kind == ActionKind::kArchive;
}

bool IsOnDefault(ActionKind kind) {
  return kind == ActionKind::kCreateDefault || kind == ActionKind::kDropDefault;
}

namespace {

namespace chr = std::chrono;
using catalog::KeyValue;
using catalog::Partition;

// A safety valve, not a policy: a hand-made partition decades old with an hourly interval would
// otherwise ask for hundreds of thousands of tables in one pass. The current period and premake
// (nearest first) are always chosen first; older gap pieces follow in later passes.
constexpr std::size_t kMaxCreatesPerPass = 1000;

KeyValue Lower(const Partition& p) { return p.from.value_or(KeyValue::min()); }
KeyValue Upper(const Partition& p) { return p.to.value_or(KeyValue::max()); }

// What one pass derives once from the snapshot, the policy and now.
struct Pass {
  const catalog::TableSnapshot& table;
  const config::TableConfig& policy;
  const date::time_zone& tz;
  std::vector<const Partition*> parts;  // non-default, by lower bound
  Grid grid;
  std::int64_t now_cell = 0;
  std::optional<KeyValue> cutoff;

  LocalTime Local(KeyValue key) const { return KeyToLocal(key, table.key_type, tz); }
  KeyValue BoundaryKey(std::int64_t k) const {
    return LocalToKey(grid.Boundary(k), table.key_type, tz);
  }
  std::string Format(KeyValue key) const { return catalog::FormatKeyLiteral(key, table.key_type); }
};

// An uncovered stretch of the wanted coverage, with the partitions on either side.
struct Gap {
  KeyValue lo{};
  KeyValue hi{};
  const Partition* below = nullptr;
  const Partition* above = nullptr;
};

struct Piece {
  KeyValue lo{};
  KeyValue hi{};
  std::int64_t cell = 0;
  const Gap* gap = nullptr;
};

std::vector<const Partition*> NonDefault(const catalog::TableSnapshot& table) {
  std::vector<const Partition*> parts;
  for (const Partition& p : table.partitions) {
    if (!p.is_default && !p.detached_by_retention) parts.push_back(&p);
  }
  std::stable_sort(parts.begin(), parts.end(),
                   [](const Partition* a, const Partition* b) { return Lower(*a) < Lower(*b); });
  return parts;
}

// The newest partition that is exactly one interval anchors the grid, so tables made by hand or
// by other tools keep their phase (a monthly table on the 15th stays on the 15th).
Grid ChooseGrid(const Pass& pass) {
  for (auto it = pass.parts.rbegin(); it != pass.parts.rend(); ++it) {
    const Partition& p = **it;
    if (p.detach_pending || !p.from || !p.to || !InCalendarRange(*p.from) ||
        !InCalendarRange(*p.to)) {
      continue;
    }
    if (auto grid = GridOfCell(pass.policy.interval, pass.Local(*p.from), pass.Local(*p.to))) {
      return *grid;
    }
  }
  return NaturalGrid(pass.policy.interval);
}

// Partitions adopted from a tool that worked in another zone (say UTC boundaries read in
// Europe/Paris) put day-or-longer boundaries at a local time other than midnight; the grid keeps
// that phase, which then shifts by an hour across DST. Say so rather than guess.
void WarnOnOffsetGrid(const Pass& pass, TablePlan& plan) {
  if (IsSubDay(pass.policy.interval)) return;
  const auto time_of_day = pass.grid.origin - chr::floor<chr::days>(pass.grid.origin);
  if (time_of_day == LocalTime::duration::zero()) return;
  plan.warnings.push_back(
      "existing partitions start at " +
      catalog::FormatKeyLiteral(pass.grid.origin.time_since_epoch(), catalog::KeyType::kTimestamp)
          .substr(11) +
      " local time in " + pass.policy.timezone_name +
      ", not at midnight: new boundaries keep that offset (and move with daylight saving "
      "time); if the partitions were made for another time zone, set timezone to it");
}

std::optional<KeyValue> RetentionCutoff(const Pass& pass, LocalTime now_local) {
  if (!pass.policy.retention) return std::nullopt;
  return LocalToKey(AddInterval(now_local, *pass.policy.retention, -1), pass.table.key_type,
                    pass.tz);
}

// Pending partitions still occupy their range (finalize may fail, and creating over it would
// overlap) but do not extend the wanted coverage downwards: they are going away.
std::vector<Gap> FindGaps(const Pass& pass, KeyValue horizon) {
  KeyValue cursor = pass.BoundaryKey(pass.now_cell);
  for (const Partition* p : pass.parts) {
    if (!p->detach_pending) cursor = std::min(cursor, Lower(*p));
  }
  std::vector<Gap> gaps;
  const Partition* below = nullptr;
  for (const Partition* p : pass.parts) {
    if (cursor >= horizon) break;
    if (Lower(*p) > cursor) {
      const bool bounded = Lower(*p) <= horizon;
      gaps.push_back({cursor, std::min(Lower(*p), horizon), below, bounded ? p : nullptr});
    }
    if (Upper(*p) > cursor) {
      cursor = Upper(*p);
      below = p;
    }
  }
  if (cursor < horizon) gaps.push_back({cursor, horizon, below, nullptr});
  for (Gap& gap : gaps) gap.lo = ClampToCalendarRange(gap.lo);
  std::erase_if(gaps, [](const Gap& gap) { return gap.lo >= gap.hi; });
  return gaps;
}

// Cuts one gap on grid boundaries, newest piece first, keeping only cells in [first_cell,
// last_cell]. Returns false when `limit` was reached.
bool CutGap(const Pass& pass, const Gap& gap, std::int64_t first_cell, std::int64_t last_cell,
            std::size_t limit, std::vector<Piece>& out) {
  std::int64_t k = pass.grid.CellIndex(pass.Local(gap.hi - KeyValue(1)));
  while (pass.BoundaryKey(k) >= gap.hi) --k;
  while (pass.BoundaryKey(k + 1) < gap.hi) ++k;
  for (k = std::min(k, last_cell); k >= first_cell; --k) {
    const KeyValue cell_lo = pass.BoundaryKey(k);
    const KeyValue cell_hi = pass.BoundaryKey(k + 1);
    if (cell_hi <= gap.lo) return true;
    const Piece piece{std::max(gap.lo, cell_lo), std::min(gap.hi, cell_hi), k, &gap};
    if (pass.cutoff && piece.hi <= *pass.cutoff) return true;
    // A local hour skipped by a DST transition maps to an empty range: nothing to create.
    if (piece.lo >= piece.hi) continue;
    if (out.size() >= limit) return false;
    out.push_back(piece);
  }
  return true;
}

std::string GapText(const Gap& gap) {
  if (gap.below && gap.above) return "gap between " + gap.below->name + " and " + gap.above->name;
  if (gap.below) return "gap after " + gap.below->name;
  if (gap.above) return "gap before " + gap.above->name;
  return "";
}

std::string CreateReason(const Pass& pass, const Piece& piece) {
  const std::string gap = GapText(*piece.gap);
  if (piece.cell < pass.now_cell) return gap.empty() ? "catching up to now" : gap;
  std::string reason = "current period";
  if (piece.cell > pass.now_cell) {
    reason = "premake: " + std::to_string(piece.cell - pass.now_cell) + " of " +
             std::to_string(pass.policy.premake) + " ahead";
  }
  if (piece.gap->below && piece.gap->above) reason += " (" + gap + ")";
  return reason;
}

// Under the per-pass cap the current period comes first, then premake nearest first, then older
// gaps newest first: whatever is left out is the furthest ahead or the oldest, which the next pass
// picks up. Returned in key order.
std::vector<Piece> MissingPieces(const Pass& pass, const std::vector<Gap>& gaps,
                                 std::vector<std::string>& warnings) {
  constexpr std::int64_t kFirst = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t kLast = std::numeric_limits<std::int64_t>::max();
  std::vector<Piece> pieces;
  // Not capped while cutting: gaps end at the horizon, so these are at most premake + 1 pieces.
  for (const Gap& gap : gaps) {
    CutGap(pass, gap, pass.now_cell, kLast, std::numeric_limits<std::size_t>::max(), pieces);
  }
  std::sort(pieces.begin(), pieces.end(),
            [](const Piece& a, const Piece& b) { return a.lo < b.lo; });
  bool complete = pieces.size() <= kMaxCreatesPerPass;
  if (!complete) pieces.resize(kMaxCreatesPerPass);
  for (auto it = gaps.rbegin(); complete && it != gaps.rend(); ++it) {
    complete = CutGap(pass, *it, kFirst, pass.now_cell - 1, kMaxCreatesPerPass, pieces);
  }
  if (!complete) {
    warnings.push_back("creating only " + std::to_string(kMaxCreatesPerPass) +
                       " missing partitions this pass (the current period and the nearest ahead "
                       "first, then the newest older ones); the rest follow in later passes");
  }
  std::sort(pieces.begin(), pieces.end(),
            [](const Piece& a, const Piece& b) { return a.lo < b.lo; });
  return pieces;
}

void AppendCreates(const Pass& pass, TablePlan& plan) {
  const int premake = std::max(pass.policy.premake, 0);
  const KeyValue horizon = pass.BoundaryKey(pass.now_cell + premake + 1);
  const std::vector<Gap> gaps = FindGaps(pass, horizon);

  std::map<std::string, bool, std::less<>> taken;  // name -> whether an existing partition has it
  for (const Partition& p : pass.table.partitions) taken.emplace(p.name, true);

  for (const Piece& piece : MissingPieces(pass, gaps, plan.warnings)) {
    const auto start = chr::floor<chr::seconds>(pass.Local(piece.lo));
    std::string name = PartitionName(pass.table.configured.table, start, pass.policy.interval);
    // Appended piecewise: GCC 12 -O3 reports a bogus -Wrestrict on chained operator+ (GCC PR
    // 105329, tests/gcc/wrestrict_string_concatenation.cc).
    std::string range = "[";
    range.append(pass.Format(piece.lo)).append(", ").append(pass.Format(piece.hi)).append(")");
    if (auto [it, inserted] = taken.emplace(name, false); !inserted) {
      plan.warnings.push_back("not creating " + name + " for " + range +
                              ": the name is already taken by " +
                              (it->second ? "an existing partition" : "another new partition"));
      continue;
    }
    plan.actions.push_back({.kind = ActionKind::kCreate,
                            .schema = pass.table.configured.schema,
                            .partition = std::move(name),
                            .from = piece.lo,
                            .to = piece.hi,
                            .reason = CreateReason(pass, piece),
                            .ahead_of_now = piece.lo >= pass.BoundaryKey(pass.now_cell + 1),
                            .before_now = piece.cell < pass.now_cell});
  }
}

void AppendDefaultPartition(const Pass& pass, TablePlan& plan) {
  using config::DefaultPartitionPolicy;
  const Partition* existing = pass.table.DefaultPartition();
  if (pass.policy.default_partition == DefaultPartitionPolicy::kNone && existing != nullptr) {
    plan.actions.push_back({.kind = ActionKind::kDropDefault,
                            .schema = existing->schema,
                            .partition = existing->name,
                            .reason = "default_partition: none (removed only when empty)"});
  }
  if (pass.policy.default_partition != DefaultPartitionPolicy::kCreate || existing != nullptr) {
    return;
  }
  std::string name = DefaultPartitionName(pass.table.configured.table);
  for (const Partition& p : pass.table.partitions) {
    if (p.name != name) continue;
    plan.warnings.push_back("not creating default partition " + name +
                            ": the name is already taken by a partition");
    return;
  }
  plan.actions.push_back({.kind = ActionKind::kCreateDefault,
                          .schema = pass.table.configured.schema,
                          .partition = std::move(name),
                          .reason = "default_partition: create"});
}

bool Expired(const Pass& pass, const Partition& p) {
  return pass.cutoff && p.to && *p.to <= *pass.cutoff;
}

ActionKind RetentionKind(config::RetentionAction action) {
  switch (action) {
    case config::RetentionAction::kDetach:
      return ActionKind::kDetach;
    case config::RetentionAction::kArchive:
      return ActionKind::kArchive;
    case config::RetentionAction::kDrop:
      break;
  }
  return ActionKind::kDrop;
}

void AppendRetention(const Pass& pass, TablePlan& plan) {
  if (!pass.cutoff) return;
  // A date key is compared with a cutoff that has a time of day; show it.
  const catalog::KeyType cutoff_type = pass.table.key_type == catalog::KeyType::kDate
                                           ? catalog::KeyType::kTimestamp
                                           : pass.table.key_type;
  const std::string cutoff_text = catalog::FormatKeyLiteral(*pass.cutoff, cutoff_type) +
                                  " (now - " + pass.policy.retention->ToString() + ")";
  for (const Partition* p : pass.parts) {
    // MAXVALUE partitions never qualify. An expired pending one is handed to the retention
    // action itself, which finalizes first.
    if (!Expired(pass, *p)) continue;
    plan.actions.push_back({RetentionKind(pass.policy.retention_action), p->schema, p->name,
                            Lower(*p), *p->to,
                            "upper bound " + pass.Format(*p->to) + " <= cutoff " + cutoff_text});
  }
}

// Our own retention action detached these and was interrupted before finishing (the drop, the
// archive, or the move to the archive schema). It is finished by today's policy only if the
// recorded upper bound is still expired; otherwise the table is left alone with a warning, since
// the operator may have changed their mind.
void AppendOrphans(const Pass& pass, TablePlan& plan) {
  for (const Partition& p : pass.table.partitions) {
    if (!p.detached_by_retention) continue;
    if (Expired(pass, p)) {
      const ActionKind kind = RetentionKind(pass.policy.retention_action);
      plan.actions.push_back(
          {kind, p.schema, p.name, Lower(p), *p.to,
           fmt::format("detached by an interrupted retention action; finishing the {}",
                       ToString(kind))});
    } else {
      plan.warnings.push_back(p.schema + "." + p.name +
                              " was detached by an interrupted retention action, but the policy "
                              "no longer expires it; kept (clear the mark with COMMENT ON TABLE "
                              "... IS NULL)");
    }
  }
}

void AppendFinalize(const Pass& pass, TablePlan& plan) {
  for (const Partition& p : pass.table.partitions) {
    if (!p.detach_pending || p.detached_by_retention) continue;
    if (Expired(pass, p)) continue;  // the retention action finalizes it on its way
    plan.actions.push_back({ActionKind::kFinalizeDetach, p.schema, p.name, Lower(p), Upper(p),
                            "DETACH PARTITION ... CONCURRENTLY did not finish"});
  }
}

// The default partition too: it holds stray rows of every tenant.
void AppendFidelityRepairs(const Pass& pass, TablePlan& plan) {
  for (const Partition& partition : pass.table.partitions) {
    const Partition* p = &partition;
    if (!p->security_drift || p->detach_pending || p->detached_by_retention || Expired(pass, *p)) {
      continue;
    }
    const std::string what = "RLS flags, grants or policies differ from the parent's";
    if (pass.policy.repair_fidelity) {
      plan.actions.push_back(
          {ActionKind::kRepairFidelity, p->schema, p->name, Lower(*p), Upper(*p), what});
    } else {
      plan.warnings.push_back(p->schema + "." + p->name + ": " + what + " (fidelity: report)");
    }
  }
}

// Problems that make planning impossible; the message goes into the plan's warnings.
std::optional<std::string> CannotPlan(const catalog::TableSnapshot& table,
                                      const config::TableConfig& policy) {
  if (table.error) return "not maintained: " + *table.error;
  if (policy.timezone == nullptr) return "not maintained: no time zone";
  if (policy.interval.count < 1) return "not maintained: interval must be positive";
  if (table.key_type == catalog::KeyType::kDate && IsSubDay(policy.interval)) {
    return "not maintained: interval " + policy.interval.ToString() +
           " is finer than the partition key type date";
  }
  return std::nullopt;
}

}  // namespace

TablePlan PlanTable(const catalog::TableSnapshot& table, const config::TableConfig& policy,
                    std::chrono::sys_seconds now) {
  TablePlan plan;
  if (auto problem = CannotPlan(table, policy)) {
    plan.warnings.push_back(std::move(*problem));
    return plan;
  }
  Pass pass{table, policy, *policy.timezone, NonDefault(table), {}, 0, std::nullopt};
  pass.grid = ChooseGrid(pass);
  WarnOnOffsetGrid(pass, plan);
  const LocalTime now_local = InstantToLocal(now, pass.tz);
  pass.now_cell = pass.grid.CellIndex(now_local);
  pass.cutoff = RetentionCutoff(pass, now_local);

  AppendFinalize(pass, plan);
  AppendCreates(pass, plan);
  AppendOrphans(pass, plan);
  AppendFidelityRepairs(pass, plan);
  AppendRetention(pass, plan);
  GuardRemovals(table, policy, plan);
  AppendDefaultPartition(pass, plan);
  return plan;
}

}  // namespace partitiond::planner
