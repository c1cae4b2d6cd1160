#!/usr/bin/env bash
# Footprint of an idle `partitiond run` with 100 managed tables:
#  - resident memory (VmRSS) after the first pass must stay under 30 MiB;
#  - between passes the daemon must use no CPU at all: no polling loops, only timers.
# Usage: check-footprint.sh PARTITIOND_BINARY [IDLE_SECONDS]. Prints the figures it measured.
set -euo pipefail
binary=$1
idle_seconds=${2:-5}
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib/throwaway-pg.sh
source "$root/scripts/lib/throwaway-pg.sh"
work=$(mktemp -d)
daemon_pid=
cleanup() {
  [ -n "$daemon_pid" ] && kill -9 "$daemon_pid" 2>/dev/null || true
  pg_throwaway_stop
  rm -rf "$work"
}
trap cleanup EXIT
pg_throwaway_start >/dev/null
createdb footprint
psql -q -v ON_ERROR_STOP=1 -d footprint -c "CREATE SCHEMA app; DO \$\$ BEGIN FOR i IN 1..100 LOOP
  EXECUTE format('CREATE TABLE app.t%s (id bigint, at timestamptz NOT NULL) PARTITION BY RANGE (at)', i);
END LOOP; END \$\$;"

{
  echo "maintenance: { interval: 1h, jitter: 0s }"
  echo "databases:"
  echo "  - name: footprint"
  echo "    conninfo: \"host=$PGHOST port=$PGPORT user=$PGUSER dbname=footprint\""
  echo "    tables:"
  for i in $(seq 1 100); do echo "      - { name: app.t$i, interval: 1 day, premake: 7 }"; done
} >"$work/partitiond.yaml"

"$binary" run --config "$work/partitiond.yaml" 2>"$work/log" &
daemon_pid=$!
# The first pass creates 8 partitions for each of the 100 tables; wait for its log line.
for _ in $(seq 1 600); do
  grep -q "pass complete" "$work/log" && break
  kill -0 "$daemon_pid" 2>/dev/null || { cat "$work/log"; echo "daemon died" >&2; exit 1; }
  sleep 0.1
done
grep -q "pass complete (leader): 800 action(s), 0 table(s) failed" "$work/log" || {
  cat "$work/log"; echo "first pass did not create the 800 partitions" >&2; exit 1; }

# Per-thread scheduler statistics (/proc/PID/task/TID/schedstat: ns on CPU, ns waiting, times run)
# are exact, unlike utime/stime, which are whole 10 ms ticks: a counter just below a tick boundary
# flips on a microsecond of work, which made an earlier tick-based check flaky under load.
# Prints "<tid> <comm> <ns on cpu> <times run>" per thread.
thread_stats() {
  local task
  for task in /proc/"$daemon_pid"/task/*; do
    printf '%s %s %s\n' "${task##*/}" "$(cat "$task/comm")" "$(awk '{ print $1, $3 }' "$task/schedstat")"
  done | sort
}
before=$(thread_stats)
sleep "$idle_seconds"   # measuring idleness: time must pass here
after=$(thread_stats)
rss_kib=$(awk '/^VmRSS:/ { print $2 }' "/proc/$daemon_pid/status")
# No thread (the event loop, the metrics server and its render thread) may run at all while idle:
# a wake-up there is a polling loop. The CPU budget covers the measurement's own noise.
report=$(join <(echo "$before") <(echo "$after") | awk '
  $2 == $5 { cpu_ns = $6 - $3; runs = $7 - $4; total_ns += cpu_ns
    printf "  thread %-16s ran %d time(s), %.3f ms CPU\n", $2, runs, cpu_ns / 1e6
    if (runs > 0) own_wakeups += runs }
  END { printf "total %.3f ms CPU; own-thread wake-ups %d\n", total_ns / 1e6, own_wakeups
        exit (own_wakeups > 0 || total_ns > 20e6) ? 1 : 0 }') && idle_ok=1 || idle_ok=0
echo "idle ${idle_seconds}s with 100 tables; VmRSS ${rss_kib} KiB"
echo "$report"
[ "$idle_ok" = 1 ] || { echo "FAIL: CPU used while idle (own threads must not wake; total budget 20 ms)" >&2; exit 1; }
[ "$rss_kib" -lt $((30 * 1024)) ] || { echo "FAIL: resident memory ${rss_kib} KiB >= 30 MiB" >&2; exit 1; }
echo "OK"
