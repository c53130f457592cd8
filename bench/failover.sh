#!/usr/bin/env bash
# Fail-over under load (issue 4 target): an alias over two deployments, measured healthy and with
# one deployment hard-down (its port refuses connections), at 50 connections. Target: with one
# of two down, zero client-visible errors and throughput >= 0.9x the healthy case.
#
# Layout (bench/peers/README.md): wrk and the two baton-mock upstreams on CPU 0, the server under
# test alone on CPU 1 (Baton with one worker thread). Two Batons run side by side, one whose
# second deployment points at a closed port; rounds alternate healthy/down so drift hits both.
# nginx (one worker, the same two upstreams, passive health checks) is measured the same way as
# the reference for "just forward bytes".
# Strategies: weighted (equal weights: half the picks land on the dead one until its breaker
# opens) and priority (the dead one is first).
# env: BENCH_ROUNDS (default 3), BENCH_SECONDS (default 5), BATON_BIN, BATON_MOCK_BIN.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
ROUNDS=${BENCH_ROUNDS:-3}
SECS=${BENCH_SECONDS:-5}
BATON=${BATON_BIN:-$root/build/baton}
MOCK=${BATON_MOCK_BIN:-$root/build/baton-mock}
work=$(mktemp -d /tmp/baton-failover.XXXXXX)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
bench_init
log() { printf 'bench-failover: %s\n' "$*" >&2; }

for m in a b; do
  taskset -c 0 "$MOCK" --host 127.0.0.1 --port 0 --threads 1 >"$work/mock-$m.log" 2>&1 &
  echo $! >>"$work/pids"
done
port_a=$(wait_port "$work/mock-a.log")
port_b=$(wait_port "$work/mock-b.log")
dead=$(free_port)  # nothing listens there: connections are refused

start_baton() { # NAME STRATEGY SECOND_PORT -> base url
  local name=$1 strategy=$2 second=$3
  cat >"$work/$name.toml" <<TOML
[server]
host = "127.0.0.1"
port = 0
threads = 1

[providers.one]
kind = "openai-compatible"
base_url = "http://127.0.0.1:$port_a/v1"

[providers.two]
kind = "openai-compatible"
base_url = "http://127.0.0.1:$second/v1"

[models.pair]
strategy = "$strategy"
deployments = ["two/gpt-4o-mini", "one/gpt-4o-mini"]
TOML
  taskset -c 1 "$BATON" serve --config "$work/$name.toml" --port 0 >"$work/$name.log" 2>&1 &
  echo $! >>"$work/pids"
  echo "http://127.0.0.1:$(wait_port "$work/$name.log")"
}

start_nginx() { # NAME SECOND_PORT -> base url
  local name=$1 second=$2 port dir pid
  port=$(free_port)
  dir="$work/nginx-$name"
  mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log crit;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  keepalive_requests 1000000;
  upstream up {
    server 127.0.0.1:$second max_fails=3 fail_timeout=30s;
    server 127.0.0.1:$port_a max_fails=3 fail_timeout=30s;
    keepalive 128;
  }
  server {
    listen 127.0.0.1:$port reuseport backlog=4096;
    location / {
      proxy_pass http://up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_next_upstream error timeout http_500 http_502 http_503;
    }
  }
}
CONF
  setsid taskset -c 1 nginx -p "$dir" -c "$dir/nginx.conf" >"$dir/out.log" 2>&1 &
  for _ in $(seq 50); do [ -s "$dir/nginx.pid" ] && break; sleep 0.1; done
  pid=$(cat "$dir/nginx.pid")
  for p in $pid $(pgrep -P "$pid"); do taskset -a -p -c 1 "$p" >/dev/null; done
  echo "$pid" >>"$work/nginx.pids"
  echo "http://127.0.0.1:$port"
}

declare -A base
base[weighted,healthy]=$(start_baton weighted-healthy weighted "$port_b")
base[weighted,down]=$(start_baton weighted-down weighted "$dead")
base[priority,healthy]=$(start_baton priority-healthy priority "$port_b")
base[priority,down]=$(start_baton priority-down priority "$dead")
have_nginx=0
if command -v nginx >/dev/null; then
  base[nginx,healthy]=$(start_nginx healthy "$port_b")
  base[nginx,down]=$(start_nginx down "$dead")
  have_nginx=1
fi
export MODEL=pair AUTH=sk-test

for key in "${!base[@]}"; do
  curl -sf -o /dev/null "${base[$key]}/v1/chat/completions" -H 'content-type: application/json' \
    -d '{"model":"pair","messages":[{"role":"user","content":"Hello!"}]}' || log "WARNING: $key sanity request failed"
done

measure() { # BASE -> "rps errors"
  local out
  out=$(STREAM=0 taskset -c 0 wrk -t1 -c50 -d"${SECS}s" -s "$here/peers/chat.lua" "$1/v1/chat/completions" | grep '^RESULT')
  echo "$(echo "$out" | sed -E 's/.*rps=([0-9.]+).*/\1/') $(echo "$out" | sed -E 's/.*errors=([0-9]+).*/\1/')"
}

targets=(weighted priority)
[ $have_nginx = 1 ] && targets+=(nginx)
declare -A rps errs ratio
for t in "${targets[@]}"; do
  # warm-up (also lets the breaker of the dead deployment open before measuring)
  for s in healthy down; do
    STREAM=0 taskset -c 0 wrk -t1 -c50 -d1s -s "$here/peers/chat.lua" "${base[$t,$s]}/v1/chat/completions" >/dev/null
  done
  for r in $(seq 1 "$ROUNDS"); do
    order=(healthy down)
    [ $((r % 2)) = 0 ] && order=(down healthy)
    declare -A got
    for s in "${order[@]}"; do
      got[$s]=$(measure "${base[$t,$s]}")
    done
    h=${got[healthy]% *}
    d=${got[down]% *}
    log "$t round $r: healthy ${got[healthy]} | down ${got[down]} (rps errors)"
    rps[$t,healthy]+="$h "
    rps[$t,down]+="$d "
    errs[$t]=$((${errs[$t]:-0} + ${got[down]#* }))
    ratio[$t]+="$(awk -v a="$d" -v b="$h" 'BEGIN{printf "%.3f", a/b}') "
  done
done

echo "## Fail-over: one of two deployments hard-down (connection refused)"
echo
echo "- $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$root" rev-parse --short HEAD), $ROUNDS rounds × ${SECS} s, 50 connections, non-streaming; server under test alone on CPU 1 (Baton: 1 worker), wrk + two baton-mock on CPU 0; Baton defaults: allowed_fails 3 / 60 s, cooldown 30 s"
echo
echo "| server | healthy rps (median) | one down rps (median) | down/healthy (median of rounds) | errors while down | target ≥ 0.9, 0 errors |"
echo "|---|---|---|---|---|---|"
for t in "${targets[@]}"; do
  h=$(echo "${rps[$t,healthy]}" | tr ' ' '\n' | grep . | median)
  d=$(echo "${rps[$t,down]}" | tr ' ' '\n' | grep . | median)
  q=$(echo "${ratio[$t]}" | tr ' ' '\n' | grep . | median)
  ok=$(awk -v q="$q" -v e="${errs[$t]}" 'BEGIN{print (q >= 0.9 && e == 0 ? "met" : "MISSED")}')
  name="Baton $t"
  [ "$t" = nginx ] && name="nginx (reference)" && ok="—"
  echo "| $name | $h | $d | $q | ${errs[$t]} | $ok |"
done
echo
for t in weighted priority; do
  n=$(grep -c 'baton: fallback' "$work/$t-down.log" || true)
  c=$(grep -c 'baton: cooldown' "$work/$t-down.log" || true)
  echo "- Baton $t, one down: $n fallbacks and $c cooldowns logged during the whole run."
done
if [ -x "$root/build/baton_bench_route" ]; then
  echo
  echo "### Routing decision over an alias of 100 deployments (Google Benchmark, CPU 1; target < 1 µs)"
  echo
  echo '```'
  taskset -c 1 "$root/build/baton_bench_route" --benchmark_min_time=0.3 2>/dev/null |
    grep -E '^(BM_|Benchmark|-)' || true
  echo '```'
fi
