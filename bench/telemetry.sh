#!/usr/bin/env bash
# What the request log, the Prometheus metrics and live events cost per request together (issue 6
# target: <= 3 µs), measured end to end: the same load against two Batons in one run, one with all
# three off ([log] enabled = false, [metrics] enabled = false, [events] enabled = false) and one
# with all three on as a user runs them: the JSONL request log written to disk (group commit, no
# fsync, hash chain; no master key, so no store and no spend rows), the counters kept, and one live subscriber reading every event over SSE
# (`GET /events`). The figure is the server's CPU time per request (utime + stime over the run /
# requests), whose difference is the added work; rps is shown too.
#
# Layout (bench/peers/README.md): wrk, baton-mock and the SSE subscriber on CPU 0, the Baton under
# test alone on CPU 1 with one worker thread; rounds alternate the order of the two.
# env: BENCH_ROUNDS (default 3), BENCH_SECONDS (default 5), BATON_BIN, BATON_MOCK_BIN,
#      BENCH_PARTS (default "log metrics events": what the 'on' Baton turns on, to see each share).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
ROUNDS=${BENCH_ROUNDS:-3}
SECS=${BENCH_SECONDS:-5}
BATON=${BATON_BIN:-$root/build/baton}
MOCK=${BATON_MOCK_BIN:-$root/build/baton-mock}
work=$(mktemp -d /tmp/baton-telemetry.XXXXXX)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
bench_init
log() { printf 'bench-telemetry: %s\n' "$*" >&2; }

taskset -c 0 "$MOCK" --host 127.0.0.1 --port 0 --threads 1 >"$work/mock.log" 2>&1 &
bench_track $!
mock_port=$(wait_port "$work/mock.log")

read -r off_url off_pid < <(bench_baton off '' '[log]
enabled = false

[metrics]
enabled = false

[events]
enabled = false')
PARTS=${BENCH_PARTS:-log metrics events}
on_toml=""
for part in log metrics events; do
  case " $PARTS " in
    *" $part "*) [ $part = log ] && on_toml+=$'[log]\ndir = "'"$work/logs"$'"\n\n' ;;
    *) on_toml+="[$part]"$'\nenabled = false\n\n' ;;
  esac
done
read -r on_url on_pid < <(bench_baton on '' "$on_toml")

# The live subscriber: every event, as SSE, read and thrown away on CPU 0.
taskset -c 0 curl -sN -H 'accept: text/event-stream' "$on_url/events" >"$work/events.sse" &
bench_track $!

declare -A url pid
url[off]=$off_url pid[off]=$off_pid
url[on]=$on_url pid[on]=$on_pid
for t in off on; do
  code=$(curl -s -o "$work/check-$t.json" -w '%{http_code}' "${url[$t]}/v1/chat/completions" \
    -H "authorization: Bearer sk-test" -d '{"model":"gpt-4o-mini","max_tokens":16,"messages":[{"role":"user","content":"Hello!"}]}')
  [ "$code" = 200 ] || { log "$t sanity request: $code $(cat "$work/check-$t.json")"; exit 1; }
done
sleep 0.5
case " $PARTS " in
  *" events "*) grep -q 'model.request.complete' "$work/events.sse" ||
    { log "the subscriber saw no event: $(head -c 300 "$work/events.sse")"; exit 1; } ;;
esac
[ "$(curl -s -o /dev/null -w '%{http_code}' "$off_url/metrics")" = 404 ] ||
  { log "metrics are not off in the 'off' Baton"; exit 1; }

for t in off on; do  # warm-up
  wrk_chat_cpu "${url[$t]}" sk-test "${pid[$t]}" 1 >/dev/null
done
declare -A rps cpu errs
for r in $(seq 1 "$ROUNDS"); do
  order=(off on)
  [ $((r % 2)) = 0 ] && order=(on off)
  for t in "${order[@]}"; do
    read -r a b c < <(wrk_chat_cpu "${url[$t]}" sk-test "${pid[$t]}" "$SECS")
    rps[$t]+="$a " cpu[$t]+="$b "
    errs[$t]=$((${errs[$t]:-0} + c))
    log "round $r $t: $a rps, $b µs CPU/request, $c errors"
  done
done
med() { echo "$1" | tr ' ' '\n' | grep . | median; }
r_off=$(med "${rps[off]}") r_on=$(med "${rps[on]}")
c_off=$(med "${cpu[off]}") c_on=$(med "${cpu[on]}")
added=$(awk -v a="$c_on" -v b="$c_off" 'BEGIN{printf "%.2f", a - b}')
verdict=$(awk -v d="$added" 'BEGIN{print (d <= 3 ? "met" : "MISSED")}')
lines=$( (cat "$work"/logs/*.jsonl 2>/dev/null || true) | wc -l)
events=$(grep -c '^event: model.request.complete' "$work/events.sse" || true)
served=$(curl -s "$on_url/metrics" | awk '/^baton_requests_total\{/ {s += $NF} END {printf "%d", s}')

echo "## Request log + metrics + events: added cost per request"
echo
echo "- $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$root" rev-parse --short HEAD), $ROUNDS rounds × ${SECS} s, 50 connections, non-streaming, Baton 1 worker alone on CPU 1, wrk + baton-mock + one SSE subscriber on CPU 0, no virtual keys"
echo
echo "| Baton | rps (median) | server CPU µs / request (median) | errors |"
echo "|---|---|---|---|"
echo "| log, metrics and events off | $r_off | $c_off | ${errs[off]} |"
echo "| on: $PARTS (log: JSONL with hash chain, no store behind it; events: 1 SSE subscriber) | $r_on | $c_on | ${errs[on]} |"
echo
echo "Added per request: **$added µs** of server CPU (target ≤ 3 µs: $verdict); throughput on/off $(awk -v a="$r_on" -v b="$r_off" 'BEGIN{printf "%.3f", a/b}'). Check of the 'on' Baton after the run: $lines request-log lines, $served requests in baton_requests_total, $events model.request.complete events received by the subscriber."
