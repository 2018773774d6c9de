#!/usr/bin/env bash
# okno's feedback to publishers with real browsers: transport-cc feedback on every publisher
# connection lets Chromium's send-side estimate (availableOutgoingBitrate) start and grow above its
# 300 kbit/s start, and the REMB cap ([media] max_publisher_kbps) holds its video rate down. Two okno
# servers run side by side, one with the default cap and one with an 80 kbit/s cap (well under the
# ~200 kbit/s Chromium's fake camera needs); on each, two Chromium participants call at the same
# time (publisher_feedback.mjs watches the second one's publisher connection).
# okno's log must show feedback and REMBs sent to the publishers; both servers must stop cleanly
# with no sanitizer report. Figures are printed (availableOutgoingBitrate per second, video rates).
. "$(dirname "$0")/browser_lib.bash"
driver_checks=5
cap_kbps=80
tap_plan $((driver_checks + 7))
need_chromium "okno's transport-cc feedback and REMB steer Chromium publishers"

# Two servers: each make_conf picks a free HTTP port; media ports are any free ones.
make_conf "$tmp/free.conf"
if ! start_okno "$tmp/free.conf" "$tmp/free.log"; then
    not_ok "okno with the default publisher cap starts" "$tmp/free.log"
    fail_rest "okno did not start"
fi
free_pid=$okno_pid free_url=$base_url
make_conf "$tmp/capped.conf"
ini_set "$tmp/capped.conf" media max_publisher_kbps "$cap_kbps"
if ! start_okno "$tmp/capped.conf" "$tmp/capped.log"; then
    not_ok "okno with max_publisher_kbps = $cap_kbps starts" "$tmp/capped.log"
    fail_rest "okno did not start"
fi
capped_pid=$okno_pid capped_url=$base_url
ok "two okno servers start (default publisher cap, and max_publisher_kbps = $cap_kbps)"

run_driver "$driver_checks" 70 publisher_feedback.mjs "$free_url" "$capped_url" "$cap_kbps"

# Each participant's summary is logged when it leaves: "pN publisher feedback: recorded R (...),
# transport-cc sent F (...), REMB sent B (cap C kbit/s), incoming I kbit/s".
stop_both() {
    local pid status=0
    for pid in "$free_pid" "$capped_pid"; do
        okno_pid=$pid
        if ! kill -0 "$okno_pid" 2>/dev/null; then
            status=1
        elif ! stop_okno 10 || [ "$okno_status" -ne 0 ]; then
            status=1
        fi
    done
    return $status
}
# Leaving is asynchronous: wait (bounded) for the four summaries before stopping.
deadline=$((SECONDS + 10))
while [ $SECONDS -lt $deadline ] &&
    [ "$(cat "$tmp/free.log" "$tmp/capped.log" | grep -c 'publisher feedback: recorded')" -lt 4 ]; do
    sleep 0.2
done
summaries=$(grep -h 'publisher feedback: recorded' "$tmp/free.log" "$tmp/capped.log")
echo "$summaries" | sed 's/^/# /'
grep -h 'publisher capped at' "$tmp/free.log" "$tmp/capped.log" | sed 's/^/# /' | head -12
n=0 good=0
while IFS= read -r line; do
    [ -n "$line" ] || continue
    n=$((n + 1))
    if [[ $line =~ recorded\ ([0-9]+).*transport-cc\ sent\ ([0-9]+).*REMB\ sent\ ([0-9]+) ]] &&
        [ "${BASH_REMATCH[1]}" -gt 100 ] && [ "${BASH_REMATCH[2]}" -gt 10 ] && [ "${BASH_REMATCH[3]}" -gt 0 ]; then
        good=$((good + 1))
    fi
done <<<"$summaries"
if [ "$n" -eq 4 ] && [ "$good" -eq 4 ]; then
    ok "okno recorded packets and sent transport-cc feedback and REMBs to all four publishers"
else
    not_ok "okno recorded packets and sent transport-cc feedback and REMBs to all four publishers ($good of $n summaries)"
fi
if grep -q "publisher capped at $cap_kbps kbit/s" "$tmp/capped.log"; then
    ok "the capped server announced $cap_kbps kbit/s once the video had a subscriber"
else
    not_ok "the capped server announced $cap_kbps kbit/s once the video had a subscriber" "$tmp/capped.log"
fi
if grep -q "publisher capped at 300 kbit/s (nobody receives its video)" "$tmp/free.log"; then
    ok "a publisher nobody receives yet is capped at 300 kbit/s"
else
    not_ok "a publisher nobody receives yet is capped at 300 kbit/s" "$tmp/free.log"
fi
if grep -q "publisher capped at 2500 kbit/s" "$tmp/free.log"; then
    ok "the default cap (2500 kbit/s) follows once someone receives the video"
else
    not_ok "the default cap (2500 kbit/s) follows once someone receives the video" "$tmp/free.log"
fi

if stop_both; then
    ok "both okno servers still run after the calls and stop on SIGTERM with exit 0"
else
    not_ok "both okno servers still run after the calls and stop on SIGTERM with exit 0" "$tmp/free.log"
fi
check_okno_stderr "$tmp/free.log" "$tmp/capped.log"
