#!/usr/bin/env bash
# Tests sql/validate_rls.sql both ways on a throwaway PostgreSQL 15 cluster:
#  - a healthy schema (partitioned tables with tenant_id, two partition levels, a parent with a
#    dropped column, a partition attached with another column order, odd identifiers; RLS enabled
#    and forced with the same policies on every level) passes, also for a non-superuser role;
#  - each breakage, in a fresh copy of that database, makes the script exit non-zero with a report
#    that names exactly the offending tables with the expected problems;
#  - the script changes nothing: a catalog fingerprint (and the cluster's next transaction id) is
#    the same before and after every run.
# Usage: tests/sql/check-validate-rls.sh   (no arguments)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
validator=$root/sql/validate_rls.sql
# shellcheck source=scripts/lib/throwaway-pg.sh
source "$root/scripts/lib/throwaway-pg.sh"
work=$(mktemp -d)
cleanup() {
  pg_throwaway_stop
  rm -rf "$work"
}
trap cleanup EXIT

failures=0
fail() {
  echo "check-validate-rls: FAIL: $*" >&2
  failures=$((failures + 1))
}

[[ -f $validator ]] || { echo "check-validate-rls: missing $validator" >&2; exit 1; }
pg_throwaway_start >/dev/null
# Nothing else may assign transaction ids while we compare before/after (autoanalyze would).
psql -XqAt -v ON_ERROR_STOP=1 -d postgres -c "ALTER SYSTEM SET autovacuum = off" -c "SELECT pg_reload_conf()" >/dev/null
psql -Xq -v ON_ERROR_STOP=1 -d postgres <<'SQL'
CREATE ROLE rls_app NOLOGIN;
CREATE ROLE rls_reader NOLOGIN;
CREATE ROLE rls_auditor LOGIN;   -- a plain role: the validator must work without superuser
SQL

# ---------------------------------------------------------------------------------------------
# The healthy schema, built once into a template database.
createdb healthy
psql -Xq -v ON_ERROR_STOP=1 -d healthy >/dev/null <<'SQL'
CREATE SCHEMA app;
-- RLS enabled and forced, and the same three policies, on any table it is given.
CREATE FUNCTION app.secure(t regclass) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', t);
  EXECUTE format($p$CREATE POLICY tenant_isolation ON %s TO rls_app
                      USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
                      WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
  EXECUTE format('CREATE POLICY hide_deleted ON %s AS RESTRICTIVE FOR SELECT TO rls_reader, rls_app
                    USING (NOT deleted)', t);
  EXECUTE format($p$CREATE POLICY reader_read ON %s FOR SELECT TO rls_reader
                      USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
END
$fn$;

-- A parent with a dropped column (its attribute numbers differ from its partitions'), a partition
-- attached with its columns in another order, and one created as PARTITION OF.
CREATE TABLE app.events (legacy int, tenant_id uuid NOT NULL, occurred_at timestamptz NOT NULL,
                         deleted boolean NOT NULL DEFAULT false, payload jsonb)
  PARTITION BY RANGE (occurred_at);
ALTER TABLE app.events DROP COLUMN legacy;
CREATE TABLE app.events_p20240101 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE app.events_p20240201 (payload jsonb, deleted boolean NOT NULL DEFAULT false,
                                   occurred_at timestamptz NOT NULL, tenant_id uuid NOT NULL);
ALTER TABLE app.events ATTACH PARTITION app.events_p20240201 FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
CREATE TABLE app.events_p20240301 PARTITION OF app.events FOR VALUES FROM ('2024-03-01') TO ('2024-04-01');
SELECT app.secure(t) FROM unnest('{app.events, app.events_p20240101, app.events_p20240201,
                                   app.events_p20240301}'::regclass[]) AS t;

-- Two levels: range by year, then hash by tenant.
CREATE TABLE app.logs (tenant_id uuid NOT NULL, at timestamptz NOT NULL, deleted boolean NOT NULL DEFAULT false,
                       line text) PARTITION BY RANGE (at);
CREATE TABLE app.logs_p2024 PARTITION OF app.logs FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')
  PARTITION BY HASH (tenant_id);
CREATE TABLE app.logs_p2024_h0 PARTITION OF app.logs_p2024 FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE app.logs_p2024_h1 PARTITION OF app.logs_p2024 FOR VALUES WITH (MODULUS 2, REMAINDER 1);
SELECT app.secure(t) FROM unnest('{app.logs, app.logs_p2024, app.logs_p2024_h0, app.logs_p2024_h1}'::regclass[]) AS t;

-- A plain tenant table, secured.
CREATE TABLE app.tenant_settings (tenant_id uuid NOT NULL, deleted boolean NOT NULL DEFAULT false, value jsonb);
SELECT app.secure('app.tenant_settings');

-- Odd identifiers.
CREATE SCHEMA "Odd Schema";
CREATE TABLE "Odd Schema"."Ev""ents" (tenant_id uuid NOT NULL, at date NOT NULL, deleted boolean NOT NULL DEFAULT false)
  PARTITION BY RANGE (at);
CREATE TABLE "Odd Schema"."Ev""ents 2024" PARTITION OF "Odd Schema"."Ev""ents"
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
SELECT app.secure(t) FROM unnest(ARRAY['"Odd Schema"."Ev""ents"', '"Odd Schema"."Ev""ents 2024"']::regclass[]) AS t;

-- No tenant_id and no RLS anywhere: not a tenant table, its partition matches its parent.
CREATE TABLE app.metrics (at timestamptz NOT NULL, value float8) PARTITION BY RANGE (at);
CREATE TABLE app.metrics_p2024 PARTITION OF app.metrics FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');

-- partitiond's own schema is out of scope.
CREATE SCHEMA partitiond;
CREATE TABLE partitiond.audit_like (tenant_id uuid, what text);

-- A few rows (fewer than autoanalyze's threshold anyway; autovacuum is off).
INSERT INTO app.events (tenant_id, occurred_at)
SELECT gen_random_uuid(), timestamptz '2024-01-15' + i * interval '1 day' FROM generate_series(0, 60) AS i;
INSERT INTO app.logs (tenant_id, at, line) SELECT gen_random_uuid(), '2024-06-01', 'x' FROM generate_series(1, 10);
SQL
# Tenant tables (4 events + 4 logs + tenant_settings + 2 odd) and partitions (+ metrics_p2024).
expected_checked=12

# Prints a fingerprint of the database's catalogs that RLS validation could touch, and the
# cluster's next transaction id (any write, even rolled back, would consume one).
fingerprint() {
  psql -XqAt -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
SELECT md5(string_agg(x, E'\n' ORDER BY x)) FROM (
  SELECT format('class %s %s %s %s %s %s %s %s %s %s %s', oid, relname, relnamespace, relkind, relowner,
                relacl, relfilenode, relrowsecurity, relforcerowsecurity, relispartition, reloptions)
    FROM pg_class
  UNION ALL SELECT format('policy %s', p.*) FROM pg_policy p
  UNION ALL SELECT format('namespace %s', n.*) FROM pg_namespace n
  UNION ALL SELECT format('attribute %s %s %s %s %s %s', attrelid, attnum, attname, atttypid, attisdropped, attnotnull)
              FROM pg_attribute
  UNION ALL SELECT format('inherits %s', i.*) FROM pg_inherits i
  UNION ALL SELECT format('role %s %s', oid, rolname) FROM pg_roles
  UNION ALL SELECT format('next xid %s', pg_snapshot_xmax(pg_current_snapshot()))
) s(x);
SQL
}

# run_validator DB [psql options...]: runs the documented command; sets $rc, $out (stdout+stderr).
run_validator() {
  local db=$1
  shift
  local before after
  before=$(fingerprint "$db")
  rc=0
  out=$(psql -X "$@" -f "$validator" "$db" 2>&1) || rc=$?
  after=$(fingerprint "$db")
  [[ $before == "$after" ]] || fail "$db: the validator changed the catalogs or wrote something"
}

# The tables a failure report names: first column of psql's aligned output, sorted, one a line.
reported_tables() {
  awk -F ' [|] ' '/^-+\+/ { rows = 1; next } /^\([0-9]+ rows?\)$/ { rows = 0 }
                  rows && NF >= 3 { sub(/^ +/, "", $1); sub(/ +$/, "", $1); print $1 }' <<<"$out" | sort -u
}

# --- healthy ------------------------------------------------------------------------------------
run_validator healthy -v ON_ERROR_STOP=1
if [[ $rc -ne 0 ]] || ! grep -qx "RLS validation passed: $expected_checked tables checked" <<<"$out"; then
  fail "healthy schema: expected exit 0 and 'RLS validation passed: $expected_checked tables checked', got rc=$rc:"$'\n'"$out"
else
  echo "ok healthy: $(tail -n 1 <<<"$out")"
fi
run_validator healthy -v ON_ERROR_STOP=1 -U rls_auditor
if [[ $rc -ne 0 ]] || ! grep -qx "RLS validation passed: $expected_checked tables checked" <<<"$out"; then
  fail "healthy schema as the non-superuser rls_auditor: rc=$rc:"$'\n'"$out"
else
  echo "ok healthy as non-superuser"
fi

# --- breakages ----------------------------------------------------------------------------------
# breakage NAME SQL EXPECTED_TABLES EXPECTED_PROBLEM... : fresh copy of the healthy database,
# SQL applied, the validator must fail naming exactly EXPECTED_TABLES (newline-separated, as the
# report quotes them) and the report must contain each EXPECTED_PROBLEM line fragment.
breakage() {
  local name=$1 sql=$2 expected=$3
  shift 3
  local db=case_$name
  createdb -T healthy "$db"
  psql -Xq -v ON_ERROR_STOP=1 -d "$db" -c "$sql"
  run_validator "$db" -v ON_ERROR_STOP=1
  local ok=1 tables
  tables=$(reported_tables)
  if [[ $rc -eq 0 ]]; then
    fail "$name: validator exited 0"
    ok=0
  fi
  if ! grep -q '^psql:.*ERROR:  RLS validation failed: [0-9]* problem(s), listed above' <<<"$out"; then
    fail "$name: no 'RLS validation failed' error"
    ok=0
  fi
  if [[ $tables != "$(sort -u <<<"$expected")" ]]; then
    fail "$name: report names [$(tr '\n' ' ' <<<"$tables")], expected [$(tr '\n' ' ' <<<"$expected")]"
    ok=0
  fi
  local problem
  for problem in "$@"; do
    if ! grep -qF -- "$problem" <<<"$out"; then
      fail "$name: report lacks '$problem'"
      ok=0
    fi
  done
  if [[ $ok -eq 1 ]]; then
    echo "ok $name: rc=$rc, names $(tr '\n' ' ' <<<"$tables")"
  else
    echo "--- validator output for $name:" >&2
    echo "$out" >&2
  fi
}

breakage partition_without_rls \
  "ALTER TABLE app.events_p20240201 DISABLE ROW LEVEL SECURITY, NO FORCE ROW LEVEL SECURITY" \
  "app.events_p20240201" \
  "| RLS not enabled" \
  "| RLS flags differ from parent | enabled=false forced=false here, enabled=true forced=true on parent app.events"

breakage partition_not_forced \
  "ALTER TABLE app.events_p20240301 NO FORCE ROW LEVEL SECURITY" \
  "app.events_p20240301" \
  "| RLS not forced" \
  "| enabled=true forced=false here, enabled=true forced=true on parent app.events"

breakage partition_missing_policy \
  "DROP POLICY hide_deleted ON app.events_p20240101" \
  "app.events_p20240101" \
  "| policy missing | policy hide_deleted of parent app.events is not on the partition"

breakage partition_policy_other_using \
  "DROP POLICY tenant_isolation ON app.events_p20240201;
   CREATE POLICY tenant_isolation ON app.events_p20240201 TO rls_app USING (true)
     WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)" \
  "app.events_p20240201" \
  "| policy differs | policy tenant_isolation: USING true here, USING (tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid) on parent app.events"

breakage plain_table_without_rls \
  "CREATE TABLE app.notes (id int, tenant_id uuid)" \
  "app.notes" \
  "| RLS not enabled" "| no policy"

breakage subpartition_missing_policies \
  "DROP POLICY tenant_isolation ON app.logs_p2024_h1; DROP POLICY hide_deleted ON app.logs_p2024_h1;
   DROP POLICY reader_read ON app.logs_p2024_h1" \
  "app.logs_p2024_h1" \
  "| no policy" \
  "| policy missing | policy tenant_isolation of root app.logs (via app.logs_p2024) is not on the partition" \
  "| policy missing | policy hide_deleted of root app.logs" \
  "| policy missing | policy reader_read of root app.logs"

# Beyond the basic checks: roles, an extra policy (odd identifiers), and a policy changed on the
# parent only (drift: every partition is reported).
breakage partition_policy_other_roles \
  "ALTER POLICY reader_read ON app.logs_p2024 TO rls_app" \
  "app.logs_p2024" \
  "| policy differs | policy reader_read: TO rls_app here, TO rls_reader on parent app.logs"

breakage partition_extra_policy \
  "CREATE POLICY \"open all\" ON \"Odd Schema\".\"Ev\"\"ents 2024\" USING (true)" \
  '"Odd Schema"."Ev""ents 2024"' \
  '| extra policy | policy "open all" is not on the root of the partition tree'

breakage parent_policy_changed \
  "ALTER POLICY hide_deleted ON app.events USING (NOT deleted AND payload IS NOT NULL)" \
  "app.events_p20240101
app.events_p20240201
app.events_p20240301" \
  "| policy differs | policy hide_deleted: USING (NOT deleted) here, USING ((NOT deleted) AND (payload IS NOT NULL)) on parent app.events"

# Without -v ON_ERROR_STOP=1 the script still fails: it sets ON_ERROR_STOP itself.
createdb -T healthy case_no_on_error_stop_flag
psql -Xq -v ON_ERROR_STOP=1 -d case_no_on_error_stop_flag -c "ALTER TABLE app.logs_p2024_h0 NO FORCE ROW LEVEL SECURITY"
run_validator case_no_on_error_stop_flag
if [[ $rc -eq 0 ]] || grep -q "RLS validation passed" <<<"$out"; then
  fail "without -v ON_ERROR_STOP=1: rc=$rc:"$'\n'"$out"
else
  echo "ok without -v ON_ERROR_STOP=1: rc=$rc"
fi

if [[ $failures -gt 0 ]]; then
  echo "check-validate-rls: $failures failure(s)" >&2
  exit 1
fi
echo "check-validate-rls: all cases passed"
