#!/usr/bin/env bash
# Runs every libFuzzer target in $BUILD (default build-fuzz) for FUZZ_SECONDS each over its seed
# corpus, after replaying fuzz/regressions/<target>/*. Fails on the first crash, leak, timeout
# or failed invariant; the reproducer is written to $BUILD/crashes/<target>-crash-<sha1>.
# Usage: fuzz/run.sh [target...]   (FUZZ_SECONDS=10 FUZZ_JOBS=1 by default)
set -uo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for src in fuzz/*_fuzz.cpp; do targets+=("$(basename "$src" .cpp)"); done
fi

dicts_for() {
  case "$1" in
    http_*) echo fuzz/http.dict ;;
    sse_fuzz) echo fuzz/sse.dict ;;
    dialect_stream_fuzz) echo fuzz/sse.dict fuzz/json.dict ;;
    *) echo fuzz/json.dict ;;
  esac
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ]; then
  for s in llvm-symbolizer-19 llvm-symbolizer; do
    if command -v "$s" >/dev/null; then export ASAN_SYMBOLIZER_PATH=$(command -v "$s"); break; fi
  done
fi

mkdir -p "$BUILD/crashes" "$BUILD/dicts"
status=0
for t in "${targets[@]}"; do
  bin="$BUILD/$t"
  if [ ! -x "$bin" ]; then
    echo "fuzz: $bin not built" >&2
    exit 2
  fi
  log="$BUILD/crashes/$t.log"
  # Replay: every file that once crashed must now pass.
  if compgen -G "fuzz/regressions/$t/*" >/dev/null; then
    if ! "$bin" -rss_limit_mb=2048 -timeout=5 fuzz/regressions/"$t"/* >"$log" 2>&1; then
      echo "fuzz: $t: a regression input fails again (log: $log)" >&2
      grep -E "ERROR|INVARIANT|Assertion|runtime error|Running:" "$log" | tail -5 >&2
      status=1
      continue
    fi
  fi
  dict="$BUILD/dicts/$t.dict"
  # shellcheck disable=SC2046
  cat $(dicts_for "$t") >"$dict"
  work="$BUILD/corpus/$t"  # what this machine found; the committed seeds stay as they are
  mkdir -p "$work"
  seeds=()
  [ -d "fuzz/corpus/$t" ] && seeds=("fuzz/corpus/$t")
  start=$(date +%s)
  if "$bin" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=5 -max_len=65536 \
      -print_final_stats=1 -dict="$dict" -artifact_prefix="$BUILD/crashes/$t-" \
      "$work" "${seeds[@]}" >"$log" 2>&1; then
    stats=$(grep -E "^stat::number_of_executed_units|^stat::new_units_added" "$log" | awk '{print $2}' | paste -sd/)
    echo "fuzz: $t ok ($(( $(date +%s) - start ))s, runs/new units $stats, corpus $(ls "$work" | wc -l))"
  else
    echo "fuzz: $t FAILED (log: $log)" >&2
    grep -E "ERROR|INVARIANT|Assertion|runtime error|Test unit written" "$log" | head -8 >&2
    status=1
  fi
done
exit $status
