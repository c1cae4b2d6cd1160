-- partitiond state schema. Idempotent: safe to run on every start and by hand.
-- Run as the database owner (or a role allowed to CREATE in the database) before the daemon starts
-- as its unprivileged role, or let the daemon create it on first start if that role may.
--
-- Versioned: partitiond.schema_version holds the version this script last brought the schema to.
-- The script upgrades any older schema in place (everything below is idempotent) and refuses a
-- newer one, so that it never downgrades. The version is written once, in the set_config call
-- below; the INSERT at the end reads it back, and the daemon needs the version of the copy of this
-- script it was built with.
DO $version$
DECLARE
  script integer := set_config('partitiond.schema_version', '2', false)::integer;
  found  integer;
BEGIN
  IF to_regclass('partitiond.schema_version') IS NOT NULL THEN
    EXECUTE 'SELECT max(version) FROM partitiond.schema_version' INTO found;
    IF found > script THEN
      RAISE EXCEPTION 'state schema partitiond in database "%" is version %, newer than version % of this script; refusing to downgrade it',
                      current_database(), found, script
        USING HINT = 'Run the sql/schema.sql that came with the newest partitiond using this database.';
    END IF;
  END IF;
END
$version$;

CREATE SCHEMA IF NOT EXISTS partitiond;

-- One row per action the daemon attempted: what, when, outcome, how long, and why it failed.
CREATE TABLE IF NOT EXISTS partitiond.audit (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at     timestamptz NOT NULL,
    database_label text        NOT NULL,          -- databases[].name from the config
    table_name     text        NOT NULL,          -- the partitioned parent, schema.table
    partition_name text        NOT NULL,          -- the partition acted on, schema.table
    action         text        NOT NULL,
    outcome        text        NOT NULL CHECK (outcome IN ('ok', 'failed', 'skipped')),
    attempts       integer     NOT NULL,
    duration_ms    double precision NOT NULL,
    sqlstate       text,
    error          text,
    daemon_host    text        NOT NULL,
    daemon_pid     integer     NOT NULL
);

-- Added after the first version; ADD COLUMN IF NOT EXISTS upgrades an existing table.
-- step: NULL on the row summing up an action; the step's name (detach, write, verify, drop,
-- ...) on the rows an archive action writes for each of its steps. detail: what a step produced
-- (archive file, rows, bytes, sha256).
ALTER TABLE partitiond.audit ADD COLUMN IF NOT EXISTS step text;
ALTER TABLE partitiond.audit ADD COLUMN IF NOT EXISTS detail jsonb;

-- The action list grows with new versions; the constraint is (re)made here so that running this
-- script upgrades an existing table.
ALTER TABLE partitiond.audit DROP CONSTRAINT IF EXISTS audit_action_check;
ALTER TABLE partitiond.audit ADD CONSTRAINT audit_action_check
    CHECK (action IN ('create', 'finalize_detach', 'drop', 'detach', 'archive', 'repair_fidelity',
                      'restore', 'create_default', 'drop_default'));

CREATE INDEX IF NOT EXISTS audit_started_at_idx ON partitiond.audit (started_at);
CREATE INDEX IF NOT EXISTS audit_table_idx ON partitiond.audit (table_name, started_at);

-- The leadership lease: one row, rewritten by the leading daemon at least twice per maintenance
-- interval. A follower that finds it stale for the lock holder's backend ends that session (a
-- frozen leader keeps its advisory lock for as long as its host answers TCP keepalives).
CREATE TABLE IF NOT EXISTS partitiond.leader (
    singleton    boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    backend_pid  integer     NOT NULL,          -- pg_backend_pid() of the session holding the lock
    daemon_host  text        NOT NULL,
    daemon_pid   integer     NOT NULL,
    heartbeat_at timestamptz NOT NULL           -- the server's clock_timestamp() at the beat
);

-- The version of this schema (one row). Version 1 is every schema made before this table existed.
CREATE TABLE IF NOT EXISTS partitiond.schema_version (
    singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    version    integer     NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()   -- when this version was applied
);
INSERT INTO partitiond.schema_version AS v (version)
VALUES (current_setting('partitiond.schema_version')::integer)
ON CONFLICT (singleton) DO UPDATE SET version = excluded.version, applied_at = excluded.applied_at
    WHERE v.version < excluded.version;
