#!/bin/sh
# bench/load.sh: wsprobe load against the rig's bare C client, in the same run,
# against the same server (the rig's echo server, then wsprobe serve), server
# pinned to CPU 0 and clients to CPU 1. Every figure is the median of ROUNDS
# interleaved runs (rig, wsprobe, rig, wsprobe, ...); wsprobe runs SECS + 1 s
# with the first second (connecting, ramp) excluded by --warmup 1.
#   closed loop: msgs/s of both, the ratio, wsprobe's CPU s per million msgs
#   open loop at 1000 msgs/s: corrected/uncorrected latency and the send lag
#     next to the bare client's round trip
#   churn: handshakes/s
#   idle: peak RSS holding IDLE and IDLE_BIG connections (IDLE_BIG is cut to
#     what the hard limit on open files allows, with the reason printed)
#   callgrind (valgrind installed; CALLGRIND=0 skips it): user-space instructions per
#     message of wsprobe's worker and of the bare client's, repeatable where
#     msgs/s on a shared machine is not
# Talks to 127.0.0.0/8 only; every run is bounded by its duration.
#   bench/load.sh [SECS [ROUNDS]]   (default 3 s, 3 rounds)
#   IDLE=10000 IDLE_BIG=50000 change the idle counts; CALLGRIND=0 skips callgrind
set -e
cd "$(dirname "$0")/.."
SECS=${1:-3}
ROUNDS=${2:-3}
IDLE=${IDLE:-10000}
IDLE_BIG=${IDLE_BIG:-50000}
CALLGRIND=${CALLGRIND:-1}
RIG=${RIG:-../shared/rig}
make -s bin/wsprobe 2>/dev/null || test -x bin/wsprobe
make -s -C "$RIG" >/dev/null
W=$(pwd)/bin/wsprobe
PY=/usr/bin/python3
tmp=$(mktemp -d /tmp/wsprobe-bench-load.XXXXXX)
SPID=""
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

port_free() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { $PY - "$1" <<'PYEOF'
import socket, sys, time
for _ in range(200):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close(); sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit("server did not start on port " + sys.argv[1])
PYEOF
}
json() { $PY -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END{print NR ? v[int((NR+1)/2)] : 0}'; }
HARD=$(ulimit -Hn)
[ "$HARD" = unlimited ] && HARD=1048576

start_server() { # rig|serve -> PORT, SPID (the server may hold up to the hard fd limit)
    PORT=$(port_free)
    if [ "$1" = rig ]; then
        (ulimit -n "$HARD"; exec taskset -c 0 "$RIG/echo_server" "$PORT") >/dev/null 2>&1 &
    else
        (ulimit -n "$HARD"; exec taskset -c 0 "$W" serve --threads 1 --quiet --port "$PORT") \
            >/dev/null 2>&1 &
    fi
    SPID=$!
    wait_port "$PORT"
}
stop_server() { kill "$SPID" 2>/dev/null || true; wait "$SPID" 2>/dev/null || true; SPID=""; }
rig_client() { # conns depth secs -> the client's whole output
    taskset -c 1 "$RIG/echo_client" -w -c "$1" -s 64 -d "$2" -T "$3" "$PORT" 2>&1
}
load() { # ARGS... -> report JSON (warm-up second excluded)
    taskset -c 1 "$W" load -q --json -t 1 -d $((SECS + 1)) --warmup 1 "$@" \
        "ws://127.0.0.1:$PORT/" 2>/dev/null
}

echo "== closed loop, 64-byte text: bare rig client vs wsprobe load (1 thread), median of $ROUNDS x ${SECS}s"
printf "%-7s %6s %4s %12s %12s %6s %12s   %s\n" server conns k rig_msgs/s wsprobe/s ratio cpu_s/Mmsg \
    "runs (rig | wsprobe)"
for server in rig serve; do
    start_server $server
    for conns in 100 1000; do
        for k in 1 64; do
            rig_runs=""
            ws_runs=""
            cpu_runs=""
            for r in $(seq 1 "$ROUNDS"); do
                rig=$(rig_client $conns $k "$SECS" | sed -n 's/.* rate=\([0-9]*\) msg\/s.*/\1/p')
                out=$(load -c $conns -k $k)
                rig_runs="$rig_runs ${rig:-0}"
                ws_runs="$ws_runs $(echo "$out" | json 'int(j["summary"]["rate"]["received_per_s"])')"
                cpu_runs="$cpu_runs $(echo "$out" | json '"%.3f" % j["summary"]["generator"]["cpu_s_per_million_msgs"]')"
            done
            rig=$(echo "$rig_runs" | median)
            ws=$(echo "$ws_runs" | median)
            ratio=$(awk -v a="$ws" -v b="$rig" 'BEGIN{printf "%.2f", b ? a / b : 0}')
            printf "%-7s %6s %4s %12s %12s %6s %12s  %s |%s\n" $server $conns $k "$rig" "$ws" "$ratio" \
                "$(echo "$cpu_runs" | median)" "$rig_runs" "$ws_runs"
        done
    done
    stop_server
done

echo "== open loop at 1000 msgs/s over 10 connections vs the bare round trip (1 connection, closed loop), median of $ROUNDS"
start_server serve
rig50="" rig99="" c50="" c99="" u50="" u99="" l50="" l99=""
for r in $(seq 1 "$ROUNDS"); do
    lat=$(rig_client 1 1 "$SECS" | sed -n 's/^latency_us p50=\([0-9.]*\) .* p99=\([0-9.]*\) .*/\1 \2/p')
    rig50="$rig50 ${lat% *}"
    rig99="$rig99 ${lat#* }"
    set -- $(load -c 10 -r 1000 | json '" ".join("%.1f" % j["summary"]["latency"][k][p] for k in ("corrected", "uncorrected", "send_lag") for p in ("p50_us", "p99_us"))')
    c50="$c50 $1" c99="$c99 $2" u50="$u50 $3" u99="$u99 $4" l50="$l50 $5" l99="$l99 $6"
done
echo "rig client round trip:      p50 $(echo "$rig50" | median) us, p99 $(echo "$rig99" | median) us"
echo "wsprobe corrected:          p50 $(echo "$c50" | median) us, p99 $(echo "$c99" | median) us  (runs p50:$c50)"
echo "wsprobe uncorrected:        p50 $(echo "$u50" | median) us, p99 $(echo "$u99" | median) us"
echo "wsprobe send lag:           p50 $(echo "$l50" | median) us, p99 $(echo "$l99" | median) us"

echo "== churn: connect, upgrade, close, again (50 at a time), median of $ROUNDS"
hs=""
for r in $(seq 1 "$ROUNDS"); do
    hs="$hs $(load -s churn -c 50 | json '"%.0f" % j["summary"]["connections"]["handshakes_per_s"]')"
done
echo "$(echo "$hs" | median) handshakes/s  (runs:$hs)"

echo "== idle connections: peak RSS of the generator"
base=$(taskset -c 1 "$W" load -q --json -t 1 -s idle -c 10 -d 2 "ws://127.0.0.1:$PORT/" 2>/dev/null |
       json 'j["summary"]["generator"]["peak_rss_kb"]')
# Both processes hold one descriptor per connection; wsprobe load also needs
# 64 + 4 per thread, the server a few: 200 to spare.
fit=$((HARD - 200))
for n in $IDLE $IDLE_BIG; do
    [ "$n" -gt 0 ] || continue
    if [ "$n" -gt "$fit" ]; then
        echo "$n idle: not possible here: the hard limit on open files is $HARD (ulimit -Hn; raising it needs CAP_SYS_RESOURCE), one per connection in each process; measuring $fit, the most that fits"
        n=$fit
    fi
    # Several source addresses, as a count beyond one address's ~28k ephemeral ports needs.
    src="--source-ips 127.0.0.2-127.0.0.$((n / 25000 + 3))"
    taskset -c 1 "$W" load -q --json -t 1 -s idle -c "$n" $src --ping-interval 5s \
        -d $((n / 5000 + 4)) "ws://127.0.0.1:$PORT/" 2>/dev/null |
        json "'%d idle: peak open %d, peak RSS %d KiB: %.2f KiB per connection in total (RSS / n), %.2f KiB per connection over a 10-connection run (%d KiB)' % ($n, j['summary']['connections']['peak_open'], j['summary']['generator']['peak_rss_kb'], j['summary']['generator']['peak_rss_kb'] / $n, (j['summary']['generator']['peak_rss_kb'] - $base) / $n, $base)"
done
stop_server

if [ "$CALLGRIND" = 1 ] && command -v valgrind >/dev/null 2>&1; then
    echo "== user-space instructions per message (callgrind, worker loop inclusive / messages received, 100 connections, ${SECS}s, rig echo server)"
    printf "%-9s %10s %10s %6s\n" in_flight rig wsprobe ratio
    start_server rig
    for k in 1 64; do
        taskset -c 1 valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.rig" \
            --toggle-collect=thread_run "$RIG/echo_client" -w -c 100 -s 64 -d $k -T "$SECS" "$PORT" \
            >"$tmp/rig.out" 2>/dev/null
        rig=$(awk -v i="$(sed -n 's/^summary: *//p' "$tmp/cg.rig")" \
            -v m="$(sed -n 's/^msgs=\([0-9]*\) .*/\1/p' "$tmp/rig.out")" 'BEGIN{printf "%.0f", m ? i / m : 0}')
        taskset -c 1 valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.ws" \
            --toggle-collect=lg_worker_main "$W" load -q --json -t 1 -c 100 -k $k -d "$SECS" \
            "ws://127.0.0.1:$PORT/" >"$tmp/ws.json" 2>/dev/null
        ws=$(awk -v i="$(sed -n 's/^summary: *//p' "$tmp/cg.ws")" \
            -v m="$(json 'j["summary"]["messages"]["received"]' <"$tmp/ws.json")" 'BEGIN{printf "%.0f", m ? i / m : 0}')
        printf "%-9s %10s %10s %6s\n" $k "$rig" "$ws" "$(awk -v a="$ws" -v b="$rig" 'BEGIN{printf "%.2f", b ? a / b : 0}')"
    done
    stop_server
fi
