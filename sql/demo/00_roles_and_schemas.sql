-- partitiond demo, step 0: roles, schemas and a loading helper. Modelled on the StellaOps schemas
-- (scheduler, vuln): time-partitioned tables, tenant isolation by row-level security.
-- Load every file of sql/demo in name order into an empty database (scripts/demo does this):
--   for f in sql/demo/*.sql; do psql -v ON_ERROR_STOP=1 -d partitiond_demo -f "$f"; done
-- Roles are cluster-wide and created only when missing; everything else lives in the database.

-- demo_owner owns the schemas and the partitioned tables, as an application's migration role
-- would. It is not a superuser, so sql/role.sql can make partitiond a member of it.
-- demo_app is the application's runtime role: it reads and writes rows, subject to RLS.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'demo_owner') THEN
    CREATE ROLE demo_owner NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'demo_app') THEN
    CREATE ROLE demo_app NOLOGIN;
  END IF;
END
$$;

CREATE SCHEMA scheduler AUTHORIZATION demo_owner;
CREATE SCHEMA vuln AUTHORIZATION demo_owner;
GRANT USAGE ON SCHEMA scheduler, vuln TO demo_app;

-- Loading helper, dropped again by the last file.
CREATE SCHEMA demo_setup;

-- Creates the partitions of `parent` whose ranges start at first_start, first_start + step, ...
-- up to and including last_start, named <table>_pYYYYMMDD (start of range in UTC), each with RLS
-- enabled, the parent's tenant policy and the parent's grants. PostgreSQL applies a parent's
-- policies only to queries through the parent, so a partition queried directly needs its own;
-- partitiond copies them onto the partitions it creates, and this gives the demo's history the same.
CREATE FUNCTION demo_setup.create_partitions(parent regclass, first_start timestamptz,
                                             last_start timestamptz, step interval)
RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
  nsp    text;
  rel    text;
  child  text;
  lo     timestamptz := first_start;
  n      integer := 0;
BEGIN
  SELECT c.relnamespace::regnamespace::text, c.relname INTO nsp, rel
    FROM pg_class c WHERE c.oid = parent;
  WHILE lo <= last_start LOOP
    child := format('%I.%I', nsp, rel || '_p' || to_char(lo AT TIME ZONE 'UTC', 'YYYYMMDD'));
    EXECUTE format('CREATE TABLE %s PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
                   child, parent, lo, lo + step);
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', child);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %s
                        USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
                        WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$,
                   child);
    EXECUTE format('GRANT SELECT, INSERT ON %s TO demo_app', child);
    lo := lo + step;
    n := n + 1;
  END LOOP;
  RETURN n;
END
$fn$;

-- A handful of tenants, so the RLS policies have something to separate.
CREATE TABLE demo_setup.tenants (n integer PRIMARY KEY, tenant_id uuid NOT NULL);
INSERT INTO demo_setup.tenants
SELECT n, gen_random_uuid() FROM generate_series(0, 4) AS n;

-- The table files run as demo_owner (SET ROLE), so the tables and partitions are owned by it.
GRANT USAGE ON SCHEMA demo_setup TO demo_owner;
GRANT SELECT ON demo_setup.tenants TO demo_owner;
