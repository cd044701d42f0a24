#!/bin/sh
# bench/load.sh: wsprobe load against the rig's bare C client, in the same run,
# against the same server (the rig's echo server, then wsprobe serve), server
# pinned to CPU 0 and clients to CPU 1. Prints msgs/s and the ratio, the
# generator's CPU seconds per million messages, open-loop latency at a low rate
# next to the bare client's round trip, peak RSS holding idle connections, and
# handshakes/s in churn mode. Every run is short (SECS, default 3 s) and talks
# to 127.0.0.1 only.
#   bench/load.sh [SECS]        IDLE=10000 IDLE_BIG=50000 to change the idle counts
set -e
cd "$(dirname "$0")/.."
SECS=${1:-3}
IDLE=${IDLE:-10000}
IDLE_BIG=${IDLE_BIG:-0}
RIG=../shared/rig
make -s bin/wsprobe
make -s -C "$RIG" >/dev/null
W=bin/wsprobe
PY=/usr/bin/python3
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

port_free() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { $PY - "$1" <<'PYEOF'
import socket, sys, time
for _ in range(200):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close(); sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PYEOF
}
json() { $PY -c "import json,sys; j=json.load(sys.stdin); print($1)"; }

start_server() { # $1 rig|serve -> sets PORT, SPID
    PORT=$(port_free)
    if [ "$1" = rig ]; then
        taskset -c 0 "$RIG/echo_server" "$PORT" >/dev/null 2>&1 &
    else
        taskset -c 0 "$W" serve --threads 1 --quiet --port "$PORT" >/dev/null 2>&1 &
    fi
    SPID=$!
    pids="$pids $SPID"
    wait_port "$PORT"
}
stop_server() { kill "$SPID" 2>/dev/null || true; wait "$SPID" 2>/dev/null || true; }

echo "== closed loop, 64-byte text, ${SECS}s each: bare rig client vs wsprobe load (1 thread)"
printf "%-7s %6s %4s %12s %12s %6s %14s\n" server conns k rig_msgs/s wsprobe/s ratio cpu_s/Mmsg
for server in rig serve; do
    start_server $server
    for conns in 100 1000; do
        for k in 1 64; do
            rig=$(taskset -c 1 "$RIG/echo_client" -w -c $conns -s 64 -d $k -T "$SECS" "$PORT" |
                  sed -n 's/.* rate=\([0-9]*\) msg\/s.*/\1/p')
            out=$(taskset -c 1 "$W" load --no-progress --json -t 1 -c $conns -k $k -d "$SECS" \
                  "ws://127.0.0.1:$PORT/" 2>/dev/null)
            ws=$(echo "$out" | json 'int(j["summary"]["rate"]["received_per_s"])')
            cpu=$(echo "$out" | json '"%.3f" % j["summary"]["generator"]["cpu_s_per_million_msgs"]')
            ratio=$($PY -c "print('%.2f' % ($ws / max($rig, 1)))")
            printf "%-7s %6s %4s %12s %12s %6s %14s\n" $server $conns $k "$rig" "$ws" "$ratio" "$cpu"
        done
    done
    stop_server
done

echo "== open loop at a low rate (1000 msgs/s over 10 connections) vs the bare round trip"
start_server serve
rig=$(taskset -c 1 "$RIG/echo_client" -w -c 1 -s 64 -d 1 -T 2 "$PORT" | sed -n 's/^latency_us p50=\([0-9.]*\) .* p99=\([0-9.]*\) .*/p50 \1 us, p99 \2 us/p')
echo "rig client, 1 connection, closed loop: $rig"
taskset -c 1 "$W" load --no-progress --json -t 1 -c 10 -r 1000 -d "$SECS" "ws://127.0.0.1:$PORT/" 2>/dev/null |
    json '"wsprobe open loop: corrected p50 %.1f us, p99 %.1f us; uncorrected p50 %.1f us, p99 %.1f us" % tuple(j["summary"]["latency"][k][p] for k in ("corrected", "uncorrected") for p in ("p50_us", "p99_us"))'

echo "== churn: connect, upgrade, close, again (50 at a time)"
taskset -c 1 "$W" load --no-progress --json -t 1 -s churn -c 50 -d "$SECS" "ws://127.0.0.1:$PORT/" 2>/dev/null |
    json '"%.0f handshakes/s, errors %d" % (j["summary"]["connections"]["handshakes_per_s"], j["summary"]["errors"]["total"])'

echo "== idle connections: peak RSS of the generator"
base=$(taskset -c 1 "$W" load --no-progress --json -t 1 -s idle -c 10 -d 2 "ws://127.0.0.1:$PORT/" 2>/dev/null |
       json 'j["summary"]["generator"]["peak_rss_kb"]')
for n in $IDLE $IDLE_BIG; do
    [ "$n" -gt 0 ] || continue
    src=""
    [ "$n" -gt 25000 ] && src="--source-ips 127.0.0.2-127.0.0.$((n / 25000 + 2))"
    taskset -c 1 "$W" load --no-progress --json -t 1 -s idle -c "$n" $src --ping-interval 5s \
        -d $((n / 5000 + 4)) "ws://127.0.0.1:$PORT/" 2>/dev/null |
        json "'%d idle: peak open %d, peak RSS %d KiB, %.2f KiB per connection over a 10-connection run (%d KiB)' % ($n, j['summary']['connections']['peak_open'], j['summary']['generator']['peak_rss_kb'], (j['summary']['generator']['peak_rss_kb'] - $base) / $n, $base)"
done
stop_server
