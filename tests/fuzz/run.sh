#!/bin/bash
# Runs the fuzz targets built by `make fuzz-build` (build/fuzz/fuzz_*), each for
# a bounded time on a working copy of its seed corpus, and prints one line per
# target, then "N passed, N failed". A target fails on any crash, leak,
# sanitizer finding, timeout (-timeout per input) or broken property.
#   tests/fuzz/run.sh [SECONDS] [NAME-FILTER]
# Environment: FUZZ_JOBS targets at a time (default 1), FUZZ_SECONDS.
# Seeds: tests/fuzz/corpus/NAME/ (copied into build/fuzz/corpus/NAME/, where new
# inputs accumulate); reproducers of past findings: tests/fuzz/regressions/NAME/
# (run every time, never written to); dictionary: tests/fuzz/NAME.dict.
cd "$(dirname "$0")/../.." || exit 2
secs="${1:-${FUZZ_SECONDS:-60}}"
filter="${2:-}"
jobs="${FUZZ_JOBS:-1}"
out=build/fuzz
mkdir -p "$out/logs" "$out/status"

run_one() { # $1 = target name (fuzz_frame ...)
    local name=$1 corpus=$out/corpus/$1 arts=$out/artifacts/$1/ log=$out/logs/$1.log
    mkdir -p "$corpus" "$arts"
    [ -d "tests/fuzz/corpus/$name" ] && cp -n "tests/fuzz/corpus/$name"/* "$corpus"/ 2>/dev/null
    local args=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$arts")
    [ -f "tests/fuzz/$name.dict" ] && args+=(-dict="tests/fuzz/$name.dict")
    local dirs=("$corpus")
    [ -d "tests/fuzz/regressions/$name" ] && dirs+=("tests/fuzz/regressions/$name")
    # The hard timeout only guards against a fuzzer that ignores its own limit.
    timeout $((secs + 120)) "$out/$name" "${args[@]}" "${dirs[@]}" >"$log" 2>&1
    local rc=$?
    local execs rate cov ft
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
    if [ "$rc" -eq 0 ]; then
        echo "ok   $name: ${execs:-?} execs, ${rate:-?} exec/s, ${cov:-no coverage line}" \
            >"$out/status/$name"
    else
        {
            echo "FAIL $name (exit $rc; log: $log; reproducer in $arts)"
            grep -E 'ERROR|property failed|SUMMARY|Test unit written' "$log" | head -n 5 |
                sed 's/^/     | /'
        } >"$out/status/$name"
    fi
}

targets=()
for bin in "$out"/fuzz_*; do
    [ -x "$bin" ] && [ -f "$bin" ] || continue
    name=$(basename "$bin")
    case "$name" in *"$filter"*) targets+=("$name") ;; esac
done
if [ ${#targets[@]} -eq 0 ]; then
    echo "no fuzz targets in $out (run: make fuzz-build)"
    echo "0 passed, 1 failed"
    exit 1
fi

rm -f "$out/status"/*
running=0
for name in "${targets[@]}"; do
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
    run_one "$name" &
    running=$((running + 1))
done
wait

passed=0
failed=0
for name in "${targets[@]}"; do
    if [ -f "$out/status/$name" ]; then
        cat "$out/status/$name"
    else
        echo "FAIL $name (no result)"
    fi
    if grep -q '^ok ' "$out/status/$name" 2>/dev/null; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
