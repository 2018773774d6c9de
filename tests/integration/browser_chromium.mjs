// Driver of browser_chromium.sh: two headless Chromium participants (two browser contexts, fake camera
// and microphone) join one okno room through the demo page; each must decode the other's video and
// play the other's audio, measured on its subscriber connection. Prints its checks for
// browser_lib.bash and the measured numbers as TAP comments.
//
// Deliberately not here: starting or judging okno itself (the shell script does), and any network
// impairment; this is the plain two-party call.
//
// usage: node browser_chromium.mjs BASE_URL ROOM

import {launchChromium, openParticipant, readStats, total, waitStats, videoShowsPicture, note, sleep, Plan, explainSlowVideo,
    runBounded} from './browser_lib.mjs';

const [baseUrl, room] = process.argv.slice(2);
const MEASURE_MS = 3000;
// A floor well under what a healthy loopback call gives (the fake camera runs at 20-30 fps, Opus at
// 48 kHz), and well over what a call that stalls after its first frames gives.
const MIN_FPS = 5;
const MIN_SAMPLES_PER_S = 24000;

export const CHECKS = [
    'first Chromium participant joins the room through the demo page',
    'second Chromium participant joins the room through the demo page',
    'first participant decodes the second one\'s video (framesDecoded rises)',
    'first participant plays the second one\'s audio (totalSamplesReceived rises)',
    'second participant decodes the first one\'s video (framesDecoded rises)',
    'second participant plays the first one\'s audio (totalSamplesReceived rises)',
    'each participant\'s tile of the other shows a picture, not a blank frame',
    'when the second participant leaves, the first sees participant_left and its tile goes',
];

async function main() {
    const plan = new Plan(CHECKS);
    let browser;
    try {
        browser = await launchChromium();
        let a, b;
        try {
            a = await openParticipant(browser, baseUrl, {room, name: 'chromium-a', role: 'kiosk'});
            plan.report(true, `joined ${a.joinedAt - a.startedAt} ms after load`);
        } catch (e) {
            plan.report(false, e.message);
            throw e;
        }
        try {
            b = await openParticipant(browser, baseUrl, {room, name: 'chromium-b', role: 'specialist'});
            plan.report(true, `joined ${b.joinedAt - b.startedAt} ms after load`);
        } catch (e) {
            plan.report(false, e.message);
            throw e;
        }
        const idA = (await readStats(a.page)).participant;
        const idB = (await readStats(b.page)).participant;
        note(`participants: chromium-a=${idA} chromium-b=${idB}`);

        // Time to first frame: B's from loading its page (A was already publishing); A's from B's join.
        const firstFrame = (s, from) => total(s, 'video', 'framesDecoded', from) > 0;
        const callStart = Date.now();
        const [ttfB, ttfA] = await Promise.all([
            waitStats(b.page, (s) => firstFrame(s, idA), 20000),
            waitStats(a.page, (s) => firstFrame(s, idB), 20000),
        ]);
        const fromLoad = ttfB < 0 ? -1 : callStart + ttfB - b.startedAt;
        note(`time to first frame: chromium-b ${fromLoad} ms from page load (${ttfB} ms after its join ` +
            `completed); chromium-a ${ttfA} ms after chromium-b joined (-1: none within 20 s)`);
        console.log(`# metric ttff_ms_from_load=${fromLoad} ttff_ms_after_join=${ttfB}`);

        const before = {a: await readStats(a.page), b: await readStats(b.page)};
        const t0 = Date.now();
        await sleep(MEASURE_MS);
        const after = {a: await readStats(a.page), b: await readStats(b.page)};
        const secs = (Date.now() - t0) / 1000;
        const rise = (who, from, kind, field) =>
            (total(after[who], kind, field, from) - total(before[who], kind, field, from)) / secs;
        for (const [who, from, label] of [['a', idB, 'chromium-a'], ['b', idA, 'chromium-b']]) {
            const fps = rise(who, from, 'video', 'framesDecoded');
            const sps = rise(who, from, 'audio', 'totalSamplesReceived');
            const v = after[who].inbound.find((s) => s.kind === 'video' && s.participant === from) || {};
            note(`${label} receives: ${fps.toFixed(1)} fps decoded (${v.frameWidth}x${v.frameHeight}), ` +
                `${Math.round(sps)} audio samples/s, lost ${total(after[who], 'video', 'packetsLost', from)} video ` +
                `packets; okno at ${JSON.stringify(after[who].okno)}`);
            console.log(`# metric ${label}_fps=${fps.toFixed(1)} ${label}_audio_samples_per_s=${Math.round(sps)}`);
            if (fps < MIN_FPS) {
                const sender = who === 'a' ? 'b' : 'a';
                note(`${label}'s slow video: ` + explainSlowVideo({before: before[who], after: after[who]},
                    {before: before[sender], after: after[sender]}, from, secs));
            }
        }
        for (const [who, from] of [['a', idB], ['b', idA]]) {
            const fps = rise(who, from, 'video', 'framesDecoded');
            const sps = rise(who, from, 'audio', 'totalSamplesReceived');
            plan.report(fps >= MIN_FPS, `${fps.toFixed(1)} fps over ${secs.toFixed(1)} s, want >= ${MIN_FPS}`);
            plan.report(sps >= MIN_SAMPLES_PER_S, `${Math.round(sps)} samples/s, want >= ${MIN_SAMPLES_PER_S}`);
        }

        const picA = await videoShowsPicture(a.page, idB);
        const picB = await videoShowsPicture(b.page, idA);
        plan.report(picA.ok && picB.ok, `a sees ${JSON.stringify(picA)}, b sees ${JSON.stringify(picB)}`);

        await b.page.evaluate(() => window.okno.client.leave());
        await b.context.close();
        let gone = false;
        try {
            await a.page.waitForFunction((id) => !document.getElementById('tile-' + id), idB,
                {timeout: 10000, polling: 100});
            gone = true;
        } catch (e) {
            gone = false;
        }
        plan.report(gone, gone ? '' : 'tile still there after 10 s');
        const errors = (await readStats(a.page)).errors;
        if (errors.length)
            note(`chromium-a page errors: ${JSON.stringify(errors)}`);
    } catch (e) {
        note(`stopped early: ${e.message}`);
        plan.failRest('not reached: ' + e.message.split('\n')[0]);
    } finally {
        if (browser)
            await browser.close().catch(() => {});
    }
}

runBounded(main, 90000);
