#!/bin/sh
# A CI-sized fuzzing run: builds every tests/fuzz/fuzz_*.c with clang libFuzzer
# (ASan+UBSan) and runs each for FUZZ_SECONDS (default 30), two at a time, on
# its seed corpus plus the committed reproducers of past findings. One check
# per target; any crash, leak, hang or broken property fails it.
cd "$(dirname "$0")/../.." || exit 2
export FUZZ_SECONDS="${FUZZ_SECONDS:-30}"
export FUZZ_JOBS="${FUZZ_JOBS:-2}"
if ! command -v "${FUZZ_CC:-clang}" >/dev/null 2>&1; then
    echo "FAIL clang not found (Debian: clang libclang-rt-14-dev)"
    echo "0 passed, 1 failed"
    exit 1
fi
if ! make --no-print-directory -j2 fuzz-build >build/fuzz-build.log 2>&1; then
    echo "FAIL make fuzz-build (log: build/fuzz-build.log)"
    tail -n 20 build/fuzz-build.log
    echo "0 passed, 1 failed"
    exit 1
fi
exec tests/fuzz/run.sh "$FUZZ_SECONDS"
