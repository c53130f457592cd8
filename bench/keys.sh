#!/usr/bin/env bash
# What virtual keys, rate limits and budgets cost per request (issue 5 target: <= 5 µs), measured
# end to end: the same load against two Batons in one run, one open (no master key, nothing
# counted) and one where every request presents a virtual key with rpm, tpm and a budget, in a
# team with a budget, under a global daily budget (all far from their limits, so every request
# is checked, reserved and settled and none refused). Both have [log] enabled = false: the
# request log is issue 6's own A/B. The figure is the server's CPU time per request (utime +
# stime over the run / requests), whose difference is the added work; rps is shown too.
#
# Layout (bench/peers/README.md): wrk and baton-mock on CPU 0, the Baton under test alone on
# CPU 1 with one worker thread; rounds alternate the order of the two.
# Afterwards the in-process micro-benchmark (build/baton_bench_limits) on CPU 1.
# env: BENCH_ROUNDS (default 3), BENCH_SECONDS (default 5), BATON_BIN, BATON_MOCK_BIN.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
ROUNDS=${BENCH_ROUNDS:-3}
SECS=${BENCH_SECONDS:-5}
BATON=${BATON_BIN:-$root/build/baton}
MOCK=${BATON_MOCK_BIN:-$root/build/baton-mock}
work=$(mktemp -d /tmp/baton-keys.XXXXXX)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
bench_init
log() { printf 'bench-keys: %s\n' "$*" >&2; }
MASTER=sk-bench-master-key-0123456789

taskset -c 0 "$MOCK" --host 127.0.0.1 --port 0 --threads 1 >"$work/mock.log" 2>&1 &
bench_track $!
mock_port=$(wait_port "$work/mock.log")

read -r open_url open_pid < <(bench_baton open "" $'[log]\nenabled = false')
read -r keyed_url keyed_pid < <(bench_baton keyed "master_key = \"$MASTER\"" $'[log]\nenabled = false\n\n[budget]\ndaily = 1000000.0')
curl -sf "$keyed_url/team/new" -H "authorization: Bearer $MASTER" \
  -d '{"team_id":"bench","max_budget":1000000,"budget_duration":"30d"}' >/dev/null
key=$(curl -sf "$keyed_url/key/generate" -H "authorization: Bearer $MASTER" \
  -d '{"team_id":"bench","max_budget":1000000,"budget_duration":"30d","rpm_limit":100000000,"tpm_limit":100000000000,"models":["gpt-4o-mini"]}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')

declare -A url pid auth
url[open]=$open_url pid[open]=$open_pid auth[open]=sk-test
url[keyed]=$keyed_url pid[keyed]=$keyed_pid auth[keyed]=$key
for t in open keyed; do
  code=$(curl -s -o "$work/check-$t.json" -w '%{http_code}' "${url[$t]}/v1/chat/completions" \
    -H "authorization: Bearer ${auth[$t]}" -d '{"model":"gpt-4o-mini","max_tokens":16,"messages":[{"role":"user","content":"Hello!"}]}')
  [ "$code" = 200 ] || { log "$t sanity request: $code $(cat "$work/check-$t.json")"; exit 1; }
done

measure() { # TARGET -> "rps cpu_us_per_request errors"
  wrk_chat_cpu "${url[$1]}" "${auth[$1]}" "${pid[$1]}" "$SECS"
}

for t in open keyed; do  # warm-up
  AUTH=${auth[$t]} MODEL=gpt-4o-mini taskset -c 0 wrk -t1 -c50 -d1s -s "$here/peers/chat.lua" \
    "${url[$t]}/v1/chat/completions" >/dev/null
done
declare -A rps cpu errs
for r in $(seq 1 "$ROUNDS"); do
  order=(open keyed)
  [ $((r % 2)) = 0 ] && order=(keyed open)
  for t in "${order[@]}"; do
    read -r a b c < <(measure "$t")
    rps[$t]+="$a " cpu[$t]+="$b "
    errs[$t]=$((${errs[$t]:-0} + c))
    log "round $r $t: $a rps, $b µs CPU/request, $c errors"
  done
done
med() { echo "$1" | tr ' ' '\n' | grep . | median; }
ro=$(med "${rps[open]}") rk=$(med "${rps[keyed]}")
co=$(med "${cpu[open]}") ck=$(med "${cpu[keyed]}")
added=$(awk -v a="$ck" -v b="$co" 'BEGIN{printf "%.2f", a - b}')
verdict=$(awk -v d="$added" 'BEGIN{print (d <= 5 ? "met" : "MISSED")}')
refused=$(grep -c 'baton: refused' "$work/keyed.log" || true)

echo "## Virtual key + rate limits + budget reservation: added cost per request"
echo
echo "- $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$root" rev-parse --short HEAD), $ROUNDS rounds × ${SECS} s, 50 connections, non-streaming, Baton 1 worker alone on CPU 1, wrk + baton-mock on CPU 0, request log off in both"
echo
echo "| Baton | rps (median) | server CPU µs / request (median) | errors |"
echo "|---|---|---|---|"
echo "| open gateway (no keys, nothing counted) | $ro | $co | ${errs[open]} |"
echo "| virtual key: rpm + tpm + budget, team budget, global budget | $rk | $ck | ${errs[keyed]} |"
echo
echo "Added per request: **$added µs** of server CPU (target ≤ 5 µs: $verdict); throughput keyed/open $(awk -v a="$rk" -v b="$ro" 'BEGIN{printf "%.3f", a/b}'). Requests refused by a limit during the run: $refused."
if [ -x "$root/build/baton_bench_limits" ]; then
  echo
  echo "### In-process (Google Benchmark, CPU 1): key check + scopes + admission + settlement"
  echo
  echo '```'
  taskset -c 1 "$root/build/baton_bench_limits" --benchmark_min_time=0.3 2>/dev/null |
    grep -E '^(BM_|Benchmark|-)' || true
  echo '```'
fi
