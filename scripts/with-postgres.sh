#!/usr/bin/env bash
# with-postgres.sh CMD...: runs CMD with a throwaway PostgreSQL 15 (Debian's packages) listening on
# 127.0.0.1 and a free port, and BATON_TEST_PG_URL=postgresql://USER:PASS@127.0.0.1:PORT/postgres
# naming a role that may create databases (the Store contract tests make one per test).
# The cluster lives in a temp dir owned by postgres (initdb refuses to run as root), runs with
# fsync off (throwaway data, fast), is stopped by its pid and removed on exit, success or not.
# Exit status: CMD's. Needs root (runuser) or to be run as the postgres user.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$PG_BIN/initdb" ]; then
  echo "with-postgres: $PG_BIN/initdb not found (apt-get install postgresql-15)" >&2
  exit 1
fi

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

dir=$(mktemp -d "${TMPDIR:-/tmp}/baton-pg.XXXXXX")
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
chmod 700 "$dir"
pgdata="$dir/data"
pid=""

# shellcheck disable=SC2317  # reached through the EXIT trap
cleanup() {
  local rc=$?
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    as_pg "$PG_BIN/pg_ctl" -D "$pgdata" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    # pg_ctl failed or timed out: stop the postmaster we started by its pid.
    if kill -0 "$pid" 2>/dev/null; then
      kill -QUIT "$pid" 2>/dev/null || true
      sleep 1
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$dir"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Locale C: byte order and no dependency on the machine's locales.
as_pg "$PG_BIN/initdb" -D "$pgdata" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
  --locale=C -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 || {
  cat "$dir/initdb.log" >&2
  exit 1
}

# A free port: try a few random ones; pg_ctl fails fast if another process took it meanwhile.
port=""
for _ in $(seq 1 20); do
  candidate=$((20000 + RANDOM % 40000))
  if (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
    continue  # something answers there
  fi
  if as_pg "$PG_BIN/pg_ctl" -D "$pgdata" -l "$dir/server.log" -w -t 60 \
    -o "-k $dir -h 127.0.0.1 -p $candidate -F -c max_connections=200" start >/dev/null 2>&1; then
    port=$candidate
    break
  fi
done
if [ -z "$port" ]; then
  echo "with-postgres: could not start PostgreSQL" >&2
  cat "$dir/server.log" >&2 || true
  exit 1
fi
pid=$(head -n 1 "$pgdata/postmaster.pid")

user=baton_test
password=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres \
  -c "CREATE ROLE $user LOGIN CREATEDB PASSWORD '$password'" >/dev/null

export BATON_TEST_PG_URL="postgresql://$user:$password@127.0.0.1:$port/postgres"
echo "with-postgres: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (pid $pid)" >&2
set +e
"$@"
rc=$?
set -e
exit "$rc"
