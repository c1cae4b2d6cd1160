-- How long ATTACH holds the default partition's ACCESS EXCLUSIVE lock, with and without an
-- exclusion CHECK on the default (README "Default partitions"). Run on a throwaway database:
--   psql -v ON_ERROR_STOP=1 -d scratch -f tests/bench/default-attach.sql
-- With client_min_messages = debug1 PostgreSQL says whether it scanned the default
-- ("verifying table") or proved it clean ("is implied by existing constraints").
DROP TABLE IF EXISTS bench_default_attach CASCADE;
CREATE TABLE bench_default_attach (at timestamptz NOT NULL, v int) PARTITION BY RANGE (at);
CREATE INDEX ON bench_default_attach (at);
CREATE TABLE bench_default_attach_p1 PARTITION OF bench_default_attach
  FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE bench_default_attach_default PARTITION OF bench_default_attach DEFAULT;
-- 2,000,000 far-future rows that belong to no partition.
INSERT INTO bench_default_attach
  SELECT '2030-01-01'::timestamptz + i * interval '1 second', i FROM generate_series(1, 2000000) i;
ANALYZE bench_default_attach;
CREATE TABLE bench_default_attach_p2 (LIKE bench_default_attach INCLUDING ALL);
ALTER TABLE bench_default_attach_p2 ADD CONSTRAINT b
  CHECK (at IS NOT NULL AND at >= '2026-02-01' AND at < '2026-03-01');
SET client_min_messages = debug1;
\timing on
\echo 'ATTACH scanning the default (ACCESS EXCLUSIVE on it for the whole statement):'
BEGIN;
ALTER TABLE bench_default_attach ATTACH PARTITION bench_default_attach_p2
  FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
ROLLBACK;
\echo 'Exclusion CHECK: NOT VALID (instant), VALIDATE (SHARE UPDATE EXCLUSIVE), then ATTACH:'
ALTER TABLE bench_default_attach_default ADD CONSTRAINT excl
  CHECK (at < '2026-02-01' OR at >= '2026-03-01') NOT VALID;
ALTER TABLE bench_default_attach_default VALIDATE CONSTRAINT excl;
BEGIN;
ALTER TABLE bench_default_attach ATTACH PARTITION bench_default_attach_p2
  FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
ROLLBACK;
\timing off
RESET client_min_messages;
DROP TABLE bench_default_attach CASCADE;
DROP TABLE bench_default_attach_p2;
