// The README's pictures (docs/img/*.png), rendered one way for both their users:
// `make screenshots` (tests/docs/screenshots.mjs) writes them, and `make test-docs`
// (tests/docs/screenshots.test.mjs) renders the same views again and fails when a committed
// picture no longer matches, so a picture cannot go stale silently.
//
// The rendering is made deterministic: a fixed viewport at device scale 1, colour scheme,
// locale and time zone set, reduced motion, CSS animations and transitions stopped and the
// text caret hidden at capture, web fonts settled (`document.fonts.ready`) before it. Both
// pages name only system font families (system-ui, ui-monospace, …) which fontconfig resolves
// to the fonts Debian Chromium's dependencies install (DejaVu); `fontsUsed` reports which
// ones a page really used, so a machine with other fonts fails with that said.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, FLAGS, serve } from '../browser/lib.mjs';
import { ROOT } from './lib.mjs';

export const OUT = join(ROOT, 'docs/img');
const SERVICE = 'http://127.0.0.1:9000/app';

/** The pictures: file name in docs/img, which page, colour scheme. */
export const VIEWS = [
  { file: 'login.png', page: 'login', colorScheme: 'light' },
  { file: 'login-dark.png', page: 'login', colorScheme: 'dark' },
  { file: 'inspector.png', page: 'inspector', colorScheme: 'light' },
  { file: 'inspector-dark.png', page: 'inspector', colorScheme: 'dark' },
];

/** The font families the pictures are drawn with (what fontconfig gives system-ui and ui-monospace on Debian). */
export const FONTS = ['DejaVu Sans', 'DejaVu Sans Mono'];

const VIEWPORT = { login: { width: 720, height: 560 }, inspector: { width: 1280, height: 900 } };

/** `wrangler dev` of the CAS Worker (development configuration) on a port it picks, with fresh state: {origin, stop()}. */
export async function wrangler() {
  const state = mkdtempSync(join(tmpdir(), 'casplus-shots-'));
  const child = spawn(join(ROOT, 'node_modules/.bin/wrangler'), ['dev', '-c', 'wrangler.toml', '-c', 'worker/aaa/wrangler.toml',
    '--ip', '127.0.0.1', '--port', '0', '--persist-to', state], {
    cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_SEND_ERROR_REPORTS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true' },
  });
  let log = '';
  const stop = () => new Promise((resolve) => {
    const done = () => { rmSync(state, { recursive: true, force: true }); resolve(); };
    if (child.exitCode !== null || child.signalCode !== null) { done(); return; }
    child.once('exit', done);
    process.kill(-child.pid, 'SIGTERM');
  });
  try {
    const origin = await new Promise((resolve, reject) => {
      const seen = (d) => {
        log += d;
        const m = /Ready on https?:\/\/127\.0\.0\.1:(\d+)/.exec(log);
        if (m) resolve(`http://127.0.0.1:${m[1]}`);
      };
      child.stdout.on('data', seen);
      child.stderr.on('data', seen);
      child.once('exit', (code) => reject(new Error(`wrangler dev exited (${code}):\n${log}`)));
    });
    // "Ready" comes before the Worker answers: wait for the first real answer.
    for (;;) {
      try { if ((await fetch(`${origin}/cas/login`)).status === 200) break; } catch { /* not yet */ }
      if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return { origin, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * Starts what the views need: the CAS Worker under `wrangler dev`, the inspector's static
 * server, one Chromium. Resolves {render(view) → PNG Buffer, browser, close()}.
 */
export async function start() {
  const cas = await wrangler();
  let www;
  let browser;
  const close = async () => {
    await browser?.close();
    await www?.stop();
    await cas.stop();
  };
  try {
    www = await serve(join(ROOT, 'www'));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  } catch (e) {
    await close();
    throw e;
  }
  const render = async (view) => {
    const context = await browser.newContext({
      viewport: VIEWPORT[view.page], deviceScaleFactor: 1, colorScheme: view.colorScheme,
      reducedMotion: 'reduce', locale: 'en-US', timezoneId: 'UTC',
    });
    try {
      const page = await context.newPage();
      if (view.page === 'login') await loginPage(page, cas.origin);
      else await inspector(page, www.url);
      await page.evaluate(() => document.fonts.ready.then(() => undefined));
      const png = await page.screenshot({ fullPage: view.page === 'inspector', animations: 'disabled', caret: 'hide' });
      return { png, fonts: await fontsUsed(page) };
    } finally {
      await context.close();
    }
  };
  return { render, browser, close };
}

async function loginPage(page, origin) {
  const res = await page.goto(`${origin}/cas/login?service=${encodeURIComponent(SERVICE)}`);
  if (res.status() !== 200) throw new Error(`login page: HTTP ${res.status()}`);
  await page.fill('#username', 'casuser');
}

async function inspector(page, url) {
  await page.goto(url);
  await page.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
  await page.selectOption('#example', 'login');
  await page.waitForSelector('#flow .steps li');
  await page.click('#rows .row >> nth=2');
  await page.waitForFunction(() => /user_msg/.test(document.getElementById('tree').textContent));
  await page.click('#tree .node:has(.k:text-is("user_msg"))');
  await page.evaluate(() => window.scrollTo(0, 0));
}

/** The platform fonts the page's text was drawn with (DevTools CSS.getPlatformFontsForNode), sorted. */
async function fontsUsed(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('DOM.enable');
  await cdp.send('CSS.enable');
  const { root } = await cdp.send('DOM.getDocument', { depth: -1 });
  const { nodeIds } = await cdp.send('DOM.querySelectorAll', { nodeId: root.nodeId, selector: 'body *' });
  const fonts = new Set();
  for (const nodeId of nodeIds) {
    const { fonts: used } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
    for (const f of used) fonts.add(f.familyName);
  }
  await cdp.detach();
  return [...fonts].sort();
}

/**
 * Compares two PNGs pixel by pixel on a canvas in a Chromium page: the share of pixels where
 * a channel (R, G, B or A) differs by more than `delta` (out of 255; antialiasing noise stays
 * under it). Resolves {same, ratio, differing, size: [w, h], other: [w, h]}; pictures of
 * different sizes differ entirely (ratio 1).
 */
export async function comparePng(browser, a, b, { delta = 24, maxRatio = 0.005 } = {}) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const r = await page.evaluate(async ([a64, b64, delta]) => {
      const pixels = async (b64) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }),
          { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
        const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
        const ctx = canvas.getContext('2d', { willReadFrequently: true });
        ctx.drawImage(bitmap, 0, 0);
        return { w: bitmap.width, h: bitmap.height, data: ctx.getImageData(0, 0, bitmap.width, bitmap.height).data };
      };
      const [p, q] = [await pixels(a64), await pixels(b64)];
      if (p.w !== q.w || p.h !== q.h) return { differing: p.w * p.h, total: p.w * p.h, size: [p.w, p.h], other: [q.w, q.h] };
      let differing = 0;
      for (let i = 0; i < p.data.length; i += 4) {
        for (let c = 0; c < 4; c++) {
          if (Math.abs(p.data[i + c] - q.data[i + c]) > delta) { differing++; break; }
        }
      }
      return { differing, total: p.w * p.h, size: [p.w, p.h], other: [q.w, q.h] };
    }, [a.toString('base64'), b.toString('base64'), delta]);
    const sameSize = r.size[0] === r.other[0] && r.size[1] === r.other[1];
    const ratio = sameSize ? r.differing / r.total : 1;
    return { same: sameSize && ratio <= maxRatio, ratio, differing: r.differing, size: r.size, other: r.other };
  } finally {
    await context.close();
  }
}
