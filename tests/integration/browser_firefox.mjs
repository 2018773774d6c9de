// Driver of browser_firefox.sh: a headless Firefox (fake devices, the profile the script prepared) and
// a headless Chromium join one okno room through the demo page; each must decode the other's video and
// play the other's audio. Firefox has no automation protocol here, so its page reports its inbound-rtp
// statistics (the demo page's ?report=URL hook) to a collector this driver runs on 127.0.0.1.
//
// Deliberately not here: writing the Firefox profile (the script does, where it is easy to read), and
// starting or judging okno.
//
// usage: node browser_firefox.mjs BASE_URL ROOM FIREFOX_PROFILE_DIR FIREFOX_BINARY

import {spawn} from 'node:child_process';
import http from 'node:http';
import {launchChromium, openParticipant, readStats, total, note, sleep, Plan, runBounded} from './browser_lib.mjs';

const [baseUrl, room, profile, firefoxBin] = process.argv.slice(2);
const MEASURE_MS = 4000;
const MIN_FPS = 5;
const MIN_SAMPLES_PER_S = 24000;

const CHECKS = [
    'Chromium participant joins the room',
    'Firefox participant joins the same room (its page reports joined)',
    'Firefox decodes Chromium\'s video (framesDecoded rises)',
    'Firefox plays Chromium\'s audio (totalSamplesReceived rises)',
    'Chromium decodes Firefox\'s video (framesDecoded rises)',
    'Chromium plays Firefox\'s audio (totalSamplesReceived rises)',
];

// Collects the Firefox page's reports; keeps the latest and when each arrived.
function startCollector() {
    const state = {latest: null, count: 0};
    const server = http.createServer((req, res) => {
        let body = '';
        req.setEncoding('utf8');
        req.on('data', (chunk) => {
            body += chunk;
        });
        req.on('end', () => {
            try {
                state.latest = JSON.parse(body);
                state.latest.receivedAt = Date.now();
                state.count++;
            } catch (e) {
                note(`collector: unreadable report: ${body.slice(0, 120)}`);
            }
            res.writeHead(204);
            res.end();
        });
    });
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({server, state})));
}

async function waitFor(pred, timeoutMs) {
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
        if (pred())
            return true;
        await sleep(100);
    }
    return false;
}

// A report newer than `since`, once one arrives (bounded).
async function freshReport(state, since, timeoutMs = 5000) {
    await waitFor(() => state.latest && state.latest.receivedAt > since, timeoutMs);
    return state.latest;
}

async function main() {
    const plan = new Plan(CHECKS);
    let browser, firefox, collector;
    try {
        collector = await startCollector();
        const reportUrl = `http://127.0.0.1:${collector.server.address().port}/report`;
        browser = await launchChromium();
        let c;
        try {
            c = await openParticipant(browser, baseUrl, {room, name: 'chromium', role: 'specialist'});
            plan.report(true);
        } catch (e) {
            plan.report(false, e.message);
            throw e;
        }
        const idC = (await readStats(c.page)).participant;

        const url = `${baseUrl}/index.html?room=${encodeURIComponent(room)}&name=firefox&role=kiosk` +
            `&report=${encodeURIComponent(reportUrl)}`;
        const startedAt = Date.now();
        firefox = spawn(firefoxBin, ['--headless', '--no-remote', '--profile', profile, url],
            {stdio: ['ignore', 'ignore', 'ignore'], env: {...process.env, MOZ_HEADLESS: '1'}});
        const state = collector.state;
        const joined = await waitFor(() => state.latest && state.latest.joined, 40000);
        if (!joined) {
            plan.report(false, `no joined report within 40 s; ${state.count} reports, last ` +
                JSON.stringify(state.latest));
            throw new Error('Firefox did not join');
        }
        const idF = state.latest.participant;
        plan.report(true, `joined ${state.latest.receivedAt - startedAt} ms after start, as ${idF}`);

        const ffFrames = (r) => r.inbound.filter((s) => s.kind === 'video' && s.participant === idC)
            .reduce((n, s) => n + s.framesDecoded, 0);
        const ffSamples = (r) => r.inbound.filter((s) => s.kind === 'audio' && s.participant === idC)
            .reduce((n, s) => n + s.totalSamplesReceived, 0);
        const firstFf = await waitFor(() => state.latest && ffFrames(state.latest) > 0, 20000);
        note(`time to first frame in Firefox: ${firstFf ? state.latest.receivedAt - startedAt : -1} ms ` +
            'from start (at report granularity, 1 s)');
        console.log(`# metric firefox_ttff_ms_from_start=${firstFf ? state.latest.receivedAt - startedAt : -1}`);
        await sleep(500);
        const r0 = await freshReport(state, Date.now());
        const c0 = await readStats(c.page);
        const t0 = Date.now();
        await sleep(MEASURE_MS);
        const r1 = await freshReport(state, Date.now());
        const c1 = await readStats(c.page);
        const secs = (Date.now() - t0) / 1000;
        const rsecs = Math.max(0.5, (r1.receivedAt - r0.receivedAt) / 1000);
        const ffFps = (ffFrames(r1) - ffFrames(r0)) / rsecs;
        const ffSps = (ffSamples(r1) - ffSamples(r0)) / rsecs;
        const cFps = (total(c1, 'video', 'framesDecoded', idF) - total(c0, 'video', 'framesDecoded', idF)) / secs;
        const cSps = (total(c1, 'audio', 'totalSamplesReceived', idF) -
            total(c0, 'audio', 'totalSamplesReceived', idF)) / secs;
        note(`Firefox receives ${ffFps.toFixed(1)} fps, ${Math.round(ffSps)} samples/s; inbound ` +
            `${JSON.stringify(r1.inbound)}; ICE pairs ${JSON.stringify(r1.pairs)}`);
        note(`Chromium receives ${cFps.toFixed(1)} fps, ${Math.round(cSps)} samples/s; inbound ` +
            JSON.stringify(c1.inbound.map(({kind, participant, framesDecoded, packetsReceived, packetsLost, frameWidth}) =>
                ({kind, participant, framesDecoded, packetsReceived, packetsLost, frameWidth}))));
        console.log(`# metric firefox_fps=${ffFps.toFixed(1)} chromium_from_firefox_fps=${cFps.toFixed(1)}`);
        plan.report(ffFps >= MIN_FPS, `${ffFps.toFixed(1)} fps, want >= ${MIN_FPS}`);
        plan.report(ffSps >= MIN_SAMPLES_PER_S, `${Math.round(ffSps)} samples/s, want >= ${MIN_SAMPLES_PER_S}`);
        plan.report(cFps >= MIN_FPS, `${cFps.toFixed(1)} fps, want >= ${MIN_FPS}`);
        plan.report(cSps >= MIN_SAMPLES_PER_S, `${Math.round(cSps)} samples/s, want >= ${MIN_SAMPLES_PER_S}`);
        if (r1.errors && r1.errors.length)
            note(`Firefox page errors: ${JSON.stringify(r1.errors)}`);
    } catch (e) {
        note(`stopped early: ${e.message}`);
        plan.failRest('not reached: ' + e.message.split('\n')[0]);
    } finally {
        if (firefox && firefox.exitCode === null) {
            firefox.kill('SIGTERM');
            await waitFor(() => firefox.exitCode !== null || firefox.signalCode !== null, 5000);
            if (firefox.exitCode === null && firefox.signalCode === null)
                firefox.kill('SIGKILL');
        }
        if (browser)
            await browser.close().catch(() => {});
        if (collector)
            collector.server.close();
    }
}

runBounded(main, 100000);
