#!/usr/bin/env bash
# bench/evidence.sh: issue 5's evidence table. Runs `okno-bench call` on every profile of
# bench/profiles (or those given) against okno (started here on a free loopback port with a
# throwaway config) and Janus (bench/janus/janus-netns.sh; needs root and Debian's janus, else it
# is skipped with a message), keeps each run's JSON report, summary and SVG plot in the output
# directory and prints one markdown table with a row per profile, target and direction:
#
#   fps, freezes, longest freeze after 5 s, latency p95, queue delay p95 (the emulated link's
#   bottleneck queue), audio concealment, video kbit/s, utilization, recovery max
#
# (bench/README.md defines each figure.) Nothing is judged: a run that fails gets a row that says
# so and the script goes on. Every run is bounded (its duration plus 90 s).
#
# usage: bench/evidence.sh [--targets okno,janus] [--profiles a,b,...] [--duration-scale X]
#                          [--out DIR] [--build DIR] [--simulcast] [--warm] [-- CALL-OPTIONS...]
#   --profiles a,b       names in bench/profiles or paths of profile files [all of bench/profiles]
#   --duration-scale X   each profile runs X times its duration_s (30 s when it has none),
#                        at least 1 s [1]
#   --out DIR            where reports and table.md go [a new /tmp/okno-evidence.XXXXXX]
#   --build DIR          the build with src/okno, bench/okno-bench and the plugins
#                        [$OKNO_BUILD, else ./build]
#   --warm               okno's measured call of each profile is the kiosk's second: a fresh okno
#                        first carries a 30 s warm-up call of the same profile (another seed),
#                        so its link memory starts the measured one where the links were.
#                        Without it okno runs with [media] link_memory_days = 0: every call is a
#                        first call, and no profile's call sees another's links
#   -- CALL-OPTIONS      passed on to every okno-bench call (e.g. --width 320 --height 180)
# Exit status: 0 the table was made (whatever the runs did), 2 bad usage, 1 okno did not start or
# no run produced a report.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
targets=okno,janus
profiles=
scale=1
out=
build=${OKNO_BUILD:-$src/build}
simulcast=()
warm=0
extra=()
python=/usr/bin/python3

usage() {
    sed -n '/^# usage:/,/^# Exit status/p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
    --targets) targets=${2:-}; shift 2 || usage ;;
    --profiles) profiles=${2:-}; shift 2 || usage ;;
    --duration-scale) scale=${2:-}; shift 2 || usage ;;
    --out) out=${2:-}; shift 2 || usage ;;
    --build) build=${2:-}; shift 2 || usage ;;
    --simulcast) simulcast=(--simulcast); shift ;;
    --warm) warm=1; shift ;;
    --) shift; extra=("$@"); break ;;
    -h | --help) usage ;;
    *) echo "evidence.sh: unknown argument $1" >&2; usage ;;
    esac
done
if ! [[ "$scale" =~ ^[0-9]*\.?[0-9]+$ ]]; then
    echo "evidence.sh: --duration-scale must be a positive number (got '$scale')" >&2
    exit 2
fi
IFS=, read -r -a target_list <<<"$targets"
for t in "${target_list[@]}"; do
    case "$t" in okno | janus) ;; *) echo "evidence.sh: unknown target '$t'" >&2; exit 2 ;; esac
done
if [ -n "$profiles" ]; then
    IFS=, read -r -a profile_list <<<"$profiles"
else
    mapfile -t profile_list < <(ls "$src/bench/profiles/"*.profile | xargs -n1 basename | sed 's/\.profile$//')
fi
# A profile is a name in bench/profiles or a file's path (its name is then the file's, less
# .profile).
declare -A profile_file
names=()
for p in "${profile_list[@]}"; do
    if [[ "$p" == */* ]]; then
        name=$(basename "$p" .profile)
        profile_file[$name]=$(cd "$(dirname "$p")" 2>/dev/null && pwd)/$(basename "$p")
    else
        name=$p
        profile_file[$name]=$src/bench/profiles/$p.profile
    fi
    [ -f "${profile_file[$name]}" ] || { echo "evidence.sh: no profile $p" >&2; exit 2; }
    names+=("$name")
done
profile_list=("${names[@]}")
build=$(cd "$build" 2>/dev/null && pwd) || { echo "evidence.sh: no build directory" >&2; exit 2; }
bench=$build/bench/okno-bench
okno=$build/src/okno
for x in "$bench" "$okno"; do
    [ -x "$x" ] || { echo "evidence.sh: $x is not built" >&2; exit 2; }
done
[ -n "$out" ] || out=$(mktemp -d /tmp/okno-evidence.XXXXXX)
mkdir -p "$out" || exit 2
out=$(cd "$out" && pwd)
export OKNO_SRCDIR=$src

okno_pid=
janus_started=0
cleanup() {
    if [ -n "$okno_pid" ]; then
        kill -TERM "$okno_pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$okno_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$okno_pid" 2>/dev/null
        wait "$okno_pid" 2>/dev/null
    fi
    if [ "$janus_started" = 1 ]; then
        bash "$src/bench/janus/janus-netns.sh" stop >>"$out/janus.log" 2>&1
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The profile's duration_s (30 when it has none) times the scale, at least 1 s.
duration_of() {
    "$python" - "${profile_file[$1]}" "$scale" <<'PY'
import math, re, sys
d = 30.0
for line in open(sys.argv[1]):
    m = re.match(r'\s*duration_s\s*=\s*([0-9.]+)', line)
    if m:
        d = float(m.group(1))
print(max(1, math.ceil(d * float(sys.argv[2]) - 1e-9)))
PY
}

# okno with conf/okno.conf changed to: HTTP on a free loopback port, media on loopback without
# ICE-TCP, this build's plugins, two workers; the link memory off unless --warm.
start_okno() {
    local conf=$out/okno.conf port
    port=$(free_port)
    mkdir -p "$out/plugins"
    local so
    for so in "$build"/plugins/*/.libs/okno_*.so "$build"/plugins/.libs/okno_*.so; do
        [ -f "$so" ] && ln -sf "$so" "$out/plugins/"
    done
    local memory_days=0
    [ "$warm" = 1 ] && memory_days=7
    "$python" - "$src/conf/okno.conf" "$conf" "$port" "$out/plugins" "$src/web" "$memory_days" <<'PY'
import re, sys
src, dst, port, plugins, web, memory_days = sys.argv[1:7]
lines = open(src).read().splitlines()
want = {"http": {"address": "127.0.0.1", "port": port, "web_root": web},
        "plugins": {"dir": plugins},
        "media": {"addresses": "127.0.0.1", "ice_tcp": "false", "link_memory_days": memory_days},
        "general": {"workers": "2", "log_level": "info"}}
for group, kv in want.items():
    for key, value in kv.items():
        heads = [i for i, l in enumerate(lines) if re.match(r'\s*\[.+\]\s*$', l)]
        at = next((i for i in heads if lines[i].strip() == "[" + group + "]"), None)
        if at is None:
            lines += ["[" + group + "]", key + " = " + value]
            continue
        end = next((i for i in heads if i > at), len(lines))
        for i in range(at + 1, end):
            if re.match(r'\s*' + re.escape(key) + r'\s*=', lines[i]):
                lines[i] = key + " = " + value
                break
        else:
            lines.insert(end, key + " = " + value)
open(dst, "w").write("\n".join(lines) + "\n")
PY
    "$okno" --config "$conf" >>"$out/okno.log" 2>&1 &
    okno_pid=$!
    okno_ws="ws://127.0.0.1:$port/ws"
    local deadline=$((SECONDS + 20))
    while [ $SECONDS -lt $deadline ]; do
        kill -0 "$okno_pid" 2>/dev/null || return 1
        "$python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
            "http://127.0.0.1:$port/index.html" 2>/dev/null && return 0
        sleep 0.2
    done
    return 1
}

stop_okno() {
    kill -TERM "$okno_pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$okno_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$okno_pid" 2>/dev/null
    wait "$okno_pid" 2>/dev/null
    okno_pid=
}

# Janus in its namespace: started here when it is not running (and stopped at the end), used as
# it is when it already runs. Returns non-zero with a message when it cannot be had.
start_janus() {
    if [ "$(id -u)" != 0 ]; then
        echo "evidence.sh: Janus skipped: janus-netns.sh needs root" >&2
        return 1
    fi
    if ! command -v janus >/dev/null 2>&1; then
        echo "evidence.sh: Janus skipped: janus is not installed (apt-get install janus)" >&2
        return 1
    fi
    if bash "$src/bench/janus/janus-netns.sh" status >/dev/null 2>&1; then
        echo "evidence.sh: Janus already runs: using it as it is" >&2
        return 0
    fi
    if ! bash "$src/bench/janus/janus-netns.sh" start >"$out/janus.log" 2>&1; then
        echo "evidence.sh: Janus skipped: it did not start (see $out/janus.log)" >&2
        return 1
    fi
    janus_started=1
}

# warm_up PROFILE: a 30 s call of the profile with another seed, its reports kept as
# okno-PROFILE.warm-up.*; what it returns is not judged.
warm_up() {
    local p=$1
    echo "evidence.sh: okno $p, a 30 s warm-up call" >&2
    timeout --kill-after=5 120 "$bench" call --server "$okno_ws" --room "evidence-$p-warm-up" \
        --profile "${profile_file[$p]}" --duration 30 --seed 101 --quiet \
        ${simulcast[@]+"${simulcast[@]}"} ${extra[@]+"${extra[@]}"} \
        --json "$out/okno-$p.warm-up.json" >"$out/okno-$p.warm-up.txt" 2>&1
}

# run TARGET PROFILE INDEX: one call; its exit status goes to TARGET-PROFILE.status.
run() {
    local target=$1 p=$2 i=$3 d args
    d=$(duration_of "$p")
    if [ "$target" = okno ]; then
        args=(--server "$okno_ws" --room "evidence-$p")
    else
        args=(--target janus --server ws://127.0.0.2:8188/ --address 127.0.0.3
            --janus-room $((1234 + i)))
    fi
    echo "evidence.sh: $target $p, ${d} s" >&2
    timeout --kill-after=5 $((d + 90)) "$bench" call "${args[@]}" --profile "${profile_file[$p]}" \
        --duration "$d" \
        --quiet ${simulcast[@]+"${simulcast[@]}"} ${extra[@]+"${extra[@]}"} --json "$out/$target-$p.json" --plot "$out/$target-$p.svg" \
        >"$out/$target-$p.txt" 2>&1
    echo $? >"$out/$target-$p.status"
}

ran=()
for target in "${target_list[@]}"; do
    if [ "$target" = okno ]; then
        if ! start_okno; then
            echo "evidence.sh: okno did not start (see $out/okno.log)" >&2
            exit 1
        fi
    elif ! start_janus; then
        continue
    fi
    ran+=("$target")
    i=0
    for p in "${profile_list[@]}"; do
        if [ "$target" = okno ] && [ "$warm" = 1 ]; then
            # a fresh okno per profile: the memory holds this profile's links only
            if [ "$i" -gt 0 ] && { stop_okno; ! start_okno; }; then
                echo "evidence.sh: okno did not start (see $out/okno.log)" >&2
                exit 1
            fi
            warm_up "$p"
        fi
        run "$target" "$p" "$i"
        i=$((i + 1))
    done
    [ "$target" = okno ] && stop_okno
done

"$python" "$here/evidence_table.py" "$out" "${profile_list[*]}" "${ran[*]}" >"$out/table.md"
status=$?
cat "$out/table.md"
echo "evidence.sh: reports, summaries and plots in $out" >&2
exit $status
