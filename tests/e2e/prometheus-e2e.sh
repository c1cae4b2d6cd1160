#!/usr/bin/env bash
# End to end with real parts: a throwaway PostgreSQL 15, `partitiond run` with
# metrics on a free port, and Debian's Prometheus server scraping it every second with the alert
# rules loaded. Fails if any expression of any panel of grafana/partitiond.json returns no data,
# if `promtool check metrics` rejects a real scrape, or if rows put into a default partition do
# not make PartitiondDefaultPartitionRows pending or firing in Prometheus.
# Usage: prometheus-e2e.sh PARTITIOND_BINARY
set -euo pipefail
binary=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib/throwaway-pg.sh
source "$root/scripts/lib/throwaway-pg.sh"
work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  pg_throwaway_stop
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  echo "--- partitiond log (tail)" >&2; tail -n 20 "$work/partitiond.log" >&2 || true
  echo "--- prometheus log (tail)" >&2; tail -n 20 "$work/prometheus.log" >&2 || true
  exit 1
}
# Waits up to $1 seconds for the command in the remaining arguments to succeed.
wait_for() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

pg_throwaway_start >/dev/null
createdb e2e
psql -q -v ON_ERROR_STOP=1 -d e2e <<'SQL'
CREATE SCHEMA app;
CREATE TABLE app.events (tenant_id uuid NOT NULL, at timestamptz NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE app.events_default PARTITION OF app.events DEFAULT;
ALTER TABLE app.events ENABLE ROW LEVEL SECURITY;
CREATE TABLE app.daily (at timestamptz NOT NULL) PARTITION BY RANGE (at);
SQL

cat >"$work/partitiond.yaml" <<YAML
metrics: { listen: "127.0.0.1:0" }
maintenance: { interval: 2s, jitter: 0s, lock_timeout: 200ms }
databases:
  - name: e2e
    conninfo: "host=$PGHOST port=$PGPORT user=$PGUSER dbname=e2e"
    tables:
      - { name: app.events, interval: 1 month, premake: 3, retention: 12 months }
      - { name: app.daily, interval: 1 day, premake: 7, retention: 30 days }
YAML
"$binary" run --config "$work/partitiond.yaml" >"$work/partitiond.log" 2>&1 &
pids+=($!)
wait_for 60 grep -q "pass complete (leader)" "$work/partitiond.log" || fail "no pass completed"
metrics_port=$(grep -o 'metrics listening on 127.0.0.1:[0-9]*' "$work/partitiond.log" | cut -d: -f2)

curl -sf "http://127.0.0.1:$metrics_port/metrics" >"$work/scrape.txt" || fail "scrape failed"
promtool check metrics <"$work/scrape.txt" || fail "promtool check metrics rejected the exposition"

prometheus_port=$(free_port)
cp "$root/grafana/partitiond-alerts.yml" "$work/alerts.yml"
cat >"$work/prometheus.yml" <<YAML
global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: [ "$work/alerts.yml" ]
scrape_configs:
  - job_name: partitiond
    static_configs: [ { targets: [ "127.0.0.1:$metrics_port" ] } ]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prometheus_port" --log.level=warn >"$work/prometheus.log" 2>&1 &
pids+=($!)
api="http://127.0.0.1:$prometheus_port/api/v1"
target_up() { curl -sf "$api/targets" | grep -q '"health":"up"'; }
wait_for 60 target_up || fail "Prometheus never scraped the daemon"

# The default partition is empty so far: its alert must not be active.
alert_active() {
  curl -sf "$api/alerts" | python3 -c '
import json, sys
alerts = json.load(sys.stdin)["data"]["alerts"]
sys.exit(0 if any(a["labels"]["alertname"] == sys.argv[1] and a["state"] in ("pending", "firing")
                  for a in alerts) else 1)' "$1"
}
if alert_active PartitiondDefaultPartitionRows; then fail "default-rows alert active before any row"; fi

# Every panel expression must return data (rate windows need a few scrapes: retry for a while).
python3 - "$root/grafana/partitiond.json" "$api" <<'PY' || fail "dashboard expressions without data"
import json, sys, time, urllib.parse, urllib.request
dashboard, api = sys.argv[1], sys.argv[2]
def exprs(panels):
    for p in panels:
        yield from exprs(p.get("panels", []))
        for t in p.get("targets", []):
            if t.get("expr"):
                yield p.get("title", "?"), t["expr"]
def query(expr):
    url = api + "/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)["data"]["result"]
subst = {"$__rate_interval": "30s", "$__interval": "15s", "$__range": "5m",
         "${database}": ".*", "$database": ".*", "${table}": ".*", "$table": ".*"}
panels = list(exprs(json.load(open(dashboard))["panels"]))
missing = []
deadline = time.time() + 60
for title, expr in panels:
    for k, v in subst.items():
        expr = expr.replace(k, v)
    while True:
        result = query(expr)
        if result or time.time() > deadline:
            break
        time.sleep(1)
    if not result:
        missing.append((title, expr))
print(f"{len(panels) - len(missing)} of {len(panels)} panel expressions return data")
for title, expr in missing:
    print(f"  NO DATA: {title}: {expr}")
sys.exit(1 if missing else 0)
PY

# Stray rows in the default partition: the next pass exports them, the alert becomes pending.
psql -q -v ON_ERROR_STOP=1 -d e2e -c "INSERT INTO app.events SELECT gen_random_uuid(), '2001-01-01'::timestamptz + n * interval '1 hour' FROM generate_series(1, 500) n; ANALYZE app.events_default;"
wait_for 60 alert_active PartitiondDefaultPartitionRows ||
  fail "PartitiondDefaultPartitionRows never became pending or firing"
echo "PartitiondDefaultPartitionRows is active after rows reached the default partition"
echo "OK"
