# shellcheck shell=bash
# A throwaway PostgreSQL 15 cluster for demos and tests: its own temporary directory, a free
# TCP port on 127.0.0.1 and a private Unix socket directory, so it never touches (or depends on)
# a system cluster. Works as root (the server runs as the `postgres` OS user, because initdb and
# postgres refuse to run as root) and as a normal user (the server runs as that user).
#
# Usage (from bash):
#   source scripts/lib/throwaway-pg.sh
#   pg_throwaway_start              # exports PGHOST PGPORT PGUSER, unsets PGDATABASE
#   trap pg_throwaway_stop EXIT     # the caller owns the cleanup
#   createdb mydb && psql -d mydb ...
#
# Exports after pg_throwaway_start:
#   PGHOST              the socket directory (clients connect over the Unix socket)
#   PGPORT              the port (also served on 127.0.0.1 for clients that need TCP)
#   PGUSER              the bootstrap superuser = the OS user that owns the cluster
#   PG_THROWAWAY_DIR    the temporary directory (data/, socket/, server.log)
#   PG_THROWAWAY_BINDIR the PostgreSQL bin directory, also put first on PATH
# PGDATABASE, PGHOSTADDR and PGSERVICE are unset so a caller's environment cannot redirect clients.
# Authentication is `trust` for local connections: the cluster is for throwaway use only.
#
# Knobs: PG_THROWAWAY_BINDIR (default /usr/lib/postgresql/15/bin), PG_THROWAWAY_OS_USER (the
# account the server runs as when invoked as root; default postgres), TMPDIR.

# Runs a command as the cluster's OS user, from a directory that user can read.
_pg_throwaway_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u "${_PG_THROWAWAY_OS_USER:-postgres}" -- "$@")
  else
    "$@"
  fi
}

# Prints a TCP port that is free on 127.0.0.1 right now (the kernel picks it).
_pg_throwaway_free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()' && return 0
  fi
  # Fallback: a random high port that nothing answers on.
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

pg_throwaway_start() {
  local bindir=${PG_THROWAWAY_BINDIR:-/usr/lib/postgresql/15/bin}
  if [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_ctl" ]; then
    echo "pg_throwaway_start: no PostgreSQL server binaries in $bindir (install postgresql-15)" >&2
    return 1
  fi
  if [ -n "${PG_THROWAWAY_DIR:-}" ] && [ -d "$PG_THROWAWAY_DIR" ]; then
    echo "pg_throwaway_start: a cluster is already running in $PG_THROWAWAY_DIR" >&2
    return 1
  fi

  local os_user parent
  if [ "$(id -u)" -eq 0 ]; then
    os_user=${PG_THROWAWAY_OS_USER:-postgres}
    if ! id -u "$os_user" >/dev/null 2>&1; then
      echo "pg_throwaway_start: running as root needs an OS user '$os_user' to run the server" >&2
      return 1
    fi
    # The server's user must be able to reach the directory; a root-only TMPDIR would not do.
    parent=/tmp
  else
    os_user=$(id -un)
    parent=${TMPDIR:-/tmp}
  fi
  _PG_THROWAWAY_OS_USER=$os_user

  local dir
  dir=$(mktemp -d "$parent/partitiond-pg.XXXXXX") || return 1
  PG_THROWAWAY_DIR=$dir
  PG_THROWAWAY_BINDIR=$bindir
  export PG_THROWAWAY_DIR PG_THROWAWAY_BINDIR
  mkdir -p "$dir/socket"
  [ "$(id -u)" -eq 0 ] && chown -R "$os_user:" "$dir"

  if ! _pg_throwaway_as_owner "$bindir/initdb" --pgdata="$dir/data" --username="$os_user" \
      --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1; then
    echo "pg_throwaway_start: initdb failed:" >&2
    cat "$dir/initdb.log" >&2
    pg_throwaway_stop
    return 1
  fi

  # Settings go into the config file rather than onto pg_ctl's command line, which passes
  # through a shell. Only the port changes between start attempts.
  cat >>"$dir/data/postgresql.conf" <<EOF
# throwaway cluster (scripts/lib/throwaway-pg.sh)
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/socket'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
logging_collector = off
EOF

  # A port picked now may be taken before the server binds it; retry with another one.
  local port attempt started=0
  for attempt in 1 2 3 4 5; do
    port=$(_pg_throwaway_free_port) || break
    if _pg_throwaway_as_owner "$bindir/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" \
        --wait --timeout=60 --silent --options="-p $port" start >/dev/null; then
      started=1
      break
    fi
    echo "pg_throwaway_start: start attempt $attempt on port $port failed" >&2
  done
  if [ "$started" -ne 1 ]; then
    echo "pg_throwaway_start: could not start the server; its log:" >&2
    tail -n 30 "$dir/server.log" >&2 2>/dev/null
    pg_throwaway_stop
    return 1
  fi

  export PGHOST="$dir/socket" PGPORT="$port" PGUSER="$os_user"
  unset PGDATABASE PGHOSTADDR PGSERVICE
  case ":$PATH:" in
    *":$bindir:"*) ;;
    *) export PATH="$bindir:$PATH" ;;
  esac
  # A client without -d connects to the database named after its user; give a normal user one.
  if [ "$os_user" != postgres ]; then
    "$bindir/createdb" --maintenance-db=postgres "$os_user" || { pg_throwaway_stop; return 1; }
  fi
}

# Stops the cluster and removes its directory. Idempotent; safe as an EXIT trap, after a failed
# start, and when nothing was started.
pg_throwaway_stop() {
  local dir=${PG_THROWAWAY_DIR:-}
  [ -n "$dir" ] || return 0
  local bindir=${PG_THROWAWAY_BINDIR:-/usr/lib/postgresql/15/bin}
  if [ -f "$dir/data/postmaster.pid" ]; then
    _pg_throwaway_as_owner "$bindir/pg_ctl" --pgdata="$dir/data" --mode=fast --wait --silent \
      stop >/dev/null 2>&1 ||
      _pg_throwaway_as_owner "$bindir/pg_ctl" --pgdata="$dir/data" --mode=immediate --wait \
        --silent stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  unset PG_THROWAWAY_DIR
  if [ "${PGHOST:-}" = "$dir/socket" ]; then
    unset PGHOST PGPORT PGUSER
  fi
  return 0
}
