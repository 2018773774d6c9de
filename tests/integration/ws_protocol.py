#!/usr/bin/python3
"""Drives okno's HTTP server and signalling WebSocket (docs/protocol.md) with several clients and
prints one TAP line per check ("ok N - ..." / "not ok N - ..."), without a plan: ws_protocol.sh
adds its own checks and the plan. Needs python3-websockets.

usage: ws_protocol.py --port PORT
"""
import argparse
import asyncio
import http.client
import json
import sys

import websockets

results = []


def check(cond, name, detail=""):
    results.append(bool(cond))
    n = len(results)
    if cond:
        print(f"ok {n} - {name}")
    else:
        print(f"not ok {n} - {name}")
        for line in str(detail).splitlines()[:20]:
            print(f"#   {line}")
    sys.stdout.flush()


def http_get(port, path):
    """(status, content type, body) of a GET with the path sent exactly as given."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.putrequest("GET", path, skip_accept_encoding=True)
    conn.endheaders()
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, resp.getheader("Content-Type", ""), body


class Client:
    """One WebSocket client that keeps every frame it receives."""

    def __init__(self, ws):
        self.ws = ws
        self.frames = []

    @classmethod
    async def open(cls, url):
        return cls(await websockets.connect(url, max_size=None, ping_interval=None))

    async def send(self, msg):
        await self.ws.send(msg if isinstance(msg, str) else json.dumps(msg))

    async def wait_for(self, pred, timeout=5.0):
        """The first received frame (kept or new) matching pred, removed from the kept ones."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for i, f in enumerate(self.frames):
                if pred(f):
                    return self.frames.pop(i)
            left = deadline - loop.time()
            if left <= 0:
                return None
            try:
                text = await asyncio.wait_for(self.ws.recv(), left)
            except (asyncio.TimeoutError, websockets.ConnectionClosed):
                return None
            self.frames.append(json.loads(text))

    async def reply(self, req_id, timeout=5.0):
        return await self.wait_for(lambda f: f.get("id") == req_id and "id" in f, timeout)

    async def drain(self, seconds):
        """Everything that arrives within seconds (after what was kept)."""
        try:
            while True:
                text = await asyncio.wait_for(self.ws.recv(), seconds)
                self.frames.append(json.loads(text))
        except (asyncio.TimeoutError, websockets.ConnectionClosed):
            pass
        out, self.frames = self.frames, []
        return out

    async def join(self, room, name, role="kiosk", req_id=1):
        await self.send({"type": "join", "id": req_id, "room": room, "role": role, "name": name})
        return await self.reply(req_id)


async def run(port):
    url = f"ws://127.0.0.1:{port}/ws"
    room = "ws-protocol-1"

    # --- HTTP ---
    status, ctype, body = http_get(port, "/")
    check(status == 200 and ctype.startswith("text/html") and b"okno.js" in body,
          "GET / serves the demo page (text/html, loads okno.js)", f"{status} {ctype}")
    status, ctype, body = http_get(port, "/okno.js")
    check(status == 200 and ctype.startswith("text/javascript") and b"class OknoClient" in body,
          "GET /okno.js serves the client library as JavaScript", f"{status} {ctype}")
    status, ctype, _ = http_get(port, "/style.css")
    check(status == 200 and ctype.startswith("text/css"), "GET /style.css is text/css",
          f"{status} {ctype}")
    bad = {p: http_get(port, p)[0] for p in ("/../conf/okno.conf", "/%2e%2e/conf/okno.conf",
                                             "/..%2fconf%2fokno.conf", "/web/../../conf/okno.conf",
                                             "/.git/config")}
    check(all(s in (400, 404) for s in bad.values()),
          "path traversal out of web_root is refused (400/404)", bad)
    status, _, _ = http_get(port, "/no-such-page.html")
    check(status == 404, "a missing page is 404", status)
    status, _, body = http_get(port, "/healthz")
    check(status == 200 and body == b"ok\n", "GET /healthz answers ok", f"{status} {body!r}")

    # --- join, second participant, already_joined ---
    a = await Client.open(url)
    ja = await a.join(room, "Kiosk A", "kiosk", 1)
    check(ja and ja["type"] == "joined" and ja["room"] == room and ja["participant"]
          and ja["participants"] == [],
          "join -> joined with this connection's participant id and nobody else there", ja)
    pa = ja["participant"] if ja else None

    b = await Client.open(url)
    jb = await b.join(room, "Specialist B", "specialist", "b-1")
    pb = jb["participant"] if jb else None
    others = [p["participant"] for p in jb["participants"]] if jb else []
    check(jb and jb["type"] == "joined" and jb["id"] == "b-1" and pb != pa and others == [pa],
          "a second client's joined lists the first (string id kept)", jb)
    ev = await a.wait_for(lambda f: f["type"] == "participant_joined")
    check(ev and ev["participant"] == pb and ev["name"] == "Specialist B"
          and ev["role"] == "specialist", "the first client sees participant_joined", ev)

    r = await a.join(room, "Kiosk A again", "kiosk", 2)
    check(r and r["type"] == "error" and r["code"] == "already_joined" and r["id"] == 2,
          "a second join -> already_joined", r)

    # --- malformed frames ---
    c = await Client.open(url)
    await c.send("{nope")
    r = await c.wait_for(lambda f: f["type"] == "error")
    check(r and r["code"] == "bad_json" and "id" not in r, "bad JSON -> bad_json without id", r)
    await c.send({"type": "kick", "id": 3})
    r = await c.reply(3)
    check(r and r["type"] == "error" and r["code"] == "unknown_type",
          "an unknown type -> unknown_type with the id", r)
    await c.send({"type": "join", "id": 4, "role": "kiosk", "name": "C"})
    r = await c.reply(4)
    check(r and r["code"] == "bad_request" and "room" in r["message"],
          "a join without room -> bad_request naming room", r)
    await c.send({"type": "candidate", "id": 41, "candidate": None})
    r = await c.reply(41)
    check(r and r["code"] == "bad_request" and "pc" in r["message"],
          "a candidate without pc -> bad_request naming pc", r)
    await c.send({"type": "publish", "id": 5, "sdp": "v=0\r\n"})
    r = await c.reply(5)
    check(r and r["code"] == "not_joined", "publish before join -> not_joined", r)
    await c.send({"type": "join", "id": 6, "room": room, "role": "operator", "name": "C"})
    r = await c.reply(6)
    check(r and r["code"] == "denied" and "operator" in r["message"],
          "a role the rooms plugin does not know -> denied", r)
    await c.send({"type": "publish", "id": 7, "sdp": "x" * (64 * 1024)})
    r = await c.wait_for(lambda f: f["type"] == "error" and f["code"] == "bad_json")
    check(r and "at most 65536" in r["message"], "a frame over 64 KiB -> bad_json", r)

    # --- exactly one reply per request, in order ---
    await c.join(room, "Client C", "observer", 8)
    reqs = [
        {"type": "candidate", "id": 10, "pc": "publisher", "candidate": None},
        {"type": "kick", "id": 11},
        {"type": "answer", "id": 12, "pc": "subscriber", "sdp": "v=0\r\n"},
        {"type": "publish", "id": 13, "sdp": "not an sdp"},
        {"type": "join", "id": 14, "room": room, "role": "kiosk", "name": "C2"},
        {"type": "candidate", "id": 15, "pc": "subscriber",
         "candidate": {"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 9 typ host",
                       "sdpMid": "0", "sdpMLineIndex": 0}},
        {"type": "publish", "id": "sixteen"},
        {"type": "answer", "id": 17, "pc": "publisher", "sdp": "v=0\r\n"},
    ]
    for q in reqs:
        await c.send(q)
    frames = await c.drain(1.5)
    ids = [f["id"] for f in frames if "id" in f]
    check(ids == [q["id"] for q in reqs],
          "every request with an id gets exactly one reply, in request order",
          f"got ids {ids}: {frames}")

    # --- flood ---
    e = await Client.open(url)
    for _ in range(30):
        try:
            await e.send("not json")
        except websockets.ConnectionClosed:
            break
    errors = [f for f in await e.drain(2.0) if f["type"] == "error"]
    await asyncio.sleep(0.2)
    check(e.ws.closed and e.ws.close_code == 1008 and len(errors) == 21,
          "more than 20 bad frames in 10 s close the socket with 1008 (after 21 errors)",
          f"closed {e.ws.closed} code {e.ws.close_code}, {len(errors)} errors")

    # --- leave, close ---
    await b.send({"type": "leave", "id": "bye"})
    r = await b.reply("bye")
    check(r and r["type"] == "ack", "leave with an id -> ack", r)
    ev = await a.wait_for(lambda f: f["type"] == "participant_left" and f["participant"] == pb)
    check(ev is not None, "leave -> participant_left to the other", a.frames)
    await b.send({"type": "publish", "id": "after", "sdp": "v=0\r\n"})
    r = await b.reply("after")
    check(r and r["code"] == "not_joined", "a request after leave -> not_joined", r)

    f = await Client.open(url)
    jf = await f.join(room, "Leaving F", "observer", 1)
    pf = jf["participant"] if jf else None
    await a.wait_for(lambda x: x["type"] == "participant_joined" and x["participant"] == pf)
    await f.ws.close()
    ev = await a.wait_for(lambda x: x["type"] == "participant_left" and x["participant"] == pf)
    check(pf and ev is not None, "closing the socket -> participant_left to the other", a.frames)

    # --- okno keeps serving ---
    g = await Client.open(url)
    jg = await g.join(room, "Late G", "kiosk", 99)
    names = sorted(p["name"] for p in jg["participants"]) if jg else []
    check(jg and jg["type"] == "joined" and names == ["Client C", "Kiosk A"],
          "okno keeps serving: a later join sees exactly who is still there", jg)
    status, _, _ = http_get(port, "/healthz")
    check(status == 200, "GET /healthz still answers after all that", status)

    # One client stays connected: okno must close it cleanly when it stops.
    for cl in (a, b, c):
        await cl.ws.close()
    return g


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count-file", required=True)
    args = ap.parse_args()
    try:
        g = await run(args.port)
    except Exception as exc:  # a crash is one more failure, not a silent stop
        check(False, "the protocol driver ran to the end", repr(exc))
        g = None
    with open(args.count_file, "w") as fh:
        fh.write(str(len(results)))
    if g is not None:
        # Told to stop, okno closes this socket with 1001 before it exits.
        print("# waiting for okno to close the last socket", flush=True)
        try:
            await asyncio.wait_for(g.ws.wait_closed(), 60)
        except asyncio.TimeoutError:
            pass
        print(f"# last socket closed with {g.ws.close_code}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
