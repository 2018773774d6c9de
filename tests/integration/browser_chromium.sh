#!/usr/bin/env bash
# Two headless Chromium participants in one okno room, through the demo page with fake camera and
# microphone: each decodes the other's video and plays the other's audio (frames and samples counted
# on the subscriber connection, not just "connected"), and the tile of a participant who leaves goes.
# Reports time to first frame and the frame rate seen. okno must stop cleanly afterwards with no
# sanitizer report on its stderr.
. "$(dirname "$0")/browser_lib.bash"
driver_checks=8
echo "1..$((driver_checks + 3))"

if [ ! -x "${OKNO_CHROMIUM:-/usr/bin/chromium}" ]; then
    for _ in $(seq $((driver_checks + 3))); do
        skip "two Chromium participants exchange media through okno" "chromium is not installed"
    done
    exit 0
fi

make_conf "$tmp/okno.conf"
log=$tmp/okno.log
if ! start_okno "$tmp/okno.conf" "$log"; then
    not_ok "okno starts and serves the demo page on 127.0.0.1:$http_port" "$log"
    for _ in $(seq $((driver_checks + 2))); do not_ok "not reached: okno did not start"; done
    exit 0
fi
ok "okno starts and serves the demo page on 127.0.0.1:$http_port"

if need_node_modules; then
    TMPDIR=$tmp run_bounded 100 "$tmp/driver.out" node "$integ/browser_chromium.mjs" "$base_url" "chromium-pair"
    cp "$tmp/driver.out" "$tmp/driver.out.err"
    relay_results "$tmp/driver.out" "$driver_checks"
else
    for _ in $(seq $driver_checks); do
        not_ok "playwright-core is missing: run npm ci --prefix tests/integration --no-audit --no-fund"
    done
fi

if ! kill -0 "$okno_pid" 2>/dev/null; then
    not_ok "okno still runs after the call and stops on SIGTERM (it had died)" "$log"
elif stop_okno 10 && [ "$okno_status" -eq 0 ]; then
    ok "okno still runs after the call and stops on SIGTERM with exit 0"
else
    not_ok "okno still runs after the call and stops on SIGTERM with exit 0 (status $okno_status)" "$log"
fi
reports=$(sanitizer_reports "$log")
if [ -z "$reports" ]; then
    ok "okno's stderr has no AddressSanitizer/UndefinedBehaviorSanitizer report"
else
    not_ok "okno's stderr has no AddressSanitizer/UndefinedBehaviorSanitizer report"
    echo "$reports" | head -20 | sed 's/^/#   /'
fi
