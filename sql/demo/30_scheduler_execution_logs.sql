-- scheduler.execution_logs: step-by-step logs of scheduler runs, per tenant; the high-volume table.
-- Daily RANGE partitions on started_at (UTC days) for the 730 days before today: today has no
-- partition yet, so partitiond's first pass must create it and premake the next days, and the
-- 90-day retention in config/demo.yaml leaves it some 640 old partitions to drop.
SET TimeZone = 'UTC';
SET ROLE demo_owner;

CREATE TABLE scheduler.execution_logs (
    id          uuid        NOT NULL DEFAULT gen_random_uuid(),
    tenant_id   uuid        NOT NULL,
    run_id      uuid        NOT NULL,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz,
    level       text        NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
    step        text        NOT NULL,
    message     text        NOT NULL,
    attributes  jsonb       NOT NULL DEFAULT '{}',
    PRIMARY KEY (id, started_at)
) PARTITION BY RANGE (started_at);

CREATE INDEX execution_logs_run_idx ON scheduler.execution_logs (tenant_id, run_id, started_at);
CREATE INDEX execution_logs_errors_idx ON scheduler.execution_logs (tenant_id, started_at)
    WHERE level = 'error';

ALTER TABLE scheduler.execution_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON scheduler.execution_logs
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON scheduler.execution_logs TO demo_app;

SELECT demo_setup.create_partitions('scheduler.execution_logs',
         date_trunc('day', now()) - interval '730 days',
         date_trunc('day', now()) - interval '1 day',
         interval '1 day') AS execution_logs_partitions;

-- 8000 rows spread over the covered days, grouped into runs of up to 8 steps.
SELECT setseed(0.44);
WITH span AS (SELECT date_trunc('day', now()) - interval '730 days' AS lo, date_trunc('day', now()) AS hi),
     runs AS (
       SELECT r, gen_random_uuid() AS run_id,
              span.lo + random() * (span.hi - span.lo - interval '1 hour') AS run_start
         FROM span, generate_series(1, 1000) AS r)
INSERT INTO scheduler.execution_logs (tenant_id, run_id, started_at, finished_at, level, step, message, attributes)
SELECT t.tenant_id, runs.run_id,
       runs.run_start + s * interval '20 seconds',
       runs.run_start + s * interval '20 seconds' + random() * interval '19 seconds',
       CASE WHEN s = 8 AND r % 13 = 0 THEN 'error' WHEN s = 1 THEN 'debug' ELSE 'info' END,
       (ARRAY['fetch', 'resolve', 'scan', 'match', 'score', 'policy', 'report', 'publish'])[s],
       CASE WHEN s = 8 AND r % 13 = 0 THEN 'publish failed: upstream timed out' ELSE 'step completed' END,
       jsonb_build_object('worker', 'worker-' || (r % 16), 'attempt', 1 + (r % 13 = 0)::int)
  FROM runs
  CROSS JOIN generate_series(1, 8) AS s
  JOIN demo_setup.tenants t ON t.n = runs.r % 5;
