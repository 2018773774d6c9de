#!/usr/bin/env bash
# Simulcast through okno with real browsers: a Chromium publisher sends three encodings (rids q, h,
# f), a Chromium subscriber receives one chosen for it; limited with receive_limit it drops to a lower
# encoding, the publisher's top encoding stops (okno's REMB cap), and lifted it comes back
# (simulcast_chromium.mjs; the switch times are printed). okno's log must show the three encodings
# learned from the rid extension and received (the per-encoding summary each track logs when it
# ends); okno must stop cleanly with no sanitizer report.
. "$(dirname "$0")/browser_lib.bash"
driver_checks=8
echo "1..$((driver_checks + 4))"

if [ ! -x "${OKNO_CHROMIUM:-/usr/bin/chromium}" ]; then
    for _ in $(seq $((driver_checks + 4))); do
        skip "okno forwards a Chromium simulcast publisher layer by layer" "chromium is not installed"
    done
    exit 0
fi

make_conf "$tmp/okno.conf"
log=$tmp/okno.log
if ! start_okno "$tmp/okno.conf" "$log"; then
    not_ok "okno starts and serves the demo page on 127.0.0.1:$http_port" "$log"
    for _ in $(seq $((driver_checks + 3))); do not_ok "not reached: okno did not start"; done
    exit 0
fi
ok "okno starts and serves the demo page on 127.0.0.1:$http_port"

if need_node_modules; then
    TMPDIR=$tmp run_bounded 120 "$tmp/driver.out" node "$integ/simulcast_chromium.mjs" "$base_url" "simulcast"
    cp "$tmp/driver.out" "$tmp/driver.out.err"
    relay_results "$tmp/driver.out" "$driver_checks"
else
    for _ in $(seq $driver_checks); do
        not_ok "playwright-core is missing: run npm ci --prefix tests/integration --no-audit --no-fund"
    done
fi

grep -E 'quality|receive limit|publisher capped|simulcast|encoding' "$log" | sed 's/^/# /' | head -40
if ! kill -0 "$okno_pid" 2>/dev/null; then
    not_ok "okno still runs after the call and stops on SIGTERM (it had died)" "$log"
elif stop_okno 10 && [ "$okno_status" -eq 0 ]; then
    ok "okno still runs after the call and stops on SIGTERM with exit 0"
else
    not_ok "okno still runs after the call and stops on SIGTERM with exit 0 (status $okno_status)" "$log"
fi
# "pN-vM encodings received: q ssrc S P packets, h ssrc S P packets, f ssrc S P packets"
summary=$(grep -m1 "encodings received: q " "$log")
echo "# ${summary:-no encoding summary in the log}"
n=$(echo "$summary" | grep -oE '[0-9]+ packets' | awk '$1 > 0' | wc -l)
if [ "$n" -eq 3 ]; then
    ok "okno received all three encodings of the simulcast track"
else
    not_ok "okno received all three encodings of the simulcast track ($n with packets)" "$log"
fi
reports=$(sanitizer_reports "$log")
if [ -z "$reports" ]; then
    ok "okno's stderr has no AddressSanitizer/UndefinedBehaviorSanitizer report"
else
    not_ok "okno's stderr has no AddressSanitizer/UndefinedBehaviorSanitizer report"
    echo "$reports" | head -20 | sed 's/^/#   /'
fi
