#!/bin/sh
# bench/serve.sh: `wsprobe serve --threads 1` against the rig's echo server,
# both driven by the rig's bare client, in the same run: server pinned to CPU 0,
# client to CPU 1, 100 connections, 64-byte text, 1 and 64 messages in flight.
# Prints the median msgs/s of ROUNDS interleaved runs of SECS each and the
# ratio serve/rig (issue 6 target: >= 0.8). With valgrind installed it also
# prints user-space instructions per echoed message under callgrind (event
# loop only, handshakes excluded): repeatable where msgs/s on a shared machine
# is not. Talks to 127.0.0.1 only; every run is bounded by -T.
#   bench/serve.sh [SECS [ROUNDS]]     (default 5 s, 3 rounds; CALLGRIND=0 to skip)
set -e
cd "$(dirname "$0")/.."
SECS=${1:-5}
ROUNDS=${2:-3}
CALLGRIND=${CALLGRIND:-1}
RIG=../shared/rig
PY=/usr/bin/python3
make -s bin/wsprobe 2>/dev/null || test -x bin/wsprobe
make -s -C "$RIG" >/dev/null
W=$(pwd)/bin/wsprobe
tmp=$(mktemp -d /tmp/wsprobe-bench-serve.XXXXXX)
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

# start rig|serve [WRAPPER...]: sets PORT and SPID; the server's stderr goes to $tmp/err
start() {
    which=$1
    shift
    PORT=$(port_free)
    if [ "$which" = rig ]; then
        taskset -c 0 "$@" "$RIG/echo_server" "$PORT" >/dev/null 2>"$tmp/err" &
    else
        taskset -c 0 "$@" "$W" serve --threads 1 --quiet --port "$PORT" >/dev/null 2>"$tmp/err" &
    fi
    SPID=$!
    wait_port "$PORT"
}
stop() { # SIGINT makes both servers print their totals
    kill -INT "$SPID" 2>/dev/null || true
    wait "$SPID" 2>/dev/null || true
    SPID=""
}
client() { # depth secs -> msgs/s
    taskset -c 1 "$RIG/echo_client" -w -c 100 -s 64 -d "$1" -T "$2" "$PORT" 2>&1 |
        sed -n 's/.* rate=\([0-9]*\) msg\/s.*/\1/p'
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END{print NR ? v[int((NR+1)/2)] : 0}'; }

echo "== echo throughput: rig client, 100 connections, 64-byte text, median of $ROUNDS x ${SECS}s"
printf "%-9s %12s %12s %7s   %s\n" in_flight rig_msgs/s serve_msgs/s ratio "runs (rig | serve)"
for depth in 1 64; do
    rig_runs=""
    serve_runs=""
    for r in $(seq 1 "$ROUNDS"); do
        for which in rig serve; do
            start $which
            rate=$(client "$depth" "$SECS")
            stop
            [ -n "$rate" ] || rate=0
            if [ $which = rig ]; then rig_runs="$rig_runs $rate"; else serve_runs="$serve_runs $rate"; fi
        done
    done
    rig=$(echo "$rig_runs" | median)
    serve=$(echo "$serve_runs" | median)
    ratio=$(awk -v a="$serve" -v b="$rig" 'BEGIN{printf "%.2f", b ? a / b : 0}')
    printf "%-9s %12s %12s %7s   %s |%s\n" "$depth" "$rig" "$serve" "$ratio" "$rig_runs" "$serve_runs"
done

if [ "$CALLGRIND" = 1 ] && command -v valgrind >/dev/null 2>&1; then
    echo "== user-space instructions per echoed message (callgrind, event loop only, 3 s)"
    printf "%-9s %10s %10s\n" in_flight rig serve
    for depth in 1 64; do
        line="$depth"
        for which in rig serve; do
            if [ $which = rig ]; then hs=do_handshake; else hs=conn_handshake; fi
            start $which valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" \
                --toggle-collect=worker_run --toggle-collect=$hs
            client "$depth" 3 >/dev/null
            stop
            ir=$(sed -n 's/^summary: *//p' "$tmp/cg.out")
            msgs=$(grep -o 'echoed_msgs=[0-9]*\|messages=[0-9]*' "$tmp/err" | head -1 | cut -d= -f2)
            line="$line $(awk -v i="$ir" -v m="$msgs" 'BEGIN{printf "%.0f", m ? i / m : 0}')"
        done
        echo "$line" | awk '{printf "%-9s %10s %10s\n", $1, $2, $3}'
    done
fi
