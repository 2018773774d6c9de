#!/usr/bin/python3
"""One aiortc client publishes VP8 video and Opus audio into a Janus VideoRoom and a second one
subscribes to that feed through the same Janus; the subscriber must decode at least --min-frames
video frames in --seconds, each of the publisher's solid colour. Prints the time to first frame
(from the publisher's first request to the first frame decoded by the subscriber) and exits 0 on
success. This is the API sequence okno-bench's "--target janus" drives (bench/janus/README.md).

Janus runs in a network namespace (bench/janus/janus-netns.sh) at 127.0.0.2; this process stays
in the root namespace and reaches it from the veth's root end, 127.0.0.3. aioice is patched to
offer that address only, since it would otherwise drop 127/8 and find no candidate at all.

It deliberately checks delivery only (no audio content, no loss figures): the benchmark measures.
"""
import argparse
import asyncio
import json
import os
import secrets
import sys
import time
from fractions import Fraction

import aioice.ice
import numpy as np

CLIENT_ADDR = "127.0.0.3"
aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=False: [CLIENT_ADDR]

import av  # noqa: E402
import websockets  # noqa: E402
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc.mediastreams import MediaStreamError  # noqa: E402

WIDTH, HEIGHT, FPS = 160, 120, 30
COLOUR = (220, 40, 40)
SAMPLE_RATE, AUDIO_SAMPLES = 48000, 960
TONE = 400.0
DEBUG = bool(os.environ.get("JANUS_SMOKE_DEBUG"))


class ColourTrack(MediaStreamTrack):
    kind = "video"

    def __init__(self):
        super().__init__()
        self.count = 0
        self.start = None
        self.img = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
        self.img[:, :] = COLOUR

    async def recv(self):
        if self.start is None:
            self.start = time.monotonic()
        delay = self.start + self.count / FPS - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        frame = av.VideoFrame.from_ndarray(self.img, format="rgb24")
        frame.pts = self.count * (90000 // FPS)
        frame.time_base = Fraction(1, 90000)
        self.count += 1
        return frame


class ToneTrack(MediaStreamTrack):
    kind = "audio"

    def __init__(self):
        super().__init__()
        self.count = 0
        self.start = None

    async def recv(self):
        if self.start is None:
            self.start = time.monotonic()
        delay = self.start + self.count * AUDIO_SAMPLES / SAMPLE_RATE - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        t = (np.arange(AUDIO_SAMPLES) + self.count * AUDIO_SAMPLES) / SAMPLE_RATE
        pcm = (np.sin(2 * np.pi * TONE * t) * 8000).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self.count * AUDIO_SAMPLES
        frame.time_base = Fraction(1, SAMPLE_RATE)
        self.count += 1
        return frame


class Janus:
    """Janus's WebSocket API (subprotocol janus-protocol): one session, any number of handles.
    Requests are matched to their answers by transaction; asynchronous plugin events (which carry
    the handle as "sender") are queued per handle."""

    def __init__(self, url):
        self.url = url
        self.ws = None
        self.session = None
        self.pending = {}
        self.events = {}
        self.tasks = []

    async def open(self):
        self.ws = await websockets.connect(self.url, subprotocols=["janus-protocol"])
        self.tasks.append(asyncio.ensure_future(self._reader()))
        reply = await self.request({"janus": "create"})
        self.session = reply["data"]["id"]
        self.tasks.append(asyncio.ensure_future(self._keepalive()))

    async def close(self):
        if self.ws is not None and self.session is not None:
            try:
                await asyncio.wait_for(self.request({"janus": "destroy"}), 3)
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass
        for t in self.tasks:
            t.cancel()
        if self.ws is not None:
            await self.ws.close()

    async def _reader(self):
        async for raw in self.ws:
            msg = json.loads(raw)
            if DEBUG:
                print(f"# <- {raw[:300]}", flush=True)
            kind = msg.get("janus")
            tid = msg.get("transaction")
            # For a plugin "message", "ack" only says it was received and its result comes as an
            # "event" with the same transaction; for "trickle" the "ack" is the whole answer.
            if tid in self.pending and not (kind == "ack" and self.pending[tid][1]):
                fut = self.pending.pop(tid)[0]
                if not fut.done():
                    fut.set_result(msg)
            elif kind in ("event", "webrtcup", "media", "hangup", "slowlink", "trickle"):
                self.events.setdefault(msg.get("sender"), asyncio.Queue()).put_nowait(msg)

    async def _keepalive(self):
        while True:
            await asyncio.sleep(20)
            await self.ws.send(json.dumps({"janus": "keepalive", "session_id": self.session,
                                           "transaction": secrets.token_hex(6)}))

    async def request(self, msg, handle=None, timeout=10):
        tid = secrets.token_hex(6)
        msg = dict(msg, transaction=tid)
        if self.session is not None:
            msg["session_id"] = self.session
        if handle is not None:
            msg["handle_id"] = handle
        fut = asyncio.get_running_loop().create_future()
        self.pending[tid] = (fut, msg["janus"] == "message")
        if DEBUG:
            print(f"# -> {json.dumps(msg)[:300]}", flush=True)
        await self.ws.send(json.dumps(msg))
        reply = await asyncio.wait_for(fut, timeout)
        if reply.get("janus") == "error":
            raise RuntimeError(f"janus error: {reply['error']}")
        data = reply.get("plugindata", {}).get("data", {})
        if data.get("videoroom") == "event" and "error" in data:
            raise RuntimeError(f"videoroom error {data.get('error_code')}: {data['error']}")
        return reply

    async def attach(self, plugin):
        reply = await self.request({"janus": "attach", "plugin": plugin})
        handle = reply["data"]["id"]
        self.events.setdefault(handle, asyncio.Queue())
        return handle

    async def message(self, handle, body, jsep=None, timeout=10):
        msg = {"janus": "message", "body": body}
        if jsep is not None:
            msg["jsep"] = jsep
        return await self.request(msg, handle, timeout)

    async def wait_event(self, handle, kind, timeout):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no '{kind}' from Janus on handle {handle}")
            msg = await asyncio.wait_for(self.events[handle].get(), left)
            if msg.get("janus") == kind:
                return msg


def jsep_of(desc):
    return {"type": desc.type, "sdp": desc.sdp}


async def run(args):
    stats = {"frames": 0, "bad": 0, "audio": 0, "first": None}
    janus = Janus(args.ws)
    pub_pc = RTCPeerConnection()
    sub_pc = RTCPeerConnection()
    t0 = time.monotonic()
    try:
        await janus.open()

        # Publisher: attach, join as publisher, then publish with the offer ("configure" with a
        # JSEP does the same). aiortc gathers before returning the local description, so the
        # offer carries every candidate and a single end-of-candidates trickle follows.
        pub = await janus.attach("janus.plugin.videoroom")
        joined = await janus.message(pub, {"request": "join", "ptype": "publisher",
                                           "room": args.room, "display": "janus-smoke-pub"})
        feed = joined["plugindata"]["data"]["id"]
        pub_pc.addTrack(ColourTrack())
        pub_pc.addTrack(ToneTrack())
        await pub_pc.setLocalDescription(await pub_pc.createOffer())
        configured = await janus.message(pub, {"request": "configure", "audio": True,
                                               "video": True},
                                         jsep_of(pub_pc.localDescription))
        await janus.request({"janus": "trickle", "candidate": {"completed": True}}, pub)
        await pub_pc.setRemoteDescription(RTCSessionDescription(**configured["jsep"]))
        # The feed is subscribable only once its PeerConnection is up (DTLS done): Janus says so
        # with "webrtcup" on the publisher's handle.
        await janus.wait_event(pub, "webrtcup", args.first_timeout)
        print(f"# publisher up as feed {feed} after {time.monotonic() - t0:.3f} s")

        # Subscriber: attach, join as subscriber to the feed; Janus answers with an offer, the
        # client answers with "start".
        first_frame = asyncio.get_running_loop().create_future()

        async def consume(track):
            try:
                while True:
                    frame = await track.recv()
                    if track.kind != "video":
                        stats["audio"] += 1
                        continue
                    img = frame.to_ndarray(format="rgb24")
                    mean = img[HEIGHT // 4:, :].reshape(-1, 3).mean(axis=0)
                    if np.abs(mean - COLOUR).max() > 30:
                        stats["bad"] += 1
                    stats["frames"] += 1
                    if not first_frame.done():
                        first_frame.set_result(time.monotonic())
            except MediaStreamError:
                pass

        marks = {}

        @sub_pc.on("iceconnectionstatechange")
        def _ice():
            marks.setdefault("ice " + sub_pc.iceConnectionState, time.monotonic() - t_sub)

        @sub_pc.on("connectionstatechange")
        def _conn():
            marks.setdefault("dtls " + sub_pc.connectionState, time.monotonic() - t_sub)

        consumers = []
        sub_pc.on("track", lambda track: consumers.append(asyncio.ensure_future(consume(track))))
        t_sub = time.monotonic()
        sub = await janus.attach("janus.plugin.videoroom")
        attached = await janus.message(sub, {"request": "join", "ptype": "subscriber",
                                             "room": args.room, "streams": [{"feed": feed}]})
        await sub_pc.setRemoteDescription(RTCSessionDescription(**attached["jsep"]))
        await sub_pc.setLocalDescription(await sub_pc.createAnswer())
        await janus.message(sub, {"request": "start"}, jsep_of(sub_pc.localDescription))
        await janus.request({"janus": "trickle", "candidate": {"completed": True}}, sub)

        first = await asyncio.wait_for(first_frame, args.first_timeout)
        stats["first"] = first - t0
        print(f"# time to first frame: {stats['first']:.3f} s from session create,"
              f" {first - t_sub:.3f} s from the subscriber's attach")
        print("# subscriber after attach: " + ", ".join(f"{k} {v:.3f} s" for k, v in marks.items()))
        start_count = stats["frames"]
        await asyncio.sleep(args.seconds)
        counted = stats["frames"] - start_count
        print(f"# decoded {counted} frames in {args.seconds:.1f} s after the first,"
              f" {stats['bad']} of the wrong colour; {stats['audio']} audio frames in all")
        ok = counted >= args.min_frames and stats["bad"] == 0 and stats["audio"] > 0
        for c in consumers:
            c.cancel()
        try:
            await asyncio.wait_for(janus.message(sub, {"request": "leave"}), 3)
            await asyncio.wait_for(janus.message(pub, {"request": "leave"}), 3)
        except Exception as exc:  # noqa: BLE001 - leaving is courtesy, the session goes anyway
            print(f"# leave: {exc}")
        return 0 if ok else 1
    finally:
        await sub_pc.close()
        await pub_pc.close()
        await janus.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ws", default="ws://127.0.0.2:8188/")
    ap.add_argument("--room", type=int, default=1234)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--min-frames", type=int, default=50)
    ap.add_argument("--first-timeout", type=float, default=20.0)
    args = ap.parse_args()
    try:
        rc = asyncio.run(asyncio.wait_for(run(args), args.first_timeout + args.seconds + 30))
    except Exception as exc:  # noqa: BLE001 - any failure is a test failure with its reason
        print(f"# error: {type(exc).__name__}: {exc}")
        rc = 1
    sys.exit(rc)


if __name__ == "__main__":
    main()
