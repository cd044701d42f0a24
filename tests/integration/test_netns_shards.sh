#!/bin/sh
# Many machines on one: network namespaces joined by veth pairs on a private
# bridge. `wsprobe serve` runs in one namespace (10.123.0.1), three load shards
# in three others (10.123.0.11-13), each with its own host name; their reports
# merge into one that equals the sum of the shards and what the server counted.
#
# The 10.123.0.0/24 addresses exist only inside the namespaces this test
# creates (nothing is added to the host's own namespace, nothing is routed out);
# the namespaces go away on exit, also when a check fails. Without the
# privilege to create namespaces the test says why and counts as SKIPPED.
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
WSPROBE="$ROOT/${WSPROBE_BIN:-build/san/wsprobe}"
P="wsp$$"
NS_SRV="${P}srv"
CLIENTS="1 2 3"
TMP=$(mktemp -d /tmp/wsprobe-netns.XXXXXX)
PORT=9001
passed=0
failed=0
SERVER_PID=""
LOAD_PIDS=""

cleanup() {
    for pid in $LOAD_PIDS $SERVER_PID; do
        kill "$pid" 2>/dev/null
    done
    for i in $CLIENTS; do ip netns del "${P}c$i" 2>/dev/null; done
    ip netns del "$NS_SRV" 2>/dev/null
    ip netns del "${P}probe" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

check() { # name, then a command that must succeed
    name=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
        echo "ok   $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name"
    fi
}

finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
    exit $?
}

# Can this machine make namespaces at all?
if ! why=$(ip netns add "${P}probe" 2>&1); then
    echo "SKIPPED: cannot create a network namespace here: ${why:-ip netns add failed}"
    echo "SKIPPED: (needs root or CAP_SYS_ADMIN and iproute2); this test did NOT run"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
ip netns del "${P}probe"
if [ ! -x "$WSPROBE" ]; then
    echo "FAIL $WSPROBE is not built (make test-build)"
    failed=1
    finish
fi

# The server's namespace holds the bridge; each client hangs off it by a veth pair.
setup() {
    ip netns add "$NS_SRV" &&
        ip -n "$NS_SRV" link set lo up &&
        ip -n "$NS_SRV" link add br0 type bridge &&
        ip -n "$NS_SRV" addr add 10.123.0.1/24 dev br0 &&
        ip -n "$NS_SRV" link set br0 up || return 1
    for i in $CLIENTS; do
        ns="${P}c$i"
        ip netns add "$ns" &&
            ip -n "$ns" link set lo up &&
            ip -n "$NS_SRV" link add "vs$i" type veth peer name "vc$i" netns "$ns" &&
            ip -n "$NS_SRV" link set "vs$i" master br0 up &&
            ip -n "$ns" addr add "10.123.0.1$i/24" dev "vc$i" &&
            ip -n "$ns" link set "vc$i" up || return 1
    done
}
check "namespaces, bridge and veth pairs set up" setup
[ "$failed" -eq 0 ] || finish

ip netns exec "$NS_SRV" "$WSPROBE" serve --host 10.123.0.1 --port $PORT --threads 1 \
    2>"$TMP/serve.log" &
SERVER_PID=$!

# Reachable from every client namespace (bounded wait), and only as 10.123.0.1.
reach() {
    ip netns exec "${P}c$1" /usr/bin/python3 - "$PORT" <<'EOF'
import socket, sys, time
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    try:
        with socket.create_connection(("10.123.0.1", int(sys.argv[1])), timeout=0.5) as s:
            sys.exit(0 if s.getsockname()[0].startswith("10.123.0.1") else 1)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
EOF
}
for i in $CLIENTS; do check "server reachable from client namespace $i" reach "$i"; done
[ "$failed" -eq 0 ] || finish

# Three shards, each in its own namespace, with its own host name when
# unshare can give it one, started together.
START=$(($(date +%s) + 3))
for i in $CLIENTS; do
    ns="${P}c$i"
    set -- "$WSPROBE" load --no-progress -t 1 --shard "$i/3" -c 7 -r 301 -d 2s \
        --start-at "$START" --report "$TMP/s$i" "ws://10.123.0.1:$PORT/"
    if command -v unshare >/dev/null 2>&1; then
        ip netns exec "$ns" unshare --uts sh -c 'hostname "$0" && exec "$@"' "shard-$i" "$@" \
            >"$TMP/load$i.log" 2>&1 &
    else
        ip netns exec "$ns" "$@" >"$TMP/load$i.log" 2>&1 &
    fi
    LOAD_PIDS="$LOAD_PIDS $!"
done
codes=""
for pid in $LOAD_PIDS; do
    wait "$pid"
    codes="$codes $?"
done
LOAD_PIDS=""
check "three shards exit 0 (codes:$codes)" [ "$codes" = " 0 0 0" ]
for i in $CLIENTS; do
    [ "$codes" = " 0 0 0" ] || sed 's/^/      | /' "$TMP/load$i.log" | tail -n 5
done

kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
SERVER_PID=""
check "server stopped and printed its counts" grep -q "messages=" "$TMP/serve.log"

"$WSPROBE" report --merge "$TMP/s1/report.json" "$TMP/s2/report.json" "$TMP/s3/report.json" \
    -o "$TMP/merged" --threshold lost==0 --threshold 'p99<60s' >"$TMP/merge.log" 2>&1
check "merge exits 0 with its thresholds met" [ $? -eq 0 ]

# The arithmetic, read from the JSON.
judge() {
    /usr/bin/python3 - "$TMP" "$1" <<'EOF'
import json, re, sys
tmp, what = sys.argv[1], sys.argv[2]
shards = [json.load(open(f"{tmp}/s{i}/report.json")) for i in (1, 2, 3)]
merged = json.load(open(f"{tmp}/merged/report.json"))
serve = re.search(r"upgraded=(\d+) messages=(\d+)", open(f"{tmp}/serve.log").read())
def total(part, key):
    return sum(s["summary"][part][key] for s in shards)
m = merged["summary"]
if what == "sum":
    ok = all(m["messages"][k] == total("messages", k) for k in
             ("sent", "received", "lost", "duplicated", "reordered", "corrupted",
              "bytes_sent", "bytes_received", "in_flight_at_stop")) and \
         all(m["connections"][k] == total("connections", k) for k in ("attempts", "opened"))
elif what == "server":
    ok = serve and int(serve.group(2)) == m["messages"]["sent"] > 0 and \
         int(serve.group(1)) == m["connections"]["opened"] == 7
elif what == "intact":
    ok = m["messages"]["sent"] == m["messages"]["received"] + m["messages"]["lost"] + \
         m["messages"]["in_flight_at_stop"] and m["messages"]["lost"] == 0 and \
         m["errors"]["total"] == 0
elif what == "shares":
    ok = [s["config"]["connections"] for s in shards] == [3, 2, 2] and \
         [s["config"]["id_base"] for s in shards] == [0, 3, 5] and \
         [s["config"]["rate"] for s in shards] == [101, 100, 100]
elif what == "hosts":
    hosts = [s["host"] for s in shards]
    ok = hosts == ["shard-1", "shard-2", "shard-3"] and \
         [x["host"] for x in merged["merge"]["shards"]] == hosts
elif what == "together":
    starts = [s["started_unix_s"] for s in shards]
    ok = max(starts) - min(starts) < 0.5 and len(merged["series"]) <= 4
elif what == "histogram":
    want = {}
    for s in shards:
        for low, n in s["histograms"]["latency"]["buckets"]:
            want[low] = want.get(low, 0) + n
    ok = {low: n for low, n in merged["histograms"]["latency"]["buckets"]} == want
if not ok:
    print("      |", what, json.dumps({"merged": m["messages"], "serve": serve and serve.group(0)}))
sys.exit(0 if ok else 1)
EOF
}
check "merged counts = sum of the shards" judge sum
check "merged counts = what the server counted" judge server
check "nothing lost, no errors across the bridge" judge intact
check "shares 3+2+2 connections, ids 0/3/5, rate 101+100+100" judge shares
check "shards started within 0.5 s of each other" judge together
check "merged latency histogram = shards' buckets added" judge histogram
if command -v unshare >/dev/null 2>&1; then
    check "each shard stamped with its own host name" judge hosts
fi

finish
