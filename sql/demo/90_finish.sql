-- Last step: drop the loading helper and gather statistics (pg_class.reltuples, which partitiond
-- reports as row estimates).
DROP FUNCTION demo_setup.create_partitions(regclass, timestamptz, timestamptz, interval);
DROP TABLE demo_setup.tenants;
DROP SCHEMA demo_setup;
ANALYZE;
