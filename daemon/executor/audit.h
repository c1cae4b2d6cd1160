// Writes a row per attempted action (and per step of the actions that record steps) to
// partitiond.audit (see sql/schema.sql).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "daemon/executor/executor.h"
#include "daemon/pg/connection.h"
#include "daemon/planner/planner.h"

namespace partitiond::executor {

struct AuditRecord {
  std::chrono::system_clock::time_point started_at;
  std::string database;   // the config label
  std::string table;      // parent, schema.table
  std::string partition;  // schema.table
  std::string action;     // planner::ToString(kind), or "restore"
  ActionResult result;
};

// Inserts the records (each action's step rows, then its summary row) in one autocommit
// statement; nothing for an empty list. Throws pg::Error on failure.
asio::awaitable<void> WriteAudit(pg::Connection& conn, const std::vector<AuditRecord>& records);

// This host's name as the audit (and the leadership lease) records it; "unknown" if unavailable.
std::string HostName();

}  // namespace partitiond::executor
