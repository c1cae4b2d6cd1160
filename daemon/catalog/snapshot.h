// What the catalog says about the managed tables of one database, read in one query per pass.
// Plain data: the planner consumes it without any I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/config/config.h"

namespace partitiond::catalog {

enum class KeyType { kDate, kTimestamp, kTimestamptz };
std::string_view ToString(KeyType type);

// A value of the partition key, in the key's own domain, as microseconds since 1970-01-01 00:00:
// for timestamptz an instant (UTC); for timestamp and date the naive wall-clock reading.
using KeyValue = std::chrono::microseconds;

struct Partition {
  std::string schema;
  std::string name;
  std::string bound_expr;  // pg_get_expr(relpartbound), kept for messages
  bool is_default = false;
  bool detach_pending = false;  // a DETACH ... CONCURRENTLY that did not finish
  // No longer a partition: our retention drop detached it and was interrupted before the DROP
  // (found by the mark the executor left on it). Only `to`, recorded in the mark, is known.
  bool detached_by_retention = false;
  std::optional<KeyValue> from;  // nullopt: MINVALUE (or the default partition)
  std::optional<KeyValue> to;    // nullopt: MAXVALUE (or the default partition)
  std::int64_t bytes = 0;     // table + indexes + TOAST, from pg_class statistics (no locks taken)
  double rows_estimate = 0;   // pg_class.reltuples, 0 when never analyzed
  bool row_security = false;  // relrowsecurity
  // RLS flags, grants (other than the owner's) or policies differ from the parent's.
  bool security_drift = false;
};

struct Grant {
  std::string privilege;  // SELECT, INSERT, ...
  std::string grantee;    // a role name; empty: PUBLIC
  bool grantable = false;
};

struct Policy {
  std::string name;
  bool permissive = true;
  std::string command;             // pg_policy.polcmd: r a w d *
  std::vector<std::string> roles;  // role names; "" stands for PUBLIC
  std::optional<std::string> using_expr;
  std::optional<std::string> check_expr;
};

// One configured table. When `error` is set the table cannot be maintained this pass (it does not
// exist, is not RANGE-partitioned on one date/timestamp/timestamptz column, ...) and the other
// fields past `configured` are unspecified.
struct TableSnapshot {
  config::QualifiedName configured;
  std::optional<std::string> error;
  std::uint32_t oid = 0;
  std::string owner;
  std::string tablespace;  // where new partitions go (the parent's reltablespace); empty: default
  std::string key_column;
  KeyType key_type = KeyType::kTimestamptz;
  bool row_security = false;
  // Fidelity: what every new partition carries over (PostgreSQL applies a parent's policies only to
  // queries through the parent, so a partition without them leaks across tenants when queried
  // directly). Grants to the owner are left out: ownership brings them.
  bool force_row_security = false;
  std::string replica_identity = "d";  // pg_class.relreplident: d n f i
  std::vector<Grant> grants;
  std::vector<Policy> policies;
  std::vector<Partition> partitions;  // ordered by lower bound, default partition last

  const Partition* DefaultPartition() const;
};

struct DatabaseSnapshot {
  bool in_recovery = false;           // a standby: observe only
  bool state_schema_present = false;  // partitiond.audit exists
  std::vector<TableSnapshot> tables;  // one per configured table, in config order
  // The server's now(), read by the snapshot query itself, to check the host's clock; nullopt
  // when the query returned no row (no table asked for).
  std::optional<std::chrono::sys_seconds> server_now;
};

// Parses one literal as printed by PostgreSQL with DateStyle=ISO and TimeZone=UTC
// ("2024-01-01", "2024-01-01 00:00:00", "2024-01-01 00:00:00.5+00", "infinity").
// Returns nullopt when the text is not such a literal.
std::optional<KeyValue> ParseKeyLiteral(std::string_view text, KeyType type);

// Parses "FOR VALUES FROM (a) TO (b)" / "DEFAULT" into the partition's from, to and is_default.
// Returns false when the expression is not a single-column RANGE bound of this key type.
bool ParseRangeBound(std::string_view bound_expr, KeyType type, Partition& partition);

// Renders a key value as a PostgreSQL literal body (without quotes) for the key type:
// "2024-01-01" for date, "2024-01-01 00:00:00" for timestamp, "2024-01-01 00:00:00+00" for
// timestamptz.
std::string FormatKeyLiteral(KeyValue value, KeyType type);

}  // namespace partitiond::catalog
