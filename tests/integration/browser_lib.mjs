// Shared by the Node drivers of tests/integration: launches the system Chromium through playwright-core
// with fake camera and microphone, opens okno's demo page as a participant, reads the subscriber
// connection's inbound-rtp statistics through window.okno.client.getStats(), and prints results as
// "ok - ..." / "not ok - ..." lines that browser_lib.bash numbers into TAP.
//
// Deliberately not here: starting okno or other browsers (the shell scripts do that, so their trap can
// clean up), and any judgement of what a test needs; callers decide what must rise and by how much.

import {chromium} from 'playwright-core';

export const CHROMIUM = process.env.OKNO_CHROMIUM || '/usr/bin/chromium';

// Every wait in the drivers is bounded; the shell scripts bound the whole driver again.
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function result(pass, description) {
    console.log(`${pass ? 'ok' : 'not ok'} - ${description}`);
    return pass;
}

export function note(text) {
    for (const line of String(text).split('\n'))
        console.log(`# ${line}`);
}

// A fresh browser (playwright gives launch() its own new user-data-dir under TMPDIR, removed on close).
export async function launchChromium() {
    return chromium.launch(chromiumOptions());
}

// A Chromium of its own behind a BrowserServer, whose process() a test may kill (a browser that
// vanishes): returns {server, browser}.
export async function launchChromiumServer() {
    const server = await chromium.launchServer(chromiumOptions());
    const browser = await chromium.connect(server.wsEndpoint());
    return {server, browser};
}

function chromiumOptions() {
    return {
        executablePath: CHROMIUM,
        headless: true,
        timeout: 30000,
        args: [
            '--headless=new',
            '--no-sandbox',
            '--use-fake-device-for-media-stream',
            '--use-fake-ui-for-media-stream',
            '--allow-loopback-in-peer-connection',
            '--disable-background-networking',
            '--no-first-run',
            // Remote tiles are unmuted <video> elements: let them play, or audio is never pulled
            // from the jitter buffer and totalSamplesReceived stays 0.
            '--autoplay-policy=no-user-gesture-required',
            // okno cannot resolve mDNS host names; offer plain loopback addresses.
            '--disable-features=WebRtcHideLocalIpsWithMdns',
        ],
    };
}

// Opens the demo page for one participant in its own browser context and waits (bounded) until it has
// joined and published. Returns {page, context, startedAt, joinedAt}; throws with the page's errors.
export async function openParticipant(browser, baseUrl, {room, name, role = 'kiosk', extra = '', timeoutMs = 20000}) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const consoleLines = [];
    page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
    const startedAt = Date.now();
    const url = `${baseUrl}/index.html?room=${encodeURIComponent(room)}&name=${encodeURIComponent(name)}` +
        `&role=${encodeURIComponent(role)}${extra}`;
    await page.goto(url, {timeout: timeoutMs});
    try {
        await page.waitForFunction(() => window.okno && (window.okno.joined || window.okno.errors.length > 0),
            null, {timeout: timeoutMs, polling: 100});
    } catch (e) {
        throw new Error(`${name} did not join within ${timeoutMs} ms; console: ${consoleLines.slice(-5).join(' | ')}`);
    }
    const state = await page.evaluate(() => ({joined: window.okno.joined, errors: window.okno.errors}));
    if (!state.joined)
        throw new Error(`${name} could not join: ${JSON.stringify(state.errors)}`);
    return {page, context, name, startedAt, joinedAt: Date.now(), consoleLines};
}

// The subscriber connection's view of what arrives: per inbound-rtp stream its kind, the publishing
// participant (MediaStream id, from the track's receiver), decoded frames, received audio samples, and
// the addresses okno uses for this page (remote candidates of both connections).
export async function readStats(page) {
    return page.evaluate(async () => {
        const client = window.okno && window.okno.client;
        if (!client)
            return {inbound: [], outbound: [], okno: [], errors: [], participant: null};
        const {publisher, subscriber} = await client.getStats();
        const inbound = [];
        const okno = [];
        for (const report of [publisher, subscriber]) {
            if (!report)
                continue;
            report.forEach((s) => {
                if (s.type === 'remote-candidate')
                    okno.push({address: s.address, port: s.port, protocol: s.protocol, type: s.candidateType});
            });
        }
        if (subscriber) {
            subscriber.forEach((s) => {
                if (s.type !== 'inbound-rtp')
                    return;
                inbound.push({
                    kind: s.kind,
                    mid: s.mid,
                    trackIdentifier: s.trackIdentifier,
                    framesDecoded: s.framesDecoded || 0,
                    framesPerSecond: s.framesPerSecond || 0,
                    frameWidth: s.frameWidth || 0,
                    frameHeight: s.frameHeight || 0,
                    totalSamplesReceived: s.totalSamplesReceived || 0,
                    packetsReceived: s.packetsReceived || 0,
                    packetsLost: s.packetsLost || 0,
                    bytesReceived: s.bytesReceived || 0,
                    // Why a stream is slow when it is: frames that arrived but were not shown, the
                    // keyframes asked and the freezes seen.
                    framesReceived: s.framesReceived || 0,
                    framesDropped: s.framesDropped || 0,
                    keyFramesDecoded: s.keyFramesDecoded || 0,
                    pliCount: s.pliCount || 0,
                    nackCount: s.nackCount || 0,
                    freezeCount: s.freezeCount || 0,
                });
            });
        }
        // What this page sends: the encoder's side of a slow stream (the rate it was given and
        // what limits it).
        const outbound = [];
        if (publisher) {
            publisher.forEach((s) => {
                if (s.type !== 'outbound-rtp')
                    return;
                outbound.push({
                    kind: s.kind,
                    rid: s.rid || null,
                    framesEncoded: s.framesEncoded || 0,
                    framesSent: s.framesSent || 0,
                    frameWidth: s.frameWidth || 0,
                    targetBitrate: s.targetBitrate || 0,
                    qualityLimitationReason: s.qualityLimitationReason || null,
                    bytesSent: s.bytesSent || 0,
                    retransmittedPacketsSent: s.retransmittedPacketsSent || 0,
                });
            });
        }
        // Which participant each received track comes from: the stream id okno puts in a=msid.
        const from = {};
        for (const [participant, stream] of window.okno.remote)
            for (const t of stream.getTracks())
                from[t.id] = participant;
        for (const s of inbound)
            s.participant = from[s.trackIdentifier] || null;
        return {inbound, outbound, okno, errors: window.okno.errors, participant: client.participant};
    });
}

// One line on why video from one participant arrives slowly: per second over the measured span,
// what the receiving page got, dropped and asked for, and what the sending page encoded, at what
// target and what limited it. rx/tx: {before, after} readStats of the receiver and the sender.
export function explainSlowVideo(rx, tx, from, secs) {
    const delta = (a, b, field) => (b[field] || 0) - (a[field] || 0);
    const per = (a, b, field) => delta(a, b, field) / secs;
    const pick = (st, list) => st[list].find((s) => s.kind === 'video' && (list === 'outbound' || s.participant === from)) || {};
    const [i0, i1] = [pick(rx.before, 'inbound'), pick(rx.after, 'inbound')];
    const [o0, o1] = [pick(tx.before, 'outbound'), pick(tx.after, 'outbound')];
    return `received ${per(i0, i1, 'framesReceived').toFixed(1)} frames/s, dropped ${per(i0, i1, 'framesDropped').toFixed(1)}/s, ` +
        `keyframes decoded ${delta(i0, i1, 'keyFramesDecoded')}, PLIs ${delta(i0, i1, 'pliCount')}, ` +
        `NACKs ${delta(i0, i1, 'nackCount')}, freezes ${delta(i0, i1, 'freezeCount')}; the sender encoded ` +
        `${per(o0, o1, 'framesEncoded').toFixed(1)} frames/s at ${o1.frameWidth}px wide, sent ` +
        `${Math.round(per(o0, o1, 'bytesSent') * 8 / 1000)} kbit/s, target ${Math.round((o1.targetBitrate || 0) / 1000)} kbit/s, ` +
        `limited by ${o1.qualityLimitationReason}`;
}

// Sums one counter over the inbound streams of a kind (optionally only those from one participant).
export function total(stats, kind, field, participant = null) {
    return stats.inbound
        .filter((s) => s.kind === kind && (participant === null || s.participant === participant))
        .reduce((sum, s) => sum + (s[field] || 0), 0);
}

// Polls until pred(stats) holds or timeoutMs passes; returns the time it took or -1.
export async function waitStats(page, pred, timeoutMs, everyMs = 100) {
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
        const s = await readStats(page);
        if (pred(s))
            return Date.now() - t0;
        await sleep(everyMs);
    }
    return -1;
}

// Whether the <video> showing a remote participant draws a picture that is not uniform: decoded frames
// that reach the screen, not just counters. Returns {ok, width, height, spread}.
export async function videoShowsPicture(page, participant) {
    return page.evaluate((id) => {
        const video = document.querySelector(`#tile-${CSS.escape(id)} video`);
        if (!video || !video.videoWidth)
            return {ok: false, width: 0, height: 0, spread: 0};
        const canvas = document.createElement('canvas');
        canvas.width = 64;
        canvas.height = 36;
        const g = canvas.getContext('2d');
        g.drawImage(video, 0, 0, canvas.width, canvas.height);
        const px = g.getImageData(0, 0, canvas.width, canvas.height).data;
        let lo = 255, hi = 0;
        for (let i = 0; i < px.length; i += 4) {
            const y = (px[i] * 3 + px[i + 1] * 6 + px[i + 2]) / 10;
            lo = Math.min(lo, y);
            hi = Math.max(hi, y);
        }
        return {ok: hi - lo > 16, width: video.videoWidth, height: video.videoHeight, spread: Math.round(hi - lo)};
    }, participant);
}

// Runs main() with an overall deadline, so a hung browser never outlives the test's budget.
export function runBounded(main, limitMs) {
    const timer = setTimeout(() => {
        note(`driver deadline of ${limitMs} ms passed`);
        process.exit(3);
    }, limitMs);
    main().then(
        () => {
            clearTimeout(timer);
            process.exit(0);
        },
        (e) => {
            clearTimeout(timer);
            note(`driver failed: ${e && e.stack ? e.stack : e}`);
            process.exit(2);
        });
}

// A fixed list of checks reported in order, so the plan holds even when a step throws: failRest()
// reports every check not reached yet as failed, with the reason.
export class Plan {
    constructor(descriptions) {
        this.descriptions = descriptions;
        this.n = 0;
    }

    report(pass, detail = '') {
        const d = this.descriptions[this.n++];
        return result(pass, detail ? `${d} (${detail})` : d);
    }

    failRest(why) {
        while (this.n < this.descriptions.length)
            this.report(false, why);
    }
}
