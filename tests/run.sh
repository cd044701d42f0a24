#!/bin/bash
# Runs the unit tests (cmocka, built under ASan+UBSan) and the integration
# tests (scripts that start real servers and clients on 127.0.0.1), then prints
# one closing line: "N passed, N failed".
#   tests/run.sh [--unit|--integration] [NAME-FILTER]
# Integration tests run TEST_JOBS at a time (default 2): most of their time is
# spent waiting on servers and time limits, not on the CPU.
cd "$(dirname "$0")/.." || exit 2
mode=all
case "$1" in --unit) mode=unit; shift ;; --integration) mode=integration; shift ;; esac
filter="${1:-}"
logs=build/test-logs
mkdir -p "$logs"
passed=0
failed=0
skipped=0
failures=""

# ASan leak checking on; UBSan stops on the first finding. Each test's
# sanitizer reports go to files of their own (log_path, one per process), so a
# finding in a server that runs in the background with its output discarded,
# or that exits on a signal nobody checks, still fails that test.
asan_base="detect_leaks=1:abort_on_error=0:strict_string_checks=1"
ubsan_base="print_stacktrace=1:halt_on_error=1"
san_logs="$PWD/$logs/sanitizer"
rm -rf "$san_logs"
mkdir -p "$san_logs"
san_env() { # $1 test name: the sanitizer options that write to its own files
    export ASAN_OPTIONS="$asan_base:log_path=$san_logs/$1.asan"
    export UBSAN_OPTIONS="$ubsan_base:log_path=$san_logs/$1.ubsan"
}
san_check() { # $1 test name, $2 exit code, $3 log: non-zero when a report was written
    found=$(ls "$san_logs/$1".* 2>/dev/null)
    [ -z "$found" ] && return "$2"
    for f in $found; do
        echo "sanitizer report in $f:" >>"$3"
        head -n 40 "$f" >>"$3"
    done
    return 1
}
export WSPROBE_BIN="${WSPROBE_BIN:-build/san/wsprobe}"

count() { # $1 name, $2 exit code, $3 log
    p=$(grep -Eo '^\[  PASSED  \] [0-9]+' "$3" | grep -Eo '[0-9]+$' | tail -n 1)
    f=$(grep -Eo '^\[  FAILED  \] [0-9]+' "$3" | grep -Eo '[0-9]+$' | tail -n 1)
    if [ -z "$p$f" ]; then
        line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$3" | tail -n 1)
        p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
        f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
    fi
    [ -z "$p" ] && p=0
    [ -z "$f" ] && f=0
    # A script that could not run here (e.g. no privilege for network
    # namespaces) says so with ", N skipped"; it is counted as skipped, not passed.
    s=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$3" | tail -n 1 | sed 's/.* \([0-9]*\) skipped.*/\1/')
    [ -z "$s" ] && s=0
    skipped=$((skipped + s))
    if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    if [ "$2" -eq 0 ] && [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$s" -eq 0 ]; then p=1; fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$2" -eq 0 ] && [ "$f" -eq 0 ]; then
        if [ "$p" -eq 0 ] && [ "$s" -gt 0 ]; then
            echo "SKIP  $1 (see $3)"
        else
            echo "ok    $1 ($p) $4"
        fi
    else
        echo "FAIL  $1 ($p passed, $f failed; log: $3) $4"
        tail -n 30 "$3" | sed 's/^/      | /'
        failures="$failures $1"
    fi
}

if [ "$mode" != integration ]; then
    if ! ls build/san/tests/test_* >/dev/null 2>&1; then
        echo "FAIL  no unit tests built in build/san/tests (run make test-build, or make unit)"
        failed=$((failed + 1))
    fi
    for t in build/san/tests/test_*; do
        [ -x "$t" ] || continue
        name=$(basename "$t")
        case "$name" in *"$filter"*) ;; *) continue ;; esac
        (san_env "$name" && timeout 300 "$t" >"$logs/$name.log" 2>&1)
        san_check "$name" $? "$logs/$name.log"
        count "unit/$name" $? "$logs/$name.log"
    done
fi

if [ "$mode" != unit ]; then
    jobs_max="${TEST_JOBS:-2}"
    echo "integration tests, $jobs_max at a time (TEST_JOBS); results when all have ended"
    names=""
    for t in tests/integration/test_*; do
        [ -x "$t" ] || continue
        name=$(basename "$t")
        case "$name" in *"$filter"*) ;; *) continue ;; esac
        names="$names $name"
        while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
        (
            t0=$(date +%s)
            san_env "$name"
            timeout 600 "$t" >"$logs/$name.log" 2>&1
            san_check "$name" $? "$logs/$name.log"
            echo "$? $(($(date +%s) - t0))" >"$logs/$name.rc"
        ) &
    done
    wait
    for name in $names; do
        read -r rc secs <"$logs/$name.rc"
        count "integration/$name" "$rc" "$logs/$name.log" "${secs}s"
    done
fi

[ -n "$failures" ] && echo "failed:$failures"
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
