-- vuln.merge_events: the history of advisory merges (which source changed which advisory, and the
-- merged result), per tenant. Monthly RANGE partitions on created_at (UTC month boundaries),
-- covering the last 24 months up to and including the current month: partitiond only has to
-- premake the months ahead.
SET TimeZone = 'UTC';
SET ROLE demo_owner;

CREATE TABLE vuln.merge_events (
    id              uuid        NOT NULL DEFAULT gen_random_uuid(),
    tenant_id       uuid        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    advisory_key    text        NOT NULL,               -- CVE-2024-12345, GHSA-xxxx-xxxx-xxxx
    source          text        NOT NULL,               -- nvd, ghsa, osv, vendor
    event_type      text        NOT NULL CHECK (event_type IN ('created', 'updated', 'merged', 'withdrawn')),
    previous_digest text,
    merged_digest   text        NOT NULL,
    payload         jsonb       NOT NULL DEFAULT '{}',
    -- A hot field extracted from the payload (a generated column for a hot JSONB key):
    -- computed on write, so queries filter and index it without parsing jsonb.
    severity        text        GENERATED ALWAYS AS (payload->>'severity') STORED,
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);

CREATE INDEX merge_events_tenant_advisory_idx ON vuln.merge_events (tenant_id, advisory_key, created_at DESC);
CREATE INDEX merge_events_created_idx ON vuln.merge_events USING brin (created_at);
CREATE INDEX merge_events_severity_idx ON vuln.merge_events (tenant_id, severity, created_at DESC);

ALTER TABLE vuln.merge_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON vuln.merge_events
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON vuln.merge_events TO demo_app;

SELECT demo_setup.create_partitions('vuln.merge_events',
         date_trunc('month', now()) - interval '23 months',
         date_trunc('month', now()),
         interval '1 month') AS merge_events_partitions;

-- 5000 rows spread from the first covered month up to now.
SELECT setseed(0.43);
WITH span AS (SELECT date_trunc('month', now()) - interval '23 months' AS lo, now() AS hi)
INSERT INTO vuln.merge_events (tenant_id, created_at, advisory_key, source, event_type,
                               previous_digest, merged_digest, payload)
SELECT t.tenant_id,
       span.lo + random() * (span.hi - span.lo),
       format('CVE-%s-%s', 2022 + i % 4, 10000 + i % 2500),
       (ARRAY['nvd', 'ghsa', 'osv', 'vendor'])[1 + i % 4],
       (ARRAY['created', 'updated', 'updated', 'merged', 'withdrawn'])[1 + i % 5],
       CASE WHEN i % 5 <> 0 THEN 'sha256:' || md5((i - 1)::text) END,
       'sha256:' || md5(i::text),
       jsonb_build_object('severity', (ARRAY['low', 'medium', 'high', 'critical'])[1 + i % 4],
                          'cvss', round((random() * 10)::numeric, 1),
                          'affected', jsonb_build_array('pkg:npm/left-pad@' || (i % 7)))
  FROM span, generate_series(1, 5000) AS i
  JOIN demo_setup.tenants t ON t.n = i % 5;
