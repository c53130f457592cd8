#!/usr/bin/env bash
# Baton's benchmark (`make bench`): in one run, on one machine, against one upstream (baton-mock),
# wrk measures baton-mock directly, nginx proxy_pass, the Portkey gateway and Baton (1 thread pinned,
# 2 threads unpinned), JSON and SSE (20 chunks), at 1 and 50 connections, and reports Baton's
# ratios to the peers against the targets of issue 2. See bench/README.md.
#
# It measures in ROUNDS: every target is started once and checked, then each round measures every
# target in every mode and at every connection count (targets in a rotated order each round, so
# that drift of the shared machine hits them all alike). The report gives per target, mode and
# connection count the median over the rounds (and the rps spread); the Baton/nginx verdicts use
# the median of the per-round ratios (Baton and nginx measured in the same round).
#
# Report (markdown) on stdout and in bench/results/latest.md; progress on stderr.
# env: BENCH_ROUNDS (default 3, quick 1); BENCH_SECONDS per measurement (default 5, quick 3);
#      BENCH_QUICK=1 for a smoke run;
#      BENCH_WARMUP seconds of untimed 50-connection load before each measurement (default 2,
#        quick 1, 0 = none);
#      BENCH_TARGETS subset of "direct nginx portkey baton baton2" (default all);
#      BENCH_RETRIES times a measurement disturbed by other load (> 10% of a CPU used by processes
#        outside the benchmark) is repeated, keeping the least disturbed (default 2, quick 0);
#      BENCH_WAIT_IDLE seconds to wait for other load on the machine to stop first (default 60,
#        quick 0);
#      BATON_BIN / BATON_MOCK_BIN (default build/baton, build/baton-mock); PEERS_DIR (setup.sh).
# Layout (2 cores): wrk and the upstream mock on CPU 0, the server under test alone on CPU 1 (the
# other targets stay idle between their measurements).
# Everything it starts listens on 127.0.0.1 and is stopped by pid on exit, failure or Ctrl-C.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
peers=$here/peers
results=$here/results

QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
  ROUNDS=${BENCH_ROUNDS:-1}
  SECS=${BENCH_SECONDS:-3}
  WARMUP=${BENCH_WARMUP:-1}
  RETRIES=${BENCH_RETRIES:-0}
else
  ROUNDS=${BENCH_ROUNDS:-3}
  SECS=${BENCH_SECONDS:-5}
  WARMUP=${BENCH_WARMUP:-2}
  RETRIES=${BENCH_RETRIES:-2}
fi
TARGETS=${BENCH_TARGETS:-direct nginx portkey baton baton2}
if [ "$QUICK" = 1 ]; then WAIT_IDLE=${BENCH_WAIT_IDLE:-0}; else WAIT_IDLE=${BENCH_WAIT_IDLE:-60}; fi
CHUNKS=20      # content chunks per stream (baton-mock --chunks; requests ask max_tokens=CHUNKS)
CONNS_LIST="1 50"
MODES="json sse"
CLIENT_CPU=0   # wrk (measure.sh pins it there) and the upstream mock
SERVER_CPU=1   # the server under test

# chat.lua reads these; make sure nothing from the caller's environment leaks in.
export MODEL=gpt-4o-mini AUTH=sk-test MAX_TOKENS=$CHUNKS
unset STREAM PORTKEY_UPSTREAM

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
  printf '\nbench: FAILED: %s\n' "$*" >&2
  exit 1
}

[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive integer (got '$ROUNDS')"
[[ $SECS =~ ^[1-9][0-9]*$ ]] || die "BENCH_SECONDS must be a positive integer (got '$SECS')"
[[ $WARMUP =~ ^[0-9]+$ ]] || die "BENCH_WARMUP must be a non-negative integer (got '$WARMUP')"
[[ $RETRIES =~ ^[0-9]+$ ]] || die "BENCH_RETRIES must be a non-negative integer (got '$RETRIES')"
[[ $WAIT_IDLE =~ ^[0-9]+$ ]] || die "BENCH_WAIT_IDLE must be a non-negative integer (got '$WAIT_IDLE')"
for t in $TARGETS; do
  case $t in direct | nginx | portkey | baton | baton2) ;; *) die "unknown target '$t' in BENCH_TARGETS" ;; esac
done

# ---------------------------------------------------------------- processes and cleanup
work=$(mktemp -d /tmp/baton-bench.XXXXXX)
declare -A KIND=() EXTRA=() # pid -> kind (nginx|proc), pid -> temp path a peer script left behind
ok=0

alive() { # a pid that exists and is not a zombie
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

stop_pid() {
  local pid=$1 kind=${KIND[$1]:-proc} kids k
  kids=$(pgrep -P "$pid" 2>/dev/null || true)
  if alive "$pid"; then
    if [ "$kind" = nginx ]; then kill -QUIT "$pid" 2>/dev/null || true; else kill -TERM "$pid" 2>/dev/null || true; fi
    for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then
      log "pid $pid did not stop in 5 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  for k in $kids; do alive "$k" && kill -KILL "$k" 2>/dev/null || true; done
  wait "$pid" 2>/dev/null || true # reap it when it is our own child
  [ -n "${EXTRA[$pid]:-}" ] && case ${EXTRA[$pid]} in /tmp/baton-peer-*) rm -rf "${EXTRA[$pid]}" ;; esac
  unset "KIND[$pid]" "EXTRA[$pid]"
  return 0
}

cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  for pid in "${!KIND[@]}"; do stop_pid "$pid"; done
  if [ "$ok" = 1 ]; then
    rm -rf "$work"
  else
    log "logs and configs kept in $work"
  fi
  exit "$rc"
}
# A signal that arrives while a server is being started (before its pid is recorded) is held
# until the pid is recorded, so that cleanup knows about every process.
starting=0 pending_rc=""
on_signal() { if [ "$starting" = 1 ]; then pending_rc=$1; else exit "$1"; fi; }
hold() { starting=1; }
release() {
  starting=0
  if [ -n "$pending_rc" ]; then exit "$pending_rc"; fi
  return 0
}
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

# Waits for "... listening on http://127.0.0.1:PORT" in a log; prints PORT.
wait_listening() {
  local pid=$1 logf=$2 name=$3 port
  for _ in $(seq 100); do
    port=$(sed -nE 's#.*listening on http://127\.0\.0\.1:([0-9]+).*#\1#p' "$logf" | head -n1)
    [ -n "$port" ] && { echo "$port"; return 0; }
    alive "$pid" || break
    sleep 0.1
  done
  cat "$logf" >&2 || true
  die "$name did not start (log: $logf)"
}

start_mock() { # NAME CPU -> sets MOCK_PID MOCK_PORT
  local name=$1 cpu=$2 logf=$work/$1.log
  hold
  taskset -c "$cpu" "$MOCK_BIN" --host 127.0.0.1 --port 0 --threads 1 --chunks "$CHUNKS" >"$logf" 2>&1 &
  MOCK_PID=$!
  KIND[$MOCK_PID]=proc
  release
  MOCK_PORT=$(wait_listening "$MOCK_PID" "$logf" "$name")
}

start_baton() { # THREADS CPU|"" -> sets BATON_PID BATON_PORT
  local threads=$1 cpu=$2 conf=$work/baton-$1.toml logf=$work/baton-$1.log
  cat >"$conf" <<TOML
[server]
host = "127.0.0.1"
port = 0
threads = $threads

[providers.mock]
kind = "openai-compatible"
base_url = "http://127.0.0.1:$UP_PORT/v1"
api_key = "sk-bench"

[models.gpt-4o-mini]
deployments = ["mock/gpt-4o-mini"]
TOML
  hold
  if [ -n "$cpu" ]; then
    taskset -c "$cpu" "$BATON" serve --config "$conf" --port 0 >"$logf" 2>&1 &
  else
    "$BATON" serve --config "$conf" --port 0 >"$logf" 2>&1 &
  fi
  BATON_PID=$!
  KIND[$BATON_PID]=proc
  release
  BATON_PORT=$(wait_listening "$BATON_PID" "$logf" "baton ($threads threads)")
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 40000))
    port_free "$p" && { echo "$p"; return 0; }
  done
  die "no free port found"
}

start_nginx() { # -> sets NGINX_PID NGINX_PORT (retries on a port race)
  local attempt pid
  for attempt in 1 2 3; do
    NGINX_PORT=$(pick_port)
    hold
    if pid=$("$peers/nginx-proxy.sh" "$NGINX_PORT" "$UP_PORT" "$SERVER_CPU" 2>"$work/nginx-start.log") && [[ $pid =~ ^[0-9]+$ ]]; then
      KIND[$pid]=nginx
      # nginx retitles itself ("nginx: master process nginx -p DIR -c ..."): take DIR from there.
      EXTRA[$pid]=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | sed -nE 's#.* -p (/tmp/baton-peer-nginx\.[A-Za-z0-9]+) .*#\1#p' || true)
      NGINX_PID=$pid
      release
      return 0
    fi
    release
    log "nginx did not start on port $NGINX_PORT (attempt $attempt): $(cat "$work/nginx-start.log")"
  done
  die "nginx-proxy.sh failed three times"
}

start_portkey() { # -> sets PORTKEY_PID PORTKEY_PORT
  local attempt pid
  for attempt in 1 2 3; do
    PORTKEY_PORT=$(pick_port)
    hold
    pid=$(PEERS_DIR=$PEERS_DIR "$peers/portkey.sh" "$PORTKEY_PORT" "$SERVER_CPU")
    [[ $pid =~ ^[0-9]+$ ]] || die "portkey.sh printed no pid"
    KIND[$pid]=proc
    EXTRA[$pid]=$(readlink "/proc/$pid/fd/1" 2>/dev/null || true)
    release
    if alive "$pid" && curl -s -o /dev/null -m 2 "http://127.0.0.1:$PORTKEY_PORT/"; then
      PORTKEY_PID=$pid
      return 0
    fi
    log "Portkey did not come up on port $PORTKEY_PORT (attempt $attempt): $(tail -n 5 "${EXTRA[$pid]}" 2>/dev/null)"
    stop_pid "$pid"
  done
  die "portkey.sh failed three times"
}

# ---------------------------------------------------------------- checks
# check URL MODE [curl header args...] -> 0 when the answer is a correct chat completion
# (json: one message with content; sse: CHUNKS content deltas, a finish_reason, then [DONE]).
# On failure CHECK_STATUS holds the HTTP status and CHECK_WHY the reason.
check() {
  local url=$1 mode=$2 body stream=false
  shift 2
  [ "$mode" = sse ] && stream=true
  body="{\"model\":\"$MODEL\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello!\"}],\"max_tokens\":$MAX_TOKENS,\"stream\":$stream}"
  CHECK_STATUS=$(curl -sS -m 15 -o "$work/check.out" -w '%{http_code}' -X POST "$url" \
    -H 'Content-Type: application/json' -H "Authorization: Bearer $AUTH" "$@" -d "$body" 2>"$work/check.err") ||
    { CHECK_WHY="curl: $(cat "$work/check.err")"; return 1; }
  if [ "$CHECK_STATUS" != 200 ]; then
    CHECK_WHY="HTTP $CHECK_STATUS: $(head -c 300 "$work/check.out")"
    return 1
  fi
  CHECK_WHY=$(node - "$work/check.out" "$mode" "$CHUNKS" <<'JS' 2>&1
const fs = require("fs");
const [file, mode, chunks] = process.argv.slice(2);
const text = fs.readFileSync(file, "utf8");
const fail = (m) => { console.log(m); process.exit(1); };
if (mode === "json") {
  let j;
  try { j = JSON.parse(text); } catch (e) { fail("not JSON: " + text.slice(0, 200)); }
  const c = j.choices && j.choices[0] && j.choices[0].message && j.choices[0].message.content;
  if (j.object !== "chat.completion" || typeof c !== "string" || c.length === 0)
    fail("not a chat completion: " + text.slice(0, 300));
} else {
  const data = text.split(/\r?\n/).filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim());
  if (data.length === 0 || data[data.length - 1] !== "[DONE]") fail("stream does not end with [DONE]: " + text.slice(-300));
  let deltas = 0, finish = null;
  for (const d of data.slice(0, -1)) {
    let j;
    try { j = JSON.parse(d); } catch (e) { fail("bad SSE event: " + d.slice(0, 200)); }
    if (j.error) fail("error event: " + d.slice(0, 300));
    for (const ch of j.choices || []) {
      if (ch.delta && typeof ch.delta.content === "string" && ch.delta.content.length > 0) deltas++;
      if (ch.finish_reason) finish = ch.finish_reason;
    }
  }
  if (deltas !== Number(chunks)) fail(`expected ${chunks} content chunks, got ${deltas}`);
  if (!finish) fail("no finish_reason");
}
JS
  ) || return 1
  return 0
}

must_check() { # NAME URL MODE [headers...]
  local name=$1
  shift
  check "$@" || die "$name does not answer a $2 chat request correctly at $1 — $CHECK_WHY"
}

# ---------------------------------------------------------------- measuring
# R[target|mode|conns|round] = "rps p50 p99 errors cpu rss" (one measurement), OTHER[same key] = % of a
# CPU used by other processes meanwhile; M[target|mode|conns] = the aggregate over the rounds (see
# aggregate); IDLE/PEAK[target] = RSS KB; NOTE[target|mode] = why a mode is not measured.
declare -A R=() M=() IDLE=() PEAK=() NOTE=() OTHER=()
HZ=$(getconf CLK_TCK)
OTHER_WARN=10 # % of one CPU used by unrelated processes during a measurement that earns a warning

rss_of() { # pid and its children, KB
  local t=0 p v
  for p in $1 $(pgrep -P "$1" || true); do
    v=$(ps -o rss= -p "$p" 2>/dev/null | tr -d ' ') || v=0
    t=$((t + ${v:-0}))
  done
  echo "$t"
}
hwm_of() { # peak RSS (VmHWM) of pid and its children, KB
  local t=0 p v
  for p in $1 $(pgrep -P "$1" || true); do
    v=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null) || v=0
    t=$((t + ${v:-0}))
  done
  echo "$t"
}

# Environment for chat.lua (through wrk) against TARGET in MODE: only Portkey gets its headers.
load_env() { # TARGET MODE -> words for env(1)
  local stream=0
  [ "$2" = sse ] && stream=1
  echo "STREAM=$stream"
  [ "$1" = portkey ] && echo "PORTKEY_UPSTREAM=$PORTKEY_UPSTREAM_URL"
  return 0
}

warmup() { # TARGET URL MODE: untimed 50-connection load
  [ "$WARMUP" -gt 0 ] || return 0
  local -a envs
  mapfile -t envs < <(load_env "$1" "$3")
  env "${envs[@]}" taskset -c "$CLIENT_CPU" wrk -t1 -c50 -d"${WARMUP}s" -s "$peers/chat.lua" "$2" >/dev/null 2>&1 ||
    die "warm-up load against $1 ($2) failed"
}

# CPU ticks (user + system) of pids and their children.
tree_ticks() {
  local t=0 p q v
  for p in "$@"; do
    for q in $p $(pgrep -P "$p" || true); do
      v=$(awk '{print $14 + $15}' "/proc/$q/stat" 2>/dev/null) || v=0
      t=$((t + ${v:-0}))
    done
  done
  echo "$t"
}
# Ticks spent by this script and its waited-for children (measure.sh, wrk, curl...).
self_ticks() { awk '{print $14 + $15 + $16 + $17}' "/proc/$$/stat"; }
# Busy ticks of the whole machine: user, nice, system, irq and softirq (a process's own times
# include the softirq work done on its behalf, which /proc/stat counts apart).
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }

measure() { # TARGET PID URL MODE CONNS ROUND
  local target=$1 pid=$2 url=$3 mode=$4 conns=$5 round=$6 out m0 m1 o0 o1 t0 t1 other attempt best=""
  local key="$1|$4|$5|$6"
  local -a envs
  mapfile -t envs < <(load_env "$target" "$mode")
  for attempt in $(seq $((RETRIES + 1))); do
    warmup "$target" "$url" "$mode"
    log "  round $round/$ROUNDS: $target $mode, $conns conn(s), ${SECS}s$([ "$attempt" -gt 1 ] && echo " (attempt $attempt)")"
    # CPU used by processes that are not part of the benchmark during the measurement, in % of one
    # CPU: whole machine minus (server under test + upstream mock + this script with wrk). The
    # other targets, idle meanwhile, count as "other" too.
    t0=$(date +%s%N) m0=$(machine_ticks) o0=$(($(tree_ticks "$pid" "$UP_PID") + $(self_ticks)))
    out=$(env "${envs[@]}" "$peers/measure.sh" "$pid" "$conns" "$SECS" "$url") || die "measure.sh failed for $target $mode $conns"
    t1=$(date +%s%N) m1=$(machine_ticks) o1=$(($(tree_ticks "$pid" "$UP_PID") + $(self_ticks)))
    other=$(awk -v m="$((m1 - m0))" -v o="$((o1 - o0))" -v ns="$((t1 - t0))" -v hz="$HZ" \
      'BEGIN { v = 100 * (m - o) / hz / (ns / 1e9); printf "%.0f", v < 0 ? 0 : v }')
    [[ $out =~ ^rps=([0-9.]+)\ p50_us=([0-9]+)\ p99_us=([0-9]+)\ errors=([0-9]+)\ cpu_us_per_req=([0-9.]+)\ rss_kb=([0-9]+)$ ]] ||
      die "unexpected measure.sh output for $target $mode $conns: $out"
    alive "$pid" || die "$target died during the $mode $conns-connection measurement"
    # Keep the least disturbed attempt.
    if [ -z "$best" ] || [ "$other" -lt "$best" ]; then
      best=$other
      OTHER[$key]=$other
      R[$key]="${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[3]} ${BASH_REMATCH[4]} ${BASH_REMATCH[5]} ${BASH_REMATCH[6]}"
    fi
    sleep 0.5
    [ "$other" -le "$OTHER_WARN" ] && break
    log "  warning: other processes used ${other}% of a CPU during this measurement"
    # Let the other load pass (the servers are idle meanwhile), then measure again.
    [ "$attempt" -le "$RETRIES" ] && wait_quiet 30
  done
  return 0
}

# Checks a started target in both modes (which sets the modes it is measured in) and records its
# idle RSS. check_target TARGET
check_target() {
  local t=$1 url=${URL[$1]}
  local -a hdr=()
  [ "$t" = portkey ] && hdr=(-H "x-portkey-provider: openai" -H "x-portkey-custom-host: $PORTKEY_UPSTREAM_URL")
  must_check "$t" "$url" json "${hdr[@]}"
  TMODES[$t]=$MODES
  if ! check "$url" sse "${hdr[@]}"; then
    if [ "$t" = portkey ] && [ "$CHECK_STATUS" = 500 ]; then
      NOTE[portkey|sse]="HTTP 500 on every streaming request (known Portkey 1.15.2 bug, gateway #1389/#1550); not measured"
      log "  Portkey answers streaming requests with HTTP 500 (known 1.15.2 bug): SSE not measured"
      TMODES[$t]=json
    else
      die "$t does not answer an sse chat request correctly at $url — $CHECK_WHY"
    fi
  fi
  sleep 0.5
  IDLE[$t]=$(rss_of "${PID[$t]}")
}

# Median of numbers (one per line on stdin); nothing when there are none.
median() {
  sort -g | awk 'NF { a[++n] = $1 } END { if (n) printf "%.10g\n", n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }'
}

# M[target|mode|conns] = "rps p50 p99 errors cpu rss rps_min rps_max rounds": medians over the
# rounds of rps, p50, p99 and CPU per request; errors summed; the largest end-of-load RSS.
aggregate() {
  local t mode conns r v vals
  for t in $TARGETS; do
    for mode in $MODES; do
      for conns in $CONNS_LIST; do
        vals=""
        for r in $(seq "$ROUNDS"); do
          v=${R[$t|$mode|$conns|$r]:-}
          [ -n "$v" ] && vals+="$v"$'\n'
        done
        [ -n "$vals" ] || continue
        M[$t|$mode|$conns]=$(printf '%s' "$vals" | awk '
          function med(a, n,   i, j, x) {
            for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
            return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
          }
          { n++; rps[n] = $1; p50[n] = $2; p99[n] = $3; err += $4; cpu[n] = $5; if ($6 > rss) rss = $6
            if (n == 1 || $1 < lo) lo = $1; if (n == 1 || $1 > hi) hi = $1 }
          END { printf "%.1f %.0f %.0f %d %.1f %d %.1f %.1f %d\n", med(rps, n), med(p50, n), med(p99, n), err,
                  med(cpu, n), rss, lo, hi, n }')
      done
    done
  done
}

# ---------------------------------------------------------------- preparation
# How busy the machine is before we start anything: other load skews every figure.
cpu_busy_pct() { # over 1 s, all CPUs, from /proc/stat
  local a b
  a=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat)
  sleep 1
  b=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); busy = y[1] - x[1]; idle = y[2] - x[2];
    printf "%.0f", (busy + idle > 0) ? 100 * busy / (busy + idle) : 0 }'
}
# wait_quiet SECONDS: until the CPUs are at most 10% busy (over 1 s) or SECONDS have passed;
# sets BUSY to the last figure.
wait_quiet() {
  local waited=0
  BUSY=$(cpu_busy_pct)
  while [ "$BUSY" -gt 10 ] && [ "$waited" -lt "$1" ]; do
    sleep 1
    BUSY=$(cpu_busy_pct)
    waited=$((waited + 2))
  done
}
BUSY_BEFORE=$(cpu_busy_pct)
if [ "$BUSY_BEFORE" -gt 10 ] && [ "$WAIT_IDLE" -gt 0 ]; then
  log "the CPUs are ${BUSY_BEFORE}% busy: waiting up to ${WAIT_IDLE} s for them to quieten (BENCH_WAIT_IDLE)"
  wait_quiet "$WAIT_IDLE"
  BUSY_BEFORE=$BUSY
fi
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
[ "$BUSY_BEFORE" -gt 10 ] && log "warning: the CPUs were ${BUSY_BEFORE}% busy before the run (other processes): figures will be noisy"

log "setting up peers (bench/peers/setup.sh)"
PEERS_DIR=${PEERS_DIR:-$HOME/.cache/baton-peers}
export PEERS_DIR
"$peers/setup.sh" >&2 || die "bench/peers/setup.sh failed (it needs apt-get for nginx/wrk/node and npm for Portkey)"
for c in wrk nginx node curl taskset pgrep; do command -v "$c" >/dev/null || die "$c is not installed"; done
taskset -c "$SERVER_CPU" true 2>/dev/null && taskset -c "$CLIENT_CPU" true 2>/dev/null ||
  die "this layout needs CPUs $CLIENT_CPU and $SERVER_CPU (nproc: $(nproc))"

BATON_BIN=${BATON_BIN:-$root/build/baton}
BATON_MOCK_BIN=${BATON_MOCK_BIN:-$root/build/baton-mock}
if { [ ! -x "$BATON_BIN" ] || [ ! -x "$BATON_MOCK_BIN" ]; } && [ -f "$root/build/build.ninja" ]; then
  log "building baton and baton-mock"
  cmake --build "$root/build" --target baton baton-mock >&2 || die "build failed"
fi
[ -x "$BATON_BIN" ] || die "$BATON_BIN not found: run 'make build' (or 'make bench')"
[ -x "$BATON_MOCK_BIN" ] || die "$BATON_MOCK_BIN not found: run 'make build' (or 'make bench')"
# Private copies: a rebuild during the run must not swap the binaries between targets.
cp "$BATON_BIN" "$work/baton" && cp "$BATON_MOCK_BIN" "$work/baton-mock"
BATON_BUILT=$(date -u -r "$BATON_BIN" '+%Y-%m-%d %H:%M:%S UTC')
BATON=$work/baton
MOCK_BIN=$work/baton-mock

# ---------------------------------------------------------------- the run
log "upstream: baton-mock on CPU $CLIENT_CPU (1 thread, $CHUNKS chunks)"
start_mock upstream-mock "$CLIENT_CPU"
UP_PID=$MOCK_PID UP_PORT=$MOCK_PORT
must_check "upstream mock" "http://127.0.0.1:$UP_PORT/v1/chat/completions" json
must_check "upstream mock" "http://127.0.0.1:$UP_PORT/v1/chat/completions" sse
CHAT=/v1/chat/completions
PORTKEY_UPSTREAM_URL=http://127.0.0.1:$UP_PORT/v1

# Every target is started once, checked and its idle RSS taken (before any load); they all stay up
# for the rounds, idle while another is measured.
declare -A PID=() URL=() TMODES=() ORDER=()
for t in $TARGETS; do
  case $t in
  direct)
    log "target: baton-mock direct (second instance on CPU $SERVER_CPU)"
    start_mock direct-mock "$SERVER_CPU"
    PID[$t]=$MOCK_PID URL[$t]=http://127.0.0.1:$MOCK_PORT$CHAT
    ;;
  nginx)
    log "target: nginx proxy_pass (1 worker on CPU $SERVER_CPU)"
    start_nginx
    PID[$t]=$NGINX_PID URL[$t]=http://127.0.0.1:$NGINX_PORT$CHAT
    ;;
  portkey)
    log "target: Portkey gateway (Node, CPU $SERVER_CPU)"
    start_portkey
    PID[$t]=$PORTKEY_PID URL[$t]=http://127.0.0.1:$PORTKEY_PORT$CHAT
    ;;
  baton)
    log "target: Baton, 1 worker thread pinned to CPU $SERVER_CPU"
    start_baton 1 "$SERVER_CPU"
    PID[$t]=$BATON_PID URL[$t]=http://127.0.0.1:$BATON_PORT$CHAT
    ;;
  baton2)
    log "target: Baton, 2 worker threads, unpinned"
    start_baton 2 ""
    PID[$t]=$BATON_PID URL[$t]=http://127.0.0.1:$BATON_PORT$CHAT
    ;;
  esac
  check_target "$t"
done

# The rounds: in round r the target list is rotated by r-1; within a round, for each mode and
# connection count, every target is measured in that order (so that Baton and nginx are measured
# close together in time, under the same drift).
read -r -a target_list <<<"$TARGETS"
n_targets=${#target_list[@]}
for r in $(seq "$ROUNDS"); do
  k=$(((r - 1) % n_targets))
  order=("${target_list[@]:k}" "${target_list[@]:0:k}")
  ORDER[$r]="${order[*]}"
  log "round $r/$ROUNDS: ${order[*]}"
  for mode in $MODES; do
    for conns in $CONNS_LIST; do
      for t in "${order[@]}"; do
        [[ " ${TMODES[$t]} " == *" $mode "* ]] || continue
        measure "$t" "${PID[$t]}" "${URL[$t]}" "$mode" "$conns" "$r"
      done
    done
  done
done
for t in $TARGETS; do
  PEAK[$t]=$(hwm_of "${PID[$t]}")
  stop_pid "${PID[$t]}"
done
stop_pid "$UP_PID"
aggregate

# ---------------------------------------------------------------- report
declare -A LABEL=(
  [direct]="baton-mock direct (CPU 1)"
  [nginx]="nginx proxy_pass, 1 worker (CPU 1)"
  [portkey]="Portkey 1.15.2, Node (CPU 1)"
  [baton]="Baton, 1 thread (CPU 1)"
  [baton2]="Baton, 2 threads (unpinned)"
)
field() { # TARGET MODE CONNS INDEX -> value over the rounds (M), or empty
  # INDEX: 1=rps 2=p50 3=p99 (medians) 4=errors (sum) 5=cpu µs/req (median) 6=rss (max)
  #        7=rps min 8=rps max 9=rounds measured
  local v=${M[$1|$2|$3]:-}
  [ -n "$v" ] && echo "$v" | awk -v i="$4" '{print $i}'
  return 0
}
round_field() { # TARGET MODE CONNS ROUND INDEX(1=rps 2=p50 3=p99 4=errors 5=cpu 6=rss) -> value or empty
  local v=${R[$1|$2|$3|$4]:-}
  [ -n "$v" ] && echo "$v" | awk -v i="$5" '{print $i}'
  return 0
}
# Per-round ratios B/N of field INDEX (each from one round, where both were measured), one a line.
round_ratios() { # TARGET_B TARGET_N MODE CONNS INDEX
  local r x y
  for r in $(seq "$ROUNDS"); do
    x=$(round_field "$1" "$3" "$4" "$r" "$5") y=$(round_field "$2" "$3" "$4" "$r" "$5")
    [ -n "$x" ] && [ -n "$y" ] && awk -v x="$x" -v y="$y" 'BEGIN { printf "%.10g\n", x / (y > 0 ? y : 1) }'
  done
  return 0
}
joined() { # FORMAT: numbers on stdin -> "a, b, c" in that format
  awk -v f="$1" 'NF { printf "%s" f, (n++ ? ", " : ""), $1 }'
}
per_round() { # TARGET MODE CONNS INDEX FORMAT -> "a / b / c" in round order ("—" where not measured)
  local r v out=""
  for r in $(seq "$ROUNDS"); do
    v=$(round_field "$1" "$2" "$3" "$r" "$4")
    if [ -n "$v" ]; then v=$(calc "$5" "$v"); else v="—"; fi
    out+="${out:+ / }$v"
  done
  echo "$out"
}
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
mb() { calc "%.1f" "$1 / 1024"; }
verdict() { # AWK-CONDITION -> MET / MISSED
  if awk "BEGIN { exit !($1) }"; then echo MET; else echo MISSED; fi
}

commit=$(TZ=UTC git -C "$root" log -1 --date=format-local:'%Y-%m-%d %H:%M:%S UTC' --format='%h, committed %cd' --abbrev=12 2>/dev/null || echo unknown)
dirty=""
[ -n "$(git -C "$root" status --porcelain --untracked-files=no -- . ':!bench' 2>/dev/null || true)" ] && dirty=" (working tree has uncommitted changes outside bench/)"
cpu_model=$(lscpu 2>/dev/null | sed -nE 's/^Model name:[[:space:]]+//p' | head -n1)
[ -n "$cpu_model" ] || cpu_model=$(sed -nE 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n1)
portkey_version=$(sed -nE 's/^[[:space:]]*"version": "([^"]+)".*/\1/p' "$PEERS_DIR/node_modules/@portkey-ai/gateway/package.json" 2>/dev/null | head -n1)

report() {
  local t mode conns r v rps p50 p99 err cpu rss lo hi
  echo "# Baton benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- machine: $(nproc) CPUs, ${cpu_model:-unknown CPU}, Linux $(uname -r)"
  echo "- before the run: CPUs ${BUSY_BEFORE}% busy with other processes, load average $LOAD_BEFORE$([ "$BUSY_BEFORE" -gt 10 ] && echo " — **the machine was not idle: figures are noisier than usual**")"
  echo "- commit: $commit$dirty; $("$BATON" version 2>/dev/null || echo baton) (binary built $BATON_BUILT); nginx $(nginx -v 2>&1 | sed 's/.*\///'); Portkey ${portkey_version:-?} on Node $(node --version); $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2)"
  echo "- $ROUNDS round(s) of ${SECS} s per measurement$([ "$WARMUP" -gt 0 ] && echo ", each after ${WARMUP} s of untimed 50-connection warm-up")$([ "$QUICK" = 1 ] && echo " (BENCH_QUICK smoke run: figures are indicative only)"); wrk -t1 on CPU 0 with the upstream baton-mock (1 thread); server under test alone on CPU 1 (Baton 2 threads: unpinned); every target started once and idle while the others are measured"
  printf -- '- order: in each round, for each mode and connection count, every target in turn:'
  for r in $(seq "$ROUNDS"); do printf ' round %s: %s%s' "$r" "${ORDER[$r]}" "$([ "$r" -lt "$ROUNDS" ] && echo ";" || echo ".")"; done
  echo
  echo "- request: chat completion, model gpt-4o-mini, max_tokens $CHUNKS; sse = \"stream\": true, $CHUNKS content chunks per response"
  echo
  echo "Figures are medians over the rounds (rps also with its min–max over the rounds); errors are summed over the rounds; RSS is the largest end-of-load RSS."
  echo
  echo "| target | mode | conns | rps median (min–max) | p50 µs | p99 µs | errors | server CPU µs/req | RSS KB |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
  for t in $TARGETS; do
    for mode in $MODES; do
      for conns in $CONNS_LIST; do
        v=${M[$t|$mode|$conns]:-}
        if [ -n "$v" ]; then
          read -r rps p50 p99 err cpu rss lo hi _ <<<"$v"
          printf '| %s | %s | %s | %s (%s–%s) | %s | %s | %s | %s | %s |\n' "${LABEL[$t]}" "$mode" "$conns" \
            "$(calc %.0f "$rps")" "$(calc %.0f "$lo")" "$(calc %.0f "$hi")" "$p50" "$p99" "$err" "$cpu" "$rss"
        elif [ -n "${NOTE[$t|$mode]:-}" ]; then
          printf '| %s | %s | %s | — | — | — | all (HTTP 500) | — | — |\n' "${LABEL[$t]}" "$mode" "$conns"
        fi
      done
    done
  done
  echo
  echo "Memory (KB; idle = after start and one JSON + one SSE check request, before any load; peak = VmHWM after all its loads):"
  echo
  echo "| target | idle RSS KB | peak RSS KB |"
  echo "|---|---:|---:|"
  for t in $TARGETS; do
    printf '| %s | %s | %s |\n' "${LABEL[$t]}" "${IDLE[$t]:-—}" "${PEAK[$t]:-—}"
  done
  for k in "${!NOTE[@]}"; do
    echo
    echo "Note — ${LABEL[${k%%|*}]}, ${k#*|}: ${NOTE[$k]}."
  done
  local warned="" other
  for t in $TARGETS; do
    for mode in $MODES; do
      for conns in $CONNS_LIST; do
        for r in $(seq "$ROUNDS"); do
          err=$(round_field "$t" "$mode" "$conns" "$r" 4)
          if [ -n "$err" ] && [ "$err" != 0 ]; then
            [ -z "$warned" ] && { echo; warned=1; }
            echo "Warning — ${LABEL[$t]}, $mode, $conns conns, round $r: $err errors (socket errors or HTTP ≥ 400) during the measurement."
          fi
          other=${OTHER[$t|$mode|$conns|$r]:-0}
          if [ "$other" -gt "$OTHER_WARN" ]; then
            [ -z "$warned" ] && { echo; warned=1; }
            echo "Warning — ${LABEL[$t]}, $mode, $conns conns, round $r: processes outside the benchmark used ${other}% of a CPU during the measurement (least disturbed of $((RETRIES + 1)) attempts); this round's figures are not reliable (the median over the rounds limits their weight)."
          fi
        done
      done
    done
  done

  echo
  echo "## Targets (issue 2) and ratios"
  echo
  echo "Verdicts against nginx use the **median of the per-round ratios** (Baton and nginx measured in the same round, close together in time, which cancels most of the machine's drift); the per-round ratios and the ratio of the medians are shown alongside. Other verdicts use the medians over the rounds."
  echo
  echo "| check | figure | target | verdict |"
  echo "|---|---|---|---|"
  ratios baton "Baton (1 thread, CPU 1)" 1
  if [[ " $TARGETS " == *" baton2 "* ]]; then
    echo
    echo "Baton with 2 threads, unpinned (it shares CPU 0 with wrk and the upstream mock, so this is not a like-for-like comparison with the 1-worker nginx on CPU 1; reported separately):"
    echo
    echo "| check | figure | target | verdict |"
    echo "|---|---|---|---|"
    ratios baton2 "Baton (2 threads)" 0
  fi

  echo
  echo "## Per-round figures"
  echo
  echo "Round 1 / round 2 / … in the order measured."
  echo
  echo "| target | mode | conns | rps | p50 µs | server CPU µs/req |"
  echo "|---|---|---:|---:|---:|---:|"
  for t in $TARGETS; do
    for mode in $MODES; do
      for conns in $CONNS_LIST; do
        [ -n "${M[$t|$mode|$conns]:-}" ] || continue
        printf '| %s | %s | %s | %s | %s | %s |\n' "${LABEL[$t]}" "$mode" "$conns" \
          "$(per_round "$t" "$mode" "$conns" 1 %.0f)" "$(per_round "$t" "$mode" "$conns" 2 %.0f)" \
          "$(per_round "$t" "$mode" "$conns" 5 %.1f)"
      done
    done
  done
}

# ratios TARGET NAME WITH_MEMORY
ratios() {
  local b=$1 name=$2 with_mem=$3 mode br nr bp np pr pp bc pc dp rr med
  for mode in $MODES; do
    br=$(field "$b" "$mode" 50 1) nr=$(field nginx "$mode" 50 1)
    rr=$(round_ratios "$b" nginx "$mode" 50 1)
    if [ -n "$br" ] && [ -n "$nr" ] && [ -n "$rr" ]; then
      med=$(median <<<"$rr")
      printf '| %s rps / nginx rps, %s, 50 conns | **%s** (median of per-round ratios %s; ratio of medians %s = %s / %s) | ≥ 0.8 | %s |\n' \
        "$name" "$mode" "$(calc %.2f "$med")" "$(joined %.2f <<<"$rr")" "$(calc %.2f "$br / $nr")" \
        "$(calc %.0f "$br")" "$(calc %.0f "$nr")" "$(verdict "$med >= 0.8")"
    else
      printf '| %s rps / nginx rps, %s, 50 conns | n/a (not measured) | ≥ 0.8 | n/a |\n' "$name" "$mode"
    fi
  done
  for mode in $MODES; do
    bp=$(field "$b" "$mode" 1 2) np=$(field nginx "$mode" 1 2) dp=$(field direct "$mode" 1 2)
    rr=$(round_ratios "$b" nginx "$mode" 1 2)
    if [ -n "$bp" ] && [ -n "$np" ] && [ -n "$rr" ]; then
      local added=""
      med=$(median <<<"$rr")
      [ -n "$dp" ] && added="; added over direct (medians): Baton $((bp - dp)) µs, nginx $((np - dp)) µs"
      printf '| %s p50 / nginx p50, %s, 1 conn | **%s×** (median of per-round ratios %s; medians %s µs vs %s µs%s) | ≤ 1× (Baton ≤ nginx) | %s |\n' \
        "$name" "$mode" "$(calc %.2f "$med")" "$(joined %.2f <<<"$rr")" "$bp" "$np" "$added" "$(verdict "$med <= 1")"
    else
      printf '| %s p50 / nginx p50, %s, 1 conn | n/a (not measured) | ≤ 1× (Baton ≤ nginx) | n/a |\n' "$name" "$mode"
    fi
  done
  for mode in $MODES; do
    bc=$(field "$b" "$mode" 50 5) nr=$(field nginx "$mode" 50 5)
    rr=$(round_ratios "$b" nginx "$mode" 50 5)
    if [ -n "$bc" ] && [ -n "$nr" ] && [ -n "$rr" ]; then
      printf '| %s server CPU per request / nginx, %s, 50 conns | %s× (median of per-round ratios %s; medians %s µs vs %s µs) | — (information) | — |\n' \
        "$name" "$mode" "$(calc %.2f "$(median <<<"$rr")")" "$(joined %.2f <<<"$rr")" "$bc" "$nr"
    fi
  done
  if [ "$with_mem" = 1 ]; then
    local idle=${IDLE[$b]:-} load=0 peak=${PEAK[$b]:-} v
    if [ -n "$idle" ]; then
      printf '| %s idle RSS | %s MB (%s KB) | ≤ 20 MB | %s |\n' "$name" "$(mb "$idle")" "$idle" "$(verdict "$idle <= 20 * 1024")"
    fi
    for mode in $MODES; do
      v=$(field "$b" "$mode" 50 6)
      [ -n "$v" ] && [ "$v" -gt "$load" ] && load=$v
    done
    if [ -n "$peak" ]; then
      [ "$peak" -gt "$load" ] && load=$peak
      printf '| %s RSS under 50-conn load (max of end-of-load RSS and VmHWM peak) | %s MB (%s KB) | ≤ 40 MB | %s |\n' \
        "$name" "$(mb "$load")" "$load" "$(verdict "$load <= 40 * 1024")"
    fi
  fi
  # Against Portkey (no numeric target in the issue: Baton should simply be better). Medians.
  br=$(field "$b" json 50 1) pr=$(field portkey json 50 1)
  if [ -n "$br" ] && [ -n "$pr" ]; then
    printf '| %s rps / Portkey rps, json, 50 conns (medians) | %s× (%s / %s) | > 1× | %s |\n' "$name" \
      "$(calc %.1f "$br / $pr")" "$(calc %.0f "$br")" "$(calc %.0f "$pr")" "$(verdict "$br > $pr")"
  fi
  bp=$(field "$b" json 1 2) pp=$(field portkey json 1 2)
  if [ -n "$bp" ] && [ -n "$pp" ]; then
    printf '| %s p50 / Portkey p50, json, 1 conn (medians) | %s× (%s µs vs %s µs) | < 1× | %s |\n' "$name" \
      "$(calc %.2f "$bp / $pp")" "$bp" "$pp" "$(verdict "$bp < $pp")"
  fi
  bc=$(field "$b" json 50 5) pc=$(field portkey json 50 5)
  if [ -n "$bc" ] && [ -n "$pc" ]; then
    printf '| %s server CPU per request / Portkey, json, 50 conns (medians) | %s× (%s µs vs %s µs) | < 1× | %s |\n' "$name" \
      "$(calc %.3f "$bc / ($pc > 0 ? $pc : 1)")" "$bc" "$pc" "$(verdict "$bc < $pc")"
  fi
  if [ "$with_mem" = 1 ] && [ -n "${PEAK[$b]:-}" ] && [ -n "${PEAK[portkey]:-}" ]; then
    printf '| %s peak RSS / Portkey peak RSS | %s× (%s MB vs %s MB) | < 1× | %s |\n' "$name" \
      "$(calc %.2f "${PEAK[$b]} / ${PEAK[portkey]}")" "$(mb "${PEAK[$b]}")" "$(mb "${PEAK[portkey]}")" \
      "$(verdict "${PEAK[$b]} < ${PEAK[portkey]}")"
  fi
  if [[ " $TARGETS " == *" portkey "* ]] && [ -n "${NOTE[portkey|sse]:-}" ]; then
    printf '| %s vs Portkey, sse | Portkey answers every streaming request with HTTP 500 | — | n/a |\n' "$name"
  fi
  return 0
}

mkdir -p "$results"
report >"$work/report.md"
cp "$work/report.md" "$results/latest.md"
cp "$work/report.md" "$results/$(date -u +%Y%m%d-%H%M%S).md"
cat "$work/report.md"
log "report written to bench/results/latest.md"
ok=1
