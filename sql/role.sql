-- Creates the role partitiond runs as, with the least privileges it needs, in one database.
-- Idempotent: run it again after adding managed tables in new schemas, or to repair grants.
--
--   psql -v ON_ERROR_STOP=1 -d postgres -f sql/role.sql \
--        -v dbname=app -v owner_role=app_owner [-v schemas=scheduler,vuln] [-v daemon_role=partitiond]
--
-- Run it as a superuser, or (managed PostgreSQL) as a role with CREATEROLE that holds ADMIN OPTION
-- on owner_role and may grant on the database and schemas. Roles are cluster-wide, grants are per
-- database: run it once for each database the daemon maintains.
--
-- Variables (all optional):
--   dbname       the database to maintain; default: the one psql connected to.
--   owner_role   the role that owns the managed partitioned tables; default: the database owner.
--                It must not be a superuser (see the membership grant below for why).
--   schemas      comma-separated schemas holding managed tables; default: every schema holding a
--                partitioned table owned by owner_role.
--   daemon_role  the role to create or fix; default: partitiond.
--
-- The role is created without a password. Authenticate it with peer or cert in pg_hba.conf, or set
-- one by hand (\password partitiond) and give the daemon a PGPASSFILE; never put it in the YAML.
--
-- What the daemon does NOT need, and does not get: SUPERUSER, CREATEDB, CREATEROLE, REPLICATION,
-- BYPASSRLS, pg_read_all_stats / pg_monitor (it reads only pg_class, pg_inherits, pg_partitioned_table
-- and pg_get_expr(relpartbound), and calls pg_relation_size, pg_is_in_recovery and
-- pg_try_advisory_lock, which every role may), pg_signal_backend (to end a frozen leader's session
-- it calls pg_terminate_backend only on a session of its own role that holds the leadership lock,
-- which a role may do without it), pg_write_server_files (archives are written on the daemon's
-- host through COPY ... TO STDOUT), and CREATE on the database.

\set ON_ERROR_STOP on
\set QUIET on

-- Connect to the target database first: every grant below except the role itself is per database.
\if :{?dbname}
  SELECT current_database() <> :'dbname' AS partitiond_switch_db \gset
  \if :partitiond_switch_db
    \connect :"dbname"
  \endif
\endif
\if :{?daemon_role}
\else
  \set daemon_role partitiond
\endif
\if :{?owner_role}
\else
  SELECT pg_get_userbyid(datdba) AS owner_role FROM pg_database WHERE datname = current_database() \gset
\endif
\if :{?schemas}
\else
  \set schemas ''
\endif

-- All or nothing: a refusal below leaves the database as it was.
BEGIN;

-- The daemon's state schema and audit table (idempotent). Created here, owned by whoever runs this
-- script, so that the daemon needs no CREATE on the database and cannot alter or delete the audit
-- trail. (The daemon creates them itself only when they are missing and it is allowed to.)
SET LOCAL client_min_messages = warning;  -- no "already exists, skipping" noise
\ir schema.sql
RESET client_min_messages;

-- DO blocks cannot see psql variables; hand them over as session settings.
SELECT set_config('partitiond_role.daemon', :'daemon_role', false),
       set_config('partitiond_role.owner', :'owner_role', false),
       set_config('partitiond_role.schemas', :'schemas', false) \g /dev/null

DO $role$
DECLARE
  daemon  text := current_setting('partitiond_role.daemon');
  owner   text := current_setting('partitiond_role.owner');
  r       pg_roles%ROWTYPE;
  o       pg_roles%ROWTYPE;
  schemas text[];
  s       text;
BEGIN
  SELECT * INTO o FROM pg_roles WHERE rolname = owner;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'owner_role "%" does not exist', owner
      USING HINT = 'Pass -v owner_role=ROLE: the role that owns the managed partitioned tables.';
  END IF;
  -- Membership in a superuser's role would hand the daemon every object that superuser owns,
  -- system catalogs included. Managed tables must belong to an ordinary application owner role.
  IF o.rolsuper THEN
    RAISE EXCEPTION 'owner_role "%" is a superuser; refusing to make "%" a member of it', owner, daemon
      USING HINT = 'Give the managed tables to a non-superuser owner role (ALTER TABLE ... OWNER TO) '
                   'and pass -v owner_role=that_role.';
  END IF;
  IF owner = daemon THEN
    RAISE EXCEPTION 'daemon_role and owner_role are both "%"; the daemon needs its own role', owner;
  END IF;

  -- LOGIN and nothing else. NOSUPERUSER, NOCREATEDB, NOCREATEROLE, NOREPLICATION and NOBYPASSRLS
  -- are the defaults; INHERIT is required so that the owner-role membership below takes effect
  -- without SET ROLE.
  SELECT * INTO r FROM pg_roles WHERE rolname = daemon;
  IF NOT FOUND THEN
    EXECUTE format('CREATE ROLE %I LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE '
                   'NOREPLICATION NOBYPASSRLS', daemon);
    RAISE NOTICE 'created role %', daemon;
  ELSE
    -- Only a superuser may take SUPERUSER, REPLICATION or BYPASSRLS away (and managed services
    -- often have none); refuse rather than leave an over-privileged daemon in place.
    IF r.rolsuper OR r.rolreplication OR r.rolbypassrls THEN
      RAISE EXCEPTION 'role "%" exists with SUPERUSER, REPLICATION or BYPASSRLS; remove those first', daemon;
    END IF;
    EXECUTE format('ALTER ROLE %I LOGIN INHERIT NOCREATEDB NOCREATEROLE', daemon);
  END IF;

  -- CONNECT: usually PUBLIC has it, but hardened databases revoke it from PUBLIC.
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), daemon);

  -- Membership in the owner role. This is the real requirement, and the broadest grant here:
  -- ALTER TABLE ... ATTACH PARTITION / DETACH PARTITION [CONCURRENTLY | FINALIZE] and DROP TABLE
  -- all require ownership of the tables involved (the parent and the partition), and PostgreSQL has
  -- no finer privilege for them. CREATE TABLE ... (LIKE parent INCLUDING ALL) also needs to read
  -- the parent's definition, and ALTER TABLE ... OWNER TO owner_role (so new partitions carry the
  -- parent's owner) needs membership in the new owner. The consequence, to know and accept: the
  -- daemon can do whatever the owner can on those tables, including reading all rows (owners
  -- bypass RLS unless the table has FORCE ROW LEVEL SECURITY). If owner_role also owns the
  -- database (the default above), that includes its database-level rights such as CREATE SCHEMA;
  -- a dedicated owner role for the managed tables narrows this.
  EXECUTE format('GRANT %I TO %I', owner, daemon);

  -- USAGE to resolve the managed tables' names, CREATE to create new partitions in their schemas
  -- (CREATE TABLE ... (LIKE parent)). When owner_role owns the schema the membership already
  -- implies both; granting them explicitly also covers schemas owned by someone else.
  IF current_setting('partitiond_role.schemas') <> '' THEN
    SELECT array_agg(btrim(x)) INTO schemas
      FROM unnest(string_to_array(current_setting('partitiond_role.schemas'), ',')) AS x
     WHERE btrim(x) <> '';
  ELSE
    SELECT array_agg(DISTINCT n.nspname ORDER BY n.nspname) INTO schemas
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'p' AND NOT c.relispartition AND c.relowner = o.oid;
  END IF;
  IF schemas IS NULL THEN
    RAISE WARNING 'no partitioned tables owned by "%" in database "%"; no schema grants made '
                  '(pass -v schemas=a,b once the tables exist, or re-run this script)', owner, current_database();
  ELSE
    FOREACH s IN ARRAY schemas LOOP
      EXECUTE format('GRANT USAGE, CREATE ON SCHEMA %I TO %I', s, daemon);
    END LOOP;
    RAISE NOTICE 'granted USAGE, CREATE on schema(s) % to %', array_to_string(schemas, ', '), daemon;
  END IF;

  -- The audit trail: append and read only; no UPDATE, DELETE or TRUNCATE, so the daemon cannot
  -- rewrite its own history. Inserting into the GENERATED ALWAYS identity column needs no
  -- privilege on its sequence (identity values are drawn without a permission check).
  EXECUTE format('GRANT USAGE ON SCHEMA partitiond TO %I', daemon);
  EXECUTE format('GRANT SELECT, INSERT ON partitiond.audit TO %I', daemon);
  -- The leadership lease row: the leader inserts and rewrites it, followers read it. No DELETE.
  EXECUTE format('GRANT SELECT, INSERT, UPDATE ON partitiond.leader TO %I', daemon);
  -- The state schema's version, checked by the daemon before it uses the schema.
  EXECUTE format('GRANT SELECT ON partitiond.schema_version TO %I', daemon);
END
$role$;
COMMIT;

\unset QUIET
-- What the role ended up with.
SELECT r.rolname AS role, r.rolcanlogin AS login, r.rolsuper AS superuser, r.rolinherit AS inherit,
       r.rolbypassrls AS bypassrls,
       (SELECT string_agg(m.rolname, ', ' ORDER BY m.rolname)
          FROM pg_auth_members am JOIN pg_roles m ON m.oid = am.roleid
         WHERE am.member = r.oid) AS member_of,
       has_database_privilege(r.oid, current_database(), 'CONNECT') AS can_connect
  FROM pg_roles r
 WHERE r.rolname = :'daemon_role';
