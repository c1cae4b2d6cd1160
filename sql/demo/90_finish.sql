-- Last step: drop the loading helper and gather statistics (pg_class.reltuples, which partitiond
-- reports as row estimates).
DROP FUNCTION demo_setup.create_partitions(regclass, timestamptz, timestamptz, interval);
DROP TABLE demo_setup.tenants;
DROP SCHEMA demo_setup;
-- The rule for tenant data: row level security enabled and forced, on every parent and
-- partition (the owner too is then subject to the policies; superusers still bypass them).
DO $$
DECLARE
  r regclass;
BEGIN
  FOR r IN SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname IN ('scheduler', 'vuln') AND c.relkind IN ('r', 'p')
             AND EXISTS (SELECT 1 FROM pg_attribute a
                         WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
  LOOP
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', r);
  END LOOP;
END $$;

ANALYZE;
