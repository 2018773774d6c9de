# Shared by tests/daemon/*.sh (sourced, not run: it is not *.sh). Gives TAP helpers, a temp dir and
# a trap that kills whatever the script started (by pid, nothing else) and removes the temp dir.
# Needs OKNO_BUILD (build dir) and OKNO_SRCDIR, as tests/run sets them.
set -uo pipefail
: "${OKNO_BUILD:?set OKNO_BUILD to a build directory}" "${OKNO_SRCDIR:?set OKNO_SRCDIR}"
OKNO_SANITIZERS=${OKNO_SANITIZERS:-0}
okno=$OKNO_BUILD/src/okno
plugin_dir=$OKNO_BUILD/tests/plugins/.libs
tmp=$(mktemp -d)
started=()
source "$(dirname "${BASH_SOURCE[0]}")/../tap.bash"

cleanup() {
    local p
    for p in "${started[@]}"; do
        kill -KILL "$p" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

# write_conf FILE TEXT: a config file (TEXT with printf escapes). Without an [http] group of its own
# it gets one on 127.0.0.1 and a free port, so tests never contend for the default port 8080.
write_conf() {
    printf "$2" >"$1"
    case "$2" in
    *"[http]"*) ;;
    *) printf '\n[http]\naddress = 127.0.0.1\nport = %s\n' "$(free_port)" >>"$1" ;;
    esac
}

# start_okno LOG ARGS...: starts okno in the background with ARGS, output to LOG; sets $pid.
start_okno() {
    local log=$1
    shift
    "$okno" "$@" >"$log" 2>&1 &
    pid=$!
    started+=("$pid")
}

# wait_for_line FILE PATTERN SECONDS: waits until FILE has a line matching the grep -E PATTERN.
wait_for_line() {
    local deadline=$((SECONDS + $3))
    while [ $SECONDS -lt $deadline ]; do
        grep -qE "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# wait_exit PID SECONDS: waits for PID to end; sets $status (124 when it did not end in time).
wait_exit() {
    local deadline=$((SECONDS + $2))
    while kill -0 "$1" 2>/dev/null; do
        if [ $SECONDS -ge $deadline ]; then
            status=124
            return 1
        fi
        sleep 0.05
    done
    wait "$1"
    status=$?
    return 0
}

# wait_for_handler PID SECONDS: waits until PID catches SIGTERM (its start-up reached the signal
# handlers), for runs whose log level hides the "running" line.
wait_for_handler() {
    local deadline=$((SECONDS + $2)) mask
    while [ $SECONDS -lt $deadline ]; do
        # Until exec, /proc shows the forking shell's handlers: read okno's only.
        mask=$(awk '/^Name:/ {name = $2} /^SigCgt:/ && name == "okno" {print $2}' \
            "/proc/$1/status" 2>/dev/null)
        [ -n "$mask" ] && (((0x$mask >> 14) & 1)) && return 0
        sleep 0.05
    done
    return 1
}
