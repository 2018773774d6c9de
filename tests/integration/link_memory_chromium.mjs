// Driver of link_memory_chromium.sh: does Chromium start its publisher's send-side estimate where
// okno's answer asks (x-google-start-bitrate, from okno's link memory)? Two headless Chromium
// participants join from 127.0.0.1, each alone in its room: a kiosk, whose links okno remembers (the
// shell script made an okno-bench kiosk call over the edge profile first), and a specialist, whom
// okno has never seen. Alone, each is capped by okno's REMB at 300 kbit/s (nobody receives its
// video); in one room each would be capped at the other's downlink budget, and the kiosk's
// remembered downlink would cap the specialist. From before each page loads, a script in the page samples its publisher connection every
// 20 ms: the selected candidate pair's availableOutgoingBitrate (Chromium's estimate) from its first
// value on. Chromium's own start is 300 kbit/s; its first probes raise it within a few hundred ms,
// so the lowest value of the first 3 s is the start. Figures are printed as TAP comments.
//
// usage: node link_memory_chromium.mjs BASE_URL EXPECTED_START_KBPS

import {launchChromium, note, sleep, Plan, runBounded} from './browser_lib.mjs';

const [baseUrl, startArg] = process.argv.slice(2);
const expectedKbps = Number(startArg);
const CHROMIUM_START_KBPS = 300;
const WATCH_MS = 3000;

export const CHECKS = [
    'a Chromium kiosk and a Chromium specialist join rooms of their own from 127.0.0.1',
    `the kiosk's publisher estimate starts at the answer's start (${expectedKbps} kbit/s, +-15 %)`,
    `the specialist's starts at Chromium's own ${CHROMIUM_START_KBPS} kbit/s (no memory of it)`,
];

// Runs in the page from its first script on: samples the publisher's estimate into
// window.__avail (bit/s, in order) for WATCH_MS after the first value.
function sampler(watchMs) {
    window.__avail = [];
    let first = 0;
    const tick = async () => {
        const client = window.okno && window.okno.client;
        if (client) {
            try {
                const report = (await client.getStats()).publisher;
                if (report) {
                    let selected = null, value;
                    report.forEach((s) => {
                        if (s.type === 'transport' && s.selectedCandidatePairId)
                            selected = s.selectedCandidatePairId;
                    });
                    report.forEach((s) => {
                        if (s.type === 'candidate-pair' && (s.id === selected || (!selected && s.nominated)) &&
                            s.availableOutgoingBitrate !== undefined)
                            value = s.availableOutgoingBitrate;
                    });
                    if (value !== undefined) {
                        first = first || Date.now();
                        window.__avail.push(value);
                    }
                }
            } catch (e) { /* the connection is not up yet */ }
        }
        if (!first || Date.now() - first < watchMs)
            setTimeout(tick, 20);
    };
    setTimeout(tick, 20);
}

async function open(browser, room, name, role) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.addInitScript(sampler, WATCH_MS);
    await page.goto(`${baseUrl}/index.html?room=${room}&name=${name}&role=${role}`, {timeout: 20000});
    await page.waitForFunction(() => window.okno && (window.okno.joined || window.okno.errors.length > 0),
        null, {timeout: 20000, polling: 100});
    return {context, page};
}

async function lowest(p) {
    await p.page.waitForFunction((ms) => window.__avail && window.__avail.length > 0, WATCH_MS, {timeout: 15000});
    await sleep(WATCH_MS + 200);
    const avail = await p.page.evaluate(() => window.__avail);
    return {min: Math.min(...avail), n: avail.length, first: avail[0], last: avail[avail.length - 1]};
}

async function main() {
    const plan = new Plan(CHECKS);
    let browser;
    try {
        browser = await launchChromium();
        let kiosk, specialist;
        try {
            kiosk = await open(browser, 'linkmem-kiosk', 'Kiosk', 'kiosk');
            specialist = await open(browser, 'linkmem-specialist', 'Specialist', 'specialist');
            plan.report(true, 'both joined');
        } catch (e) {
            plan.report(false, e.message);
            throw e;
        }
        const [k, s] = await Promise.all([lowest(kiosk), lowest(specialist)]);
        const kb = (v) => Math.round(v / 1000);
        note(`kiosk: ${k.n} samples, first ${kb(k.first)}, lowest ${kb(k.min)}, last ${kb(k.last)} kbit/s`);
        note(`specialist: ${s.n} samples, first ${kb(s.first)}, lowest ${kb(s.min)}, last ${kb(s.last)} kbit/s`);
        console.log(`# metric kiosk_start_kbps=${kb(k.min)} specialist_start_kbps=${kb(s.min)}`);
        plan.report(Math.abs(k.min / 1000 - expectedKbps) <= expectedKbps * 0.15,
            `lowest ${kb(k.min)} kbit/s, want ${expectedKbps} +- 15 %`);
        plan.report(Math.abs(s.min / 1000 - CHROMIUM_START_KBPS) <= CHROMIUM_START_KBPS * 0.15,
            `lowest ${kb(s.min)} kbit/s, want ${CHROMIUM_START_KBPS} +- 15 %`);
    } catch (e) {
        note(`stopped early: ${e.message}`);
        plan.failRest('not reached: ' + e.message.split('\n')[0]);
    } finally {
        if (browser)
            await browser.close().catch(() => {});
    }
}

runBounded(main, 50000);
