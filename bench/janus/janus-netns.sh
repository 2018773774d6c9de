#!/usr/bin/env bash
# Runs Debian's Janus (VideoRoom) in a network namespace of its own, so okno-bench can compare okno
# with Janus on a machine without a network. Janus's libnice never gathers on an interface flagged
# LOOPBACK, so Janus cannot use lo; instead the namespace "okno-janus" gets a veth whose end carries
# 127.0.0.2/32, and the root namespace reaches it through the other end (127.0.0.3/32) by a /32
# route in the local table. Everything stays on this machine: no default route, no NAT, no bridge.
# It does not install Janus, tune it for load, or manage more than one instance (see README.md).
#
# usage: janus-netns.sh start|stop|status [--http-port P] [--ws-port P] [--debug-level N] [--rooms N]
# Must run as root. State (generated config, log, pid) lives in $OKNO_JANUS_STATE
# (default /run/okno-janus). Exit status: 0 done / running, 1 failure, 2 usage, 3 (status) not running.
set -uo pipefail

NS=okno-janus
VETH_ROOT=okjanus0    # root-namespace end
VETH_NS=okjanus1      # Janus's end, the only interface libnice may use
ADDR_NS=127.0.0.2     # Janus's HTTP, WebSocket and ICE host address
ADDR_ROOT=127.0.0.3   # root-namespace end, the source address clients use towards Janus
STATE=${OKNO_JANUS_STATE:-/run/okno-janus}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HTTP_PORT=8088
WS_PORT=8188
DEBUG_LEVEL=4
ROOMS=32              # VideoRooms 1234 .. 1234+ROOMS-1, as room 1234 (okno-bench load --rooms R)
START_WAIT=20         # seconds for Janus to answer /janus/info
STOP_WAIT=5           # seconds for Janus to exit on SIGTERM before SIGKILL

die() {
    echo "janus-netns: $*" >&2
    exit 1
}

usage() {
    echo "usage: $0 start|stop|status [--http-port P] [--ws-port P] [--debug-level N] [--rooms N]" >&2
    exit 2
}

[ $# -ge 1 ] || usage
cmd=$1
shift
while [ $# -gt 0 ]; do
    case $1 in
    --http-port) HTTP_PORT=${2:-}; shift 2 || usage ;;
    --ws-port) WS_PORT=${2:-}; shift 2 || usage ;;
    --debug-level) DEBUG_LEVEL=${2:-}; shift 2 || usage ;;
    --rooms) ROOMS=${2:-}; shift 2 || usage ;;
    *) usage ;;
    esac
done
for p in "$HTTP_PORT" "$WS_PORT"; do
    if ! [[ $p =~ ^[0-9]+$ ]] || [ "$p" -lt 1 ] || [ "$p" -gt 65535 ]; then
        die "bad port '$p'"
    fi
done
[[ $DEBUG_LEVEL =~ ^[0-7]$ ]] || die "bad debug level '$DEBUG_LEVEL' (0-7)"
if ! [[ $ROOMS =~ ^[0-9]+$ ]] || [ "$ROOMS" -lt 1 ] || [ "$ROOMS" -gt 1000 ]; then
    die "bad room count '$ROOMS' (1-1000)"
fi

info_url() { echo "http://$ADDR_NS:$1/janus/info"; }

# The HTTP port of the running instance, recorded at start, so status/stop need no flags.
running_port() { cat "$STATE/http_port" 2>/dev/null || echo "$HTTP_PORT"; }

janus_pid() {
    local pid
    pid=$(cat "$STATE/janus.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

answers() { curl -fsS --max-time 1 "$(info_url "$1")" >/dev/null 2>&1; }

ns_exists() { ip netns list 2>/dev/null | grep -qw "^$NS"; }

teardown() {
    local pid i
    if pid=$(janus_pid); then
        kill -TERM "$pid" 2>/dev/null
        for ((i = 0; i < STOP_WAIT * 10; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
    fi
    # Anything else still inside our namespace was started by this script (janus forks nothing
    # else, but a crashed earlier run may have left a janus without its pid file).
    if ns_exists; then
        for pid in $(ip netns pids "$NS" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null
        done
        ip netns delete "$NS" 2>/dev/null || die "cannot delete namespace $NS"
    fi
    # Deleting the namespace destroys the veth pair; a half-made pair may remain in the root.
    if ip link show "$VETH_ROOT" >/dev/null 2>&1; then
        ip link delete "$VETH_ROOT" 2>/dev/null || die "cannot delete $VETH_ROOT"
    fi
    rm -f "$STATE/janus.pid" "$STATE/http_port"
}

setup_net() {
    ip netns add "$NS" || die "cannot create namespace $NS"
    ip link add "$VETH_ROOT" type veth peer name "$VETH_NS" netns "$NS" ||
        die "cannot create veth $VETH_ROOT/$VETH_NS"
    # 127/8 on a non-loopback interface is martian unless route_localnet is on for that interface
    # (both for what arrives and for what is sent out of it, ARP included).
    sysctl -qw "net.ipv4.conf.$VETH_ROOT.route_localnet=1" "net.ipv4.conf.$VETH_ROOT.rp_filter=0" ||
        die "cannot set sysctls on $VETH_ROOT"
    ip addr add "$ADDR_ROOT/32" dev "$VETH_ROOT" || die "cannot address $VETH_ROOT"
    ip link set "$VETH_ROOT" up || die "cannot bring $VETH_ROOT up"
    # The root namespace's local table routes all of 127/8 to lo; a more specific unicast route in
    # that same table sends 127.0.0.2 out of the veth instead. It goes away with the interface.
    ip route add "$ADDR_NS/32" dev "$VETH_ROOT" src "$ADDR_ROOT" table local ||
        die "cannot route $ADDR_NS via $VETH_ROOT"

    local nsx=(ip netns exec "$NS")
    # lo stays down in the namespace: up, it would claim 127/8 as local and swallow replies to
    # 127.0.0.3. The namespace's only address is 127.0.0.2 on the veth.
    "${nsx[@]}" sysctl -qw net.ipv4.conf.all.route_localnet=1 \
        "net.ipv4.conf.$VETH_NS.route_localnet=1" "net.ipv4.conf.$VETH_NS.rp_filter=0" \
        net.ipv4.conf.all.rp_filter=0 || die "cannot set sysctls in $NS"
    "${nsx[@]}" ip addr add "$ADDR_NS/32" dev "$VETH_NS" || die "cannot address $VETH_NS"
    "${nsx[@]}" ip link set "$VETH_NS" up || die "cannot bring $VETH_NS up"
    "${nsx[@]}" ip route add "$ADDR_ROOT/32" dev "$VETH_NS" src "$ADDR_NS" ||
        die "cannot route $ADDR_ROOT via $VETH_NS"

    # Static neighbours: no ARP to go wrong with loopback addresses on ethernet links.
    local mac_root mac_ns
    mac_root=$(cat "/sys/class/net/$VETH_ROOT/address")
    mac_ns=$("${nsx[@]}" cat "/sys/class/net/$VETH_NS/address")
    ip neigh replace "$ADDR_NS" lladdr "$mac_ns" dev "$VETH_ROOT" nud permanent ||
        die "cannot add neighbour $ADDR_NS"
    "${nsx[@]}" ip neigh replace "$ADDR_ROOT" lladdr "$mac_root" dev "$VETH_NS" nud permanent ||
        die "cannot add neighbour $ADDR_ROOT"
}

write_conf() {
    local conf=$STATE/conf f
    rm -rf "$conf"
    mkdir -p "$conf" || die "cannot create $conf"
    for f in "$HERE"/conf/*.jcfg; do
        sed -e "s|@CONF_DIR@|$conf|g" -e "s|@ADDR@|$ADDR_NS|g" -e "s|@IFACE@|$VETH_NS|g" \
            -e "s|@HTTP_PORT@|$HTTP_PORT|g" -e "s|@WS_PORT@|$WS_PORT|g" \
            -e "s|@DEBUG_LEVEL@|$DEBUG_LEVEL|g" "$f" >"$conf/$(basename "$f")" ||
            die "cannot write $conf/$(basename "$f")"
    done
    # Rooms after 1234 are copies of it, so a multi-room load run finds each of its rooms.
    local vr=$conf/janus.plugin.videoroom.jcfg room
    for ((room = 1235; room < 1234 + ROOMS; room++)); do
        sed -n '/^room-1234: {/,/^}/p' "$vr" | sed "s/^room-1234:/room-$room:/"
    done >"$vr.more" && cat "$vr.more" >>"$vr" && rm -f "$vr.more" || die "cannot write $vr"
}

start() {
    local janus pid i
    janus=$(command -v janus) || die "janus is not installed (apt-get install -y janus)"
    command -v curl >/dev/null || die "curl is not installed"
    [ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces)"
    if janus_pid >/dev/null && answers "$(running_port)"; then
        echo "janus-netns: already running, $(info_url "$(running_port)")"
        return 0
    fi
    teardown # leftovers of a failed or killed earlier run
    mkdir -p "$STATE" || die "cannot create $STATE"
    setup_net
    write_conf
    echo "$HTTP_PORT" >"$STATE/http_port"
    : >"$STATE/janus.log"
    # setsid: Janus must not share the caller's process group, so a terminal's ^C or a test
    # harness killing its own group does not leave the namespace without its stop.
    setsid ip netns exec "$NS" "$janus" -F "$STATE/conf" -o -N -L "$STATE/janus.log" \
        </dev/null >"$STATE/janus.out" 2>&1 &
    pid=$!
    echo "$pid" >"$STATE/janus.pid"
    for ((i = 0; i < START_WAIT * 10; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$STATE/janus.log" "$STATE/janus.out" >&2
            teardown
            die "janus exited during start (log above, $STATE/janus.log)"
        fi
        if answers "$HTTP_PORT"; then
            echo "janus-netns: running (pid $pid), $(info_url "$HTTP_PORT")," \
                "ws://$ADDR_NS:$WS_PORT/, client address $ADDR_ROOT"
            return 0
        fi
        sleep 0.1
    done
    tail -n 20 "$STATE/janus.log" >&2
    teardown
    die "janus did not answer $(info_url "$HTTP_PORT") within ${START_WAIT}s"
}

status() {
    local pid
    if pid=$(janus_pid) && answers "$(running_port)"; then
        echo "janus-netns: running (pid $pid), $(info_url "$(running_port)")"
        return 0
    fi
    if ns_exists || [ -n "${pid:-}" ]; then
        echo "janus-netns: not answering (namespace $NS present: $(ns_exists && echo yes || echo no))"
    else
        echo "janus-netns: stopped"
    fi
    return 3
}

case $cmd in
start) start ;;
stop)
    [ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces)"
    teardown
    echo "janus-netns: stopped"
    ;;
status) status ;;
*) usage ;;
esac
