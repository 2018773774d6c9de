# Shared by the tests/integration scripts that start an okno of their own (browsers, hostile input,
# okno-bench) (sourced, not run: it is not *.sh, so tests/run leaves it alone). Gives TAP helpers with
# renumbering of results that the Node and Python drivers print and with the rest of a plan failed or
# skipped, a temp dir, a private network namespace with only loopback (when we are root), a throwaway
# okno config derived from conf/okno.conf, okno's start (the first result) and its clean stop and
# sanitizer checks (the last ones), and a trap that stops every process group the script started
# (by id, nothing else) and removes the temp dir.
#
# Deliberately not here: anything about a particular browser, attack or bench mode; the scripts and
# their drivers do that.
# Needs OKNO_BUILD (build dir) and OKNO_SRCDIR, as tests/run sets them.
set -uo pipefail
: "${OKNO_BUILD:?set OKNO_BUILD to a build directory}" "${OKNO_SRCDIR:?set OKNO_SRCDIR}"
OKNO_BUILD=$(cd "$OKNO_BUILD" && pwd)
OKNO_SRCDIR=$(cd "$OKNO_SRCDIR" && pwd)

# A network namespace of our own holds okno, the browsers and the helpers: ICE then sees loopback only,
# no other test's ports collide with ours, and nothing can leave the machine. OKNO_NETNS=0 opts out.
if [ "${OKNO_NETNS:-1}" = 1 ] && [ -z "${OKNO_IN_NETNS:-}" ] && [ "$(id -u)" = 0 ] &&
    command -v unshare >/dev/null && unshare --net true 2>/dev/null; then
    exec unshare --net env OKNO_IN_NETNS=1 bash "$0" "$@"
fi
if [ -n "${OKNO_IN_NETNS:-}" ]; then
    ip link set lo up
fi

OKNO_SANITIZERS=${OKNO_SANITIZERS:-0}
okno=$OKNO_BUILD/src/okno
integ=$OKNO_SRCDIR/tests/integration
python=/usr/bin/python3
tmp=$(mktemp -d /tmp/okno-integ.XXXXXX)
groups=()
okno_pid=""
source "$(dirname "${BASH_SOURCE[0]}")/../tap.bash"

cleanup() {
    local g
    for g in "${groups[@]}"; do
        kill -KILL -- "-$g" 2>/dev/null
    done
    # OKNO_KEEP_TMP=1 keeps logs, profiles and driver output for a look after a failure.
    if [ "${OKNO_KEEP_TMP:-0}" = 1 ]; then
        echo "# kept $tmp"
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# relay_results FILE COUNT: turns a driver's "ok - x" / "not ok - x" / "# ..." lines into numbered
# TAP; when the driver reported fewer than COUNT results (it crashed or timed out), the rest fail.
relay_results() {
    local file=$1 want=$2 got=0 line
    while IFS= read -r line; do
        case "$line" in
        "ok - "*) [ "$got" -lt "$want" ] && { got=$((got + 1)); ok "${line#ok - }"; } ;;
        "not ok - "*) [ "$got" -lt "$want" ] && { got=$((got + 1)); not_ok "${line#not ok - }"; } ;;
        "#"*) echo "$line" ;;
        esac
    done <"$file"
    while [ "$got" -lt "$want" ]; do
        got=$((got + 1))
        not_ok "driver result $got of $want missing (driver ended early)" "$file.err"
    done
}

# spawn LOG CMD...: runs CMD in its own process group (so cleanup can end it and its children),
# output to LOG; sets $spawned to its pid (= its group id).
spawn() {
    local log=$1
    shift
    setsid "$@" >"$log" 2>&1 </dev/null &
    spawned=$!
    groups+=("$spawned")
}

# ini_set FILE GROUP KEY VALUE: sets KEY in [GROUP] of a GKeyFile, adding group or key when missing.
ini_set() {
    "$python" - "$@" <<'EOF'
import re, sys
path, group, key, value = sys.argv[1:5]
lines = open(path).read().splitlines()
headers = [i for i, ln in enumerate(lines) if re.match(r'\s*\[.+\]\s*$', ln)]
at = next((i for i in headers if lines[i].strip() == '[' + group + ']'), None)
if at is None:
    lines += ['[' + group + ']', key + ' = ' + value]
else:
    nxt = next((i for i in headers if i > at), len(lines))
    for i in range(at + 1, nxt):
        if re.match(r'\s*' + re.escape(key) + r'\s*=', lines[i]):
            lines[i] = key + ' = ' + value
            break
    else:
        lines.insert(nxt, key + ' = ' + value)
open(path, 'w').write('\n'.join(lines) + '\n')
EOF
}

# make_conf FILE: okno's default config with its plugins as configured there (taken from this build),
# HTTP on a free loopback port ($http_port), pages from the repo's web/ and a quiet-enough log.
make_conf() {
    local conf=$1
    cp "$OKNO_SRCDIR/conf/okno.conf" "$conf"
    http_port=$(free_port)
    ini_set "$conf" http address 127.0.0.1
    ini_set "$conf" http port "$http_port"
    if grep -qE '^#? *web_root *=' "$OKNO_SRCDIR/conf/okno.conf"; then
        ini_set "$conf" http web_root "$OKNO_SRCDIR/web"
    fi
    # Plugins are built into the build dir, each under plugins/NAME/.libs (libtool); a directory of
    # symlinks gives okno the one plugin dir it wants.
    mkdir -p "$tmp/plugins"
    local so
    for so in "$OKNO_BUILD"/plugins/*/.libs/okno_*.so "$OKNO_BUILD"/plugins/.libs/okno_*.so; do
        [ -f "$so" ] && ln -sf "$so" "$tmp/plugins/"
    done
    ini_set "$conf" plugins dir "$tmp/plugins"
    # Media on loopback only: the browsers reach it there, and no test traffic uses another address.
    if grep -qE '^\[media\]' "$OKNO_SRCDIR/conf/okno.conf"; then
        ini_set "$conf" media addresses 127.0.0.1
    fi
    ini_set "$conf" general workers 2
    ini_set "$conf" general log_level "${OKNO_LOG_LEVEL:-info}"
}

# start_okno CONF LOG: starts okno; waits until its HTTP server answers (20 s). Returns non-zero when
# it did not come up. Sets $okno_pid and $base_url.
start_okno() {
    local conf=$1 log=$2
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
        UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} spawn "$log" "$okno" --config "$conf"
    okno_pid=$spawned
    base_url="http://127.0.0.1:$http_port"
    local deadline=$((SECONDS + 20))
    while [ $SECONDS -lt $deadline ]; do
        kill -0 "$okno_pid" 2>/dev/null || return 1
        if "$python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
            "$base_url/index.html" 2>/dev/null; then
            return 0
        fi
        sleep 0.2
    done
    return 1
}

# stop_okno SECONDS: SIGTERM, then waits; sets $okno_status (124 when it did not end in time).
stop_okno() {
    local deadline=$((SECONDS + $1))
    kill -TERM "$okno_pid" 2>/dev/null
    while kill -0 "$okno_pid" 2>/dev/null; do
        if [ $SECONDS -ge $deadline ]; then
            okno_status=124
            return 1
        fi
        sleep 0.1
    done
    wait "$okno_pid"
    okno_status=$?
}

# sanitizer_reports LOG: prints the sanitizer reports in LOG (empty when there are none).
sanitizer_reports() {
    grep -nE 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:|SUMMARY: (Address|Leak|Undefined)' "$1"
}

# need_node_modules: playwright-core must be installed (quickstart runs npm ci for it).
need_node_modules() {
    [ -f "$integ/node_modules/playwright-core/package.json" ]
}

# run_bounded SECONDS LOG CMD...: runs CMD in its own group in the foreground, killed after SECONDS.
run_bounded() {
    local limit=$1 log=$2
    shift 2
    spawn "$log" timeout --kill-after=5 "$limit" "$@"
    wait "$spawned"
}

# tap_plan N: prints the plan; fail_rest and skip_rest fill it up to N.
tap_plan() {
    plan=$1
    echo "1..$plan"
}

# fail_rest WHY: every result of the plan not yet given fails ("not reached: WHY"); the script ends.
fail_rest() {
    while [ "$tap_n" -lt "$plan" ]; do not_ok "not reached: $1"; done
    exit 0
}

# skip_rest WHAT WHY: every result of the plan not yet given is skipped; the script ends.
skip_rest() {
    while [ "$tap_n" -lt "$plan" ]; do skip "$1" "$2"; done
    exit 0
}

# need_chromium WHAT: without Chromium the whole plan is skipped (as WHAT) and the script ends.
need_chromium() {
    [ -x "${OKNO_CHROMIUM:-/usr/bin/chromium}" ] || skip_rest "$1" "chromium is not installed"
}

# okno_conf [GROUP KEY VALUE]...: $conf ($tmp/okno.conf) from make_conf with these settings on top;
# $log ($tmp/okno.log) is where okno_up sends okno's output.
okno_conf() {
    conf=$tmp/okno.conf
    log=$tmp/okno.log
    make_conf "$conf"
    while [ $# -ge 3 ]; do
        ini_set "$conf" "$1" "$2" "$3"
        shift 3
    done
}

# okno_up DESCRIPTION [CMD...]: starts okno on $conf (okno_conf) and gives the result DESCRIPTION: ok
# once it serves (and CMD, when given, succeeds). When okno does not start, DESCRIPTION and the rest
# of the plan fail and the script ends. Sets $ws, the signalling WebSocket's URL.
okno_up() {
    local what=$1
    shift
    if ! start_okno "$conf" "$log"; then
        not_ok "$what" "$log"
        fail_rest "okno did not start"
    fi
    ws="ws://127.0.0.1:$http_port/ws"
    if [ $# -gt 0 ]; then
        "$@"
        check $? "$what" "$log"
    else
        ok "$what"
    fi
}

# run_driver CHECKS SECONDS SCRIPT ARGS...: node runs tests/integration/SCRIPT with ARGS (bounded to
# SECONDS, temp files in $tmp) and its CHECKS results are relayed; without playwright-core each fails.
run_driver() {
    local checks=$1 limit=$2 script=$3
    shift 3
    if ! need_node_modules; then
        for _ in $(seq "$checks"); do
            not_ok "playwright-core is missing: run npm ci --prefix tests/integration --no-audit --no-fund"
        done
        return
    fi
    TMPDIR=$tmp run_bounded "$limit" "$tmp/driver.out" node "$integ/$script" "$@"
    cp "$tmp/driver.out" "$tmp/driver.out.err"
    relay_results "$tmp/driver.out" "$checks"
}

# note_okno_rates_on_failure: when the driver reported a failure, okno's rate decisions of the call
# (subscriber estimates, publisher caps, collapses), the part of its log that explains slow media.
note_okno_rates_on_failure() {
    grep -q '^not ok' "$tmp/driver.out.err" 2>/dev/null || return 0
    grep -E 'subscriber estimate|publisher capped|collapsed|layer' "$log" | tail -n 40 | sed 's/^/# okno: /'
}

# check_okno_stops WHO: one result, "WHO and stops on SIGTERM with exit 0" (WHO: "okno still runs
# after the call"): okno must still run, and end within 10 s of a SIGTERM with status 0.
check_okno_stops() {
    if ! kill -0 "$okno_pid" 2>/dev/null; then
        not_ok "$1 and stops on SIGTERM (it had died)" "$log"
    elif stop_okno 10 && [ "$okno_status" -eq 0 ]; then
        ok "$1 and stops on SIGTERM with exit 0"
    else
        not_ok "$1 and stops on SIGTERM with exit 0 (status $okno_status)" "$log"
    fi
}

# check_okno_stopped: one result, "okno stops cleanly (status S)": a SIGTERM ends okno within 10 s
# with status 0.
check_okno_stopped() {
    stop_okno 10
    [ "${okno_status:-1}" -eq 0 ]
    check $? "okno stops cleanly (status ${okno_status:-?})" "$log"
}

# check_no_reports DESCRIPTION FILE...: one result, ok when no FILE holds a sanitizer report; the
# reports found are printed as TAP comments.
check_no_reports() {
    local what=$1 reports f
    shift
    reports=$(for f in "$@"; do sanitizer_reports "$f" 2>/dev/null; done)
    if [ -z "$reports" ]; then
        ok "$what"
    else
        not_ok "$what"
        echo "$reports" | head -20 | sed 's/^/#   /'
    fi
}

# check_okno_stderr [LOG...]: check_no_reports on okno's output ($log unless named), as the browser
# tests word it.
check_okno_stderr() {
    [ $# -gt 0 ] || set -- "$log"
    check_no_reports "okno's stderr has no AddressSanitizer/UndefinedBehaviorSanitizer report" "$@"
}

# bench_up PROGRAM: the okno-bench scripts' start: without PROGRAM built every result is skipped
# (as PROGRAM's name) and the script ends; else okno without ICE-TCP is up as the first result.
bench_up() {
    [ -x "$1" ] || skip_rest "$(basename "$1")" "not built in $OKNO_BUILD"
    okno_conf media ice_tcp false
    okno_up "okno starts on 127.0.0.1:$http_port"
}

# bench_size: $size, okno-bench call's picture size arguments. The sanitizer build encodes and
# decodes several times slower: a quarter of the pixels keeps the two encoders and decoders within a
# shared core's reach there (the figures say which size ran); the normal build uses the default.
bench_size() {
    size=()
    if [ "$OKNO_SANITIZERS" = 1 ]; then
        size=(--width 320 --height 180)
    fi
}

# silent_server PORT: a socket on 127.0.0.1:PORT that accepts connections and never speaks (a client's
# connect timeout must end it); returns once it listens (5 s at most). cleanup ends it.
silent_server() {
    spawn "$tmp/silent.log" "$python" -c 'import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4); print("up", flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)' "$1"
    disown "$spawned" # cleanup kills it; bash need not report that
    for _ in $(seq 50); do
        grep -q up "$tmp/silent.log" && break
        sleep 0.1
    done
}
