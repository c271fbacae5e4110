// Shared helpers of the browser tests and the benchmark: start the static server (by PID),
// launch Debian Chromium headless through playwright-core with a fresh profile.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--no-first-run', '--disable-sync', '--disable-quic',
  // nothing but 127.0.0.1 resolves: a request elsewhere could not even leave the machine
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

/** Starts tests/browser/serve.mjs; resolves {url, pid, stop()}. */
export function serve(root, log = '') {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [new URL('./serve.mjs', import.meta.url).pathname, '0', root, log], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const m = /listening (\S+)/.exec(buf);
      if (m) resolve({ url: m[1], pid: child.pid, stop: () => new Promise((r) => { child.once('exit', r); process.kill(child.pid, 'SIGTERM'); }) });
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
}

/** Launches Chromium with a fresh user-data-dir; resolves {context, close()}. */
export async function launch(opts = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'casplus-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM, headless: true, args: FLAGS, acceptDownloads: true,
    viewport: opts.viewport || { width: 1440, height: 1000 }, colorScheme: opts.colorScheme || 'light',
    deviceScaleFactor: 1,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
