#!/usr/bin/env bash
# with-redis.sh CMD...: runs CMD with a throwaway redis-server (Debian's package) listening on
# 127.0.0.1 and a free port, and BATON_TEST_REDIS_URL=redis://127.0.0.1:PORT naming it (for
# end-to-end tests of several instances sharing one Redis). Nothing is persisted; the server is
# stopped by its pid and its directory removed on exit, success or not. Exit status: CMD's.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
if [ ! -x "$REDIS_SERVER" ]; then
  echo "with-redis: $REDIS_SERVER not found (apt-get install redis-server)" >&2
  exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/baton-redis.XXXXXX")
pid=""

# shellcheck disable=SC2317  # reached through the EXIT trap
cleanup() {
  local rc=$?
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port=""
for _ in $(seq 1 20); do
  candidate=$((20000 + RANDOM % 40000))
  if (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
    continue  # something answers there
  fi
  "$REDIS_SERVER" --port "$candidate" --bind 127.0.0.1 --save "" --appendonly no \
    --daemonize no --dir "$dir" --logfile "$dir/redis.log" &
  pid=$!
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
      port=$candidate
      break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  [ -n "$port" ] && break
  kill -KILL "$pid" 2>/dev/null || true
  pid=""
done
if [ -z "$port" ]; then
  echo "with-redis: could not start redis-server" >&2
  cat "$dir/redis.log" >&2 || true
  exit 1
fi

export BATON_TEST_REDIS_URL="redis://127.0.0.1:$port"
echo "with-redis: $("$REDIS_SERVER" --version | awk '{print $3}') on 127.0.0.1:$port (pid $pid)" >&2
set +e
"$@"
rc=$?
set -e
exit "$rc"
