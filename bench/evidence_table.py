#!/usr/bin/env python3
"""The markdown table of bench/evidence.sh from the okno-bench call reports in a directory.

usage: evidence_table.py DIR "PROFILE ..." "TARGET ..."

Reads DIR/TARGET-PROFILE.json (and .status, the run's exit status) and prints one row per
profile, target and direction. A run without a report gets one row saying why. Exits 1 when no
run left a report, else 0. Judges nothing."""
import json
import math
import os
import sys

DIRECTIONS = [("kiosk_to_specialist", "kiosk→specialist"), ("specialist_to_kiosk", "specialist→kiosk")]
HEAD = ["profile", "target", "direction", "fps", "freezes", "longest freeze after 5 s (ms)",
        "latency p95 (ms)", "queue delay p95 (ms)", "audio concealment (%)", "video kbit/s",
        "utilization (%)", "recovery max, rate (ms)", "recovery max, layer (ms)"]


def num(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None


def f(v, fmt="{:.0f}"):
    v = num(v)
    return "-" if v is None else fmt.format(v)


def video_kbps(d):
    """Mean of the timeline's per-second video rate (the whole rate for reports without it)."""
    vals = [num(s.get("video_kbps")) for s in d.get("timeline") or []]
    vals = [v for v in vals if v is not None]
    if vals:
        return sum(vals) / len(vals)
    return num(d.get("bitrate_kbps"))


def recovery(d, prefix=""):
    changes = d.get("recovery")
    if not changes:
        return "no change"
    if not any(prefix + "recovered" in c for c in changes):
        return "-"  # a report from before the figure existed
    worst = f(d.get(prefix + "recovery_ms_max"))
    lost = d.get(prefix + "recovery_unrecovered") or 0
    cut = sum(1 for c in changes if c.get(prefix + "recovered") is None)
    if cut == len(changes):
        return "run ended < 10 s after each change"
    if lost and worst == "-":
        return f"not within 10 s ({lost} of {len(changes)})"
    if lost:
        return f"{worst}; {lost} of {len(changes)} not within 10 s"
    return worst


def row(profile, target, name, d):
    lat = d.get("latency_ms") or {}
    q = d.get("queue_delay_ms") or {}
    conc = num(d.get("audio_concealment"))
    util = num(d.get("utilization"))
    return [profile, target, name, f(d.get("fps"), "{:.1f}"), f(d.get("freezes")),
            f(d.get("freeze_ms_max_after_5s")), f(lat.get("p95")), f(q.get("p95")),
            f(conc * 100 if conc is not None else None, "{:.1f}"), f(video_kbps(d)),
            f(util * 100 if util is not None else None), recovery(d), recovery(d, "layer_")]


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    out, profiles, targets = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
    rows, reports = [], 0
    for p in profiles:
        for t in targets:
            base = os.path.join(out, f"{t}-{p}")
            try:
                status = open(base + ".status").read().strip()
            except OSError:
                status = "?"
            try:
                r = json.load(open(base + ".json"))
            except (OSError, ValueError):
                rows.append([p, t, "-", f"no report (exit {status})"] + [""] * (len(HEAD) - 4))
                continue
            reports += 1
            for key, name in DIRECTIONS:
                d = r.get(key)
                if not isinstance(d, dict):
                    rows.append([p, t, name, "nothing received"] + [""] * (len(HEAD) - 4))
                    continue
                rows.append(row(p, t, name, d))
            if status not in ("0", "?"):
                rows[-1][2] += f" (exit {status})"
    print("| " + " | ".join(HEAD) + " |")
    print("|" + "|".join("---" for _ in HEAD) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    return 0 if reports else 1


if __name__ == "__main__":
    sys.exit(main())
