#!/usr/bin/env bash
# okno-bench call through a real okno: a kiosk and a specialist in one room, the kiosk behind the
# in-process link emulator. On the clean profile both directions decode video at a useful rate and
# quality, the JSON report holds the issue's keys for both directions and the SVG plot is valid
# XML; the edge profile (200/240 kbit/s, 840 ms RTT, bursty loss) runs and reports; a bad profile,
# an unreachable server and a refused join end the run with a clear message and their exit codes.
# Figures are printed as TAP comments; only wide functional thresholds are judged (the ASan build
# is several times slower). Needs OKNO_BUILD and OKNO_SRCDIR (tests/run sets them).
. "$(dirname "$0")/browser_lib.bash"
tap_plan 19
bench=$OKNO_BUILD/bench/okno-bench
duration=8
bench_size

bench_up "$bench"

# figures JSON LABEL: one comment line per direction with the report's main figures, then
# "DIRECTION FPS PSNR" lines for the checks (one Python start: they are slow on a loaded machine).
figures() {
    "$python" - "$@" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
def f(v):
    return "null" if v is None else (f"{v:.2f}" if isinstance(v, float) else str(v))
out = []
for d in ["kiosk_to_specialist", "specialist_to_kiosk"]:
    o = r.get(d) or {}
    lat = o.get("latency_ms") or {}
    print(f"# {sys.argv[2]} {d}: fps {f(o.get('fps'))}, freezes {f(o.get('freezes'))}, "
          f"latency p50/p95 {f(lat.get('p50'))}/{f(lat.get('p95'))} ms, PSNR {f(o.get('psnr_db'))} dB, "
          f"concealment {f(o.get('audio_concealment'))}, bitrate {f(o.get('bitrate_kbps'))} kbit/s, "
          f"utilization {f(o.get('utilization'))}")
    out.append(f"{d} {f(o.get('fps'))} {f(o.get('psnr_db'))}")
print("\n".join(out))
PY
}

# --- clean ------------------------------------------------------------------------------------
start=$SECONDS
run_bounded 45 "$tmp/clean.out" "$bench" call --server "$ws" --room clean --profile clean \
    --duration "$duration" --json "$tmp/clean.json" --plot "$tmp/clean.svg" "${size[@]}"
st=$?
check "$st" "okno-bench call --profile clean --duration $duration exits 0 (got $st, $((SECONDS - start)) s)" \
    "$tmp/clean.out"
sed -n '/^okno-bench call: profile/,$p' "$tmp/clean.out" | sed 's/^/# /'

"$python" - "$tmp/clean.json" >"$tmp/keys.out" 2>&1 <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
need = ["fps", "freezes", "freeze_ms_total", "freeze_ms_max", "latency_ms", "psnr_db",
        "audio_concealment", "bitrate_kbps", "utilization", "timeline"]
tl_need = ["t", "capacity_kbps", "sent_kbps", "recv_kbps", "estimate_kbps", "rtt_ms", "loss_pct",
           "fps", "freezes", "latency_ms"]
for k in ["profile", "duration_s", "seed", "target", "link"]:
    assert k in r, "report lacks " + k
for d in ["kiosk_to_specialist", "specialist_to_kiosk"]:
    o = r[d]
    missing = [k for k in need if k not in o]
    assert not missing, f"{d} lacks {missing}"
    assert all(p in o["latency_ms"] for p in ["p50", "p95", "p99"]), d + " latency percentiles"
    assert isinstance(o["timeline"], list) and len(o["timeline"]) >= 3, d + " timeline too short"
    for s in o["timeline"]:
        miss = [k for k in tl_need if k not in s]
        assert not miss, f"{d} timeline entry lacks {miss}"
    c = o["audio_concealment"]
    assert c is None or 0 <= c <= 1, f"{d} audio_concealment {c}"
for l in ["up", "down"]:
    assert r["link"][l]["packets_in"] > 0, "nothing crossed the kiosk's link " + l
late = r["link"]["emulator"]["wake_late_ms"]
# The clean profile delays nothing, so its departures never wait for the timer.
assert late["wakes"] == 0 or 0 <= late["p50"] <= late["p99"] <= late["max"], f"emulator {late}"
print("keys ok")
PY
check $? "the JSON report parses and has both directions with the required keys" "$tmp/keys.out"

figures "$tmp/clean.json" "clean (${size[*]:-640x360})" >"$tmp/clean.fig" 2>&1
grep '^#' "$tmp/clean.fig"
for d in kiosk_to_specialist specialist_to_kiosk; do
    read -r _ fps psnr < <(grep "^$d " "$tmp/clean.fig" || echo "$d null null")
    awk -v v="$fps" 'BEGIN { exit !(v != "null" && v + 0 > 15) }'
    check $? "clean: $d decodes more than 15 fps (got $fps)"
    awk -v v="$psnr" 'BEGIN { exit !(v != "null" && v + 0 > 25) }'
    check $? "clean: $d PSNR above 25 dB (got $psnr)"
done

"$python" -c 'import sys, xml.etree.ElementTree as E
root = E.parse(sys.argv[1]).getroot()
assert root.tag.endswith("svg"), root.tag
assert len(list(root.iter("{http://www.w3.org/2000/svg}polyline"))) >= 4, "too few lines"' \
    "$tmp/clean.svg" >"$tmp/svg.out" 2>&1
check $? "the SVG plot exists and is valid XML with the plotted lines ($(stat -c %s "$tmp/clean.svg" 2>/dev/null || echo 0) bytes)" \
    "$tmp/svg.out"

# --- edge -------------------------------------------------------------------------------------
start=$SECONDS
run_bounded 50 "$tmp/edge.out" "$bench" call --server "$ws" --room edge --profile edge \
    --duration "$duration" --json "$tmp/edge.json" --quiet "${size[@]}"
st=$?
[ "$st" -eq 0 ] && "$python" -c 'import json, sys
r = json.load(open(sys.argv[1]))
assert r["profile"] == "edge" and "kiosk_to_specialist" in r and "specialist_to_kiosk" in r' \
    "$tmp/edge.json" 2>>"$tmp/edge.out"
check $? "okno-bench call --profile edge runs and reports (got $st, $((SECONDS - start)) s)" "$tmp/edge.out"
[ -f "$tmp/edge.json" ] && figures "$tmp/edge.json" edge | grep '^#'
# The kiosk's media crossed the emulated link (the relay counted it both ways) and the timeline
# carries the profile's capacities: 200 kbit/s up for kiosk -> specialist, 240 down for the other.
"$python" -c 'import json, sys
r = json.load(open(sys.argv[1]))
up, down = r["kiosk_to_specialist"]["timeline"], r["specialist_to_kiosk"]["timeline"]
assert up and down, "no timeline"
assert all(s["capacity_kbps"] == 200 for s in up), [s["capacity_kbps"] for s in up]
assert all(s["capacity_kbps"] == 240 for s in down), [s["capacity_kbps"] for s in down]
assert r["link"]["up"]["packets_in"] > 0 and r["link"]["down"]["packets_in"] > 0
u = r["kiosk_to_specialist"]["utilization"]
assert u is not None and 0 <= u <= 1.2, u
late = r["link"]["emulator"]["wake_late_ms"]
assert late["wakes"] > 0 and 0 <= late["p50"] <= late["p99"] <= late["max"], late' \
    "$tmp/edge.json" >"$tmp/edge-link.out" 2>&1
check $? "edge: the kiosk's media crossed the emulated link (its departures timed) and the \
timeline has its capacities" "$tmp/edge-link.out"

# --- SIGINT ends a run early and it still reports -----------------------------------------------
start=$SECONDS
spawn "$tmp/int.out" timeout --kill-after=5 40 "$bench" call --server "$ws" --room int \
    --profile clean --duration 30 --json "$tmp/int.json" --quiet "${size[@]}"
int_pid=$spawned
for _ in $(seq 100); do grep -q "both publish" "$tmp/int.out" && break; sleep 0.1; done
sleep 2
# timeout forwards the signal to okno-bench
kill -INT "$int_pid" 2>/dev/null
wait "$int_pid"
st=$?
[ "$st" -eq 0 ] && grep -q "interrupted" "$tmp/int.out" && "$python" -c 'import json, sys
r = json.load(open(sys.argv[1]))
assert r["interrupted"] is True and r["duration_s"] < 20, r["duration_s"]' "$tmp/int.json" 2>>"$tmp/int.out"
check $? "SIGINT ends a 30 s run early (after $((SECONDS - start)) s), exit $st, with a report" "$tmp/int.out"

# --- failures ---------------------------------------------------------------------------------
cat >"$tmp/bad.profile" <<'PROFILE'
[profile]
name = bad
[up]
capacity_kbps = -5
PROFILE
run_bounded 20 "$tmp/bad.out" "$bench" call --server "$ws" --profile "$tmp/bad.profile" --duration 2
st=$?
[ "$st" -eq 2 ] && grep -q "bad.profile:4" "$tmp/bad.out"
check $? "a bad profile exits 2 naming the file and line (got $st: $(head -c 200 "$tmp/bad.out"))" "$tmp/bad.out"

dead=$(free_port)
start=$SECONDS
run_bounded 20 "$tmp/dead.out" "$bench" call --server "ws://127.0.0.1:$dead/ws" --profile clean \
    --duration 2 --timeout 3000
st=$?
[ "$st" -ne 0 ] && grep -q "cannot reach the server" "$tmp/dead.out" && [ $((SECONDS - start)) -lt 10 ]
check $? "an unreachable server exits non-zero ($st) with a clear message in $((SECONDS - start)) s" "$tmp/dead.out"

run_bounded 20 "$tmp/refused.out" "$bench" call --server "$ws" --profile clean --duration 2 \
    --kiosk-role janitor
st=$?
[ "$st" -eq 3 ] && grep -q "join refused" "$tmp/refused.out"
check $? "a refused join exits 3 with the server's reason (got $st)" "$tmp/refused.out"

# Silent: a socket that accepts and never speaks; the connect timeout must end the run.
silent=$(free_port)
silent_server "$silent"
start=$SECONDS
run_bounded 20 "$tmp/silent.out" "$bench" call --server "ws://127.0.0.1:$silent/ws" --profile clean \
    --duration 2 --timeout 2000
st=$?
[ "$st" -eq 4 ] && [ $((SECONDS - start)) -le 8 ]
check $? "a server that never answers exits 4 within the timeout (got $st in $((SECONDS - start)) s)" \
    "$tmp/silent.out"

run_bounded 10 "$tmp/usage.out" "$bench" call --duration 2
st=$?
[ "$st" -eq 2 ] && grep -q -- "--profile is required" "$tmp/usage.out"
check $? "a missing --profile exits 2 with a message (got $st)" "$tmp/usage.out"

echo "# okno-bench runs took $SECONDS s so far"
check_okno_stopped
check_no_reports "no sanitizer report in okno's log" "$log"
check_no_reports "no sanitizer report in okno-bench's output" "$tmp"/{clean,edge,int,bad,dead,refused,silent,usage}.out
