// The bounds every configured quantity is held to (daemon/config checks them, with the position of
// the offending value). They are generous for any real deployment and keep the arithmetic done on
// them downstream far from overflow: durations are std::chrono::milliseconds (int64), calendar
// steps are added to local times that must stay within years 1..9999 (planner/calendar.h), and
// retry backoff doubles lock_timeout up to 20 times (common/env.h).
#pragma once

#include <chrono>
#include <cstdint>

namespace partitiond::config {

// premake: 1000 partitions ahead is 41 days of hourly, 2.7 years of daily or 83 years of monthly
// partitions. Every partition is a relation (with its indexes) that the planner of every query
// on the parent may consider, so a larger premake is almost certainly a typo. It is also the
// planner's per-pass creation cap, so one pass can always create the current period and reach
// nearly all of premake.
inline constexpr std::int64_t kMaxPremake = 1000;
// premake x interval: how far ahead partitions are made. A century keeps every boundary the
// planner computes within the calendar's range, whatever the interval.
inline constexpr std::int64_t kMaxPremakeYears = 100;
// interval: a decade per partition is already a table that will never see a second partition.
inline constexpr std::int64_t kMaxIntervalYears = 10;
// retention: a century; longer is "keep forever", which is written by leaving retention out.
inline constexpr std::int64_t kMaxRetentionYears = 100;
// max_removals_per_pass: as many as the planner creates at most in one pass.
inline constexpr std::int64_t kMaxRemovalsPerPass = 1000;

// maintenance.interval: a pass more often than every second only loads the server; less often
// than weekly lets an hourly or daily table run out of premade partitions between passes.
inline constexpr std::chrono::milliseconds kMinMaintenanceInterval = std::chrono::seconds(1);
inline constexpr std::chrono::milliseconds kMaxMaintenanceInterval = std::chrono::days(7);
// maintenance.lock_timeout: application queries queue behind a DDL waiting for its lock, so a wait
// longer than a minute is an outage rather than a timeout.
inline constexpr std::chrono::milliseconds kMaxLockTimeout = std::chrono::minutes(1);
// maintenance.statement_timeout: a day covers any ATTACH validation or batched move; a statement
// running longer is stuck.
inline constexpr std::chrono::milliseconds kMaxStatementTimeout = std::chrono::hours(24);
// maintenance.archive_timeout: long enough for a LOCK and a small COPY, short enough that a
// frozen archive cannot hold back VACUUM for more than a day.
inline constexpr std::chrono::milliseconds kMinArchiveTimeout = std::chrono::seconds(1);
inline constexpr std::chrono::milliseconds kMaxArchiveTimeout = std::chrono::hours(24);
// maintenance.max_attempts: with the retry backoff capped at 30 s, a hundred attempts already keep
// one action retrying for most of an hour.
inline constexpr std::int64_t kMaxAttempts = 100;

}  // namespace partitiond::config
