-- Row-level security validation.
--
--   psql -v ON_ERROR_STOP=1 -f sql/validate_rls.sql DBNAME
--
-- Reports, one row per problem (table, problem, detail), and then fails (psql exits non-zero):
--   (a) every ordinary or partitioned table with a `tenant_id` column whose row level security is
--       not both enabled and forced, or that has no policy at all;
--   (b) every partition, at any depth, whose RLS enabled/forced flags or whose policies differ from
--       those of the root of its partition tree. PostgreSQL applies a parent's policies only to
--       queries through the parent: a partition queried by name uses its own, so each level must
--       carry the root's. Comparing with the root (rather than only the direct parent) also catches
--       leaves under a broken intermediate level. Policies are compared by name, permissive or
--       restrictive, command, roles, and the deparsed USING and WITH CHECK expressions
--       (pg_get_expr against each table's own columns, so parent and partition compare equal even
--       when their attribute numbers differ after dropped columns or a different column order).
-- Otherwise prints "RLS validation passed: N tables checked" (N = tables of (a) and partitions of
-- (b)). Schemas pg_catalog, information_schema, partitiond, pg_toast and temporary ones are skipped.
--
-- Read-only: one READ ONLY transaction that only reads the catalogs (no table locks) and is rolled
-- back. Works for any role: the catalogs it reads are readable by all.

\set ON_ERROR_STOP on
\set QUIET on
BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY;
SET LOCAL search_path = pg_catalog;

WITH rel AS (
  SELECT c.oid, c.relkind, c.relispartition,
         c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
         format('%I.%I', n.nspname, c.relname) AS name
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'f')   -- foreign-table partitions cannot carry RLS: reported in (b)
     AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'partitiond')
     AND n.nspname !~ '^pg_(toast|temp_)'
),
tenant AS (
  SELECT r.*
    FROM rel r
   WHERE r.relkind IN ('r', 'p')
     AND EXISTS (SELECT FROM pg_attribute a
                  WHERE a.attrelid = r.oid AND a.attname = 'tenant_id'
                    AND a.attnum > 0 AND NOT a.attisdropped)
),
part AS (
  SELECT p.oid, p.name, p.enabled, p.forced, root.oid AS root,
         root.enabled AS root_enabled, root.forced AS root_forced,
         CASE WHEN i.inhparent = root.oid THEN format('parent %s', root.name)
              ELSE format('root %s (via %s)', root.name, i.inhparent::regclass) END AS ref
    FROM rel p
    JOIN pg_inherits i ON i.inhrelid = p.oid
    JOIN rel root ON root.oid = pg_partition_root(p.oid)
   WHERE p.relispartition
),
pol AS (
  SELECT p.polrelid AS relid, p.polname AS name,
         CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END AS kind,
         CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                       WHEN 'd' THEN 'DELETE' ELSE 'ALL' END AS cmd,
         CASE WHEN 0 = ANY (p.polroles) THEN 'PUBLIC'
              ELSE coalesce((SELECT string_agg(quote_ident(r.rolname), ', ' ORDER BY r.rolname)
                               FROM pg_roles r WHERE r.oid = ANY (p.polroles)), '?') END AS roles,
         pg_get_expr(p.polqual, p.polrelid) AS using_expr,
         pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr
    FROM pg_policy p
   WHERE p.polrelid IN (SELECT oid FROM rel)
),
-- What each partition should carry (its root's policies) against what it carries.
expected AS (SELECT p.oid AS part, p.ref, a.* FROM part p JOIN pol a ON a.relid = p.root),
actual AS (SELECT p.oid AS part, a.* FROM part p JOIN pol a ON a.relid = p.oid),
policy_diff AS (
  SELECT coalesce(e.part, a.part) AS part, e.ref,
         CASE WHEN a.name IS NULL THEN 'policy missing'
              WHEN e.name IS NULL THEN 'extra policy'
              ELSE 'policy differs' END AS problem,
         CASE
           WHEN a.name IS NULL THEN format('policy %I of %s is not on the partition', e.name, e.ref)
           WHEN e.name IS NULL THEN format('policy %I is not on the root of the partition tree', a.name)
           ELSE format('policy %I: ', e.name) || concat_ws('; ',
             CASE WHEN a.kind <> e.kind
                  THEN format('%s here, %s on %s', a.kind, e.kind, e.ref) END,
             CASE WHEN a.cmd <> e.cmd
                  THEN format('FOR %s here, FOR %s on %s', a.cmd, e.cmd, e.ref) END,
             CASE WHEN a.roles <> e.roles
                  THEN format('TO %s here, TO %s on %s', a.roles, e.roles, e.ref) END,
             CASE WHEN a.using_expr IS DISTINCT FROM e.using_expr
                  THEN format('USING %s here, USING %s on %s', coalesce(a.using_expr, '(none)'),
                              coalesce(e.using_expr, '(none)'), e.ref) END,
             CASE WHEN a.check_expr IS DISTINCT FROM e.check_expr
                  THEN format('WITH CHECK %s here, WITH CHECK %s on %s', coalesce(a.check_expr, '(none)'),
                              coalesce(e.check_expr, '(none)'), e.ref) END)
         END AS detail
    FROM expected e
    FULL JOIN actual a ON a.part = e.part AND a.name = e.name
   WHERE e.name IS NULL OR a.name IS NULL
      OR (a.kind, a.cmd, a.roles, a.using_expr, a.check_expr)
         IS DISTINCT FROM (e.kind, e.cmd, e.roles, e.using_expr, e.check_expr)
),
problems AS (
  -- (a) tables with tenant_id
  SELECT t.name AS tbl, 'RLS not enabled' AS problem,
         CASE WHEN t.forced THEN 'row level security is forced but not enabled'
              ELSE 'row level security is neither enabled nor forced: every row is visible to every role with access' END AS detail
    FROM tenant t WHERE NOT t.enabled
  UNION ALL
  SELECT t.name, 'RLS not forced', 'row level security is enabled but not forced: the table owner bypasses the policies'
    FROM tenant t WHERE t.enabled AND NOT t.forced
  UNION ALL
  SELECT t.name, 'no policy', 'has a tenant_id column but no row level security policy'
    FROM tenant t WHERE NOT EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = t.oid)
  UNION ALL
  -- (b) partitions against the root of their tree
  SELECT p.name, 'RLS flags differ from parent',
         format('enabled=%s forced=%s here, enabled=%s forced=%s on %s',
                p.enabled::text, p.forced::text, p.root_enabled::text, p.root_forced::text, p.ref)
    FROM part p
   WHERE (p.enabled, p.forced) IS DISTINCT FROM (p.root_enabled, p.root_forced)
  UNION ALL
  SELECT p.name, d.problem, d.detail
    FROM policy_diff d JOIN part p ON p.oid = d.part
)
SELECT (SELECT count(*) FROM (SELECT oid FROM tenant UNION SELECT oid FROM part) s) AS checked,
       count(*) AS problem_count,
       count(*) > 0 AS failed,
       coalesce(json_agg(json_build_object('table', tbl, 'problem', problem, 'detail', detail)
                         ORDER BY tbl, problem, detail), '[]') AS problems
  FROM problems
\gset validate_rls_

\if :validate_rls_failed
\echo RLS validation failed: :validate_rls_problem_count problem(s) in :validate_rls_checked tables checked
SELECT "table", problem, detail
  FROM json_to_recordset(:'validate_rls_problems') AS p("table" text, problem text, detail text)
 ORDER BY 1, 2, 3;
SELECT set_config('validate_rls.problem_count', :'validate_rls_problem_count', true) AS ignored
\gset validate_rls_
DO $$
BEGIN
  RAISE EXCEPTION 'RLS validation failed: % problem(s), listed above',
                  current_setting('validate_rls.problem_count')
        USING ERRCODE = 'check_violation';
END
$$;
\endif

\echo RLS validation passed: :validate_rls_checked tables checked
ROLLBACK;
