#!/usr/bin/env bash
# Live events under load (issue 6 target): the 50-connection non-streaming JSON benchmark against
# one Baton, without subscribers and with 1000 WebSocket subscribers to GET /events connected
# (a node process using `ws`, CPU 0). Throughput with subscribers must stay >= 0.9x without.
# Two subscriber kinds, each its own rounds: "all" (no filter: every subscriber is sent every
# event, and falls behind and loses events when it cannot keep up) and "filtered"
# (?types=model.fallback,model.cooldown: connected, woken only by what they asked for).
#
# Layout (bench/peers/README.md): wrk, baton-mock and the subscriber process on CPU 0, the Baton
# under test alone on CPU 1 with one worker thread; rounds alternate the order. The subscriber
# process runs at nice 19 (BENCH_SUBS_NICE): it stands for clients on other machines, and at the
# default priority its own CPU for receiving frames is taken from wrk and baton-mock on CPU 0,
# which measures the load generator rather than Baton. Baton's own delivery thread is at nice 19
# on CPU 1 beside its request thread (docs/events.md).
# env: BENCH_ROUNDS (default 3), BENCH_SECONDS (default 5), BENCH_SUBSCRIBERS (default 1000),
#      BENCH_SUBS_NICE (default 19), BATON_BIN, BATON_MOCK_BIN.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
ROUNDS=${BENCH_ROUNDS:-3}
SECS=${BENCH_SECONDS:-5}
SUBS=${BENCH_SUBSCRIBERS:-1000}
SUBS_NICE=${BENCH_SUBS_NICE:-19}
BATON=${BATON_BIN:-$root/build/baton}
MOCK=${BATON_MOCK_BIN:-$root/build/baton-mock}
work=$(mktemp -d /tmp/baton-events.XXXXXX)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
bench_init
log() { printf 'bench-events: %s\n' "$*" >&2; }
MASTER=sk-bench-master-key-0123456789
[ -d "$root/tests/e2e/node_modules/ws" ] || (cd "$root/tests/e2e" && npm ci --silent)
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

taskset -c 0 "$MOCK" --host 127.0.0.1 --port 0 --threads 1 >"$work/mock.log" 2>&1 &
bench_track $!
mock_port=$(wait_port "$work/mock.log")

read -r url baton_pid < <(bench_baton baton "master_key = \"$MASTER\"" $'[log]\nenabled = false')
code=$(curl -s -o "$work/check.json" -w '%{http_code}' "$url/v1/chat/completions" \
  -H "authorization: Bearer $MASTER" -d '{"model":"gpt-4o-mini","max_tokens":16,"messages":[{"role":"user","content":"Hello!"}]}')
[ "$code" = 200 ] || { log "sanity request: $code $(cat "$work/check.json")"; exit 1; }

measure() { # -> "rps cpu_us_per_request errors requests"
  local before after out rps reqs errs hz
  before=$(cpu_ticks "$baton_pid")
  out=$(AUTH=$MASTER MODEL=gpt-4o-mini STREAM=0 taskset -c 0 wrk -t1 -c50 -d"${SECS}s" \
    -s "$here/peers/chat.lua" "$url/v1/chat/completions" | grep '^RESULT')
  after=$(cpu_ticks "$baton_pid")
  rps=$(echo "$out" | sed -E 's/.*rps=([0-9.]+).*/\1/')
  reqs=$(echo "$out" | sed -E 's/.*reqs=([0-9]+).*/\1/')
  errs=$(echo "$out" | sed -E 's/.*errors=([0-9]+).*/\1/')
  hz=$(getconf CLK_TCK)
  echo "$rps $(awk -v d=$((after - before)) -v hz="$hz" -v n="$reqs" 'BEGIN{printf "%.2f", d * 1e6 / hz / n}') $errs $reqs"
}

subs_pid=""
start_subs() { # TYPES ("" = all)
  taskset -c 0 nice -n "$SUBS_NICE" node "$here/events_subscribers.mjs" "$url" "$MASTER" "$SUBS" "$1" >"$work/subs.out" 2>&1 &
  subs_pid=$!
  bench_track $subs_pid
  for _ in $(seq 1 600); do
    grep -q '^READY' "$work/subs.out" && break
    kill -0 "$subs_pid" 2>/dev/null || { cat "$work/subs.out" >&2; exit 1; }
    sleep 0.1
  done
  grep -q "^READY $SUBS\$" "$work/subs.out" || { log "subscribers: $(cat "$work/subs.out")"; exit 1; }
}
stop_subs() { # prints the subscribers' DONE line (runs in $(...): no wait here)
  kill -TERM "$subs_pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    grep -q '^DONE' "$work/subs.out" && break
    sleep 0.05
  done
  grep '^DONE' "$work/subs.out" || true
}

AUTH=$MASTER MODEL=gpt-4o-mini taskset -c 0 wrk -t1 -c50 -d1s -s "$here/peers/chat.lua" \
  "$url/v1/chat/completions" >/dev/null  # warm-up
declare -A rps cpu errs done_line reqs_line
for kind in all filtered; do
  types=""
  [ "$kind" = filtered ] && types="model.fallback,model.cooldown"
  for r in $(seq 1 "$ROUNDS"); do
    order=(none subs)
    [ $((r % 2)) = 0 ] && order=(subs none)
    for t in "${order[@]}"; do
      key="$kind-$t"
      if [ "$t" = subs ]; then
        start_subs "$types"
      fi
      read -r a b c d < <(measure)
      if [ "$t" = subs ]; then
        done_line[$kind]=$(stop_subs)
        reqs_line[$kind]=$d
        wait "$subs_pid" 2>/dev/null || true
      fi
      rps[$key]+="$a " cpu[$key]+="$b "
      errs[$key]=$((${errs[$key]:-0} + c))
      log "$kind round $r $t: $a rps, $b µs CPU/request, $c errors ${done_line[$kind]:-}"
    done
  done
done
med() { echo "$1" | tr ' ' '\n' | grep . | median; }

echo "## Live events: 1000 WebSocket subscribers during the 50-connection benchmark"
echo
echo "- $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$root" rev-parse --short HEAD), $ROUNDS rounds × ${SECS} s per row, 50 connections, non-streaming, Baton 1 worker alone on CPU 1; wrk, baton-mock and the $SUBS subscribers (one node process) on CPU 0; request log off"
echo
echo "| subscribers | rps without (median) | rps with $SUBS (median) | ratio (target ≥ 0.9) | server CPU µs/request without / with | errors | subscriber side (last round): events received per subscriber of those published for it |"
echo "|---|---|---|---|---|---|---|"
for kind in all filtered; do
  rn=$(med "${rps[$kind-none]}") rs=$(med "${rps[$kind-subs]}")
  cn=$(med "${cpu[$kind-none]}") cs=$(med "${cpu[$kind-subs]}")
  ratio=$(awk -v a="$rs" -v b="$rn" 'BEGIN{printf "%.3f", a/b}')
  verdict=$(awk -v x="$ratio" 'BEGIN{print (x >= 0.9 ? "met" : "MISSED")}')
  label="every event (no filter)"
  [ "$kind" = filtered ] && label="?types=model.fallback,model.cooldown"
  # Published for each subscriber in the last round: 2 events a request (start, complete) when
  # unfiltered; none of the filtered types happen in this benchmark.
  per=0
  [ "$kind" = all ] && per=2
  side=$(echo "${done_line[$kind]:-}" | awk -v n="$SUBS" -v pub="$((per * ${reqs_line[$kind]:-0}))" '{
    for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    printf "%.0f of %d (%.2f%%), %.1f drop notices telling of %.0f lost; open at the end %d/%d", v["events"] / n, pub, pub ? 100 * v["events"] / n / pub : 100, v["dropped_notices"] / n, v["lost"] / n, v["open"], n }')
  echo "| $label | $rn | $rs | **$ratio** ($verdict) | $cn / $cs | $((${errs[$kind-none]} + ${errs[$kind-subs]})) | $side |"
done
