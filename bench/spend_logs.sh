#!/usr/bin/env bash
# /spend/logs over 1,000,000 spend rows, through the gateway's admin endpoint (issue 5 target:
# "/spend/logs for one key answers in < 50 ms with 1,000,000 spend rows, SQLite and PostgreSQL").
# For each backend: build/baton-spend-fill appends the rows through the gateway's own Store class
# (1000 keys, one hot key with 10 % of the rows, 50 teams, 30 days), then `baton serve` runs on
# that store and curl times each query BENCH_REPEAT times (after one untimed first call, shown
# apart): median and p95 of curl's time_total, i.e. the whole HTTP round trip on loopback.
# The PostgreSQL half runs under scripts/with-postgres.sh (a throwaway server): the script
# re-invokes itself there with --postgres-part, which appends its rows to the same result file.
# env: BENCH_ROWS (default 1000000), BENCH_REPEAT (default 20), BENCH_BACKENDS ("sqlite postgres"),
#      BATON_BIN, BATON_SPEND_FILL_BIN.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
ROWS=${BENCH_ROWS:-1000000}
REPEAT=${BENCH_REPEAT:-20}
BACKENDS=${BENCH_BACKENDS:-sqlite postgres}
BATON=${BATON_BIN:-$root/build/baton}
FILL=${BATON_SPEND_FILL_BIN:-$root/build/baton-spend-fill}
MASTER=sk-bench-master-key-0123456789
work=$(mktemp -d /tmp/baton-spend.XXXXXX)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
bench_init
log() { printf 'bench-spend: %s\n' "$*" >&2; }

p95() { # numbers on stdin -> the nearest-rank 95th percentile
  sort -g | awk '{a[NR]=$1} END {i=int(NR*0.95); if (i < NR*0.95) i++; print a[i]}'
}

# time_query URL -> "first_ms median_ms p95_ms" (exits on a non-200 answer)
time_query() {
  local url=$1 out code secs first="" samples=""
  for i in $(seq 0 "$REPEAT"); do
    out=$(curl -s -o "$work/body.json" -w '%{http_code} %{time_total}' \
      -H "authorization: Bearer $MASTER" "$url")
    read -r code secs <<<"$out"
    if [ "$code" != 200 ]; then
      log "GET $url: $code $(head -c 300 "$work/body.json")"
      exit 1
    fi
    ms=$(awk -v s="$secs" 'BEGIN{printf "%.2f", s * 1000}')
    if [ "$i" = 0 ]; then first=$ms; else samples+="$ms"$'\n'; fi
  done
  echo "$first $(printf '%s' "$samples" | median) $(printf '%s' "$samples" | p95)"
}

rows_of() { # the body of the last request -> number of records in the array
  python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$work/body.json"
}

# run_backend LABEL FILL_ARGS STORE_TOML: fill, serve, measure; appends table rows to $RESULTS.
run_backend() {
  local label=$1 fill_args=$2 store_toml=$3
  log "$label: filling $ROWS rows"
  # shellcheck disable=SC2086  # fill_args is a flag and a value
  "$FILL" $fill_args --rows "$ROWS" >"$work/fill.out"
  local typical hot team first_ms fill_s
  typical=$(sed -n 's/^typical_key_hash=//p' "$work/fill.out")
  hot=$(sed -n 's/^hot_key_hash=//p' "$work/fill.out")
  team=$(sed -n 's/^typical_team=//p' "$work/fill.out")
  first_ms=$(sed -n 's/^first_ms=//p' "$work/fill.out")
  fill_s=$(sed -n 's/^seconds=//p' "$work/fill.out")
  local n_typical n_hot n_team
  n_typical=$(sed -n 's/^typical_key_rows=//p' "$work/fill.out")
  n_hot=$(sed -n 's/^hot_key_rows=//p' "$work/fill.out")
  n_team=$(sed -n 's/^typical_team_rows=//p' "$work/fill.out")
  log "$label: filled in $fill_s s"

  cat >"$work/$label.toml" <<TOML
[server]
host = "127.0.0.1"
port = 0
master_key = "$MASTER"

$store_toml

[log]
enabled = false
TOML
  XDG_DATA_HOME="$work/data-$label" XDG_STATE_HOME="$work/state-$label" \
    "$BATON" serve --config "$work/$label.toml" --port 0 >"$work/$label.log" 2>&1 &
  local pid=$!
  bench_track "$pid"
  local base
  base="http://127.0.0.1:$(wait_port "$work/$label.log")/spend/logs"

  # A 7-day window in the middle of the 30 days: [day 10, day 17).
  local from to
  from=$(date -u -d "@$((first_ms / 1000 + 10 * 86400))" +%F)
  to=$(date -u -d "@$((first_ms / 1000 + 16 * 86400))" +%F)  # end_date is inclusive
  # The cursor of the typical key's first page.
  local cursor
  cursor=$(curl -s -D - -o /dev/null -H "authorization: Bearer $MASTER" \
    "$base?api_key=$typical&page_size=100" | tr -d '\r' | sed -n 's/^x-next-cursor: //Ip')
  [ -n "$cursor" ] || { log "$label: no x-next-cursor on the first page"; exit 1; }

  local name url res first med p95v
  while IFS='|' read -r name url <&3; do
    res=$(time_query "$url")
    read -r first med p95v <<<"$res"
    local n verdict
    n=$(rows_of)
    verdict=$(awk -v p="$p95v" 'BEGIN{print (p < 50 ? "met" : "MISSED")}')
    log "$label: $name: first $first ms, median $med ms, p95 $p95v ms ($n rows)"
    echo "| $label | $name | $n | $first | $med | $p95v | $verdict |" >>"$RESULTS"
  done 3<<EOF
typical key ($n_typical rows), page of 100|$base?api_key=$typical&page_size=100
hot key ($n_hot rows), page of 100|$base?api_key=$hot&page_size=100
hot key, 7-day date range, page of 100|$base?api_key=$hot&start_date=$from&end_date=$to&page_size=100
one team ($n_team rows), page of 100|$base?team_id=$team&page_size=100
typical key, 2nd page via x-next-cursor|$base?api_key=$typical&page_size=100&cursor=$cursor
EOF
  echo "$label $fill_s" >>"$RESULTS.fill"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

if [ "${1:-}" = "--postgres-part" ]; then
  RESULTS=$2
  # A database of its own, owned by the test role (PostgreSQL 15 lets no one else create tables
  # in postgres' public schema).
  "${PG_BIN:-/usr/lib/postgresql/15/bin}/psql" -X -q -v ON_ERROR_STOP=1 "$BATON_TEST_PG_URL" \
    -c 'CREATE DATABASE baton_spend'
  export BATON_DATABASE_URL=${BATON_TEST_PG_URL%/postgres}/baton_spend
  run_backend PostgreSQL "--postgres $BATON_DATABASE_URL" \
    $'[store]\nurl = "os.environ/BATON_DATABASE_URL"'
  exit 0
fi

[ -x "$FILL" ] || { log "$FILL missing: cmake --build build --target baton-spend-fill"; exit 1; }
RESULTS=$work/results.md
: >"$RESULTS"
for b in $BACKENDS; do
  case $b in
    sqlite)
      run_backend SQLite "--sqlite $work/spend.db" $'[store]\npath = "'"$work"'/spend.db"'
      rm -f "$work"/spend.db*
      ;;
    postgres)
      # Its own temp dir and cleanup; only the results file is shared.
      "$root/scripts/with-postgres.sh" "$here/spend_logs.sh" --postgres-part "$RESULTS"
      ;;
    *) log "unknown backend $b"; exit 1 ;;
  esac
done

fills=$(awk '{printf "%s%s %s s", (NR>1 ? ", " : ""), $1, $2}' "$RESULTS.fill")
echo "## /spend/logs with $ROWS spend rows, through the admin endpoint"
echo
echo "- $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$root" rev-parse --short HEAD); rows from build/baton-spend-fill (1000 keys, hot key 10 %, 50 teams, 30 days; fill time: $fills); \`baton serve\` with [log] off, curl on loopback, $REPEAT timed requests per row after one untimed first call; machine shared with other builds"
echo
echo "| store | query | rows returned | first call ms | median ms | p95 ms | target p95 < 50 ms |"
echo "|---|---|---|---|---|---|---|"
cat "$RESULTS"
if echo "$BACKENDS" | grep -q postgres; then
  echo
  echo "PostgreSQL: a bulk fill leaves spend_logs without planner statistics until autovacuum runs; Baton analyzes such a table once when the store opens, so the date-range query uses the ordered scan of spend_logs_key_time from the first call."
fi
