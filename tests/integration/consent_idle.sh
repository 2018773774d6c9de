#!/usr/bin/env bash
# Consent for an idle subscriber connection with a real browser (consent_idle.mjs): okno runs with
# [media] consent_timeout_s = 3; a Chromium kiosk whose subscriber connection carries nothing (the
# specialist left) keeps its seat for 3 x the timeout and receives the next specialist's video on it;
# a kiosk whose browser process is killed is still dropped. okno must stop cleanly afterwards with
# no sanitizer report.
. "$(dirname "$0")/browser_lib.bash"
driver_checks=4
timeout_s=3
echo "1..$((driver_checks + 3))"

if [ ! -x "${OKNO_CHROMIUM:-/usr/bin/chromium}" ]; then
    for _ in $(seq $((driver_checks + 3))); do
        skip "an idle Chromium subscriber connection keeps consent" "chromium is not installed"
    done
    exit 0
fi

make_conf "$tmp/okno.conf"
ini_set "$tmp/okno.conf" media consent_timeout_s "$timeout_s"
ini_set "$tmp/okno.conf" media ice_restart_grace_s 2
log=$tmp/okno.log
if ! start_okno "$tmp/okno.conf" "$log"; then
    not_ok "okno starts with consent_timeout_s = $timeout_s" "$log"
    for _ in $(seq $((driver_checks + 2))); do not_ok "not reached: okno did not start"; done
    exit 0
fi
ok "okno starts with consent_timeout_s = $timeout_s"

if need_node_modules; then
    TMPDIR=$tmp run_bounded 70 "$tmp/driver.out" node "$integ/consent_idle.mjs" "$base_url" "$log" "$timeout_s"
    cp "$tmp/driver.out" "$tmp/driver.out.err"
    relay_results "$tmp/driver.out" "$driver_checks"
else
    for _ in $(seq $driver_checks); do
        not_ok "playwright-core is missing: run npm ci --prefix tests/integration --no-audit --no-fund"
    done
fi

if ! kill -0 "$okno_pid" 2>/dev/null; then
    not_ok "okno still runs after the calls and stops on SIGTERM (it had died)" "$log"
elif stop_okno 10 && [ "$okno_status" -eq 0 ]; then
    ok "okno still runs after the calls and stops on SIGTERM with exit 0"
else
    not_ok "okno still runs after the calls and stops on SIGTERM with exit 0 (status $okno_status)" "$log"
fi
reports=$(sanitizer_reports "$log")
if [ -z "$reports" ]; then
    ok "okno's stderr has no AddressSanitizer/UndefinedBehaviorSanitizer report"
else
    not_ok "okno's stderr has no AddressSanitizer/UndefinedBehaviorSanitizer report"
    echo "$reports" | head -20 | sed 's/^/#   /'
fi
