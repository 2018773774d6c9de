#!/usr/bin/env bash
# okno-bench load through a real okno: one room, one publisher (pre-encoded VP8 + Opus at
# 1.5 Mbit/s), three receive-only subscribers of which one decodes; the run exits 0, its JSON has
# every key with sane values (packets forwarded, loss, latency matched per packet, the server's CPU
# and memory found through /proc, decoded frames); a tiny --ramp completes and prints its table;
# an unreachable server ends the run fast with a clear message, a refused join with its reason.
# Figures are printed, not judged (the machine is shared): only presence and sanity are. Needs
# OKNO_BUILD and OKNO_SRCDIR. Of the five subscribers of the first run two measure latency, one
# decodes, one unprotects and counts, one (--verify-every 2) counts from the clear RTP header only.
. "$(dirname "$0")/browser_lib.bash"
tap_plan 13
bench=$OKNO_BUILD/bench/okno-bench

bench_up "$bench"

run_bounded 50 "$tmp/run.out" "$bench" load --server "$ws" --rooms 1 --publishers 1 \
    --subscribers 5 --duration 3 --warmup 1 --decoders 1 --verify-every 2 --json "$tmp/run.json"
st=$?
sed 's/^/# /' "$tmp/run.out"
[ "$st" -eq 0 ]
check $? "okno-bench load 1x1x5 for 3 s exits 0 (got $st)" "$tmp/run.out"

# check_json FILE: the keys, and sane values; prints the figures.
"$python" - "$tmp/run.json" >"$tmp/json.out" 2>&1 <<'EOF'
import json, math, sys
d = json.load(open(sys.argv[1]))
r = d["result"]
need = ["rooms", "publishers", "subscribers", "streams", "fwd_pps", "loss_pct", "latency_ms",
        "added_latency_ms", "baseline_latency_ms", "server", "decoders", "generator", "pass"]
missing = [k for k in need if k not in r]
assert not missing, "missing keys %s" % missing
for k in ["p50", "p95", "p99"]:
    assert r["latency_ms"][k] is not None and r["latency_ms"][k] >= 0, "latency %s" % k
print("streams %d fwd_pps %.0f loss %.3f %% latency p50 %.2f p99 %.2f ms (baseline p50 %.2f) "
      "matched %d unmatched %d" % (r["streams"], r["fwd_pps"], r["loss_pct"], r["latency_ms"]["p50"],
      r["latency_ms"]["p99"], r["baseline_latency_ms"]["p50"], r["latency_matched"],
      r["latency_unmatched"]))
s = r["server"]
print("server cpu %.1f %% rss %.1f MB (idle %.1f) %.3f MiB/stream threads %d" % (s["cpu_pct"],
      s["rss_mb"], s["idle_rss_mb"], s["mib_per_stream"], s["threads"]))
dec = r["decoders"]
print("decoders tracks %d fps %.1f freezes %d" % (dec["tracks"], dec["fps"], dec["freezes"]))
g = r["generator"]
print("generator cpu %.1f %% %.2f us/packet, %d of %d packets counted unverified, rx drops %d, "
      "socket drops %d, host idle %.0f %%" % (g["cpu_pct"], g["cpu_us_per_packet"],
      g["rx_unverified"], r["packets_received"], g["client_rx_drops"], g["socket_drops"],
      g["host_idle_pct"]))
assert r["streams"] == 5
assert isinstance(g["socket_drops"], int) and g["socket_drops"] >= 0
EOF
st=$?
sed 's/^/# /' "$tmp/json.out"
[ "$st" -eq 0 ]
check $? "the JSON parses and has the keys" "$tmp/json.out"

jq_py() { "$python" -c "import json, sys; r = json.load(open(sys.argv[1]))['result']; print($1)" "$tmp/run.json" 2>/dev/null; }
[ "$(jq_py '1 if r["fwd_pps"] > 100 and r["packets_received"] > 0 else 0')" = 1 ]
check $? "packets are forwarded ($(jq_py 'round(r["fwd_pps"])') packets/s to 5 subscribers)" "$tmp/run.out"
[ "$(jq_py '1 if r["latency_matched"] > 0.9 * (r["latency_matched"] + r["latency_unmatched"]) else 0')" = 1 ]
check $? "latency is matched for most packets ($(jq_py 'r["latency_matched"]') of $(jq_py 'r["latency_matched"] + r["latency_unmatched"]'))" "$tmp/json.out"
[ "$(jq_py '1 if r["loss_pct"] is not None and 0 <= r["loss_pct"] <= 100 else 0')" = 1 ] &&
    grep -qE '^ +1 +1 +5 +5 ' "$tmp/run.out"
check $? "loss is reported ($(jq_py 'r["loss_pct"]') %) and the step line is printed" "$tmp/run.out"
[ "$(jq_py '1 if r["server"]["cpu_pct"] >= 0 and r["server"]["rss_mb"] > 1 and r["server"]["threads"] > 1 else 0')" = 1 ]
check $? "the server's CPU and memory are measured (pid found from its port)" "$tmp/json.out"
[ "$(jq_py '1 if r["decoders"]["tracks"] == 1 and r["decoders"]["frames"] > 0 else 0')" = 1 ]
check $? "the decoding subscriber decodes ($(jq_py 'r["decoders"]["fps"]') fps)" "$tmp/json.out"

# One subscriber in two of those neither measuring nor decoding counts still-protected packets:
# about a fifth of what was received, and none of the verifying ones saw a corrupt packet.
[ "$(jq_py '1 if 0.1 * r["packets_received"] < r["generator"]["rx_unverified"] < 0.35 * r["packets_received"] and r["generator"]["client_rx_drops"] == 0 and r["generator"]["cpu_us_per_packet"] > 0 else 0')" = 1 ]
check $? "count-only subscriber: $(jq_py 'r["generator"]["rx_unverified"]') of $(jq_py 'r["packets_received"]') packets unverified, no rx drops; $(jq_py 'round(r["generator"]["cpu_us_per_packet"], 2)') us CPU/packet" "$tmp/json.out"

# A tiny ramp: 1, 2, 3 subscribers (+25 % rounds up to +1), 1 s each.
run_bounded 55 "$tmp/ramp.out" "$bench" load --server "$ws" --publishers 1 --subscribers 1 \
    --ramp --max-subscribers 3 --duration 1 --warmup 0 --json "$tmp/ramp.json"
st=$?
sed 's/^/# /' "$tmp/ramp.out"
steps=$("$python" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["steps"]))' \
    "$tmp/ramp.json" 2>/dev/null)
[ "$st" -eq 0 ] && grep -q "largest passing load" "$tmp/ramp.out" && [ "${steps:-0}" -ge 1 ]
check $? "a --ramp to 3 subscribers completes with a table ($steps steps, status $st)" "$tmp/ramp.out"

# Unreachable: nothing listens on a fresh port.
dead=$(free_port)
start=$SECONDS
run_bounded 20 "$tmp/dead.out" "$bench" load --server "ws://127.0.0.1:$dead/ws" --duration 2 \
    --timeout 3000
st=$?
[ "$st" -eq 2 ] && grep -q "cannot reach the server" "$tmp/dead.out" && [ $((SECONDS - start)) -lt 10 ]
check $? "an unreachable server exits 2 with a clear message in < 10 s (got $st)" "$tmp/dead.out"

# Refused: the rooms plugin knows no role "janitor".
run_bounded 20 "$tmp/refused.out" "$bench" load --server "$ws" --duration 2 --sub-role janitor
st=$?
[ "$st" -eq 3 ] && grep -q "denied" "$tmp/refused.out"
check $? "a refused join exits 3 with the server's reason (got $st)" "$tmp/refused.out"

stop_okno 10
reports=$(for f in "$log" "$tmp"/{run,ramp,dead,refused}.out; do sanitizer_reports "$f"; done)
[ "${okno_status:-1}" -eq 0 ] && [ -z "$reports" ]
check $? "okno stops cleanly and no sanitizer report (status ${okno_status:-?})" "$log"
