#!/usr/bin/env node
// Inspector benchmark (issue 7): time from "Decode" to the full packet table for a generated
// 100 000-frame pcap in headless Chromium, next to tshark decoding the same file natively, in
// the same run. Run `make bench-inspector` (builds www/, installs chromium/tshark if missing).
//
//   node bench/inspector.mjs [FRAMES=100000] [RUNS=5]
//
// Chromium: the page is loaded and the file opened once (its first decode is reported apart as
// "cold"); then Decode is clicked RUNS times and each time measured in the page from the click to
// the first animation frame after the table is rendered (rows, counts, first packet selected).
// After each click, tshark runs on the same file with the same key (interleaved: same load):
//   - `tshark -r FILE -o tacplus.key:KEY`        one summary line per frame (its packet list)
//   - `tshark -r FILE -o tacplus.key:KEY -V`     every field of every frame, de-obfuscated
// Medians are reported, and ratios tshark / inspector (> 1: the inspector is faster).
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, FLAGS, serve } from '../tests/browser/lib.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const [framesArg = '100000', runsArg = '5'] = process.argv.slice(2);
const RUNS = Number(runsArg);
const KEY = 'bench-key';
const OUT = join(ROOT, 'tests/browser/artifacts');
mkdirSync(OUT, { recursive: true });
const FILE = join(OUT, `bench-${framesArg}.pcap`);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(0)} ms`;

const gen = JSON.parse(execFileSync(process.execPath, [join(ROOT, 'tests/browser/gen-pcap.mjs'), FILE, framesArg, KEY], { encoding: 'utf8' }));
const size = statSync(FILE).size;

const devnull = openSync('/dev/null', 'w');
/** One tshark run, output to /dev/null (tshark's own work, not a pipe into this script). */
function tshark(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('tshark', ['-r', FILE, '-o', `tacplus.key:${KEY}`, ...args], { stdio: ['ignore', devnull, 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
const tsharkList = { times: [] };
const tsharkFull = { times: [] };

const server = await serve(join(ROOT, 'www'));
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
let web;
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready=true]', { timeout: 60_000 });
  await page.uncheck('#live');
  await page.fill('#keys', KEY);
  await page.setInputFiles('#file', { name: 'bench.pcap', mimeType: 'application/octet-stream', buffer: readFileSync(FILE) });
  await page.waitForFunction(() => document.getElementById('progress-box').dataset.state === 'done', null, { timeout: 300_000 });
  const cold = Number(await page.getAttribute('#progress-box', 'data-ms'));
  const rows = Number(await page.getAttribute('#list', 'aria-rowcount')) - 1;
  if (rows !== gen.pdus) throw new Error(`the table has ${rows} rows, the pcap ${gen.pdus} PDUs`);
  const times = [];
  const analyse = [];
  for (let i = 0; i < RUNS; i++) {
    const t = await page.evaluate(() => new Promise((resolve) => {
      const prev = document.body.dataset.decoded;
      const obs = new MutationObserver(() => {
        if (document.body.dataset.decoded === prev) return;
        obs.disconnect();
        const end = () => resolve(performance.now() - t0);
        requestAnimationFrame(() => setTimeout(end, 0)); // the frame that shows the table
      });
      obs.observe(document.body, { attributes: true, attributeFilter: ['data-decoded'] });
      const t0 = performance.now();
      document.getElementById('decode').click();
    }));
    times.push(t);
    analyse.push(Number(await page.getAttribute('#progress-box', 'data-analyse-ms')));
    // tshark right after, so both see the same machine load (the CPU is shared)
    tsharkList.times.push(tshark([]));
    tsharkFull.times.push(tshark(['-V']));
  }
  web = { median: median(times), times, cold, analyse: median(analyse), rows };
} finally {
  await browser.close();
  await server.stop();
}

closeSync(devnull);
tsharkList.median = median(tsharkList.times);
tsharkFull.median = median(tsharkFull.times);
const version = execFileSync('tshark', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0];
const chromeVersion = execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();

console.log(`\nInspector benchmark — ${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0].model}, load ${loadavg()[0].toFixed(1)}`);
console.log(`${chromeVersion}; ${version}`);
console.log(`file: ${gen.frames} frames, ${gen.pdus} PDUs, ${gen.sessions} sessions, ${gen.connections} connections, ${size} bytes (key "${KEY}")\n`);
console.log('| what | median of ' + RUNS + ' | runs | ratio tshark / inspector |');
console.log('|---|---:|---|---:|');
console.log(`| inspector: Decode → full table (Chromium, Web Worker + wasm) | **${ms(web.median)}** | ${web.times.map(ms).join(', ')} | – |`);
console.log(`| … of which capture::analyze in the worker | ${ms(web.analyse)} | | |`);
console.log(`| inspector: first decode after opening the file (cold) | ${ms(web.cold)} | | |`);
console.log(`| tshark packet list (\`-o tacplus.key\`) | ${ms(tsharkList.median)} | ${tsharkList.times.map(ms).join(', ')} | **${(tsharkList.median / web.median).toFixed(2)}×** |`);
console.log(`| tshark full decode (\`-V\`) | ${ms(tsharkFull.median)} | ${tsharkFull.times.map(ms).join(', ')} | **${(tsharkFull.median / web.median).toFixed(2)}×** |`);
