#!/usr/bin/python3
"""Three aiortc clients in one okno room: each publishes VP8 video and Opus audio from a synthetic
source (a solid colour and a tone of its own, the frame counter drawn as 16 black/white blocks),
and each must decode both others' video and audio for the measured window: at least 90 % of the
frames sent, every frame of the sender's colour, every audio frame of the sender's tone. Prints the
time to first frame and the delivery figures; exits 0 when every pair passes.

Signalling is docs/protocol.md, either over okno's WebSocket (--ws ws://host:port/ws) or through
tests/integration/sfu_stdio (--stdio PATH --config FILE), which carries the same messages as JSON
lines with a "session" number; both end in the same src/sfu code.

Each client runs in a process of its own (aiortc is Python: three clients in one process starve on
a busy machine and lose frames to their own jitter buffers, not to the SFU). The parent process
coordinates: it relays signalling in --stdio mode, opens and closes the measured window at the same
moment for everyone, and collects the figures.

aioice is patched to offer 127.0.0.1 only, so the test runs on a machine without a network.
"""
import argparse
import asyncio
import json
import multiprocessing
import socket
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
COLOURS = [(220, 40, 40), (40, 200, 40), (40, 40, 220), (220, 200, 40)]
TONES = [400.0, 700.0, 1000.0, 1300.0]  # Hz: whole FFT bins of a 20 ms frame (50 Hz apart)
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
    def __init__(self, index, n_clients, link):
        self.index = index
        self.n_clients = n_clients
        self.name = f"client{index}"
        self.link = link
        self.pid = None
        self.req = 0
        self.pub = RTCPeerConnection()
        self.sub = RTCPeerConnection()
        self.video = ColourTrack(index)
        self.audio = ToneTrack(index)
        self.received = {}  # publisher participant id -> Received
        self.index_of = {}  # participant id -> client index, from the names
        self.msid_by_mid = {}  # subscriber section -> publishing participant
        self.sub.on("track", self.on_track)
        self.tasks = []
        self.errors = []
        self.joined = asyncio.Event()
        self.published_at = None
        self.window = None

    def next_id(self):
        self.req += 1
        return self.req

    async def send(self, msg):
        await self.link.send(msg)

    def on_track(self, track):
        # The publisher is the msid stream id of the track's section. aiortc only takes a=msid
        # when a=msid-semantic lists the stream, so read it from the offer by mid.
        publisher = None
        for t in self.sub.getTransceivers():
            if t.receiver.track is track:
                publisher = self.msid_by_mid.get(t.mid)
        if publisher is None:
            publisher = (track.id or "").split("-")[0]
        self.tasks.append(asyncio.ensure_future(self.consume(publisher, track)))

    def learn_msids(self, sdp):
        for section in sdp.split("\nm=")[1:]:
            mid = msid = None
            for line in section.splitlines():
                if line.startswith("a=mid:"):
                    mid = line[6:].strip()
                elif line.startswith("a=msid:"):
                    msid = line[7:].split()[0]
            if mid is not None and msid:
                self.msid_by_mid[mid] = msid

    def flowing(self):
        return len(self.received) == self.n_clients - 1 and all(
            r.first_video and r.audio_times for r in self.received.values())

    async def consume(self, publisher, track):
        rec = self.received.setdefault(publisher, Received())
        try:
            while True:
                frame = await track.recv()
                now = time.monotonic()
                want = self.index_of.get(publisher, -1)
                if track.kind == "video":
                    img = frame.to_ndarray(format="rgb24")
                    if rec.first_video is None:
                        rec.first_video = now
                    rec.video_counters.add(read_counter(img))
                    colour = img[HEIGHT // 4:, :].reshape(-1, 3).mean(axis=0)
                    if nearest(COLOURS, colour) != want:
                        rec.video_wrong_colour += 1
                else:
                    rec.audio_times.append(now)
                    if abs(dominant_tone(frame) - TONES[want]) > 60:
                        rec.audio_wrong_tone += 1
        except MediaStreamError:
            pass

    def learn(self, participant, name):
        if name and name.startswith("client"):
            self.index_of[participant] = int(name[6:])

    async def handle(self, msg):
        kind = msg.get("type")
        if kind == "joined":
            self.pid = msg["participant"]
            for p in msg.get("participants", []):
                self.learn(p["participant"], p.get("name"))
            self.joined.set()
        elif kind == "participant_joined":
            self.learn(msg["participant"], msg.get("name"))
        elif kind == "answer":
            await self.pub.setRemoteDescription(RTCSessionDescription(msg["sdp"], "answer"))
        elif kind == "offer":
            self.learn_msids(msg["sdp"])
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
        elif kind in ("error", "closed"):
            self.errors.append(msg)
            print(f"# {self.name}: {kind} {msg}", flush=True)

    async def start(self):
        await self.send({"type": "join", "id": self.next_id(), "room": ROOM, "name": self.name,
                         "role": "kiosk"})
        await asyncio.wait_for(self.joined.wait(), 10)
        self.published_at = time.monotonic()
        self.pub.addTrack(self.audio)
        self.pub.addTrack(self.video)
        offer = await self.pub.createOffer()
        await self.pub.setLocalDescription(offer)
        await self.send({"type": "publish", "id": self.next_id(),
                         "sdp": self.pub.localDescription.sdp})

    def result(self):
        w0, w1, v0, v1, a0, a1 = self.window
        received = {}
        for pid, r in self.received.items():
            received[pid] = {
                "first_video": r.first_video,
                "counters": sorted(r.video_counters),
                "wrong_colour": r.video_wrong_colour,
                "audio_in_window": len([t for t in r.audio_times if w0 <= t < w1]),
                "wrong_tone": r.audio_wrong_tone,
            }
        return {"status": "result", "index": self.index, "pid": self.pid,
                "published_at": self.published_at, "sent_video": [v0, v1],
                "sent_audio": [a0, a1], "received": received, "errors": self.errors}

    async def close(self):
        for t in self.tasks:
            t.cancel()
        await self.pub.close()
        await self.sub.close()


class LineSocket:
    """JSON lines over a socket to the coordinator."""

    def __init__(self, sock):
        self.sock = sock

    async def open(self):
        self.reader, self.writer = await asyncio.open_unix_connection(sock=self.sock,
                                                                      limit=1 << 22)

    async def send(self, msg):
        self.writer.write(json.dumps(msg).encode() + b"\n")
        await self.writer.drain()

    async def recv(self):
        line = await self.reader.readline()
        return json.loads(line) if line else None


class WsLink:
    """okno's WebSocket signalling for one client."""

    def __init__(self, url):
        self.url = url

    async def open(self, client):
        import websockets
        self.ws = await websockets.connect(self.url, max_size=1 << 22)
        self.reader = asyncio.ensure_future(self.read(client))

    async def read(self, client):
        async for text in self.ws:
            await client.handle(json.loads(text))

    async def send(self, msg):
        await self.ws.send(json.dumps(msg))

    async def close(self):
        await self.ws.close()
        self.reader.cancel()


class RelayLink:
    """Signalling relayed by the coordinator (--stdio mode) over the control socket."""

    def __init__(self, control):
        self.control = control

    async def open(self, client):
        pass

    async def send(self, msg):
        await self.control.send(msg)

    async def close(self):
        pass


async def client_main(index, n_clients, ws_url, sock):
    control = LineSocket(sock)
    await control.open()
    link = WsLink(ws_url) if ws_url else RelayLink(control)
    client = Client(index, n_clients, link)
    commands = asyncio.Queue()

    async def read_control():
        while True:
            msg = await control.recv()
            if msg is None:
                await commands.put({"cmd": "quit"})
                return
            if "type" in msg:
                await client.handle(msg)
            else:
                await commands.put(msg)

    reader = asyncio.ensure_future(read_control())
    await link.open(client)
    await client.start()
    reported_flowing = False
    while True:
        try:
            cmd = (await asyncio.wait_for(commands.get(), 0.1)).get("cmd")
        except asyncio.TimeoutError:
            cmd = None
        if not reported_flowing and client.flowing():
            reported_flowing = True
            await control.send({"status": "flowing"})
        if cmd == "window_start":
            client.window = [time.monotonic(), None, client.video.count, None,
                             client.audio.count, None]
        elif cmd == "window_end":
            client.window[1] = time.monotonic()
            client.window[3] = client.video.count
            client.window[5] = client.audio.count
        elif cmd == "report":
            await control.send(client.result())
        elif cmd == "quit":
            break
    reader.cancel()
    await client.close()
    await link.close()


def client_process(index, n_clients, ws_url, sock):
    sys.exit(asyncio.run(client_main(index, n_clients, ws_url, sock)))


class Coordinator:
    def __init__(self, args, socks):
        self.args = args
        self.controls = [LineSocket(s) for s in socks]
        self.flowing = set()
        self.results = {}
        self.proc = None

    async def open(self):
        for c in self.controls:
            await c.open()
        if self.args.stdio:
            self.proc = await asyncio.create_subprocess_exec(
                self.args.stdio, self.args.config, stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, limit=1 << 22)
            self.readers = [asyncio.ensure_future(self.from_sfu())]
        else:
            self.readers = []
        self.readers += [asyncio.ensure_future(self.from_client(i, c))
                         for i, c in enumerate(self.controls)]

    async def from_sfu(self):
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                return
            msg = json.loads(line)
            session = msg.pop("session", 0)
            if 1 <= session <= len(self.controls):
                await self.controls[session - 1].send(msg)

    async def from_client(self, index, control):
        while True:
            msg = await control.recv()
            if msg is None:
                return
            if "type" in msg and self.proc:
                msg["session"] = index + 1
                self.proc.stdin.write(json.dumps(msg).encode() + b"\n")
                await self.proc.stdin.drain()
            elif msg.get("status") == "flowing":
                self.flowing.add(index)
            elif msg.get("status") == "result":
                self.results[index] = msg

    async def broadcast(self, cmd):
        for c in self.controls:
            await c.send({"cmd": cmd})

    async def close(self):
        rc = 0
        await self.broadcast("quit")
        if self.proc:
            self.proc.stdin.close()
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except asyncio.TimeoutError:
                self.proc.kill()
            rc = self.proc.returncode
        for r in self.readers:
            r.cancel()
        return rc


async def coordinate(args, socks):
    co = Coordinator(args, socks)
    await co.open()
    n = len(socks)
    deadline = time.monotonic() + 30
    while len(co.flowing) < n and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    if len(co.flowing) < n:
        print(f"# only {len(co.flowing)} of {n} clients receive everyone after 30 s", flush=True)
    await co.broadcast("window_start")
    await asyncio.sleep(args.seconds)
    await co.broadcast("window_end")
    await asyncio.sleep(1.0)  # what was in flight at the end of the window
    await co.broadcast("report")
    deadline = time.monotonic() + 10
    while len(co.results) < n and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    return co, await co.close()


def evaluate(results, n):
    by_pid = {r["pid"]: r for r in results.values()}
    ttff = []
    for r in results.values():
        for pid, rec in r["received"].items():
            if rec["first_video"] and pid in by_pid:
                ttff.append(rec["first_video"] - by_pid[pid]["published_at"])
    if ttff:
        print(f"# time to first frame (publish to first decoded frame): min "
              f"{min(ttff) * 1000:.0f} ms, median {sorted(ttff)[len(ttff) // 2] * 1000:.0f} ms, "
              f"max {max(ttff) * 1000:.0f} ms over {len(ttff)} pairs", flush=True)
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
    print(f"1..{len(pairs) * 2}")
    ok = True
    t = 0
    for i, j in pairs:
        me, other = results.get(i), results.get(j)
        rec = (me or {}).get("received", {}).get((other or {}).get("pid"), {})
        v0, v1 = (other or {}).get("sent_video", [0, 0])
        a0, a1 = (other or {}).get("sent_audio", [0, 0])
        sent, sent_a = v1 - v0, a1 - a0
        got = len([c for c in rec.get("counters", []) if v0 <= c < v1])
        wrong = rec.get("wrong_colour", 0)
        good = sent > 0 and got >= 0.9 * sent and wrong == 0
        t += 1
        print(f"{'ok' if good else 'not ok'} {t} - client{i} decodes client{j}'s video: "
              f"{got}/{sent} frames ({100.0 * got / max(sent, 1):.1f} %), {wrong} of the wrong "
              f"colour")
        ok &= good
        got_a = rec.get("audio_in_window", 0)
        wrong = rec.get("wrong_tone", 0)
        good = sent_a > 0 and got_a >= 0.9 * sent_a and wrong == 0
        t += 1
        print(f"{'ok' if good else 'not ok'} {t} - client{i} decodes client{j}'s audio: "
              f"{got_a}/{sent_a} frames ({100.0 * got_a / max(sent_a, 1):.1f} %), {wrong} of the "
              f"wrong tone")
        ok &= good
    for r in results.values():
        if r["errors"]:
            ok = False
            print(f"# client{r['index']} had errors: {r['errors']}")
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ws")
    ap.add_argument("--stdio")
    ap.add_argument("--config")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--clients", type=int, default=3, choices=range(2, len(COLOURS) + 1))
    args = ap.parse_args()
    if not args.ws and not (args.stdio and args.config):
        ap.error("give --ws URL, or --stdio PATH and --config FILE")
    ctx = multiprocessing.get_context("fork")
    socks, procs = [], []
    for i in range(args.clients):
        parent, child = socket.socketpair()
        p = ctx.Process(target=client_process, args=(i, args.clients, args.ws, child))
        p.start()
        child.close()
        socks.append(parent)
        procs.append(p)
    co, rc = asyncio.run(coordinate(args, socks))
    for p in procs:
        p.join(15)
        if p.is_alive():
            p.kill()
    ok = evaluate(co.results, args.clients)
    if rc:
        print(f"# the SFU harness exited with status {rc}")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
