#!/usr/bin/env bash
# Real browsers against okno's SDP negotiation (src/sfu/negotiate.c, sub_offer.c), through
# tests/tools/okno-sdp; TAP on stdout. A small HTTP server on 127.0.0.1 serves a page to headless
# Chromium (then Firefox ESR when installed). The page makes publisher offers (audio+video with a
# data channel, VP8 simulcast with three rids), gets okno's answer from the server, which runs
# okno-sdp answer, and applies it with setRemoteDescription; then it applies okno's subscriber
# offer for two tracks (okno-sdp sub-offer), answers it, and the server checks that answer with
# okno-sdp sub-check. No media flows: okno's transport parameters are made up.
#
# Needs OKNO_BUILD (the build directory with tests/tools/okno-sdp); kills every process it started,
# by process group id, on exit. With OKNO_NEGOTIATE_SAVE=DIR the browsers' answers to the
# subscriber offer are kept there as BROWSER-sub-answer.sdp (how the unit tests' fixtures were made).
set -uo pipefail
: "${OKNO_BUILD:?set OKNO_BUILD to a build directory}"
tool=$OKNO_BUILD/tests/tools/okno-sdp
tmp=$(mktemp -d /tmp/okno-negotiate.XXXXXX)
pids=()
n=0

cleanup() {
    local p
    for p in "${pids[@]}"; do
        kill -KILL -- "-$p" 2>/dev/null
        kill -KILL "$p" 2>/dev/null
    done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# Cases the page reports, in order; each browser must report every one.
cases=(publish-av-datachannel publish-simulcast subscribe-two-tracks)
echo "1..$((2 * ${#cases[@]}))"

if [ ! -x "$tool" ]; then
    for c in "${cases[@]}" "${cases[@]}"; do
        n=$((n + 1))
        echo "not ok $n - $c: $tool is not built"
    done
    exit 1
fi

cat >"$tmp/page.html" <<'HTML'
<!doctype html><meta charset="utf-8"><title>okno negotiation</title><script>
const report = (name, ok, detail) =>
  fetch("/result", {method: "POST", body: JSON.stringify({name, ok, detail: String(detail)})});
async function post(path, body) {
  const r = await fetch(path, {method: "POST", body});
  const t = await r.text();
  if (!r.ok) throw new Error(path + ": " + t);
  return t;
}
async function publish(name, build, check) {
  const pc = new RTCPeerConnection();
  try {
    const ctx = await build(pc);
    await pc.setLocalDescription(await pc.createOffer());
    const sdp = await post("/answer", pc.localDescription.sdp);
    await pc.setRemoteDescription({type: "answer", sdp});
    await report(name, ...check(pc, ctx));
  } catch (e) {
    await report(name, false, e);
  } finally {
    pc.close();
  }
}
const sendDirs = pc => pc.getTransceivers().map(t => t.mid + ":" + t.currentDirection).join(" ");
(async () => {
  const media = await navigator.mediaDevices.getUserMedia({audio: true, video: {width: 640, height: 360}});
  await publish("publish-av-datachannel", async pc => {
    for (const t of media.getTracks()) pc.addTrack(t, media);
    pc.createDataChannel("chat");
  }, pc => {
    const d = sendDirs(pc);
    return [/^0:sendonly 1:sendonly$/.test(d), d];
  });
  await publish("publish-simulcast", async pc => {
    pc.addTrack(media.getAudioTracks()[0], media);
    const tr = pc.addTransceiver(media.getVideoTracks()[0], {direction: "sendonly", streams: [media],
      sendEncodings: [{rid: "q", scaleResolutionDownBy: 4}, {rid: "h", scaleResolutionDownBy: 2}, {rid: "f"}]});
    return tr;
  }, (pc, tr) => {
    const rids = tr.sender.getParameters().encodings.map(e => e.rid).join(",");
    const d = sendDirs(pc);
    return [rids === "q,h,f" && /^0:sendonly 1:sendonly$/.test(d), d + " rids=" + rids];
  });
  const pc = new RTCPeerConnection();
  try {
    const got = [];
    pc.ontrack = e => got.push(e.track.kind + "@" + e.streams.map(s => s.id).join("+"));
    const offer = await (await fetch("/sub-offer")).text();
    await pc.setRemoteDescription({type: "offer", sdp: offer});
    await pc.setLocalDescription(await pc.createAnswer());
    const checked = await post("/sub-answer", pc.localDescription.sdp);
    const tracks = got.sort().join(" ");
    await report("subscribe-two-tracks", tracks === "audio@p3 video@p3" &&
      /m-line 1: accepted/.test(checked) && /m-line 2: accepted/.test(checked),
      tracks + " | " + checked.replace(/\n/g, "; "));
  } catch (e) {
    await report("subscribe-two-tracks", false, e);
  }
  pc.close();
  await fetch("/done", {method: "POST", body: ""});
})().catch(e => report("page", false, e).then(() => fetch("/done", {method: "POST", body: ""})));
</script>
HTML

cat >"$tmp/server.py" <<'PY'
import http.server, subprocess, sys
page, tool, results, portfile, save = sys.argv[1:6]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def reply(self, code, body, ctype="text/plain"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def run(self, args, data):
        p = subprocess.run([tool] + args, input=data, capture_output=True, timeout=20)
        if p.returncode == 0:
            self.reply(200, p.stdout)
        else:
            self.reply(400, p.stderr or b"okno-sdp failed")
    def do_GET(self):
        if self.path == "/":
            self.reply(200, open(page, "rb").read(), "text/html")
        elif self.path == "/sub-offer":
            self.run(["sub-offer"], b"")
        else:
            self.reply(404, b"")
    def do_POST(self):
        data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/answer":
            self.run(["answer"], data)
        elif self.path == "/sub-answer":
            if save:
                with open(save, "wb") as f:
                    f.write(data)
            self.run(["sub-check"], data)
        elif self.path == "/result":
            with open(results, "ab") as f:
                f.write(data + b"\n")
            self.reply(204, b"")
        elif self.path == "/done":
            self.reply(204, b"")
            self.server.done = True
        else:
            self.reply(404, b"")
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
srv.done = False
open(portfile, "w").write(str(srv.server_address[1]))
while not srv.done:
    srv.handle_request()
PY

# run_browser NAME: serves the page to one browser and prints a TAP line per case.
run_browser() {
    local name=$1 results="$tmp/$1.results" log="$tmp/$1.log"
    : >"$results"
    rm -f "$tmp/port"
    local save=${OKNO_NEGOTIATE_SAVE:+$OKNO_NEGOTIATE_SAVE/$name-sub-answer.sdp}
    setsid python3 "$tmp/server.py" "$tmp/page.html" "$tool" "$results" "$tmp/port" "$save" \
        >"$tmp/server-$name.log" 2>&1 &
    local srv=$!
    pids+=("$srv")
    local waited=0
    while [ ! -s "$tmp/port" ] && [ $waited -lt 100 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    local url="http://127.0.0.1:$(cat "$tmp/port" 2>/dev/null)/"
    case $name in
    chromium)
        setsid chromium --headless=new --no-sandbox --use-fake-device-for-media-stream \
            --use-fake-ui-for-media-stream --allow-loopback-in-peer-connection \
            --disable-background-networking --no-first-run --user-data-dir="$tmp/chromium-profile" \
            "$url" >"$log" 2>&1 &
        ;;
    firefox)
        mkdir -p "$tmp/ff-profile"
        cat >"$tmp/ff-profile/user.js" <<'PREFS'
user_pref("media.navigator.streams.fake", true);
user_pref("media.navigator.permission.disabled", true);
user_pref("media.peerconnection.ice.loopback", true);
user_pref("media.peerconnection.ice.obfuscate_host_addresses", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.aboutwelcome.enabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("app.update.enabled", false);
PREFS
        HOME="$tmp" setsid firefox-esr --headless --no-remote --profile "$tmp/ff-profile" "$url" \
            >"$log" 2>&1 &
        ;;
    esac
    local browser=$!
    pids+=("$browser")
    waited=0
    while kill -0 "$srv" 2>/dev/null && [ $waited -lt 900 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    kill -TERM -- "-$browser" 2>/dev/null
    kill -KILL -- "-$srv" 2>/dev/null
    sleep 0.5
    kill -KILL -- "-$browser" 2>/dev/null
    wait "$browser" "$srv" 2>/dev/null
    local c line
    for c in "${cases[@]}"; do
        n=$((n + 1))
        line=$(grep -F "\"name\":\"$c\"" "$results" | head -1)
        if [ -z "$line" ]; then
            echo "not ok $n - $name: $c (no result within 90 s)"
            grep -F '"name":"page"' "$results" | sed 's/^/#   /'
            tail -n 5 "$log" | sed 's/^/#   /'
        elif echo "$line" | grep -qF '"ok":true'; then
            echo "ok $n - $name: $c"
            echo "#   $line"
        else
            echo "not ok $n - $name: $c"
            echo "#   $line"
        fi
    done
}

run_browser chromium
if command -v firefox-esr >/dev/null; then
    run_browser firefox
else
    for c in "${cases[@]}"; do
        n=$((n + 1))
        echo "ok $n - firefox: $c # SKIP firefox-esr is not installed"
    done
fi
