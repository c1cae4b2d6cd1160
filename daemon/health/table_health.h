// The health model of one managed table after a pass: what the metrics export and `partitiond
// status` prints. Derived from the pass report alone (the snapshot, corrected by the actions that
// succeeded), so it costs no extra query.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "daemon/maintenance/pass.h"

namespace partitiond::health {

struct TableHealth {
  std::string table;                                     // schema.table
  std::optional<std::string> error;                      // the table could not be read or planned
  int partitions = 0;                                    // range partitions present after the pass
  std::optional<std::chrono::sys_seconds> coverage_end;  // upper bound of the newest partition
  std::optional<std::chrono::sys_seconds> oldest_start;  // lower bound of the oldest partition
  double interval_seconds = 0;                           // nominal length of one interval
  int premake = 0;
  double retention_seconds = 0;  // now - cutoff; 0 when kept forever
  // How far past the cutoff the oldest expired partition still present ends; 0 when compliant.
  double retention_overdue_seconds = 0;
  bool default_present = false;
  double default_rows = 0;
  std::int64_t bytes = 0;
  int partitions_without_rls = 0;  // when the parent has RLS
  int partitions_drifted = 0;      // RLS flags, grants or policies differ from the parent's
  int failed_actions = 0;
};

// `now` is the pass's time. Key values of date/timestamp keys are read in the table's time zone.
TableHealth AssessTable(const maintenance::TableReport& report, std::chrono::sys_seconds now);

// Nominal seconds in one interval: month = 30.436875 days, year = 365.2425 days.
double NominalSeconds(const config::CalendarInterval& interval);

}  // namespace partitiond::health
