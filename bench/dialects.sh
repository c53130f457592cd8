#!/usr/bin/env bash
# Cross-dialect cost (issue 3): one Baton (1 worker, CPU 1) in front of one baton-mock (CPU 0,
# with wrk), measured at 50 connections with the same small request in two shapes:
#   passthrough  OpenAI client → /v1/chat/completions → OpenAI-dialect upstream (byte splice)
#   translated   Anthropic client → /v1/messages → the same upstream (parse, canonical, render;
#                the answer decoded and re-encoded event by event)
# JSON and SSE (20 chunks). Rounds interleave the two so drift hits both; the report gives the
# median rps of each and the median per-round ratio passthrough/translated (target ≤ 1.3), then
# the translator micro-benchmarks (build/baton_bench_translate).
# env: BENCH_ROUNDS (default 3), BENCH_SECONDS (default 5), BATON_BIN, BATON_MOCK_BIN.
# Listens on 127.0.0.1 only; everything started is stopped on exit.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
ROUNDS=${BENCH_ROUNDS:-3}
SECS=${BENCH_SECONDS:-5}
CHUNKS=20
BATON=${BATON_BIN:-$root/build/baton}
MOCK=${BATON_MOCK_BIN:-$root/build/baton-mock}
work=$(mktemp -d /tmp/baton-dialects.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
log() { printf 'bench-dialects: %s\n' "$*" >&2; }

wait_port() { # LOGFILE -> port
  for _ in $(seq 1 100); do
    if grep -qE 'listening on http://[^ ]+:[0-9]+' "$1" 2>/dev/null; then
      grep -oE 'listening on http://[^ ]+:[0-9]+' "$1" | head -1 | sed -E 's/.*:([0-9]+)$/\1/'
      return
    fi
    sleep 0.05
  done
  echo "no port in $1" >&2
  cat "$1" >&2
  exit 1
}

taskset -c 0 "$MOCK" --host 127.0.0.1 --port 0 --threads 1 --chunks $CHUNKS >"$work/mock.log" 2>&1 &
pids+=($!)
up=$(wait_port "$work/mock.log")
cat >"$work/baton.toml" <<TOML
[server]
host = "127.0.0.1"
port = 0
threads = 1

[providers.mock]
kind = "openai-compatible"
base_url = "http://127.0.0.1:$up/v1"
api_key = "sk-bench"

[models.gpt-4o-mini]
deployments = ["mock/gpt-4o-mini"]
TOML
taskset -c 1 "$BATON" serve --config "$work/baton.toml" --port 0 >"$work/baton.log" 2>&1 &
pids+=($!)
port=$(wait_port "$work/baton.log")
base=http://127.0.0.1:$port
export MODEL=gpt-4o-mini MAX_TOKENS=$CHUNKS AUTH=sk-test

# Sanity: both shapes answer 200 before measuring.
curl -sf -o /dev/null "$base/v1/chat/completions" -H 'content-type: application/json' \
  -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello!"}]}'
curl -sf -o /dev/null "$base/v1/messages" -H 'content-type: application/json' -H 'anthropic-version: 2023-06-01' \
  -d '{"model":"gpt-4o-mini","max_tokens":20,"messages":[{"role":"user","content":"Hello!"}]}'

measure() { # SCRIPT PATH STREAM -> rps
  local out
  out=$(STREAM=$3 taskset -c 0 wrk -t1 -c50 -d"${SECS}s" -s "$1" "$base$2" | grep '^RESULT')
  local errors
  errors=$(echo "$out" | sed -E 's/.*errors=([0-9]+).*/\1/')
  [ "$errors" = 0 ] || log "WARNING: $errors errors ($2 stream=$3)"
  echo "$out" | sed -E 's/.*rps=([0-9.]+).*/\1/'
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -A rps
for mode in json sse; do
  stream=0
  [ $mode = sse ] && stream=1
  # warm-up
  STREAM=$stream taskset -c 0 wrk -t1 -c50 -d1s -s "$root/bench/peers/chat.lua" "$base/v1/chat/completions" >/dev/null
  STREAM=$stream taskset -c 0 wrk -t1 -c50 -d1s -s "$here/messages.lua" "$base/v1/messages" >/dev/null
  for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then
      a=$(measure "$root/bench/peers/chat.lua" /v1/chat/completions $stream)
      b=$(measure "$here/messages.lua" /v1/messages $stream)
    else
      b=$(measure "$here/messages.lua" /v1/messages $stream)
      a=$(measure "$root/bench/peers/chat.lua" /v1/chat/completions $stream)
    fi
    log "$mode round $r: passthrough $a rps, translated $b rps"
    rps[$mode,pass]+="$a "
    rps[$mode,trans]+="$b "
    rps[$mode,ratio]+="$(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.3f", a/b}') "
  done
done

echo "## Cross-dialect cost: Anthropic client → OpenAI upstream vs. OpenAI passthrough"
echo
echo "- $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$root" rev-parse --short HEAD), $ROUNDS rounds × ${SECS} s, 50 connections, Baton 1 worker on CPU 1, wrk + baton-mock on CPU 0, $CHUNKS-chunk streams"
echo
echo "| mode | passthrough rps (median) | translated rps (median) | ratio passthrough/translated (median of rounds) | target ≤ 1.3 |"
echo "|---|---|---|---|---|"
for mode in json sse; do
  p=$(echo "${rps[$mode,pass]}" | tr ' ' '\n' | grep . | median)
  t=$(echo "${rps[$mode,trans]}" | tr ' ' '\n' | grep . | median)
  q=$(echo "${rps[$mode,ratio]}" | tr ' ' '\n' | grep . | median)
  ok=$(awk -v q="$q" 'BEGIN{print (q <= 1.3 ? "met" : "MISSED")}')
  echo "| $mode | $p | $t | $q | $ok |"
done
if [ -x "$root/build/baton_bench_translate" ]; then
  echo
  echo "### Translator micro-benchmarks (Google Benchmark, one core)"
  echo
  echo '```'
  taskset -c 1 "$root/build/baton_bench_translate" --benchmark_min_time=0.3 2>/dev/null |
    grep -E '^(Translate|Benchmark|-)' || true
  echo '```'
fi
