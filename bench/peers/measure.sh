#!/usr/bin/env bash
# Copied from ../shared/peers/measure.sh (the peer setups Baton is benchmarked against; see bench/README.md). Keep in sync.
# One measurement: wrk (pinned to CPU 0) against URL for SECONDS with CONNS connections, while
# sampling the server's CPU time and memory. Prints one line:
#   rps=... p50_us=... p99_us=... errors=... cpu_us_per_req=... rss_kb=...
# usage: measure.sh SERVER_PID CONNS SECONDS URL   (env for chat.lua passes through: STREAM, MODEL, ...)
set -eu
pid=$1 conns=$2 secs=$3 url=$4
here=$(cd "$(dirname "$0")" && pwd)
ticks() { # utime+stime of pid and its children (nginx master + worker), in clock ticks
  local t=0 p
  for p in $pid $(pgrep -P "$pid"); do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo $t
}
rss() { local t=0 p; for p in $pid $(pgrep -P "$pid"); do t=$((t + $(ps -o rss= -p "$p" || echo 0))); done; echo $t; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
out=$(taskset -c 0 wrk -t1 -c"$conns" -d"${secs}s" -s "$here/chat.lua" "$url" | grep '^RESULT')
t1=$(ticks)
reqs=$(echo "$out" | sed -E 's/.*reqs=([0-9]+).*/\1/')
cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v n="$reqs" 'BEGIN { printf "%.1f", (b - a) / hz * 1e6 / (n > 0 ? n : 1) }')
echo "$(echo "$out" | sed -E 's/^RESULT //; s/ reqs=[0-9]+//; s/ p90_us=[0-9]+//; s/ mean_us=[0-9.]+//') cpu_us_per_req=$cpu rss_kb=$(rss)"
