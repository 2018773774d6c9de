#!/usr/bin/env bash
# Audio RED (RFC 2198) to a browser: okno-bench-probe publishes Opus inside RED (red/48000/2 offered
# before Opus, kept by okno's answer), a headless Chromium subscribes through the demo page. Checks
# that the subscriber connection negotiated RED, that Chromium plays the audio with little
# concealment (red_chromium.mjs), that okno forwarded the publisher's RED packets as RED (its log
# line when the subscription ends), and that okno stops cleanly with no sanitizer report.
. "$(dirname "$0")/browser_lib.bash"
driver_checks=4
tap_plan $((driver_checks + 5))
probe=$OKNO_BUILD/bench/okno-bench-probe

if [ ! -x "${OKNO_CHROMIUM:-/usr/bin/chromium}" ] || [ ! -x "$probe" ]; then
    skip_rest "Chromium receives RED from okno" "chromium or okno-bench-probe is not available"
fi

okno_conf
okno_up "okno starts on 127.0.0.1:$http_port"

room=red-$$
spawn "$tmp/probe.out" "$probe" --server "$ws" --room "$room" --role kiosk \
    --name probe-red --audio-red --duration 40
probe_pid=$spawned
deadline=$((SECONDS + 15))
while [ $SECONDS -lt $deadline ] && ! grep -qE " publishes .*audio" "$log" 2>/dev/null; do sleep 0.2; done
kill -0 "$probe_pid" 2>/dev/null
check $? "okno-bench-probe joins and publishes Opus in RED" "$tmp/probe.out"

run_driver "$driver_checks" 60 red_chromium.mjs "$base_url" "$room" probe-red

# Chromium left: its subscription's RED counters are logged as it goes.
deadline=$((SECONDS + 10))
while [ $SECONDS -lt $deadline ] && ! grep -qE "red: [0-9]+ forwarded" "$log"; do sleep 0.2; done
line=$(grep -E "red: [0-9]+ forwarded" "$log" | head -1)
echo "# ${line:-no red line in the okno log}"
[[ "$line" =~ red:\ ([0-9]+)\ forwarded ]] && [ "${BASH_REMATCH[1]}" -gt 50 ]
check $? "okno forwarded the probe's RED packets to Chromium as RED (more than 50)" "$log"

kill -TERM "$probe_pid" 2>/dev/null
check_okno_stops "okno still runs"
check_okno_stderr
