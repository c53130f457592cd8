# Shared helpers of the bench scripts (sourced). The caller sets $work (a temp dir) before
# calling bench_init, which installs the cleanup trap: servers started in $(...) subshells record
# their pids in $work/pids (bench_track), nginx masters in $work/nginx.pids.

bench_init() {
  trap bench_cleanup EXIT INT TERM
}

bench_cleanup() {
  for p in $(cat "$work/nginx.pids" 2>/dev/null); do kill -QUIT "$p" 2>/dev/null || true; done
  for p in $(cat "$work/pids" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}

bench_track() { # PID
  echo "$1" >>"$work/pids"
}

wait_port() { # LOGFILE -> the port of the first "listening on http://HOST:PORT" line
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

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

median() { # numbers on stdin, one per line
  sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'
}

cpu_ticks() { # PID -> utime + stime of the process (clock ticks)
  awk '{print $14 + $15}' "/proc/$1/stat"
}

# One wrk run of bench/peers/chat.lua (50 connections, 1 thread, on CPU 0) against a Baton, with
# the server's CPU time over the run: prints "rps cpu_us_per_request errors".
wrk_chat_cpu() { # URL AUTH PID SECONDS [STREAM]
  local url=$1 key=$2 pid=$3 secs=$4 stream=${5:-0} before after out reqs hz
  before=$(cpu_ticks "$pid")
  out=$(AUTH=$key MODEL=gpt-4o-mini STREAM=$stream taskset -c 0 wrk -t1 -c50 -d"${secs}s" \
    -s "$(dirname "${BASH_SOURCE[0]}")/peers/chat.lua" "$url/v1/chat/completions" | grep '^RESULT')
  after=$(cpu_ticks "$pid")
  reqs=$(echo "$out" | sed -E 's/.*reqs=([0-9]+).*/\1/')
  hz=$(getconf CLK_TCK)
  echo "$(echo "$out" | sed -E 's/.*rps=([0-9.]+).*/\1/')" \
    "$(awk -v d=$((after - before)) -v hz="$hz" -v n="$reqs" 'BEGIN{printf "%.2f", d * 1e6 / hz / n}')" \
    "$(echo "$out" | sed -E 's/.*errors=([0-9]+).*/\1/')"
}

# A Baton on CPU 1 (one worker thread) in front of baton-mock at $mock_port, serving gpt-4o-mini
# at OpenAI's price; SERVER_TOML goes into [server], EXTRA_TOML (more sections) at the end. Its
# data and state under $work. Prints "url pid".
bench_baton() { # NAME SERVER_TOML EXTRA_TOML
  local name=$1 server=$2 extra=$3 bin=${BATON:-$root/build/baton}
  cat >"$work/$name.toml" <<TOML
[server]
host = "127.0.0.1"
port = 0
threads = 1
$server

[providers.mock]
kind = "openai-compatible"
base_url = "http://127.0.0.1:$mock_port/v1"

[[models.gpt-4o-mini.deployments]]
target = "mock/gpt-4o-mini"
input_cost_per_token = 1.5e-7
output_cost_per_token = 6e-7

$extra
TOML
  XDG_DATA_HOME="$work/data-$name" XDG_STATE_HOME="$work/state-$name" \
    taskset -c 1 "$bin" serve --config "$work/$name.toml" --port 0 >"$work/$name.log" 2>&1 &
  local pid=$!
  bench_track $pid
  echo "http://127.0.0.1:$(wait_port "$work/$name.log") $pid"
}
