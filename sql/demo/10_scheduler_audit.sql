-- scheduler.audit: who did what to which scheduler object, per tenant. Monthly RANGE partitions on
-- occurred_at (UTC month boundaries), the 24 months before the current one: the current month has
-- no partition yet, so partitiond's first pass must create it (and premake the next ones).
SET TimeZone = 'UTC';
SET ROLE demo_owner;

CREATE TABLE scheduler.audit (
    id            uuid        NOT NULL DEFAULT gen_random_uuid(),
    tenant_id     uuid        NOT NULL,
    occurred_at   timestamptz NOT NULL DEFAULT now(),
    actor         text        NOT NULL,                 -- user or service principal
    action        text        NOT NULL,                 -- schedule.create, run.cancel, ...
    resource_type text        NOT NULL,
    resource_id   text        NOT NULL,
    details       jsonb       NOT NULL DEFAULT '{}',
    PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);

CREATE INDEX audit_tenant_occurred_idx ON scheduler.audit (tenant_id, occurred_at DESC);
CREATE INDEX audit_resource_idx ON scheduler.audit (resource_type, resource_id);

ALTER TABLE scheduler.audit ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON scheduler.audit
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON scheduler.audit TO demo_app;

SELECT demo_setup.create_partitions('scheduler.audit',
         date_trunc('month', now()) - interval '24 months',
         date_trunc('month', now()) - interval '1 month',
         interval '1 month') AS audit_partitions;

-- 6000 rows spread over the covered months.
SELECT setseed(0.42);
WITH span AS (SELECT date_trunc('month', now()) - interval '24 months' AS lo, date_trunc('month', now()) AS hi)
INSERT INTO scheduler.audit (tenant_id, occurred_at, actor, action, resource_type, resource_id, details)
SELECT t.tenant_id,
       span.lo + random() * (span.hi - span.lo),
       (ARRAY['alice@example.com', 'bob@example.com', 'svc-scheduler', 'svc-ci'])[1 + i % 4],
       (ARRAY['schedule.create', 'schedule.update', 'run.start', 'run.cancel', 'schedule.delete'])[1 + i % 5],
       (ARRAY['schedule', 'run'])[1 + i % 2],
       'sch-' || (i % 300),
       jsonb_build_object('ip', format('10.0.%s.%s', i % 250, i % 200), 'client', 'demo', 'seq', i)
  FROM span, generate_series(1, 6000) AS i
  JOIN demo_setup.tenants t ON t.n = i % 5;
