#!/usr/bin/python3
"""The hostile side of tests/integration/hostile_input.sh. Subcommands:

  client    an aiortc participant (small synthetic video, silent audio) that joins, publishes and
            subscribes, printing its events as JSON lines until killed; --garbage sends garbage on its
            own validated ICE path once connected; --bad-fingerprint puts a
            certificate fingerprint in its offer that does not match the certificate it then uses in
            DTLS, and instead prints checks on how okno refuses it
  garbage   garbage and truncated datagrams (and ICE-TCP frames) at okno's media ports
  ws        malformed JSON, wrong types, oversized frames, a flood of errors and malformed SDP on /ws
  flows     whether the Chromium watcher's status file shows both participants' video and audio rising

Checks print as "ok - ..." / "not ok - ..." lines that tests/integration/browser_lib.bash numbers.
Every wait is bounded. Deliberately not here: starting okno or browsers, and judging okno's log.
aiortc, aioice and PyAV take seconds to import on a busy host: only `client` loads them, and only
`client` and `ws` load websockets.
"""
import argparse
import asyncio
import fractions
import json
import os
import random
import re
import socket
import struct
import sys
import time


def load_webrtc():
    """Imports aiortc and PyAV into this module's globals (the client's media and transports)."""
    global av, websockets, MediaStreamTrack, RTCPeerConnection, RTCSessionDescription, candidate_from_sdp
    import aioice.ice
    import av
    import websockets
    from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
    from aiortc.sdp import candidate_from_sdp
    # aioice leaves loopback out of its host candidates; the test runs where loopback is all there is.
    aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=False: ["127.0.0.1"]


def result(passed, text):
    print(("ok - " if passed else "not ok - ") + text, flush=True)
    return passed


def note(text):
    for line in str(text).splitlines():
        print("# " + line, flush=True)


def event(**kw):
    print(json.dumps(kw), flush=True)


def media_tracks():
    """A small synthetic video track and a silent audio track (after load_webrtc)."""

    class SmallVideo(MediaStreamTrack):
        """160x120 frames at 15 fps: enough to be media, cheap to encode in Python."""

        kind = "video"

        def __init__(self):
            super().__init__()
            self.n = 0
            self.t0 = time.time()

        async def recv(self):
            self.n += 1
            wait = self.t0 + self.n / 15 - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            frame = av.VideoFrame(160, 120, "yuv420p")
            for i, plane in enumerate(frame.planes):
                plane.update(bytes([(self.n * 4 + i * 80) % 256]) * plane.buffer_size)
            frame.pts = self.n * 6000
            frame.time_base = fractions.Fraction(1, 90000)
            return frame


    class Silence(MediaStreamTrack):
        kind = "audio"

        def __init__(self):
            super().__init__()
            self.n = 0
            self.t0 = time.time()

        async def recv(self):
            self.n += 1
            wait = self.t0 + self.n * 0.02 - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            frame = av.AudioFrame(format="s16", layout="mono", samples=960)
            for plane in frame.planes:
                plane.update(bytes(plane.buffer_size))
            frame.sample_rate = 48000
            frame.pts = self.n * 960
            frame.time_base = fractions.Fraction(1, 48000)
            return frame

    return SmallVideo(), Silence()


class Signalling:
    """docs/protocol.md over one WebSocket: requests with ids, everything else into a queue."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 1
        self.pending = {}
        self.events = asyncio.Queue()
        self.closed = None
        self.reader = asyncio.ensure_future(self.read())

    async def read(self):
        try:
            async for raw in self.ws:
                msg = json.loads(raw)
                fut = self.pending.pop(msg.get("id"), None)
                if fut and not fut.done():
                    fut.set_result(msg)
                else:
                    await self.events.put(msg)
        except websockets.ConnectionClosed:
            pass
        self.closed = (self.ws.close_code, self.ws.close_reason)
        await self.events.put({"type": "_closed", "code": self.ws.close_code})

    async def request(self, msg, timeout=10):
        rid = self.next_id
        self.next_id += 1
        fut = asyncio.get_event_loop().create_future()
        self.pending[rid] = fut
        await self.ws.send(json.dumps({**msg, "id": rid}))
        return await asyncio.wait_for(fut, timeout)

    async def send(self, msg):
        await self.ws.send(json.dumps(msg))


def add_candidate(pc, cand):
    if not cand or not cand.get("candidate"):
        return None
    c = candidate_from_sdp(cand["candidate"].split(":", 1)[1])
    c.sdpMid = cand.get("sdpMid")
    c.sdpMLineIndex = cand.get("sdpMLineIndex")
    return pc.addIceCandidate(c)


async def run_client(args):
    load_webrtc()
    if args.after:
        # Joins once the call it attacks is up (the watcher's first status line), so it can start
        # loading while the call sets up.
        deadline = time.time() + 60
        while time.time() < deadline and not (os.path.exists(args.after) and os.path.getsize(args.after)):
            await asyncio.sleep(0.1)
    video, audio = media_tracks()
    async with websockets.connect(args.ws, max_size=2**20) as ws:
        sig = Signalling(ws)
        joined = await sig.request({"type": "join", "room": args.room, "role": "kiosk", "name": args.name})
        if joined.get("type") != "joined":
            event(event="join_failed", reply=joined)
            return 1
        event(event="joined", participant=joined["participant"])
        pub = RTCPeerConnection()
        states = {"publisher": [], "subscriber": []}

        def watch(pc, name):
            @pc.on("connectionstatechange")
            def _():
                states[name].append(pc.connectionState)
                event(event="state", pc=name, state=pc.connectionState)

        watch(pub, "publisher")
        pub.addTransceiver(video, direction="sendonly")
        pub.addTransceiver(audio, direction="sendonly")
        await pub.setLocalDescription(await pub.createOffer())
        sdp = pub.localDescription.sdp
        if args.bad_fingerprint:
            fake = ":".join("%02X" % random.randrange(256) for _ in range(32))
            sdp = re.sub(r"a=fingerprint:sha-256 [0-9A-Fa-f:]+", "a=fingerprint:sha-256 " + fake, sdp)
        answer = await sig.request({"type": "publish", "sdp": sdp})
        if answer.get("type") != "answer":
            event(event="publish_failed", reply=answer)
            return 1
        event(event="answered", candidates=[ln[12:] for ln in answer["sdp"].split("\r\n")
                                            if ln.startswith("a=candidate:")])
        await pub.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        sub = None
        deadline = time.time() + args.seconds
        messages = []
        async def handle(msg):
            nonlocal sub
            messages.append(msg)
            if msg["type"] == "_closed":
                event(event="ws_closed", code=msg["code"])
                return
            if msg["type"] == "offer":
                if sub is None:
                    sub = RTCPeerConnection()
                    watch(sub, "subscriber")
                await sub.setRemoteDescription(RTCSessionDescription(msg["sdp"], "offer"))
                await sub.setLocalDescription(await sub.createAnswer())
                await sig.send({"type": "answer", "pc": "subscriber", "sdp": sub.localDescription.sdp})
            elif msg["type"] == "candidate":
                pc = pub if msg.get("pc") == "publisher" else sub
                if pc is not None:
                    aw = add_candidate(pc, msg.get("candidate"))
                    if aw:
                        await aw
            else:
                event(event="message", message=msg)

        while time.time() < deadline:
            # Checked on every turn, timeouts included: the publisher often connects after the last
            # signalling message, and waiting for another one would mean never sending.
            if args.garbage and "connected" in states["publisher"]:
                args.garbage = False
                sent, stun_range = await send_on_ice_path(pub)
                event(event="garbage_sent", count=sent, stun_range=stun_range)
            try:
                msg = await asyncio.wait_for(sig.events.get(), 0.5)
            except asyncio.TimeoutError:
                continue
            try:
                await handle(msg)
            except Exception as e:  # the checks below must still be reported
                event(event="exception", error=repr(e))
            if args.bad_fingerprint and "failed" in states["publisher"]:
                break
            if msg["type"] == "_closed":
                break
        if args.bad_fingerprint:
            result("connected" not in states["publisher"],
                   "a publisher whose DTLS certificate does not match its SDP fingerprint never connects "
                   f"(publisher states {states['publisher']})")
            told = [m for m in messages if m["type"] in ("error", "_closed") or
                    m["type"] == "participant_left" and m.get("participant") == joined["participant"]]
            result(bool(told) or "failed" in states["publisher"],
                   "the bad-fingerprint client is told: an error, its connection failed or closed "
                   f"({json.dumps(told)[:200]}, states {states['publisher']})")
        for pc in (pub, sub):
            if pc:
                await pc.close()
    return 0


async def send_on_ice_path(pc):
    """Garbage from the client's own validated ICE candidate pair: libnice discards datagrams from
    addresses it has not checked, so only these reach okno's demultiplexer, DTLS and SRTP layers and
    their drop counters. Returns how many were sent and how many of those start in STUN's first-byte
    range (libnice may keep those). Waits a moment before returning, as the caller reports the count
    and the test then kills this process: okno must have read the datagrams before it closes the
    peer, or they arrive for a closed peer and rightly count nowhere."""
    conn = pc.getTransceivers()[0].sender.transport.transport._connection
    rng = random.Random(7984)
    sent = stun_range = 0
    for _ in range(5):
        for d in datagrams(rng):
            if 0 < len(d) <= 1500:
                await conn.send(d)
                sent += 1
                stun_range += d[0] < 4
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)
    return sent, stun_range


def datagrams(rng):
    """Garbage by RFC 7983's first-byte ranges: STUN, DTLS, RTP/RTCP, and the ranges no protocol has."""
    out = [b"", b"\x00", b"\x80", b"\x16\xfe", bytes(12)]
    cookie = struct.pack("!I", 0x2112A442)
    # STUN: length beyond the datagram; attributes overrunning; a request with a bogus USERNAME and
    # MESSAGE-INTEGRITY; a success response nobody asked for.
    out.append(struct.pack("!HH", 0x0001, 200) + cookie + os.urandom(12))
    out.append(struct.pack("!HH", 0x0001, 8) + cookie + os.urandom(12) + struct.pack("!HH", 0x0006, 400) + b"abcd")
    user = b"nobody:nothing!"
    attrs = struct.pack("!HH", 0x0006, len(user)) + user + b"\x00" + struct.pack("!HH", 0x0008, 20) + os.urandom(20)
    out.append(struct.pack("!HH", 0x0001, len(attrs)) + cookie + os.urandom(12) + attrs)
    out.append(struct.pack("!HH", 0x0101, 0) + cookie + os.urandom(12))
    # DTLS: a handshake record claiming more than it has; a ClientHello of noise; application data and
    # an alert for an epoch that does not exist.
    out.append(bytes([22, 0xFE, 0xFD]) + bytes(8) + struct.pack("!H", 0xFFFF) + os.urandom(30))
    body = bytes([1]) + struct.pack("!I", 300)[1:] + bytes(2) + bytes(3) + struct.pack("!I", 300)[1:] + os.urandom(300)
    out.append(bytes([22, 0xFE, 0xFD, 0, 0]) + bytes(6) + struct.pack("!H", len(body)) + body)
    out.append(bytes([23, 0xFE, 0xFD, 0, 1]) + bytes(6) + struct.pack("!H", 100) + os.urandom(100))
    out.append(bytes([21, 0xFE, 0xFD, 0, 0]) + bytes(6) + struct.pack("!H", 2) + b"\x02\x28")
    # RTP/RTCP: headers of known payload types with noise for payload and a tag that cannot verify; a
    # header whose CSRC count runs past the end; RTCP lengths that lie.
    for pt in (96, 97, 111, 100):
        out.append(bytes([0x80, pt]) + os.urandom(10) + os.urandom(rng.randrange(20, 1200)))
    out.append(bytes([0x8F, 96]) + os.urandom(10))
    out.append(bytes([0x90, 96]) + os.urandom(10) + b"\xbe\xde\xff\xff")
    out.append(bytes([0x80, 200]) + struct.pack("!H", 500) + os.urandom(24))
    out.append(bytes([0x81, 205]) + struct.pack("!H", 2) + os.urandom(12))
    # Outside every range, and sizes no WebRTC stack sends.
    for first in (4, 19, 70, 128 - 1, 192 + 64):
        out.append(bytes([first % 256]) + os.urandom(rng.randrange(1, 600)))
    out.append(os.urandom(9000))
    out.append(bytes([0x80, 96]) + os.urandom(65505))
    for _ in range(20):
        out.append(os.urandom(rng.randrange(1, 1500)))
    return out


def run_garbage(args):
    rng = random.Random(7983)
    sent = 0
    for spec in args.udp:
        host, port = spec.rsplit(":", 1)
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_DGRAM)
        for _ in range(args.rounds):
            for d in datagrams(rng):
                try:
                    s.sendto(d, (host.strip("[]"), int(port)))
                    sent += 1
                except OSError as e:
                    note(f"sendto {spec}: {e}")
            time.sleep(0.05)
        s.close()
    note(f"sent {sent} garbage datagrams to {len(args.udp)} UDP ports")
    tcp_frames = 0
    for spec in args.tcp:
        host, port = spec.rsplit(":", 1)
        try:
            # RFC 4571 framing with noise inside, a length that lies, then a half frame left hanging.
            with socket.create_connection((host, int(port)), timeout=2) as c:
                for d in datagrams(rng)[:25]:
                    c.sendall(struct.pack("!H", len(d) & 0xFFFF) + d[:0xFFFF])
                    tcp_frames += 1
                c.sendall(struct.pack("!H", 0xFFFF) + os.urandom(100))
                time.sleep(0.5)
        except OSError as e:
            note(f"tcp {spec}: {e}")
    note(f"sent {tcp_frames} garbage frames over ICE-TCP to {len(args.tcp)} ports")
    print(json.dumps({"udp_sent": sent, "tcp_frames": tcp_frames}), flush=True)
    return 0


async def expect_error(ws, frame, codes, what, binary=False, close_codes=()):
    import websockets
    """Sends one bad frame; passes when okno replies with an error of one of codes (or closes with one
    of close_codes) and, if still open, answers a probe after it: errors are clear and the connection
    stays usable."""
    try:
        await ws.send(frame if not binary else frame.encode() if isinstance(frame, str) else frame)
        reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
    except websockets.ConnectionClosed:
        return result(ws.close_code in close_codes, f"{what}: okno closes with code {ws.close_code}")
    except (asyncio.TimeoutError, ValueError) as e:
        return result(False, f"{what}: no clear reply ({type(e).__name__})")
    if reply.get("type") != "error" or reply.get("code") not in codes:
        return result(False, f"{what}: want error {codes}, got {json.dumps(reply)[:160]}")
    try:
        await ws.send(json.dumps({"type": "no_such_type", "id": "probe"}))
        probe = json.loads(await asyncio.wait_for(ws.recv(), 5))
        usable = probe.get("id") == "probe" and probe.get("code") == "unknown_type"
    except (websockets.ConnectionClosed, asyncio.TimeoutError, ValueError):
        usable = False
    return result(usable, f"{what}: error {reply['code']} ({reply.get('message', '')[:60]}), connection still usable")


async def run_ws(args):
    import websockets
    url = args.ws
    async with websockets.connect(url, max_size=2**22) as ws:
        await expect_error(ws, '{"type": "join", "room": ', ["bad_json"], "truncated JSON")
        await expect_error(ws, "[1, 2, 3]", ["bad_json"], "a JSON array instead of an object")
        await expect_error(ws, '"join"', ["bad_json"], "a JSON string instead of an object")
        await expect_error(ws, '{"type": 7, "id": 1}', ["bad_request", "unknown_type"], "type of the wrong JSON type")
        await expect_error(ws, '{"type": "join", "id": 2, "room": "a b/c", "role": "kiosk", "name": "x"}',
                           ["bad_request"], "join with an invalid room name")
        nested = '{"type": "join", "id": 3, "x": ' + "[" * 20000 + "]" * 20000 + "}"
        await expect_error(ws, nested, ["bad_json", "bad_request"], "20000 nested arrays")
        await expect_error(ws, '{"type": "answer", "id": 4, "pc": "subscriber", "sdp": "v=0"}',
                           ["not_joined", "bad_state"], "answer before join")
        await expect_error(ws, b"\x00\xff\x10binary", ["bad_json"], "a binary frame", binary=True,
                           close_codes=(1003,))
    async with websockets.connect(url, max_size=2**22) as ws:
        big = json.dumps({"type": "join", "id": 5, "room": "r", "role": "kiosk", "name": "x", "pad": "x" * 70000})
        await expect_error(ws, big, ["bad_json"], "a 70 KB frame (limit 64 KiB)", close_codes=(1009,))
    async with websockets.connect(url, max_size=2**22) as ws:
        huge = '{"type": "join", "pad": "' + "y" * (4 << 20) + '"}'
        try:
            await ws.send(huge)
            reply = await asyncio.wait_for(ws.recv(), 10)
            result('"bad_json"' in reply, f"a 4 MB frame: clear error ({reply[:100]})")
        except websockets.ConnectionClosed:
            result(ws.close_code in (1009, 1008), f"a 4 MB frame: okno closes with code {ws.close_code}")
        except asyncio.TimeoutError:
            result(False, "a 4 MB frame: no reply or close within 10 s")
    async with websockets.connect(url) as ws:
        code = None
        try:
            for i in range(40):
                await ws.send("not json %d" % i)
            for _ in range(40):
                await asyncio.wait_for(ws.recv(), 5)
        except websockets.ConnectionClosed:
            code = ws.close_code
        except asyncio.TimeoutError:
            pass
        result(code == 1008, f"40 invalid frames in a burst: okno disconnects with close code 1008 (got {code})")
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"type": "join", "id": 1, "room": args.room, "role": "kiosk", "name": "bad-sdp"}))
        joined = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if not result(joined.get("type") == "joined", "a client joins the call's room to send bad SDP"):
            return 0
        # Drain events okno sends to a fresh participant, so replies are matched by id only.
        async def publish(sdp, codes, what):
            rid = "pub-" + what
            await ws.send(json.dumps({"type": "publish", "id": rid, "sdp": sdp}))
            deadline = time.time() + 8
            while time.time() < deadline:
                msg = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.time()))
                if msg.get("id") == rid:
                    return result(msg.get("type") == "error" and msg.get("code") in codes,
                                  f"publish with {what}: error {codes} ({json.dumps(msg)[:140]})")
            return result(False, f"publish with {what}: no reply in 8 s")
        head = ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n")
        try:
            await publish("not an sdp at all", ["bad_sdp"], "text that is not SDP")
            await publish(head + "m=video 99999999 UDP/TLS/RTP/SAVPF 96\r\n", ["bad_sdp"], "an m= line with a bad port")
            await publish(head + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n"
                          "a=rtpmap:111 opus/48000/2\r\na=sendonly\r\n", ["bad_sdp"],
                          "no ICE credentials and no fingerprint")
            await publish(head + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\na=fingerprint:sha-256 "
                          "AB\r\na=ice-ufrag:", ["bad_sdp"], "an offer cut off mid-line")
            await publish(head + "m=audio 9 RTP/AVP 0\r\n" * 1500, ["bad_sdp"], "1500 media sections")
            await publish(42, ["bad_request"], "a number for sdp")
        except (websockets.ConnectionClosed, asyncio.TimeoutError) as e:
            result(False, f"publish with bad SDP: connection ended ({type(e).__name__}, close {ws.close_code})")
    return 0


def run_flows(args):
    """Reads the watcher's status lines at the start and the end of a window; both participants'
    video frames and audio samples from the other must have risen at a live rate."""
    def last():
        with open(args.status) as f:
            lines = f.read().splitlines()
        return json.loads(lines[-1]) if lines else None
    s0 = last()
    time.sleep(args.seconds)
    s1 = last()
    if not s0 or not s1 or s1["t"] <= s0["t"]:
        return result(False, f"{args.label}: the watcher stopped reporting") and 0
    secs = (s1["t"] - s0["t"]) / 1000
    rates = {}
    for who in ("a", "b"):
        rates[who] = ((s1[who]["frames"] - s0[who]["frames"]) / secs,
                      (s1[who]["samples"] - s0[who]["samples"]) / secs)
    ok = all(fps >= args.min_fps and sps >= args.min_samples for fps, sps in rates.values())
    text = ", ".join(f"{w}: {fps:.1f} fps {sps:.0f} samples/s" for w, (fps, sps) in rates.items())
    result(ok, f"{args.label}: both participants keep decoding video and playing audio ({text})")
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("client")
    c.add_argument("--ws", required=True)
    c.add_argument("--room", required=True)
    c.add_argument("--name", required=True)
    c.add_argument("--seconds", type=float, default=60)
    c.add_argument("--bad-fingerprint", action="store_true")
    c.add_argument("--garbage", action="store_true", help="once connected, send garbage on the ICE path")
    c.add_argument("--after", help="join only once this file is not empty (at most 60 s)")
    g = sub.add_parser("garbage")
    g.add_argument("--udp", nargs="*", default=[])
    g.add_argument("--tcp", nargs="*", default=[])
    g.add_argument("--rounds", type=int, default=5)
    w = sub.add_parser("ws")
    w.add_argument("--ws", required=True)
    w.add_argument("--room", required=True)
    f = sub.add_parser("flows")
    f.add_argument("--status", required=True)
    f.add_argument("--label", required=True)
    f.add_argument("--seconds", type=float, default=3)
    f.add_argument("--min-fps", type=float, default=5)
    f.add_argument("--min-samples", type=float, default=24000)
    args = ap.parse_args()
    if args.cmd == "client":
        return asyncio.run(run_client(args))
    if args.cmd == "garbage":
        return run_garbage(args)
    if args.cmd == "ws":
        return asyncio.run(run_ws(args))
    return run_flows(args)


if __name__ == "__main__":
    sys.exit(main())
