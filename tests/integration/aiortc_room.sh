#!/usr/bin/env bash
# Three aiortc clients in one room through a real okno (tests/integration/aiortc_room.py): each
# must decode both others' VP8 video and Opus audio, 90 % of the frames at least, with the content
# checked. Starts $OKNO_BUILD/src/okno on a temporary config with a free HTTP port and signals over
# its WebSocket; when that build serves no WebSocket yet (src/api not linked in), the same client
# drives the same SFU through tests/integration/sfu_stdio instead, and says so. Fails on any
# sanitizer report in okno's (or the harness's) stderr, or an unclean stop.
# Needs OKNO_BUILD and OKNO_SRCDIR (tests/run sets them); /usr/bin/python3 with aiortc and websockets.
set -uo pipefail
: "${OKNO_BUILD:?set OKNO_BUILD to a build directory}" "${OKNO_SRCDIR:?set OKNO_SRCDIR}"
py=/usr/bin/python3
tmp=$(mktemp -d)
okno_pid=
cleanup() {
    [ -n "$okno_pid" ] && kill -KILL "$okno_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

if ! "$py" -c 'import aiortc, websockets' 2>/dev/null; then
    echo "1..1"
    echo "ok 1 - aiortc room # SKIP python3-aiortc or python3-websockets missing"
    exit 0
fi

port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$tmp/okno.conf" <<EOF
[general]
workers = 2
log_level = info
[http]
address = 127.0.0.1
port = $port
[media]
addresses = 127.0.0.1
ice_tcp = false
EOF

"$OKNO_BUILD/src/okno" --config "$tmp/okno.conf" 2>"$tmp/okno.err" &
okno_pid=$!
ws=
for _ in $(seq 100); do
    if ! kill -0 "$okno_pid" 2>/dev/null; then
        break
    fi
    if "$py" -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
        ws="ws://127.0.0.1:$port/ws"
        break
    fi
    sleep 0.1
done

if [ -n "$ws" ]; then
    note="over okno's WebSocket"
    "$py" "$OKNO_SRCDIR/tests/integration/aiortc_room.py" --ws "$ws" >"$tmp/client.out" \
        2>"$tmp/client.err"
else
    note="through sfu_stdio: this okno serves no WebSocket"
    "$py" "$OKNO_SRCDIR/tests/integration/aiortc_room.py" \
        --stdio "$OKNO_BUILD/tests/integration/sfu_stdio" --config "$tmp/okno.conf" \
        >"$tmp/client.out" 2>"$tmp/client.err"
fi
client_rc=$?

stopped=0
if kill -0 "$okno_pid" 2>/dev/null; then
    kill -TERM "$okno_pid"
    for _ in $(seq 100); do
        kill -0 "$okno_pid" 2>/dev/null || break
        sleep 0.1
    done
fi
wait "$okno_pid" 2>/dev/null
okno_rc=$?
okno_pid=
[ "$okno_rc" -eq 0 ] && stopped=1

results=$(grep -cE '^(not )?ok ' "$tmp/client.out")
echo "1..$((results + 3))"
echo "# signalling $note"
grep -E '^#' "$tmp/client.out"
grep -E '^(not )?ok ' "$tmp/client.out"
n=$results
n=$((n + 1))
if [ "$client_rc" -eq 0 ]; then
    echo "ok $n - every client decodes everyone else"
else
    echo "not ok $n - the client run failed (status $client_rc)"
    tail -n 30 "$tmp/client.err" | sed 's/^/#   /'
fi
n=$((n + 1))
if [ "$stopped" -eq 1 ]; then
    echo "ok $n - okno stops cleanly on SIGTERM"
else
    echo "not ok $n - okno exited with status $okno_rc"
    tail -n 20 "$tmp/okno.err" | sed 's/^/#   /'
fi
n=$((n + 1))
if grep -qE 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:' "$tmp/okno.err" "$tmp/client.err"; then
    echo "not ok $n - sanitizer reports"
    grep -hE -A12 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:' "$tmp/okno.err" \
        "$tmp/client.err" | head -n 60 | sed 's/^/#   /'
else
    echo "ok $n - no sanitizer report from okno or the SFU harness"
fi
