#!/bin/sh
# bench/deflate.sh: wall time of the whole compression family (cases 12.x,
# 13.x, 14.x) run by `wsprobe check` against `wsprobe serve --deflate`, with
# the case count, the verdicts and the three slowest cases. Talks to
# 127.0.0.1 only; the run is bounded by the cases' own time limits.
#   bench/deflate.sh [JOBS]     parallel connections (default 4)
set -e
cd "$(dirname "$0")/.."
JOBS=${1:-4}
PY=/usr/bin/python3
make -s bin/wsprobe 2>/dev/null || test -x bin/wsprobe
W=bin/wsprobe
spid=""
rep=$(mktemp -d /tmp/wsprobe-bench-deflate.XXXXXX)
cleanup() { [ -n "$spid" ] && kill "$spid" 2>/dev/null; rm -rf "$rep"; }
trap cleanup EXIT INT TERM

PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$W" serve --port "$PORT" --deflate --quiet >/dev/null 2>&1 &
spid=$!
$PY - "$PORT" <<'PYEOF'
import socket, sys, time
for _ in range(200):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close(); sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit("wsprobe serve did not start")
PYEOF

start=$($PY -c 'import time; print(time.monotonic())')
set +e
"$W" check "ws://127.0.0.1:$PORT/" --cases 12,13,14 -j "$JOBS" --report "$rep" >"$rep/out.txt" 2>&1
rc=$?
set -e
end=$($PY -c 'import time; print(time.monotonic())')

$PY - "$rep/report.json" "$start" "$end" "$rc" "$JOBS" <<'PYEOF'
import collections, json, sys
rep = json.load(open(sys.argv[1]))
start, end, rc, jobs = float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
cases = rep["cases"]
by_section = collections.Counter(c["id"].split(".")[0] for c in cases)
verdicts = collections.Counter(c["verdict"] for c in cases)
slowest = sorted(cases, key=lambda c: c.get("duration_ms", 0), reverse=True)[:3]
print(f"compression family (12.x-14.x) against wsprobe serve --deflate, -j {jobs}")
print(f"cases: {len(cases)} (12.x {by_section['12']}, 13.x {by_section['13']}, 14.x {by_section['14']})")
print("verdicts: " + ", ".join(f"{v} {n}" for v, n in sorted(verdicts.items())))
print("slowest: " + ", ".join(f"{c['id']} {c.get('duration_ms', 0)} ms" for c in slowest))
print(f"wall time: {end - start:.2f} s (check exit {rc})")
PYEOF
