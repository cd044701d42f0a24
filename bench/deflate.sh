#!/bin/sh
# bench/deflate.sh: wall time of the whole compression family (cases 12.x,
# 13.x, 14.x) run by `wsprobe check` against `wsprobe serve --deflate`, with
# the case count, the verdicts, the three slowest cases and the CPU seconds
# of both processes (steadier than the wall time on a shared machine). Talks to
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

$PY - "$W" "$PORT" "$JOBS" "$rep" "$spid" <<'PYEOF'
import collections, json, os, resource, subprocess, sys, time
w, port, jobs, rep, spid = sys.argv[1:6]

def server_cpu():
    # utime + stime of wsprobe serve, in seconds (fields 14 and 15 of stat)
    with open(f"/proc/{spid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

s0, start = server_cpu(), time.monotonic()
with open(os.path.join(rep, "out.txt"), "w") as out:
    rc = subprocess.call([w, "check", f"ws://127.0.0.1:{port}/", "--cases", "12,13,14",
                          "-j", jobs, "--report", rep], stdout=out, stderr=subprocess.STDOUT)
end, s1 = time.monotonic(), server_cpu()
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
cases = json.load(open(os.path.join(rep, "report.json")))["cases"]
by_section = collections.Counter(c["id"].split(".")[0] for c in cases)
verdicts = collections.Counter(c["verdict"] for c in cases)
slowest = sorted(cases, key=lambda c: c.get("duration_ms", 0), reverse=True)[:3]
print(f"compression family (12.x-14.x) against wsprobe serve --deflate, -j {jobs}")
print(f"cases: {len(cases)} (12.x {by_section['12']}, 13.x {by_section['13']}, 14.x {by_section['14']})")
print("verdicts: " + ", ".join(f"{v} {n}" for v, n in sorted(verdicts.items())))
print("slowest: " + ", ".join(f"{c['id']} {c.get('duration_ms', 0)} ms" for c in slowest))
# CPU seconds hold still on a busy machine where the wall time does not.
print(f"cpu: check {ru.ru_utime + ru.ru_stime:.2f} s, serve {s1 - s0:.2f} s")
print(f"wall time: {end - start:.2f} s (check exit {rc})")
PYEOF
