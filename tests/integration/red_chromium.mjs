// Driver of red_chromium.sh: a headless Chromium participant (demo page, fake devices) joins a room
// where okno-bench-probe publishes Opus inside RFC 2198 RED. Checks that okno offered RED on the
// subscriber connection and Chromium's answer kept it, and that the probe's audio plays: its
// totalSamplesReceived grows at the real rate and concealment stays low. Prints its checks for
// browser_lib.bash and the figures as TAP comments.
//
// Deliberately not here: starting okno or the probe (the shell script does), and any loss (on
// loopback okno forwards the publisher's RED as is; adding and stripping are unit-tested).
//
// usage: node red_chromium.mjs BASE_URL ROOM PROBE_NAME

import {launchChromium, openParticipant, note, sleep, Plan, runBounded} from './browser_lib.mjs';

const [baseUrl, room, probeName] = process.argv.slice(2);
const MEASURE_MS = 4000;
const MIN_SAMPLES_PER_S = 24000;
// Functional bounds with wide margins: on loopback nothing is lost, but a loaded machine delays
// packets and the jitter buffer conceals while it adapts.
const MAX_CONCEALED = 0.15;
const SETTLE_MS = 3000;

export const CHECKS = [
    'Chromium joins the room with the RED-sending probe through the demo page',
    'okno offers red/48000/2 around Opus on the subscriber connection and Chromium\'s answer keeps it',
    'Chromium plays the probe\'s audio (totalSamplesReceived rises at >= 24000/s)',
    'concealment of the probe\'s audio stays under 15 % (concealedSamples / totalSamplesReceived)',
];

// The subscriber connection's audio section as offered and answered, and the probe's inbound audio.
async function look(page, probe) {
    return page.evaluate(async (probe) => {
        const pc = window.okno.client._sub;
        if (!pc || !pc.remoteDescription || !pc.localDescription)
            return {offer: '', answer: '', audio: null};
        const from = {};
        for (const [participant, stream] of window.okno.remote)
            for (const t of stream.getTracks())
                from[t.id] = participant;
        const stats = await pc.getStats();
        let audio = null;
        stats.forEach((s) => {
            if (s.type !== 'inbound-rtp' || s.kind !== 'audio')
                return;
            const who = from[s.trackIdentifier];
            if (!audio || who === probe) {
                const codec = s.codecId ? stats.get(s.codecId) : null;
                audio = {who, totalSamplesReceived: s.totalSamplesReceived || 0,
                         concealedSamples: s.concealedSamples || 0, packetsReceived: s.packetsReceived || 0,
                         packetsLost: s.packetsLost || 0, codec: codec ? codec.mimeType : null};
            }
        });
        return {offer: pc.remoteDescription.sdp, answer: pc.localDescription.sdp, audio};
    }, probe);
}

const redLine = (sdp) => (sdp.match(/a=rtpmap:(\d+) red\/48000\/2/i) || [])[1];

async function main() {
    const plan = new Plan(CHECKS);
    let browser;
    try {
        browser = await launchChromium();
        let c;
        try {
            c = await openParticipant(browser, baseUrl, {room, name: 'chromium-red', role: 'specialist'});
            plan.report(true, `joined ${c.joinedAt - c.startedAt} ms after load`);
        } catch (e) {
            plan.report(false, e.message);
            throw e;
        }
        // The probe's participant id is its display name's peer: find it as the stream that carries
        // audio to us; wait (bounded) until its audio flows.
        let s = await look(c.page, null);
        const deadline = Date.now() + 15000;
        while (Date.now() < deadline && !(s.audio && s.audio.totalSamplesReceived > 0)) {
            await sleep(200);
            s = await look(c.page, null);
        }
        const offered = redLine(s.offer), answered = redLine(s.answer);
        note(`subscriber offer red pt ${offered}, answer red pt ${answered}`);
        plan.report(offered !== undefined && offered === answered,
            `offer ${offered === undefined ? 'has no red' : 'red ' + offered}, answer ` +
            `${answered === undefined ? 'has no red' : 'red ' + answered}`);
        const probe = s.audio ? s.audio.who : null;
        await sleep(SETTLE_MS); // past the jitter buffer's start
        const before = await look(c.page, probe);
        const t0 = Date.now();
        await sleep(MEASURE_MS);
        const after = await look(c.page, probe);
        const secs = (Date.now() - t0) / 1000;
        const a0 = before.audio || {totalSamplesReceived: 0, concealedSamples: 0};
        const a1 = after.audio || {totalSamplesReceived: 0, concealedSamples: 0};
        const sps = (a1.totalSamplesReceived - a0.totalSamplesReceived) / secs;
        const samples = a1.totalSamplesReceived - a0.totalSamplesReceived;
        const concealed = samples > 0 ? (a1.concealedSamples - a0.concealedSamples) / samples : 1;
        note(`probe (${probe}) audio at Chromium: ${Math.round(sps)} samples/s, concealed ` +
            `${(100 * concealed).toFixed(2)} %, packets ${a1.packetsReceived} lost ${a1.packetsLost}, ` +
            `codec ${a1.codec}`);
        console.log(`# metric red_samples_per_s=${Math.round(sps)} red_concealed_pct=${(100 * concealed).toFixed(2)}`);
        plan.report(sps >= MIN_SAMPLES_PER_S, `${Math.round(sps)} samples/s, want >= ${MIN_SAMPLES_PER_S}`);
        plan.report(samples > 0 && concealed < MAX_CONCEALED,
            `${(100 * concealed).toFixed(2)} %, want < ${100 * MAX_CONCEALED} %`);
        await c.page.evaluate(() => window.okno.client.leave());
        await c.context.close();
    } catch (e) {
        note(`stopped early: ${e.message}`);
        plan.failRest('not reached: ' + e.message.split('\n')[0]);
    } finally {
        if (browser)
            await browser.close().catch(() => {});
    }
}

runBounded(main, 50000);
