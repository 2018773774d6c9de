// Driver of ice_restart.sh: two headless Chromium participants in one okno room through the demo page;
// once each decodes the other's video, the first calls window.okno.client.restartIce() (pc.restartIce()
// and a new publish on its publisher connection, a `restart` request on its subscriber connection).
// Both must keep decoding each other's video afterwards, the first's local descriptions must carry new
// ICE credentials, both connections must be connected again, and nobody may see participant_left.
// Prints its checks for browser_lib.bash and the measured numbers as TAP comments.
//
// Deliberately not here: starting okno or reading its log (the shell script does), and breaking the
// network for real; the restart is asked for, as the client does after a network change.
//
// usage: node ice_restart.mjs BASE_URL ROOM

import {launchChromium, openParticipant, readStats, total, waitStats, note, sleep, Plan, runBounded}
    from './browser_lib.mjs';

const [baseUrl, room] = process.argv.slice(2);
const MEASURE_MS = 3000;
const MIN_FPS = 5;

export const CHECKS = [
    'both Chromium participants join the room through the demo page',
    'before the restart each decodes the other\'s video',
    'restartIce() on the first participant completes without errors',
    'the first participant\'s publisher and subscriber descriptions carry new ice-ufrag values',
    'both of the first participant\'s connections are ICE-connected again after the restart',
    'after the restart the first participant keeps decoding the second one\'s video',
    'after the restart the second participant keeps decoding the first one\'s video',
    'no participant_left was seen by either participant',
];

// Watches participant_left on the page's client from now on.
async function watchLeft(page) {
    await page.evaluate(() => {
        window.__left = [];
        window.okno.client.addEventListener('participant_left', (e) => window.__left.push(e.detail.participant));
    });
}

async function ufrags(page) {
    return page.evaluate(() => {
        const c = window.okno.client;
        const of = (pc) => {
            const m = pc && pc.localDescription && /a=ice-ufrag:(\S+)/.exec(pc.localDescription.sdp);
            return m ? m[1] : null;
        };
        return {publisher: of(c._pub), subscriber: of(c._sub)};
    });
}

async function fpsFrom(page, from) {
    const before = await readStats(page);
    const t0 = Date.now();
    await sleep(MEASURE_MS);
    const after = await readStats(page);
    const secs = (Date.now() - t0) / 1000;
    return (total(after, 'video', 'framesDecoded', from) - total(before, 'video', 'framesDecoded', from)) / secs;
}

async function main() {
    const plan = new Plan(CHECKS);
    let browser;
    try {
        browser = await launchChromium();
        const a = await openParticipant(browser, baseUrl, {room, name: 'restart-a', role: 'kiosk'});
        const b = await openParticipant(browser, baseUrl, {room, name: 'restart-b', role: 'specialist'});
        await watchLeft(a.page);
        await watchLeft(b.page);
        const idA = (await readStats(a.page)).participant;
        const idB = (await readStats(b.page)).participant;
        plan.report(true, `restart-a=${idA} restart-b=${idB}`);

        const firstFrame = (s, from) => total(s, 'video', 'framesDecoded', from) > 0;
        const [ttfB, ttfA] = await Promise.all([
            waitStats(b.page, (s) => firstFrame(s, idA), 20000),
            waitStats(a.page, (s) => firstFrame(s, idB), 20000),
        ]);
        plan.report(ttfA >= 0 && ttfB >= 0, `first frames after ${ttfA} ms (a) and ${ttfB} ms (b)`);

        const old = await ufrags(a.page);
        const restart = await a.page.evaluate(async () => {
            const errors = window.okno.errors.length;
            const t0 = performance.now();
            await window.okno.client.restartIce();
            return {ms: Math.round(performance.now() - t0), errors: window.okno.errors.slice(errors)};
        });
        plan.report(restart.errors.length === 0,
            `${restart.ms} ms; errors ${JSON.stringify(restart.errors)}`);

        // The subscriber's new answer is written once okno's new offer arrived after the ack.
        let now = await ufrags(a.page);
        for (let i = 0; i < 50 && now.subscriber === old.subscriber; i++) {
            await sleep(100);
            now = await ufrags(a.page);
        }
        plan.report(now.publisher && now.subscriber && now.publisher !== old.publisher &&
            now.subscriber !== old.subscriber, `before ${JSON.stringify(old)}, after ${JSON.stringify(now)}`);

        let states = {};
        const t0 = Date.now();
        while (Date.now() - t0 < 15000) {
            states = await a.page.evaluate(() => ({
                publisher: window.okno.client._pub.iceConnectionState,
                subscriber: window.okno.client._sub.iceConnectionState,
            }));
            const up = (s) => s === 'connected' || s === 'completed';
            if (up(states.publisher) && up(states.subscriber))
                break;
            await sleep(100);
        }
        const up = (s) => s === 'connected' || s === 'completed';
        plan.report(up(states.publisher) && up(states.subscriber),
            `${JSON.stringify(states)} ${Date.now() - t0} ms after the restart completed`);

        const [fpsA, fpsB] = await Promise.all([fpsFrom(a.page, idB), fpsFrom(b.page, idA)]);
        console.log(`# metric after_restart_a_fps=${fpsA.toFixed(1)} after_restart_b_fps=${fpsB.toFixed(1)}`);
        plan.report(fpsA >= MIN_FPS, `${fpsA.toFixed(1)} fps, want >= ${MIN_FPS}`);
        plan.report(fpsB >= MIN_FPS, `${fpsB.toFixed(1)} fps, want >= ${MIN_FPS}`);

        const left = {
            a: await a.page.evaluate(() => window.__left),
            b: await b.page.evaluate(() => window.__left),
        };
        plan.report(left.a.length === 0 && left.b.length === 0, `seen: ${JSON.stringify(left)}`);
    } catch (e) {
        note(`stopped early: ${e.message}`);
        plan.failRest('not reached: ' + e.message.split('\n')[0]);
    } finally {
        if (browser)
            await browser.close().catch(() => {});
    }
}

runBounded(main, 90000);
