# TAP helpers for the scripted tests (tests/daemon, tests/integration), sourced by their libraries.
# tests/run counts "ok N", "not ok N" and "# SKIP" lines; tap_n numbers them.
tap_n=0

ok() {
    tap_n=$((tap_n + 1))
    echo "ok $tap_n - $1"
}

# not_ok DESCRIPTION [FILE]: a failure, with FILE's tail as TAP comments.
not_ok() {
    tap_n=$((tap_n + 1))
    echo "not ok $tap_n - $1"
    if [ $# -gt 1 ] && [ -f "$2" ]; then
        tail -n 25 "$2" | sed 's/^/#   /'
    fi
}

skip() {
    tap_n=$((tap_n + 1))
    echo "ok $tap_n - $1 # SKIP $2"
}

# check STATUS DESCRIPTION [FILE]: ok when STATUS (a previous command's exit status) is 0.
check() {
    if [ "$1" -eq 0 ]; then ok "$2"; else not_ok "$2" "${3:-}"; fi
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
