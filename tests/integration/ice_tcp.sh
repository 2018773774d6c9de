#!/usr/bin/env bash
# ICE-TCP end to end: the Chromium pair of browser_chromium.sh inside a network namespace of its own in
# which every UDP datagram is dropped, so both browsers can reach okno only through its passive ICE-TCP
# candidates (kiosks behind firewalls that block UDP). The last check proves UDP really was dropped.
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${OKNO_IN_NETNS:-}" ]; then
    if [ "$(id -u)" != 0 ] || ! command -v iptables >/dev/null || ! command -v ip6tables >/dev/null ||
        ! unshare --net true 2>/dev/null; then
        echo "1..1"
        echo "ok 1 - ICE-TCP only # SKIP needs root, unshare and iptables"
        exit 0
    fi
    exec unshare --net env OKNO_IN_NETNS=1 bash "$here/ice_tcp.sh"
fi
ip link set lo up
iptables -A INPUT -p udp -j DROP
ip6tables -A INPUT -p udp -j DROP
# browser_chromium.sh plans 11 checks; this adds one.
bash "$here/browser_chromium.sh" | sed '1s/^1\.\.11$/1..12/'
dropped=$(iptables -L INPUT -v -n -x | awk '$3 == "DROP" {print $1; exit}')
if [ "${dropped:-0}" -gt 0 ]; then
    echo "ok 12 - UDP was blocked: $dropped datagrams dropped, so the media above went over ICE-TCP"
else
    echo "not ok 12 - no UDP datagram was dropped: the test did not force ICE-TCP"
fi
