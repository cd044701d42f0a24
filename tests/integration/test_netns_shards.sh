#!/bin/sh
# Many machines on one: network namespaces joined by veth pairs on a private
# bridge. `wsprobe serve` runs in one namespace (10.123.0.1), three load shards
# in three others (10.123.0.11-13), each with its own host name; their reports
# merge into one that equals the sum of the shards and what the server counted.
# In the server's namespace, `ss` sees the three source addresses, and a relay
# in front of the server (stamp_tap.py) reads the connection id in every echoed
# stamp: each shard's connections carry the ids of its own range, and no id is
# used twice across the shards.
#
# Then the script runs itself twice more, as a child that must fail (with
# WSPROBE_BIN=/bin/false, and killed with SIGTERM mid-run), and checks that
# the child's namespaces (wsp<its pid>*) are gone afterwards.
#
# The 10.123.0.0/24 addresses exist only inside the namespaces this test
# creates (nothing is added to the host's own namespace, nothing is routed out);
# the namespaces go away on exit, also when a check fails. Without the
# privilege to create namespaces the test says why and counts as SKIPPED.
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
case "${WSPROBE_BIN:-build/san/wsprobe}" in
/*) WSPROBE=$WSPROBE_BIN ;;
*) WSPROBE="$ROOT/${WSPROBE_BIN:-build/san/wsprobe}" ;;
esac
P="wsp$$"
NS_SRV="${P}srv"
CLIENTS="1 2 3"
TMP=$(mktemp -d /tmp/wsprobe-netns.XXXXXX)
PORT=9001
BACKEND=9002 # wsprobe serve, behind the relay, on 127.0.0.1 of its namespace
REACH_S=${REACH_S:-10}
passed=0
failed=0
SERVER_PID=""
TAP_PID=""
SS_PID=""
LOAD_PIDS=""

cleanup() {
    for pid in $LOAD_PIDS $SS_PID $TAP_PID $SERVER_PID; do
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

ip netns exec "$NS_SRV" "$WSPROBE" serve --host 127.0.0.1 --port $BACKEND --threads 1 \
    2>"$TMP/serve.log" &
SERVER_PID=$!
ip netns exec "$NS_SRV" /usr/bin/python3 "$ROOT/tests/integration/stamp_tap.py" 10.123.0.1 $PORT \
    $BACKEND "$TMP/tap.json" 2>"$TMP/tap.log" &
TAP_PID=$!

# Reachable from every client namespace (bounded wait), and only as 10.123.0.1.
reach() {
    ip netns exec "${P}c$1" /usr/bin/python3 - "$PORT" "$REACH_S" <<'EOF'
import socket, sys, time
deadline = time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    try:
        with socket.create_connection(("10.123.0.1", int(sys.argv[1])), timeout=0.5) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            ok = s.getsockname()[0].startswith("10.123.0.1") and s.recv(12).startswith(b"HTTP/1.1")
        if ok:
            sys.exit(0)
    except OSError:
        pass
    # refused, or turned away by the relay while the server starts: again
    time.sleep(0.1)
sys.exit(1)
EOF
}
for i in $CLIENTS; do check "server reachable from client namespace $i" reach "$i"; done
if [ "$failed" -ne 0 ]; then # say why, for the next one who reads this log
    for f in serve.log tap.log; do sed "s/^/      | $f: /" "$TMP/$f" | tail -n 5; done
    kill -0 "$SERVER_PID" 2>/dev/null || echo "      | the server is not running"
    kill -0 "$TAP_PID" 2>/dev/null || echo "      | the relay is not running"
    finish
fi

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
# What the server's namespace sees while the shards run (bounded: 15 s).
(
    end=$(($(date +%s) + 15))
    while [ "$(date +%s)" -lt "$end" ]; do
        ip netns exec "$NS_SRV" ss -Htn state established "( sport = :$PORT )" >>"$TMP/ss.log"
        sleep 0.3
    done
) &
SS_PID=$!
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

kill "$SS_PID" 2>/dev/null
wait "$SS_PID" 2>/dev/null
SS_PID=""
peers=$(awk '{ sub(/:[0-9]+$/, "", $4); print $4 }' "$TMP/ss.log" | sort -u | tr '\n' ' ')
check "the server's namespace saw three source addresses ($peers)" \
    [ "$peers" = "10.123.0.11 10.123.0.12 10.123.0.13 " ]
kill -TERM "$TAP_PID"
wait "$TAP_PID"
TAP_PID=""
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
elif what == "ids":
    # Each connection's echoes carry one id, from its shard's range (by source
    # address), and no id appears on two connections.
    tap = [c for c in json.load(open(f"{tmp}/tap.json"))["connections"] if c["ids"]]
    ranges = {f"10.123.0.1{i + 1}": range(s["config"]["id_base"],
                                          s["config"]["id_base"] + s["config"]["connections"])
              for i, s in enumerate(shards)}
    ids = [c["ids"] for c in tap]
    flat = [i for x in ids for i in x]
    ok = len(tap) == 7 and all(len(x) == 1 for x in ids) and len(set(flat)) == len(flat) == 7 \
        and all(c["ids"][0] in ranges.get(c["peer"], ()) for c in tap)
    if not ok:
        print("      | tap:", tap, "ranges:", {k: list(v) for k, v in ranges.items()})
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
check "connection ids: one per connection, in its shard's range, unique across shards" judge ids
if command -v unshare >/dev/null 2>&1; then
    check "each shard stamped with its own host name" judge hosts
fi

# Source addresses against the real port limit: client namespace 1 gets an
# ephemeral range of 10 ports and two more addresses. The kernel lets one
# address open exactly 10 connections to one target (seen with plain
# sockets); wsprobe says so and refuses 15 from one address before starting,
# and with two addresses opens all 20 that fit, which the server's namespace
# sees arrive from both.
ports() {
    ns="${P}c1"
    ip netns exec "$ns" sh -c 'echo "40000 40009" >/proc/sys/net/ipv4/ip_local_port_range' &&
        ip -n "$ns" addr add 10.123.0.21/24 dev vc1 &&
        ip -n "$ns" addr add 10.123.0.22/24 dev vc1 || return 1
    ip netns exec "$NS_SRV" "$WSPROBE" serve --host 10.123.0.1 --port 9003 --threads 1 \
        2>"$TMP/serve2.log" &
    SERVER_PID=$!
    # Wait (bounded, REACH_S s) until it listens: the server's namespace shows
    # the listening socket. No test connection, so no ephemeral port of the
    # client namespace is spent on it before the kernel's count below.
    end=$(($(date +%s) + REACH_S))
    until ip netns exec "$NS_SRV" ss -Htln "( sport = :9003 )" | grep -q .; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null || [ "$(date +%s)" -ge "$end" ]; then
            echo "      | serve on 10.123.0.1:9003 not listening after ${REACH_S} s"
            sed 's/^/      | serve2.log: /' "$TMP/serve2.log" | tail -n 5
            return 1
        fi
        sleep 0.05
    done
    kernel=$(ip netns exec "$ns" /usr/bin/python3 - <<'EOF2'
import socket, struct
# As wsprobe does: the port is picked at connect (IP_BIND_ADDRESS_NO_PORT), and
# closing with RST leaves no TIME_WAIT to hold the ports afterwards.
IP_BIND_ADDRESS_NO_PORT = 24
socks = []
for _ in range(30):  # bounded: 10 should fit, the 11th must not
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
    try:
        s.bind(("10.123.0.21", 0))
        s.connect(("10.123.0.1", 9003))
    except OSError:
        s.close()
        break
    socks.append(s)
print(len(socks))
for s in socks:
    s.close()
EOF2
)
    ip netns exec "$ns" "$WSPROBE" load --no-progress -s idle -c 15 -d 1s \
        --source-ips 10.123.0.21 ws://10.123.0.1:9003/ >"$TMP/one.log" 2>&1
    one=$?
    ip netns exec "$ns" "$WSPROBE" load --no-progress -s idle -c 20 -d 3s \
        --source-ips 10.123.0.21-10.123.0.22 --report "$TMP/two" ws://10.123.0.1:9003/ \
        >"$TMP/two.log" 2>&1 &
    two_pid=$!
    LOAD_PIDS=$two_pid
    sleep 2
    seen=$(ip netns exec "$NS_SRV" ss -Htn state established "( sport = :9003 )" |
        awk '{ sub(/:[0-9]+$/, "", $4); print $4 }' | sort | uniq -c | awk '{print $2 "x" $1}' |
        tr '\n' ' ')
    wait "$two_pid"
    two=$?
    LOAD_PIDS=""
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID"
    SERVER_PID=""
    opened=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["connections"]["opened"])' "$TMP/two/report.json" 2>/dev/null)
    ok=1
    [ "$kernel" = 10 ] || ok=0
    [ "$one" -eq 2 ] && grep -q "one source address has 10 ephemeral ports toward one target, so 2 addresses are needed" "$TMP/one.log" || ok=0
    [ "$two" -eq 0 ] && [ "$opened" = 20 ] || ok=0
    grep -q "2 source addresses x 10 ports each (ephemeral 40000-40009, 0 reserved) = 20 connections toward one target; this run opens 20" "$TMP/two.log" || ok=0
    [ "$seen" = "10.123.0.21x10 10.123.0.22x10 " ] || ok=0
    [ "$ok" = 1 ] || {
        echo "      | kernel=$kernel one=$one two=$two opened=$opened seen=[$seen]"
        tail -n 3 "$TMP/one.log" "$TMP/two.log" | sed 's/^/      | /'
        false
    }
}
check "10 ephemeral ports: the kernel gives one address 10 connections, wsprobe refuses 15 from one and opens 20 from two" ports

# Cleanup also when a run fails: this script again, as a child whose wsprobe
# cannot work (/bin/false), and as one stopped by SIGTERM while it waits for
# the server. Either way it must exit non-zero and leave no wsp<pid>* behind.
leftover() { # pid: the child's namespaces still present
    ip netns list | awk '{print $1}' | grep "^wsp$1" | tr '\n' ' '
}
child_fails() {
    WSPROBE_NETNS_CHILD=1 WSPROBE_BIN=/bin/false REACH_S=1 sh "$0" >"$TMP/child1.log" 2>&1 &
    pid=$!
    wait "$pid"
    rc=$?
    left=$(leftover "$pid")
    [ "$rc" -ne 0 ] && grep -q "^FAIL server reachable" "$TMP/child1.log" && [ -z "$left" ] ||
        { echo "      | rc=$rc left=[$left]"; sed 's/^/      | /' "$TMP/child1.log" | tail -n 5; false; }
}
child_killed() {
    WSPROBE_NETNS_CHILD=1 WSPROBE_BIN=/bin/false REACH_S=8 sh "$0" >"$TMP/child2.log" 2>&1 &
    pid=$!
    made=""
    for _ in $(seq 50); do # its namespaces exist once it reaches the wait
        grep -q "set up" "$TMP/child2.log" && made=$(leftover "$pid") && break
        sleep 0.1
    done
    kill -TERM "$pid"
    wait "$pid"
    rc=$?
    left=$(leftover "$pid")
    [ -n "$made" ] && [ "$rc" -ne 0 ] && [ -z "$left" ] ||
        { echo "      | rc=$rc made=[$made] left=[$left]"; false; }
}
if [ -z "${WSPROBE_NETNS_CHILD:-}" ]; then
    check "a failing run (WSPROBE_BIN=/bin/false) exits 1 and removes its namespaces" child_fails
    check "a run stopped by SIGTERM removes its namespaces" child_killed
fi

finish
