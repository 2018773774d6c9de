// Driver of consent_idle.sh: a kiosk's subscriber connection that carries nothing must not be taken
// for a lost one. okno runs with [media] consent_timeout_s = TIMEOUT_S; a Chromium kiosk (a browser
// process of its own) and a specialist join one room. When the specialist leaves, the kiosk's
// subscriber connection has no active section: Chromium then sends okno no RTCP there, and its STUN
// consent checks end in libnice, so okno hears nothing on it. It must stay up for 3 x TIMEOUT_S (okno's
// log shows neither a drop of the kiosk nor its subscriber ICE failing), and a second specialist's
// video must reach the kiosk on it afterwards. Then the kiosk's browser process is killed: okno must
// still drop it (its WebSocket ends), within 10 s.
//
// Deliberately not here: starting okno (the shell script does); it only reads okno's log.
//
// usage: node consent_idle.mjs BASE_URL OKNO_LOG TIMEOUT_S

import {readFileSync} from 'node:fs';
import {launchChromium, launchChromiumServer, openParticipant, readStats, total, note, sleep, Plan, runBounded} from './browser_lib.mjs';

const [baseUrl, logPath, timeoutArg] = process.argv.slice(2);
const timeoutS = Number(timeoutArg);
const ROOM = 'consent-idle';
const IDLE_MS = 3 * timeoutS * 1000 + 500;

export const CHECKS = [
    'a Chromium kiosk and a specialist join; the kiosk decodes the specialist\'s video',
    `the specialist leaves; the kiosk's idle subscriber connection stays up for 3 x consent_timeout_s (${3 * timeoutS} s): no drop, no subscriber ICE failure in okno's log`,
    'a second specialist joins; the kiosk decodes its video on the same subscriber connection',
    'the kiosk\'s browser process is killed; okno drops the kiosk within 10 s',
];

const log = () => readFileSync(logPath, 'utf8');

// Lines of okno's log about participant id after offset (characters) into the log.
function linesAbout(id, from = 0) {
    return log().slice(from).split('\n').filter((l) => l.includes(` ${id} `) || l.includes(` ${id}:`));
}

async function waitVideoFrom(page, participant, ms) {
    const t0 = Date.now();
    while (Date.now() - t0 < ms) {
        const s = await readStats(page);
        if (total(s, 'video', 'framesDecoded', participant) > 0)
            return Date.now() - t0;
        await sleep(200);
    }
    return -1;
}

const participantOf = (page) => page.evaluate(() => window.okno.client.participant);

async function main() {
    const plan = new Plan(CHECKS);
    let kioskBrowser, others;
    try {
        // Both launches and joins at once: the steps that matter are timed, not these.
        let kioskServer;
        [{server: kioskServer, browser: kioskBrowser}, others] =
            await Promise.all([launchChromiumServer(), launchChromium()]);
        const [kiosk, spec] = await Promise.all([
            openParticipant(kioskBrowser, baseUrl, {room: ROOM, name: 'kiosk', role: 'kiosk'}),
            openParticipant(others, baseUrl, {room: ROOM, name: 'spec', role: 'specialist'}),
        ]);
        const kioskId = await participantOf(kiosk.page);
        const specId = await participantOf(spec.page);
        const first = await waitVideoFrom(kiosk.page, specId, 15000);
        plan.report(first >= 0, `kiosk ${kioskId}, specialist ${specId}, first frame after ${first} ms`);
        if (first < 0)
            throw new Error('no video from the specialist');

        // Read the log's length first: okno may log the specialist's leave before close() returns.
        const idleFrom = log().length;
        await spec.context.close();
        const t0 = Date.now();
        await sleep(IDLE_MS);
        const bad = linesAbout(kioskId, idleFrom).filter((l) =>
            / dropped| left|subscriber connection ICE failed/.test(l));
        const state = await kiosk.page.evaluate(() => ({errors: window.okno.errors.length}));
        const heldLine = linesAbout(specId, idleFrom).some((l) => / left/.test(l));
        note(`idle for ${Date.now() - t0} ms after the specialist left (left logged: ${heldLine})`);
        bad.forEach((l) => note(`okno: ${l}`));
        plan.report(bad.length === 0 && state.errors === 0 && heldLine,
            `${bad.length} drop/failure lines about ${kioskId}, ${state.errors} page errors`);

        const spec2 = await openParticipant(others, baseUrl, {room: ROOM, name: 'spec2', role: 'specialist'});
        const spec2Id = await participantOf(spec2.page);
        const second = await waitVideoFrom(kiosk.page, spec2Id, 15000);
        plan.report(second >= 0, `specialist ${spec2Id}, first frame after ${second} ms`);

        const killFrom = log().length;
        const killedAt = Date.now();
        kioskServer.process().kill('SIGKILL');
        kioskBrowser = null;
        let gone = -1;
        while (Date.now() - killedAt < 10000) {
            if (linesAbout(kioskId, killFrom).some((l) => / left| dropped/.test(l))) {
                gone = Date.now() - killedAt;
                break;
            }
            await sleep(100);
        }
        console.log(`# metric idle_kept_ms=${IDLE_MS} killed_kiosk_gone_ms=${gone}`);
        plan.report(gone >= 0, `gone after ${gone} ms`);
        await spec2.context.close();
    } catch (e) {
        note(`stopped early: ${e.message}`);
        plan.failRest('not reached: ' + e.message.split('\n')[0]);
    } finally {
        if (kioskBrowser)
            await kioskBrowser.close().catch(() => {});
        if (others)
            await others.close().catch(() => {});
    }
}

runBounded(main, 55000);
