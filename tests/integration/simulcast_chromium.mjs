// Driver of simulcast_chromium.sh: a Chromium publisher sends its 1280x720 fake camera as three
// simulcast encodings (okno.js's q, h, f: 320x180, 640x360, 1280x720), a second Chromium page
// receives it. The subscriber must decode the video and be moved up to the top encoding; then it
// asks okno to send it at most 200 kbit/s or less (the receive_limit message), and the frameWidth it
// decodes must drop to the lowest encoding, the publisher's higher encodings must stop (okno's REMB
// cap leaves them no room, so Chromium's encoder turns them off), and when the limit is lifted the
// width must come back up.
// The times from each limit change to the new width are printed as figures; the checks' bounds are
// wide and never depend on machine speed beyond them.
//
// Deliberately not here: starting okno or reading its log (the shell script does).
//
// usage: node simulcast_chromium.mjs BASE_URL ROOM

import {launchChromium, openParticipant, readStats, note, sleep, Plan, runBounded} from './browser_lib.mjs';

const [baseUrl, room] = process.argv.slice(2);
const FIRST_VIDEO_MS = 15000;
const UP_MS = 20000;
const TOP_MS = 30000;
const DOWN_MS = 10000;
const STOP_MS = 12000;
const BACK_MS = 20000;
const TOP_AGAIN_MS = 12000;
const RUN_BUDGET_MS = 42000; // from the first frame: the extra wait for the top only within it

export const CHECKS = [
    'a simulcast Chromium publisher (1280x720, rids q/h/f) and a Chromium subscriber join okno',
    'the subscriber decodes the publisher\'s video (framesDecoded grows)',
    'the subscriber is moved up to an encoding above the lowest (frameWidth > 320)',
    'the subscriber is moved up to the top encoding (frameWidth 1280)',
    'with a receive_limit under the higher encodings\' base layers okno moves the subscriber to encoding 0 and its frameWidth drops to 320',
    'the publisher\'s higher encodings stop while nobody receives them (bytesSent rate < 30 kbit/s)',
    'with the limit lifted the frameWidth comes back up',
    'the video kept decoding through the switches (framesDecoded grew in every phase)',
];

// The subscriber's view of the publisher's video: frames decoded and the size of the last one.
async function inbound(page, from) {
    const s = await readStats(page);
    const v = s.inbound.filter((x) => x.kind === 'video' && x.participant === from);
    return v.length ? v[0] : null;
}

// Bytes sent per rid on the publisher connection, and when; the publisher's own estimate of its
// uplink (the candidate pair's availableOutgoingBitrate, bit/s; 0 unknown).
async function outbound(page) {
    return page.evaluate(async () => {
        const report = (await window.okno.client.getStats()).publisher;
        const out = {at: Date.now(), rid: {}, available: 0};
        if (report)
            report.forEach((s) => {
                if (s.type === 'outbound-rtp' && s.kind === 'video' && s.rid)
                    out.rid[s.rid] = {bytes: s.bytesSent || 0, width: s.frameWidth || 0,
                                      fps: s.framesPerSecond || 0, active: s.active};
                if (s.type === 'candidate-pair' && s.nominated && s.availableOutgoingBitrate)
                    out.available = s.availableOutgoingBitrate;
            });
        return out;
    });
}

// The first climb's timeline, a line a second: what the subscriber decodes, what the publisher
// sends per rid and its own uplink estimate, the quality events okno sent meanwhile.
function climbTracer(pub, sub, from, t0) {
    let last = null, lastAt = 0;
    return async () => {
        if (Date.now() - lastAt < 1000)
            return;
        lastAt = Date.now();
        const out = await outbound(pub.page);
        const v = await inbound(sub.page, from);
        if (last) {
            const rates = Object.keys(out.rid).sort()
                .map((r) => `${r} ${Math.round(ridKbps(last, out, r))}`).join(', ');
            note(`climb +${((out.at - t0) / 1000).toFixed(1)} s: subscriber ${v ? v.frameWidth : 0} px, ` +
                 `publisher ${rates} kbit/s, its estimate ${Math.round(out.available / 1000)} kbit/s`);
        }
        last = out;
    };
}

function ridKbps(a, b, rid) {
    if (!a.rid[rid] || !b.rid[rid] || b.at <= a.at)
        return 0;
    return (b.rid[rid].bytes - a.rid[rid].bytes) * 8 / (b.at - a.at);
}

async function describeOutbound(page, ms = 1000) {
    const a = await outbound(page);
    await sleep(ms);
    const b = await outbound(page);
    return Object.keys(b.rid).sort()
        .map((r) => `${r} ${b.rid[r].width}px ${Math.round(ridKbps(a, b, r))} kbit/s`).join(', ');
}

// Polls the subscriber until pred(video) holds; returns ms taken or -1, and the last video seen.
// tick, when given, runs at every poll.
async function waitVideo(page, from, pred, timeoutMs, tick) {
    const t0 = Date.now();
    let last = null;
    while (Date.now() - t0 < timeoutMs) {
        last = await inbound(page, from);
        if (last && pred(last))
            return {ms: Date.now() - t0, last};
        if (tick)
            await tick();
        await sleep(200);
    }
    return {ms: -1, last};
}

async function qualityEvents(page) {
    return page.evaluate(() => window.__quality || []);
}

// Waits for a quality event received after since that satisfies pred; true when one came.
async function waitQuality(page, since, pred, timeoutMs) {
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
        if ((await qualityEvents(page)).some((q) => q.at >= since && pred(q)))
            return true;
        await sleep(100);
    }
    return false;
}

// The rids the publisher sends now (at least 30 kbit/s over half a second).
async function activeRids(page) {
    const a = await outbound(page);
    await sleep(500);
    const b = await outbound(page);
    return Object.keys(b.rid).filter((r) => ridKbps(a, b, r) >= 30).sort();
}

async function main() {
    const plan = new Plan(CHECKS);
    const browser = await launchChromium();
    try {
        let pub, sub;
        try {
            pub = await openParticipant(browser, baseUrl,
                {room, name: 'sim-pub', role: 'kiosk', extra: '&simulcast=1&width=1280&height=720'});
            sub = await openParticipant(browser, baseUrl,
                {room, name: 'sim-sub', role: 'specialist', extra: '&width=320&height=180'});
            plan.report(true);
        } catch (e) {
            plan.report(false, e.message);
            plan.failRest('not reached');
            return;
        }
        await sub.page.evaluate(() => {
            window.__quality = [];
            window.okno.client.addEventListener('quality', (e) => window.__quality.push(
                Object.assign({at: Date.now()}, e.detail)));
        });
        const from = await pub.page.evaluate(() => window.okno.client.participant);
        const frames = [];

        const first = await waitVideo(sub.page, from, (v) => v.framesDecoded >= 10, FIRST_VIDEO_MS);
        plan.report(first.ms >= 0, first.ms >= 0 ? `first 10 frames after ${first.ms} ms` : 'no video');
        if (first.ms < 0) {
            plan.failRest('no video');
            return;
        }
        const tStart = Date.now() - first.ms;
        frames.push(first.last.framesDecoded);
        note(`publisher sends: ${await describeOutbound(pub.page)}`);

        const trace = climbTracer(pub, sub, from, tStart);
        const mid = await waitVideo(sub.page, from, (v) => v.frameWidth > 320, UP_MS, trace);
        const midS = (Date.now() - tStart) / 1000;
        plan.report(mid.ms >= 0, `frameWidth ${mid.last ? mid.last.frameWidth : 0} ${midS.toFixed(1)} s after the first frame`);
        const top = await waitVideo(sub.page, from, (v) => v.frameWidth >= 1280, TOP_MS, trace);
        const topS = (Date.now() - tStart) / 1000;
        plan.report(top.ms >= 0, `frameWidth ${top.last ? top.last.frameWidth : 0} ${topS.toFixed(1)} s after the first frame`);
        note(`first climb: ${mid.ms >= 0 ? midS.toFixed(2) : 'none in ' + midS.toFixed(0)} s to above 320 px, ` +
             `${top.ms >= 0 ? topS.toFixed(2) : 'none in ' + topS.toFixed(0)} s to 1280 px after the first frame`);
        for (const q of await qualityEvents(sub.page))
            note(`quality +${((q.at - tStart) / 1000).toFixed(1)} s after the first frame: ${JSON.stringify(q.layer)} ${q.reason} ${q.estimate_kbps} kbit/s`);
        const climbEvents = (await qualityEvents(sub.page)).length;
        note(`publisher sends: ${await describeOutbound(pub.page)}`);
        frames.push((await inbound(sub.page, from)).framesDecoded);

        // Limit: low enough that only the lowest encoding fits (the allocator steps down temporal
        // layers before encodings, so a limit between an encoding's base layer and its full rate
        // keeps it). What the encodings cost depends on the content and the encoder: the limit is
        // lowered step by step until okno's quality event says encoding 0.
        const active = await activeRids(pub.page);
        const before = (await inbound(sub.page, from)).frameWidth;
        let limit = 0, t0 = 0, lowest = false;
        for (const k of [200, 150, 110, 80]) {
            limit = k;
            t0 = Date.now();
            await sub.page.evaluate((x) => window.okno.client.receiveLimit(x), k);
            lowest = await waitQuality(sub.page, t0, (q) => q.layer && q.layer.spatial === 0, 2500);
            if (lowest)
                break;
        }
        const down = await waitVideo(sub.page, from, (v) => v.frameWidth > 0 && v.frameWidth <= 320, DOWN_MS);
        const downS = (Date.now() - t0) / 1000;
        plan.report(lowest && down.ms >= 0, `limit ${limit} kbit/s: ${before} -> ${down.last ? down.last.frameWidth : '?'} px in ${downS.toFixed(1)} s`);
        note(`switch down: ${down.ms >= 0 ? downS.toFixed(2) : 'none in ' + downS.toFixed(0)} s from receive_limit ${limit} to frameWidth ${down.last ? down.last.frameWidth : '?'}`);
        frames.push((await inbound(sub.page, from)).framesDecoded);

        // The encodings above q stop at the publisher: okno's cap no longer leaves them room.
        const higher = active.filter((r) => r !== 'q');
        let stopped = -1, rates = '';
        while (Date.now() - t0 < STOP_MS) {
            const x = await outbound(pub.page);
            await sleep(1000);
            const y = await outbound(pub.page);
            rates = higher.map((r) => `${r} ${Math.round(ridKbps(x, y, r))}`).join(', ');
            if (higher.length > 0 && higher.every((r) => ridKbps(x, y, r) < 30)) {
                stopped = Date.now() - t0;
                break;
            }
        }
        plan.report(stopped >= 0, `${higher.join(', ') || 'none was active'}: ${rates} kbit/s, ${(stopped / 1000).toFixed(1)} s after the limit`);
        note(`publisher sends while limited: ${await describeOutbound(pub.page)}`);
        frames.push((await inbound(sub.page, from)).framesDecoded);

        // Lifted: back up after the allocator's hold (and the publisher restarting the encoding).
        const low = (await inbound(sub.page, from)).frameWidth;
        const t1 = Date.now();
        await sub.page.evaluate(() => window.okno.client.receiveLimit(0));
        const retrace = climbTracer(pub, sub, from, t1);
        const back = await waitVideo(sub.page, from, (v) => v.frameWidth > low, BACK_MS, retrace);
        const backS = (Date.now() - t1) / 1000;
        plan.report(back.ms >= 0, `${low} -> ${back.last ? back.last.frameWidth : '?'} px in ${backS.toFixed(1)} s`);
        note(`switch up: ${back.ms >= 0 ? backS.toFixed(2) : 'none in ' + backS.toFixed(0)} s from lifting the limit to frameWidth ${back.last ? back.last.frameWidth : '?'}`);
        // A figure only: the top again, while the run has time to spare (under 60 s in all).
        const spare = Math.min(TOP_AGAIN_MS, RUN_BUDGET_MS - (Date.now() - tStart));
        if (back.ms >= 0 && back.last.frameWidth < 1280 && spare > 1000) {
            const again = await waitVideo(sub.page, from, (v) => v.frameWidth >= 1280, spare, retrace);
            const againS = (Date.now() - t1) / 1000;
            note(`back to the top: ${again.ms >= 0 ? againS.toFixed(2) : 'not in ' + againS.toFixed(0)} s from lifting the limit to frameWidth ${again.last ? again.last.frameWidth : '?'}`);
        }
        note(`publisher sends: ${await describeOutbound(pub.page)}`);
        frames.push((await inbound(sub.page, from)).framesDecoded);

        const grew = frames.every((f, i) => i === 0 || f > frames[i - 1]);
        plan.report(grew, `framesDecoded ${frames.join(' -> ')}`);
        for (const q of (await qualityEvents(sub.page)).slice(climbEvents))
            note(`quality +${((q.at - t0) / 1000).toFixed(1)} s after the first limit: ${JSON.stringify(q.layer)} ${q.reason} ${q.estimate_kbps} kbit/s`);
    } finally {
        await browser.close().catch(() => {});
    }
}

runBounded(main, 110000);
