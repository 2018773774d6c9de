// Watcher of hostile_input.sh: two headless Chromium participants in one okno room, receiving each
// other, while the script attacks okno. Reports one check (the call is up with media both ways), then
// appends a status line every 500 ms to STATUS_FILE: per participant the decoded frames and audio
// samples from the other, the participants it knows, and okno's media addresses (remote candidates).
// When STOP_FILE appears, both leave (so okno logs their drop counters) and the driver ends. Chromium
// may start before okno: the participants join once BASE_URL answers (within 30 s).
//
// Deliberately not here: the attacks and their judgement (hostile_input.py, hostile_input.sh).
//
// usage: node hostile_input.mjs BASE_URL ROOM STATUS_FILE STOP_FILE

import {appendFileSync, existsSync} from 'node:fs';
import {launchChromium, openParticipant, readStats, total, waitStats, note, sleep, Plan, runBounded} from './browser_lib.mjs';

const [baseUrl, room, statusFile, stopFile] = process.argv.slice(2);
const LIMIT_MS = 150000;

async function main() {
    const plan = new Plan(['two Chromium participants join and receive each other\'s video and audio before the attacks']);
    let browser;
    const t0 = Date.now();
    try {
        browser = await launchChromium();
        const up = Date.now() + 30000;
        while (!(await fetch(`${baseUrl}/index.html`).then((r) => r.ok, () => false)) && Date.now() < up)
            await sleep(100);
        const [a, b] = await Promise.all([
            openParticipant(browser, baseUrl, {room, name: 'watcher-a', role: 'kiosk'}),
            openParticipant(browser, baseUrl, {room, name: 'watcher-b', role: 'specialist'}),
        ]);
        const idA = (await readStats(a.page)).participant;
        const idB = (await readStats(b.page)).participant;
        const flowing = (from) => (s) => total(s, 'video', 'framesDecoded', from) > 10 &&
            total(s, 'audio', 'totalSamplesReceived', from) > 0;
        const [ta, tb] = await Promise.all([waitStats(a.page, flowing(idB), 25000), waitStats(b.page, flowing(idA), 25000)]);
        if (!plan.report(ta >= 0 && tb >= 0, `media after ${ta} and ${tb} ms; ${idA} and ${idB}`))
            return;
        console.log(`# participants ${idA} ${idB}`);
        while (!existsSync(stopFile) && Date.now() - t0 < LIMIT_MS - 15000) {
            const [sa, sb] = await Promise.all([readStats(a.page), readStats(b.page)]);
            const who = (page) => page.evaluate(() => [...window.okno.client.participants.keys()]);
            const line = {
                t: Date.now(),
                ids: {a: idA, b: idB},
                a: {frames: total(sa, 'video', 'framesDecoded', idB), samples: total(sa, 'audio', 'totalSamplesReceived', idB),
                    participants: await who(a.page), errors: sa.errors.length},
                b: {frames: total(sb, 'video', 'framesDecoded', idA), samples: total(sb, 'audio', 'totalSamplesReceived', idA),
                    participants: await who(b.page), errors: sb.errors.length},
                okno: [...sa.okno, ...sb.okno],
            };
            appendFileSync(statusFile, JSON.stringify(line) + '\n');
            await sleep(500);
        }
        for (const p of [a, b])
            await p.page.evaluate(() => window.okno.client.leave()).catch(() => {});
        await sleep(1000);
    } catch (e) {
        note(`stopped early: ${e.message}`);
        plan.failRest('not reached: ' + e.message.split('\n')[0]);
    } finally {
        if (browser)
            await browser.close().catch(() => {});
    }
}

runBounded(main, LIMIT_MS);
