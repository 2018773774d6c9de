// Driver of publisher_feedback.sh: what okno's feedback to publishers does to Chromium's own
// congestion control. Two okno servers run: FREE_URL with the default [media] max_publisher_kbps and
// CAPPED_URL with a low one. On each, two headless Chromium participants join one room, and the
// second one's publisher connection (its video has a subscriber from the start, so okno's cap on it
// is the configured one from its first REMB) is watched through getStats():
// the selected candidate pair's availableOutgoingBitrate (Chromium's send-side estimate, which moves
// only with transport-cc feedback) and the video outbound-rtp bytesSent rate. Figures are printed as
// TAP comments; the checks have wide margins and never depend on machine speed beyond them.
//
// Deliberately not here: starting okno or reading its log (the shell script does).
//
// usage: node publisher_feedback.mjs FREE_URL CAPPED_URL CAP_KBPS

import {launchChromium, openParticipant, note, sleep, Plan, runBounded} from './browser_lib.mjs';

const [freeUrl, cappedUrl, capArg] = process.argv.slice(2);
const capKbps = Number(capArg);
// Chromium starts its estimate at 300 kbit/s; with feedback it probes and grows within seconds.
const START_KBPS = 300;
const WATCH_MS = 6000;

export const CHECKS = [
    'two Chromium participants join the room on okno with the default publisher cap',
    'the publisher connection of the second shows availableOutgoingBitrate > 0 (transport-cc feedback arrives)',
    `its availableOutgoingBitrate grows above ${START_KBPS} kbit/s within ${WATCH_MS / 1000} s`,
    'two Chromium participants join the room on okno with a low publisher cap',
    'the capped publisher\'s estimate stays at the REMB cap and its video under 1.5 times the cap',
];

// The publisher connection as Chromium sees it: estimate (bit/s, undefined when none) and the bytes
// of video sent so far.
async function publisherStats(page) {
    return page.evaluate(async () => {
        const report = (await window.okno.client.getStats()).publisher;
        const out = {available: undefined, videoBytes: 0, audioBytes: 0, at: Date.now()};
        if (!report)
            return out;
        let selected = null;
        report.forEach((s) => {
            if (s.type === 'transport' && s.selectedCandidatePairId)
                selected = s.selectedCandidatePairId;
        });
        report.forEach((s) => {
            if (s.type === 'candidate-pair' && (s.id === selected || (!selected && s.nominated)) &&
                s.availableOutgoingBitrate !== undefined)
                out.available = s.availableOutgoingBitrate;
            if (s.type === 'outbound-rtp' && s.kind === 'video')
                out.videoBytes += s.bytesSent || 0;
            if (s.type === 'outbound-rtp' && s.kind === 'audio')
                out.audioBytes += s.bytesSent || 0;
        });
        return out;
    });
}

const kbps = (bps) => (bps === undefined ? 'none' : String(Math.round(bps / 1000)));

async function joinPair(browser, url, room) {
    const a = await openParticipant(browser, url, {room, name: 'pub-a', role: 'kiosk'});
    const b = await openParticipant(browser, url, {room, name: 'pub-b', role: 'specialist'});
    return {a, b, detail: `joined ${b.joinedAt - a.startedAt} ms after the first page load`};
}

// Kbit/s of one byte counter over the last four samples (the estimate has settled by then).
function rate(samples, field) {
    if (samples.length < 2)
        return 0;
    const first = samples[Math.max(0, samples.length - 5)], last = samples[samples.length - 1];
    return (last[field] - first[field]) * 8 / (last.at - first.at);
}

// Samples a participant's publisher connection once a second for ms; returns the samples.
async function watch(page, ms, label) {
    const samples = [];
    const t0 = Date.now();
    while (Date.now() - t0 < ms) {
        await sleep(1000);
        const s = await publisherStats(page);
        const prev = samples.length ? samples[samples.length - 1] : null;
        s.videoKbps = prev ? (s.videoBytes - prev.videoBytes) * 8 / (s.at - prev.at) : undefined;
        samples.push(s);
    }
    note(`${label}: availableOutgoingBitrate kbit/s per second: ${samples.map((s) => kbps(s.available)).join(' ')}`);
    note(`${label}: video sent kbit/s per second: ${samples.slice(1).map((s) => Math.round(s.videoKbps)).join(' ')}`);
    return samples;
}

async function main() {
    const plan = new Plan(CHECKS);
    let browser;
    try {
        const t0 = Date.now();
        browser = await launchChromium();
        // One call after the other: four Chromium participants at once overload a small machine.
        let free = null;
        try {
            free = await joinPair(browser, freeUrl, 'pubfb-free');
            plan.report(true, free.detail);
        } catch (e) {
            plan.report(false, e.message);
            throw e;
        }
        // The first one was alone at first (capped at 100 kbit/s while nobody received it): its
        // climb once the cap lifts is printed, not judged.
        const [freeSamples] = await Promise.all([
            watch(free.b.page, WATCH_MS, 'default cap'),
            watch(free.a.page, WATCH_MS, 'default cap, first participant (was alone)'),
        ]);
        await free.a.context.close();
        await free.b.context.close();
        const avail = freeSamples.map((s) => s.available).filter((v) => v !== undefined);
        const peak = avail.length ? Math.max(...avail) : 0;
        const freeVideo = rate(freeSamples, 'videoBytes');
        console.log(`# metric available_kbps_first=${kbps(avail[0])} available_kbps_peak=${kbps(peak)} ` +
            `available_kbps_last=${kbps(avail[avail.length - 1])} free_video_kbps=${Math.round(freeVideo)}`);
        plan.report(avail.length > 0 && avail[0] > 0, `first ${kbps(avail[0])} kbit/s`);
        plan.report(peak > START_KBPS * 1000, `peak ${kbps(peak)} kbit/s, want > ${START_KBPS}`);

        let capped = null;
        try {
            capped = await joinPair(browser, cappedUrl, 'pubfb-capped');
            plan.report(true, capped.detail);
        } catch (e) {
            plan.report(false, e.message);
            throw e;
        }
        const cappedSamples = await watch(capped.b.page, WATCH_MS, `cap ${capKbps} kbit/s`);
        note(`driver took ${Date.now() - t0} ms (browser launch included)`);
        const video = rate(cappedSamples, 'videoBytes');
        const audio = rate(cappedSamples, 'audioBytes');
        // Over the last four samples too: before the first REMB the estimate starts at 300 kbit/s.
        const top = Math.max(...cappedSamples.slice(-4).map((s) => s.available || 0));
        console.log(`# metric capped_video_kbps=${Math.round(video)} capped_audio_kbps=${Math.round(audio)} ` +
            `capped_available_kbps_max=${kbps(top)}`);
        plan.report(top > 0 && top <= capKbps * 1150 && video > 0 && video < capKbps * 1.5,
            `estimate at most ${kbps(top)} kbit/s over the last 4 s, want <= ${capKbps} + 15 %, Chromium adds its overhead; video ${Math.round(video)} ` +
            `kbit/s (audio ${Math.round(audio)}) over the last 4 s, want 0 < video < ${capKbps * 1.5}; ` +
            `uncapped video ${Math.round(freeVideo)} kbit/s`);
    } catch (e) {
        note(`stopped early: ${e.message}`);
        plan.failRest('not reached: ' + e.message.split('\n')[0]);
    } finally {
        if (browser)
            await browser.close().catch(() => {});
    }
}

runBounded(main, 55000);
