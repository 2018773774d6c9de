#!/usr/bin/python3
"""Three aiortc clients in one okno room: each publishes VP8 video and Opus audio from a synthetic
source (a solid colour and a tone of its own, the frame counter drawn as 16 black/white blocks),
and each must decode both others' video and audio for the measured window: at least 90 % of the
frames sent, every frame of the sender's colour, every audio frame of the sender's tone. Prints the
time to first frame and the delivery figures; exits 0 when every pair passes.

Signalling is docs/protocol.md, either over okno's WebSocket (--ws ws://host:port/ws) or through
tests/integration/sfu_stdio (--stdio PATH --config FILE), which carries the same messages as JSON
lines with a "session" number; both end in the same src/sfu code.

aioice is patched to offer 127.0.0.1 only, so the test runs on a machine without a network.
"""
import argparse
import asyncio
import json
import sys
import time
from fractions import Fraction

import aioice.ice
import numpy as np

aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=False: ["127.0.0.1"]

import av  # noqa: E402
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc.mediastreams import MediaStreamError  # noqa: E402
from aiortc.sdp import candidate_from_sdp  # noqa: E402

ROOM = "aiortc-room"
WIDTH, HEIGHT, FPS = 160, 120, 30
BITS = 16
COLOURS = [(220, 40, 40), (40, 200, 40), (40, 40, 220)]
TONES = [400.0, 700.0, 1000.0]  # Hz: whole FFT bins of a 20 ms frame (50 Hz apart)
SAMPLE_RATE = 48000
AUDIO_SAMPLES = 960


class ColourTrack(MediaStreamTrack):
    """Solid colour with the frame counter in the top 20 rows."""

    kind = "video"

    def __init__(self, index):
        super().__init__()
        self.colour = COLOURS[index]
        self.count = 0
        self.start = None
        self.base = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
        self.base[:, :] = self.colour

    async def recv(self):
        if self.start is None:
            self.start = time.monotonic()
        due = self.start + self.count / FPS
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        img = self.base.copy()
        block = WIDTH // BITS
        for b in range(BITS):
            img[0:20, b * block:(b + 1) * block] = 255 if (self.count >> b) & 1 else 0
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts = self.count * (90000 // FPS)
        frame.time_base = Fraction(1, 90000)
        self.count += 1
        return frame


class ToneTrack(MediaStreamTrack):
    kind = "audio"

    def __init__(self, index):
        super().__init__()
        self.freq = TONES[index]
        self.count = 0
        self.start = None

    async def recv(self):
        if self.start is None:
            self.start = time.monotonic()
        due = self.start + self.count * AUDIO_SAMPLES / SAMPLE_RATE
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        t = (np.arange(AUDIO_SAMPLES) + self.count * AUDIO_SAMPLES) / SAMPLE_RATE
        pcm = (8000 * np.sin(2 * np.pi * self.freq * t)).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self.count * AUDIO_SAMPLES
        frame.time_base = Fraction(1, SAMPLE_RATE)
        self.count += 1
        return frame


def nearest(values, target):
    return min(range(len(values)), key=lambda i: sum((a - b) ** 2 for a, b in zip(values[i], target)))


def read_counter(img):
    block = WIDTH // BITS
    value = 0
    for b in range(BITS):
        patch = img[5:15, b * block + 3:(b + 1) * block - 3]
        if patch.mean() > 128:
            value |= 1 << b
    return value


def dominant_tone(frame):
    pcm = frame.to_ndarray().reshape(-1)
    channels = len(frame.layout.channels)
    mono = pcm.reshape(-1, channels)[:, 0].astype(np.float64)
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    freq = np.argmax(spectrum[1:]) + 1
    return freq * frame.sample_rate / len(mono)


class Received:
    def __init__(self):
        self.first_video = None
        self.video_counters = set()
        self.video_wrong_colour = 0
        self.audio_times = []
        self.audio_wrong_tone = 0


class Client:
    def __init__(self, index, link, t0):
        self.index = index
        self.name = f"client{index}"
        self.link = link
        self.t0 = t0
        self.pid = None
        self.req = 0
        self.pub = RTCPeerConnection()
        self.sub = RTCPeerConnection()
        self.video = ColourTrack(index)
        self.audio = ToneTrack(index)
        self.received = {}  # publisher participant id -> Received
        self.sub.on("track", self.on_track)
        self.tasks = []
        self.errors = []
        self.joined = asyncio.Event()

    def next_id(self):
        self.req += 1
        return self.req

    async def send(self, msg):
        await self.link.send(self, msg)

    def on_track(self, track):
        publisher = (track.id or "").split("-")[0]
        self.tasks.append(asyncio.ensure_future(self.consume(publisher, track)))

    async def consume(self, publisher, track):
        rec = self.received.setdefault(publisher, Received())
        try:
            while True:
                frame = await track.recv()
                now = time.monotonic()
                if track.kind == "video":
                    img = frame.to_ndarray(format="rgb24")
                    if rec.first_video is None:
                        rec.first_video = now
                    colour = img[40:, :].reshape(-1, 3).mean(axis=0)
                    rec.video_counters.add(read_counter(img))
                    rec.video_colour = nearest(COLOURS, colour)
                    if rec.video_colour != self.expected_index(publisher):
                        rec.video_wrong_colour += 1
                else:
                    rec.audio_times.append(now)
                    tone = dominant_tone(frame)
                    want = TONES[self.expected_index(publisher)]
                    if abs(tone - want) > 60:
                        rec.audio_wrong_tone += 1
        except MediaStreamError:
            pass

    def expected_index(self, publisher):
        return self.link.index_of.get(publisher, -1)

    async def handle(self, msg):
        kind = msg.get("type")
        if kind == "joined":
            self.pid = msg["participant"]
            self.link.index_of[self.pid] = self.index
            self.joined.set()
        elif kind == "answer":
            await self.pub.setRemoteDescription(RTCSessionDescription(msg["sdp"], "answer"))
        elif kind == "offer":
            await self.sub.setRemoteDescription(RTCSessionDescription(msg["sdp"], "offer"))
            answer = await self.sub.createAnswer()
            await self.sub.setLocalDescription(answer)
            await self.send({"type": "answer", "id": self.next_id(), "pc": "subscriber",
                             "sdp": self.sub.localDescription.sdp})
        elif kind == "candidate":
            c = msg.get("candidate")
            if c:
                cand = candidate_from_sdp(c["candidate"].split(":", 1)[1])
                cand.sdpMid = c.get("sdpMid")
                cand.sdpMLineIndex = c.get("sdpMLineIndex")
                pc = self.pub if msg.get("pc") == "publisher" else self.sub
                try:
                    await pc.addIceCandidate(cand)
                except Exception:  # already in the SDP, or the transport is not there yet
                    pass
        elif kind == "error":
            self.errors.append(msg)
            print(f"# {self.name}: error {msg}", flush=True)
        elif kind == "closed":
            self.errors.append(msg)
            print(f"# {self.name}: closed {msg}", flush=True)

    async def start(self):
        await self.send({"type": "join", "id": self.next_id(), "room": ROOM, "name": self.name,
                         "role": "kiosk"})
        await asyncio.wait_for(self.joined.wait(), 10)
        self.pub.addTrack(self.audio)
        self.pub.addTrack(self.video)
        offer = await self.pub.createOffer()
        await self.pub.setLocalDescription(offer)
        await self.send({"type": "publish", "id": self.next_id(),
                         "sdp": self.pub.localDescription.sdp})

    async def close(self):
        for t in self.tasks:
            t.cancel()
        await self.pub.close()
        await self.sub.close()


class StdioLink:
    """tests/integration/sfu_stdio: one process, messages tagged with a session number."""

    def __init__(self, path, config):
        self.path, self.config = path, config
        self.clients = {}
        self.index_of = {}

    async def open(self, clients):
        self.proc = await asyncio.create_subprocess_exec(
            self.path, self.config, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, limit=1 << 22)
        for c in clients:
            self.clients[c.index + 1] = c
        self.reader = asyncio.ensure_future(self.read())

    async def read(self):
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                return
            msg = json.loads(line)
            client = self.clients.get(msg.pop("session", None))
            if client:
                await client.handle(msg)

    async def send(self, client, msg):
        msg = dict(msg, session=client.index + 1)
        self.proc.stdin.write(json.dumps(msg).encode() + b"\n")
        await self.proc.stdin.drain()

    async def close(self):
        self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except asyncio.TimeoutError:
            self.proc.kill()
        self.reader.cancel()
        return self.proc.returncode


class WsLink:
    """okno's WebSocket signalling: one socket per client."""

    def __init__(self, url):
        self.url = url
        self.index_of = {}
        self.sockets = {}

    async def open(self, clients):
        import websockets
        self.readers = []
        for c in clients:
            ws = await websockets.connect(self.url, max_size=1 << 22)
            self.sockets[c.index] = ws
            self.readers.append(asyncio.ensure_future(self.read(c, ws)))

    async def read(self, client, ws):
        async for text in ws:
            await client.handle(json.loads(text))

    async def send(self, client, msg):
        await self.sockets[client.index].send(json.dumps(msg))

    async def close(self):
        for ws in self.sockets.values():
            await ws.close()
        for r in self.readers:
            r.cancel()
        return 0


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ws")
    ap.add_argument("--stdio")
    ap.add_argument("--config")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--clients", type=int, default=3)
    args = ap.parse_args()
    link = WsLink(args.ws) if args.ws else StdioLink(args.stdio, args.config)
    t0 = time.monotonic()
    clients = [Client(i, link, t0) for i in range(args.clients)]
    await link.open(clients)
    for c in clients:
        await c.start()
    start_times = {c.index: time.monotonic() for c in clients}

    # Warm-up: everyone sees everyone's video, or 20 s pass.
    deadline = time.monotonic() + 20
    def all_flowing():
        return all(len(c.received) == len(clients) - 1 and
                   all(r.first_video and r.audio_times for r in c.received.values())
                   for c in clients)
    while not all_flowing() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)

    ttff = []
    for c in clients:
        for pid, r in c.received.items():
            if r.first_video:
                ttff.append(r.first_video - start_times[link.index_of[pid]])
    if ttff:
        print(f"# time to first frame: min {min(ttff) * 1000:.0f} ms, max {max(ttff) * 1000:.0f} ms"
              f" over {len(ttff)} pairs", flush=True)

    # The measured window.
    sent_v0 = {c.index: c.video.count for c in clients}
    sent_a0 = {c.index: c.audio.count for c in clients}
    w0 = time.monotonic()
    await asyncio.sleep(args.seconds)
    w1 = time.monotonic()
    sent_v1 = {c.index: c.video.count for c in clients}
    sent_a1 = {c.index: c.audio.count for c in clients}
    await asyncio.sleep(1.0)  # what was in flight at the end of the window

    ok = True
    n = 0
    pairs = [(c, o) for c in clients for o in clients if o is not c]
    print(f"1..{len(pairs) * 2}")
    for c, o in pairs:
        r = c.received.get(o.pid) or Received()
        sent = sent_v1[o.index] - sent_v0[o.index]
        got = len([x for x in r.video_counters if sent_v0[o.index] <= x < sent_v1[o.index]])
        good = sent > 0 and got >= 0.9 * sent and r.video_wrong_colour == 0
        n += 1
        print(f"{'ok' if good else 'not ok'} {n} - {c.name} decodes {o.name}'s video: "
              f"{got}/{sent} frames ({100.0 * got / max(sent, 1):.1f} %), "
              f"{r.video_wrong_colour} of the wrong colour")
        ok &= good
        sent_a = sent_a1[o.index] - sent_a0[o.index]
        got_a = len([t for t in r.audio_times if w0 <= t < w1])
        good = sent_a > 0 and got_a >= 0.9 * sent_a and r.audio_wrong_tone == 0
        n += 1
        print(f"{'ok' if good else 'not ok'} {n} - {c.name} decodes {o.name}'s audio: "
              f"{got_a}/{sent_a} frames ({100.0 * got_a / max(sent_a, 1):.1f} %), "
              f"{r.audio_wrong_tone} of the wrong tone")
        ok &= good
    for c in clients:
        if c.errors:
            ok = False
            print(f"# {c.name} had errors: {c.errors}")
    for c in clients:
        await c.close()
    rc = await link.close()
    if rc:
        print(f"# the SFU exited with status {rc}")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
