// `make screenshots`: the pictures of README.md, made by the browser-test machinery so they are
// redone, not redrawn, when the pages change. Writes docs/img/login.png and login-dark.png (the
// CAS login page of `wrangler dev` with the development configuration) and docs/img/
// inspector.png and inspector-dark.png (the packet inspector with the "login" example decoded,
// one PDU opened). Needs the built Worker (`make build-worker`) and page (`make www`).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, serve } from '../browser/lib.mjs';
import { ROOT } from './lib.mjs';

const OUT = join(ROOT, 'docs/img');
const SERVICE = 'http://127.0.0.1:9000/app';

/** `wrangler dev` of the CAS Worker on a port it picks, with fresh state: {origin, stop()}. */
async function wrangler() {
  const state = mkdtempSync(join(tmpdir(), 'casplus-shots-'));
  const child = spawn(join(ROOT, 'node_modules/.bin/wrangler'), ['dev', '-c', 'wrangler.toml', '-c', 'worker/aaa/wrangler.toml',
    '--ip', '127.0.0.1', '--port', '0', '--persist-to', state], {
    cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_SEND_ERROR_REPORTS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true' },
  });
  let log = '';
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null) { resolve(); return; }
    child.once('exit', () => { rmSync(state, { recursive: true, force: true }); resolve(); });
    process.kill(-child.pid, 'SIGTERM');
  });
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
    await new Promise((r) => setTimeout(r, 200));
  }
  return { origin, stop };
}

async function loginPage(origin, colorScheme, file) {
  const browser = await launch({ viewport: { width: 720, height: 560 }, colorScheme });
  try {
    const page = await browser.context.newPage();
    const res = await page.goto(`${origin}/cas/login?service=${encodeURIComponent(SERVICE)}`);
    if (res.status() !== 200) throw new Error(`login page: HTTP ${res.status()}`);
    await page.fill('#username', 'casuser');
    await page.screenshot({ path: join(OUT, file) });
  } finally {
    await browser.close();
  }
}

async function inspector(url, colorScheme, file) {
  const browser = await launch({ viewport: { width: 1280, height: 900 }, colorScheme });
  try {
    const page = await browser.context.newPage();
    await page.goto(url);
    await page.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
    await page.selectOption('#example', 'login');
    await page.waitForSelector('#flow .steps li');
    await page.click('#rows .row >> nth=2');
    await page.waitForFunction(() => /user_msg/.test(document.getElementById('tree').textContent));
    await page.click('#tree .node:has(.k:text-is("user_msg"))');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(OUT, file), fullPage: true });
  } finally {
    await browser.close();
  }
}

mkdirSync(OUT, { recursive: true });
const cas = await wrangler();
try {
  await loginPage(cas.origin, 'light', 'login.png');
  await loginPage(cas.origin, 'dark', 'login-dark.png');
} finally {
  await cas.stop();
}
const www = await serve(join(ROOT, 'www'));
try {
  await inspector(www.url, 'light', 'inspector.png');
  await inspector(www.url, 'dark', 'inspector-dark.png');
} finally {
  await www.stop();
}
console.log(`screenshots written to ${OUT}: login.png, login-dark.png, inspector.png, inspector-dark.png`);
