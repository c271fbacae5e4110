// Browser tests of the TACACS+ inspector (www/), issue 7: Debian Chromium, headless, driven by
// playwright-core; www/ served by tests/browser/serve.mjs on 127.0.0.1.
// Run: tests/browser/run.sh (or make test-browser). Screenshots: tests/browser/artifacts/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, FLAGS, serve } from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const VEC = join(ROOT, 'tests/vectors/capture');
const ART = join(HERE, 'artifacts');
const KEY = 'tac_plus_key';
const TYPES = { AUTHEN: 1, AUTHOR: 2, ACCT: 3 };
mkdirSync(ART, { recursive: true });
const REQUEST_LOG = join(ART, 'requests.log');
writeFileSync(REQUEST_LOG, '');

let server;
let browser;

before(async () => {
  server = await serve(join(ROOT, 'www'), REQUEST_LOG);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
});
after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

const vec = (name) => readFileSync(join(VEC, name));
const expected = (name) => JSON.parse(readFileSync(join(VEC, `${name}.expected.json`), 'utf8'));

/** A fresh context (own storage) and page; collects page errors, console errors, requests. */
async function open(opts = {}) {
  const context = await browser.newContext({
    viewport: opts.viewport || { width: 1440, height: 1000 }, colorScheme: opts.colorScheme || 'light',
    acceptDownloads: true, deviceScaleFactor: 1, permissions: ['clipboard-read', 'clipboard-write'],
  });
  const page = await context.newPage();
  const errors = [];
  const requests = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  context.on('request', (r) => requests.push(r.url()));
  await page.goto(opts.url || server.url);
  await page.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
  return { context, page, errors, requests, close: () => context.close() };
}

/** Waits until a decode started after `since` (a body[data-decoded] token) has finished. */
async function waitDecoded(page, since, timeout = 30_000) {
  await page.waitForFunction((s) => {
    const t = document.body.dataset.decoded;
    return t !== undefined && t !== s && document.getElementById('progress-box').dataset.state === 'done';
  }, since, { timeout });
}

const token = (page) => page.evaluate(() => document.body.dataset.decoded ?? '');

async function decodeText(page, text, keys = '', form = 'auto') {
  const since = await token(page);
  await page.uncheck('#live');
  await page.fill('#keys', keys);
  await page.selectOption('#format', form);
  await page.fill('#capture', text);
  await page.click('#decode');
  await waitDecoded(page, since);
}

async function openFile(page, name, bytes, keys = KEY) {
  await page.uncheck('#live');
  await page.fill('#keys', keys);
  const since = await token(page);
  await page.setInputFiles('#file', { name, mimeType: 'application/octet-stream', buffer: bytes });
  await waitDecoded(page, since, 120_000);
}

const rowCount = (page) => page.evaluate(() => Number(document.getElementById('list').getAttribute('aria-rowcount')) - 1);
const detected = (page) => page.textContent('#detected');

/** Rows currently rendered: [{no, ends, dir, type, seq, session, summary, mark, selected}]. */
function rows(page) {
  return page.$$eval('#rows .row:not([hidden])', (rs) => rs.map((r) => {
    const c = [...r.children].map((x) => x.textContent);
    return { no: Number(c[0]), time: c[1], ends: c[2], dir: c[3], type: c[4], seq: Number(c[5]), session: c[6], summary: c[7], mark: c[8], selected: r.getAttribute('aria-selected') === 'true' };
  }).sort((a, b) => a.no - b.no));
}

async function exportJson(page) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
  const path = join(ART, 'export.jsonl');
  await dl.saveAs(path);
  return readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** PDUs as comparable strings: the generator's expectations vs the page's export. */
function expectedPdus(name, withEnds) {
  const out = [];
  for (const c of expected(name).connections) {
    for (const [dir, list] of [['c', c.to_server], ['s', c.to_client]]) {
      for (const p of list) {
        if (!p.complete) continue;
        const ends = withEnds ? (dir === 'c' ? `${c.client}>${c.server}` : `${c.server}>${c.client}`) : '';
        out.push(`${ends}|${p.type}|${p.seq_no}|${p.session_id}|${p.version}|${p.flags}|${p.body_clear_hex}`);
      }
    }
  }
  return out.sort();
}

const normEnd = (s) => s.replace(/^\[(.*)\]:(\d+)$/, '$1:$2');
function exportedPdus(lines, withEnds) {
  return lines.filter((l) => l.complete).map((l) => {
    const h = l.header;
    const flags = (h.flags || []).reduce((a, f) => a | ({ UNENCRYPTED: 1, SINGLE_CONNECT: 4 }[f] || 0), 0);
    const ends = withEnds ? `${normEnd(l.src)}>${normEnd(l.dst)}` : '';
    return `${ends}|${TYPES[h.type] ?? h.type}|${h.seq_no}|${h.session_id}|${(h.major << 4) | h.minor}|${flags}|${l.body_clear_hex}`;
  }).sort();
}

async function shot(page, name, fullPage = true) {
  await page.screenshot({ path: join(ART, `${name}.png`), fullPage });
}

// ------------------------------------------------------------------------------------------

describe('input forms', () => {
  const forms = [
    ['login.tcpdump-X.txt', 'tcpdump', true],
    ['login.tcpdump-XX.txt', 'tcpdump', true],
    ['login.tcpdump-x.txt', 'tcpdump', true],
    ['login.tcpdump-xx.txt', 'tcpdump', true],
    ['login.tshark-x.txt', 'hexdump', true],
    ['login.pcap.hex', 'hex', true],
    ['login.pcap.b64', 'base64', true],
    ['login.payload.hex', 'hex', false],
    ['login.payload.b64', 'base64', false],
    ['login.tcpdump-payload-X.txt', 'tcpdump', false],
  ];
  test('each pasted form is detected and decodes to the PDUs the generator put on the wire', async () => {
    const { page, errors, close } = await open();
    const want = { true: expectedPdus('login', true), false: expectedPdus('login', false) };
    for (const [file, form, withEnds] of forms) {
      await decodeText(page, vec(file).toString('utf8'), KEY);
      assert.equal(await page.getAttribute('#detected', 'data-form'), form, `${file}: detected form`);
      assert.match(await detected(page), /Key 1 decodes every packet/, `${file}: key verdict`);
      assert.equal(await rowCount(page), 16, `${file}: 16 PDUs`);
      const lines = await exportJson(page);
      assert.deepEqual(exportedPdus(lines, withEnds), want[withEnds], `${file}: PDUs`);
    }
    await shot(page, 'form-tshark-hexdump');
    assert.deepEqual(errors, []);
    await close();
  });

  test('decode as you type: a small paste decodes without pressing Decode', async () => {
    const { page, errors, close } = await open();
    await page.fill('#keys', KEY);
    assert.equal(await page.isChecked('#live'), true, 'on by default');
    const since = await token(page);
    const lines = vec('login.payload.hex').toString('utf8').trim().split('\n');
    await page.focus('#capture');
    await page.keyboard.type(lines[0], { delay: 2 }); // one PDU, typed
    await waitDecoded(page, since);
    assert.equal(await rowCount(page), 1);
    assert.match((await rows(page))[0].summary, /^AUTHEN START login ascii/);
    // pasting more updates the list again
    const again = await token(page);
    await page.keyboard.insertText(`\n${lines.slice(1).join('\n')}`);
    await waitDecoded(page, again);
    assert.equal(await rowCount(page), 16);
    assert.deepEqual(errors, []);
    await close();
  });

  test('a forced form is used instead of detection', async () => {
    const { page, close } = await open();
    await decodeText(page, vec('login.payload.hex').toString('utf8'), KEY, 'base64');
    assert.match(await detected(page), /^Read as: base64/);
    await decodeText(page, vec('login.payload.hex').toString('utf8'), KEY, 'hex');
    assert.equal(await rowCount(page), 16);
    await close();
  });
});

describe('files', () => {
  for (const [file, form, name] of [
    ['login.pcap', 'pcap', 'login'],
    ['login-be-ns.pcap', 'pcap', 'login-be-ns'],
    ['links.pcapng', 'pcapng', 'links'],
    ['handmade.pcapng', 'pcapng', 'handmade'],
    ['link-sll2.pcap', 'pcap', 'link-sll2'],
  ]) {
    test(`Open file: ${file}`, async () => {
      const { page, errors, close } = await open();
      await openFile(page, file, vec(file));
      assert.equal(await page.getAttribute('#detected', 'data-form'), form);
      assert.match(await page.textContent('#file-name'), new RegExp(file.replace('.', '\\.')));
      const lines = await exportJson(page);
      assert.deepEqual(exportedPdus(lines, true), expectedPdus(name, true));
      if (file === 'links.pcapng') await shot(page, 'pcapng-links');
      assert.deepEqual(errors, []);
      await close();
    });
  }

  test('drag and drop of a pcap file onto the input', async () => {
    const { page, close } = await open();
    const since = await token(page);
    await page.fill('#keys', KEY);
    const b64 = vec('single-connect.pcap').toString('base64');
    await page.evaluate((data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'single-connect.pcap', { type: 'application/vnd.tcpdump.pcap' }));
      const drop = document.getElementById('drop');
      drop.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
      drop.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, b64);
    await waitDecoded(page, since);
    assert.equal(await page.getAttribute('#detected', 'data-form'), 'pcap');
    assert.equal(await rowCount(page), 16);
    assert.deepEqual(exportedPdus(await exportJson(page), true), expectedPdus('single-connect', true));
    await close();
  });
});

describe('keys', () => {
  const hex = vec('login.payload.hex').toString('utf8');

  test('no key: bodies stay obfuscated and the page asks for the key', async () => {
    const { page, close } = await open();
    await decodeText(page, hex, '');
    assert.match(await detected(page), /16 bodies obfuscated: enter the shared key/);
    await page.click('#rows .row >> nth=0');
    await page.waitForSelector('#tree [role=treeitem]');
    assert.match(await page.textContent('#tree'), /obfuscated — no key given/);
    await close();
  });

  test('wrong key: every packet flagged, "probably wrong key"', async () => {
    const { page, close } = await open();
    await decodeText(page, hex, 'not-the-key');
    assert.match(await detected(page), /16 packets did not decode with any key .*probably wrong key/);
    const r = await rows(page);
    assert.ok(r.length > 0 && r.every((x) => x.mark === '✖'), 'every row marked as an error');
    await page.click('#rows .row >> nth=0');
    await page.waitForFunction(() => /probably wrong key/.test(document.getElementById('tree').textContent));
    await shot(page, 'wrong-key');
    await close();
  });

  test('several keys: the one that fits is named; hex form works; bad hex is explained', async () => {
    const { page, close } = await open();
    await decodeText(page, hex, `wrong-one\n${KEY}`);
    assert.match(await detected(page), /Key 2 decodes every packet/);
    await decodeText(page, hex, `hex:${Buffer.from(KEY).toString('hex')}`);
    assert.match(await detected(page), /Key 1 decodes every packet/);
    await page.fill('#keys', 'hex:zz');
    await page.click('#decode');
    await page.waitForFunction(() => document.getElementById('keys-error').textContent !== '');
    assert.match(await page.textContent('#keys-error'), /key 1: hex key has a non-hex character/);
    await close();
  });

  test('the key is not stored unless asked', async () => {
    const { page, close } = await open();
    await page.fill('#keys', 'secret-key');
    assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0);
    await page.reload();
    await page.waitForSelector('body[data-ready=true]');
    assert.equal(await page.inputValue('#keys'), '');
    await page.fill('#keys', 'secret-key');
    await page.check('#remember-keys');
    await page.reload();
    await page.waitForSelector('body[data-ready=true]');
    assert.equal(await page.inputValue('#keys'), 'secret-key');
    assert.equal(await page.isChecked('#remember-keys'), true);
    await page.uncheck('#remember-keys');
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    await close();
  });
});

describe('views', () => {
  test('field ↔ byte highlighting, both ways, with mouse and keyboard', async () => {
    const { page, close } = await open();
    await decodeText(page, vec('login.tcpdump-X.txt').toString('utf8'), KEY);
    // PDU 3: AUTHEN CONTINUE user_msg=alice
    await page.click('#rows .row >> nth=2');
    await page.waitForFunction(() => /user_msg/.test(document.getElementById('tree').textContent));
    await page.click('#tree .node:has(.k:text-is("user_msg"))');
    const lit = await page.$$eval('#hex .b.hl', (bs) => bs.map((b) => b.textContent).join(''));
    assert.equal(lit, Buffer.from('alice').toString('hex'), 'user_msg highlights the bytes of "alice"');
    const litAt = await page.$$eval('#hex .b.hl', (bs) => bs.map((b) => Number(b.dataset.i)));
    assert.deepEqual(litAt, [17, 18, 19, 20, 21]);
    // a byte selects its field: offset 12-13 is user_msg_len (§5.3)
    await page.click('#hb12');
    assert.equal(await page.textContent('#tree [aria-selected=true] > .node .k'), 'user_msg_len');
    assert.deepEqual(await page.$$eval('#hex .b.hl', (bs) => bs.map((b) => Number(b.dataset.i))), [12, 13]);
    // keyboard in the hex view: three bytes right -> data_len (14-15) -> flags (16)
    await page.focus('#hex');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.textContent('#tree [aria-selected=true] > .node .k'), 'data_len');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.textContent('#tree [aria-selected=true] > .node .k'), 'flags');
    // header byte: seq_no at offset 2
    await page.click('#hb2');
    assert.equal(await page.textContent('#tree [aria-selected=true] > .node .k'), 'seq_no');
    // the "as captured" view shows the obfuscated body (different bytes, same header)
    const clear = await page.$$eval('#hex .b', (bs) => bs.map((b) => b.textContent).join(''));
    await page.check('input[name=bytes-view][value=wire]');
    const wire = await page.$$eval('#hex .b', (bs) => bs.map((b) => b.textContent).join(''));
    assert.equal(clear.slice(0, 24), wire.slice(0, 24));
    assert.notEqual(clear.slice(24), wire.slice(24));
    await page.check('input[name=bytes-view][value=clear]');
    await page.click('#tree .node:has(.k:text-is("user_msg"))');
    await shot(page, 'highlight-user-msg');
    await close();
  });

  test('keyboard: packet list and detail tree', async () => {
    const { page, close } = await open();
    await decodeText(page, vec('login.tcpdump-X.txt').toString('utf8'), KEY);
    await page.focus('#list');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    let sel = (await rows(page)).find((r) => r.selected);
    assert.equal(sel.no, 3);
    await page.keyboard.press('End');
    sel = (await rows(page)).find((r) => r.selected);
    assert.equal(sel.no, 16);
    const active = await page.getAttribute('#list', 'aria-activedescendant');
    assert.equal(await page.getAttribute(`#${active}`, 'aria-rowindex'), '17');
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter'); // to the tree
    assert.equal(await page.evaluate(() => document.activeElement.id), 'tree');
    await page.waitForSelector('#tree [role=treeitem]');
    await page.keyboard.press('ArrowDown'); // "Capture"
    assert.equal(await page.textContent('#tree [aria-selected=true] > .node .k'), 'Capture');
    await page.keyboard.press('ArrowLeft'); // collapse
    assert.equal(await page.getAttribute('#tree [aria-selected=true]', 'aria-expanded'), 'false');
    await page.keyboard.press('ArrowDown'); // Header
    assert.equal(await page.textContent('#tree [aria-selected=true] > .node .k'), 'Header');
    await page.keyboard.press('ArrowRight'); // already open: first child
    assert.equal(await page.textContent('#tree [aria-selected=true] > .node .k'), 'version');
    assert.deepEqual(await page.$$eval('#hex .b.hl', (bs) => bs.map((b) => Number(b.dataset.i))), [0]);
    await close();
  });

  // The race behind a once-flaky keyboard test: the next packet's tree arrives from the
  // engine a moment after the selection, while a fast typist is already moving in the old
  // tree. Shown in that order here, deterministically: the user's place carries over.
  test('keyboard: a tree that arrives while the user moves in the old one keeps their place', async () => {
    const { page, close } = await open();
    const kept = await page.evaluate(async () => {
      const { Tree } = await import('./detail.js');
      const root = document.createElement('div');
      root.tabIndex = 0;
      document.body.append(root);
      const picked = [];
      const tree = new Tree(root, { onSelect: (n) => picked.push(n.label) });
      const packet = (v) => [
        { label: 'Capture', open: true, children: [{ label: 'frame', value: v }] },
        { label: 'Header', open: true, children: [{ label: 'version', value: v }, { label: 'type', value: v }] },
      ];
      const selected = () => root.querySelector('[aria-selected=true] > .node .k')?.textContent ?? null;
      const key = (k) => root.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));
      tree.show(packet(16));
      root.focus();
      key('ArrowDown'); // Capture
      key('ArrowLeft'); // collapse it
      key('ArrowDown'); // Header
      key('ArrowRight'); // its first child
      tree.show(packet(1)); // the selected packet's tree arrives now
      const after = { selected: selected(), value: root.querySelector('[aria-selected=true] .v')?.textContent,
        captureOpen: root.querySelector('[role=treeitem]').getAttribute('aria-expanded'), picked: picked.at(-1) };
      root.blur();
      tree.show(packet(2)); // focus elsewhere: a fresh tree, nothing selected
      return { after, unfocused: selected() };
    });
    assert.deepEqual(kept.after, { selected: 'version', value: '1', captureOpen: 'false', picked: 'version' });
    assert.equal(kept.unfocused, null);
    await close();
  });

  test('sequence diagram: one session per diagram, client and server lanes, click selects the packet', async () => {
    const { page, close } = await open();
    await decodeText(page, vec('login.tcpdump-X.txt').toString('utf8'), KEY);
    await page.waitForSelector('#flow .steps li');
    const steps = await page.$$eval('#flow .steps li', (ls) => ls.map((l) => ({ dir: l.className, label: l.querySelector('.label').textContent })));
    assert.deepEqual(steps.map((s) => s.dir), ['to-server', 'to-client', 'to-server', 'to-client', 'to-server', 'to-client']);
    assert.match(steps[0].label, /^AUTHEN START login ascii/);
    assert.match(steps[1].label, /GETUSER/);
    assert.match(steps[5].label, /PASS/);
    assert.match(await page.textContent('#flow .outcome'), /Outcome: PASS/);
    assert.match(await page.textContent('#flow .lanes'), /Client.*192\.0\.2\.10:40000.*Server.*192\.0\.2\.49:49/);
    await page.click('#flow .steps li:nth-child(4) button');
    await page.waitForFunction(() => document.querySelector('#rows .row[aria-selected=true] .c-no')?.textContent === '4');
    await page.waitForSelector('#flow .steps li:nth-child(4) button[aria-current=true]');
    assert.equal(await page.$$eval('#flow button[aria-current=true]', (b) => b.length), 1);
    await page.click('#next-session');
    await page.waitForFunction(() => document.getElementById('session-pos').textContent.startsWith('2 /'));
    assert.match(await page.textContent('#flow .seq-title'), /AUTHOR/);
    await shot(page, 'flow-author');
    // single-connect: several sessions on one connection
    await decodeText(page, vec('single-connect.tshark-x.txt').toString('utf8'), KEY);
    await page.waitForSelector('#flow .steps li');
    assert.equal(await page.$$eval('#flow .steps li', (l) => l.length), 6);
    await close();
  });

  test('diagnostics with offsets: lossy capture and truncated paste', async () => {
    const { page, errors, close } = await open();
    await decodeText(page, vec('messy.tcpdump-xx.txt').toString('utf8'), KEY);
    const diags = await page.textContent('#diags');
    assert.match(diags, /tcp-gap/);
    assert.match(diags, /frame \d+/);
    await shot(page, 'messy');
    // truncated: the 4th PDU is cut; the codec says how many bytes are missing
    await page.selectOption('#example', 'truncated');
    await page.waitForFunction(() => Number(document.getElementById('list').getAttribute('aria-rowcount')) === 5);
    const r = await rows(page);
    assert.equal(r[3].mark, '⚠');
    await page.click('#rows .row >> nth=3');
    await page.waitForFunction(() => /more byte/.test(document.getElementById('tree').textContent));
    assert.match(await page.textContent('#tree'), /at byte \d+/);
    assert.match(await page.textContent('#hex .hex-note'), /not captured/);
    await shot(page, 'truncated');
    assert.deepEqual(errors, []);
    await close();
  });

  test('malformed input gives a clear message, never a blank page or an exception', async () => {
    const { page, errors, close } = await open();
    await decodeText(page, 'hello, this is not a capture at all\n', '');
    assert.equal(await page.isVisible('#message'), true);
    assert.match(await page.textContent('#message'), /No TACACS\+ packet: the input is not/);
    await shot(page, 'malformed');
    // a spread of hostile inputs: each gives packets or a message
    let seed = 7;
    const rand = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed; };
    const cases = [
      vec('login.pcap').subarray(0, 60), // pcap cut inside a record
      Buffer.from('d4c3b2a1', 'hex'), // pcap magic only
      Buffer.from('0a0d0d0a00000000', 'hex'), // pcapng header, broken
      Buffer.from('c0 01 01 00 ff ff ff ff ff ff ff ff'.replace(/ /g, ''), 'hex'), // absurd length
      Buffer.alloc(5000, 0),
      Buffer.from(Array.from({ length: 3000 }, () => rand() & 255)),
      Buffer.from('0x0000:  4500 00'), // a dump line cut short
      Buffer.from('\u0000\u0001binary\u00ff'),
    ];
    for (const [i, bytes] of cases.entries()) {
      await openFile(page, `hostile-${i}.bin`, bytes, '');
      const n = await rowCount(page);
      const msg = await page.isVisible('#message');
      assert.ok(n > 0 || msg, `case ${i}: packets or a message`);
      assert.ok((await detected(page)).length > 10, `case ${i}: a summary line`);
    }
    assert.deepEqual(errors, []);
    await close();
  });
});

describe('share and export', () => {
  test('Copy link carries the capture, compressed, in the fragment — never the key', async () => {
    const { page, context, close } = await open();
    const text = vec('login.tcpdump-X.txt').toString('utf8');
    await decodeText(page, text, KEY);
    await page.click('#copy-link');
    await page.waitForSelector('#share-box:not([hidden])');
    const url = await page.inputValue('#share-url');
    assert.ok(url.startsWith(server.url), 'a link to this page');
    const frag = url.split('#')[1];
    assert.match(frag, /^v1\.t\.[A-Za-z0-9_-]+$/);
    assert.ok(frag.length < text.length / 2, `compressed: ${frag.length} < ${text.length}`);
    assert.ok(!url.includes(KEY) && !url.includes(Buffer.from(KEY).toString('base64').slice(0, 12)), 'no key in the link');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);
    // the link opens the same capture, without the key
    const other = await context.newPage();
    await other.goto(url);
    await other.waitForSelector('body[data-decoded]');
    await other.waitForFunction(() => document.getElementById('progress-box').dataset.state === 'done');
    assert.equal(await other.inputValue('#capture'), text);
    assert.equal(await other.inputValue('#keys'), '');
    assert.match(await other.textContent('#detected'), /16 PDUs.*obfuscated: enter the shared key/);
    // binary captures too
    await openFile(page, 'login.pcap', vec('login.pcap'));
    await page.click('#copy-link');
    await page.waitForFunction(() => /#v1\.b\./.test(document.getElementById('share-url').value));
    const burl = await page.inputValue('#share-url');
    await other.goto('about:blank');
    await other.goto(burl);
    await other.waitForSelector('body[data-decoded]');
    await other.waitForFunction(() => document.getElementById('progress-box').dataset.state === 'done');
    assert.equal(await other.getAttribute('#detected', 'data-form'), 'pcap');
    await close();
  });

  test('Export JSON is the CLI schema; Export text lists packets, sessions, diagnostics', async () => {
    const { page, close } = await open();
    await decodeText(page, vec('login.payload.hex').toString('utf8'), KEY);
    const lines = await exportJson(page);
    assert.equal(lines.length, 16);
    for (const l of lines) {
      for (const k of ['offset', 'complete', 'direction', 'header', 'key_index', 'body_state', 'body_clear_hex', 'body', 'diagnostics', 'span', 'frame', 'time', 'src', 'dst', 'conn', 'session', 'summary']) {
        assert.ok(k in l, `field ${k}`);
      }
    }
    // the codec part equals `casplus decode --json` on the same PDUs (CLI built by make test)
    const cli = join(ROOT, 'target/debug/casplus');
    if (!existsSync(cli)) execFileSync('cargo', ['build', '--bin', 'casplus'], { cwd: ROOT, stdio: 'inherit' });
    {
      const out = execFileSync(cli, ['decode', '--json', '-k', KEY, join(VEC, 'login.payload.hex')], { encoding: 'utf8' });
      const want = out.trim().split('\n').map((x) => JSON.parse(x));
      assert.equal(want.length, lines.length);
      const strip = (o) => {
        const { header, body, body_state, key_index, body_clear_hex, direction, complete } = o;
        return JSON.stringify({ header: { ...header, spans: undefined }, body: { ...body, spans: undefined }, body_state, key_index, body_clear_hex, direction, complete });
      };
      assert.deepEqual(lines.map(strip), want.map(strip));
    }
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-text')]);
    const path = join(ART, 'export.txt');
    await dl.saveAs(path);
    const txt = readFileSync(path, 'utf8');
    assert.match(txt, /AUTHEN START login ascii/);
    assert.match(txt, /^Sessions$/m);
    assert.match(txt, /Session 0x2265b1f5 AUTHEN: PASS/);
    await close();
  });
});

describe('privacy', () => {
  test('no request leaves after load; the CSP blocks any attempt', async () => {
    const { page, requests, close } = await open();
    const csp = await page.getAttribute('meta[http-equiv=Content-Security-Policy]', 'content');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
    assert.match(csp, /connect-src 'self'/);
    const loaded = requests.length;
    const logLines = readFileSync(REQUEST_LOG, 'utf8').split('\n').length;
    // use everything
    for (const ex of ['login', 'single-connect', 'messy', 'wrong-key']) {
      const since = await token(page);
      await page.selectOption('#example', ex);
      await waitDecoded(page, since);
      await page.click('#rows .row >> nth=1');
      await page.click('#next-session');
    }
    await page.fill('#keys', `${KEY}\nanother`);
    await page.click('#decode');
    await page.fill('#filter', 'AUTHOR');
    await page.click('#export-json');
    await page.click('#copy-link');
    await page.waitForTimeout(500);
    assert.deepEqual(requests.slice(loaded), [], 'no request after load');
    assert.equal(readFileSync(REQUEST_LOG, 'utf8').split('\n').length, logLines, 'the server saw nothing after load');
    // the policy stops a connection even if code tried one
    const blocked = await page.evaluate(async (other) => {
      const seen = [];
      document.addEventListener('securitypolicyviolation', (e) => seen.push(e.violatedDirective));
      let fetchFailed = false;
      try { await fetch(other); } catch { fetchFailed = true; }
      const img = new Image();
      img.src = 'https://example.invalid/pixel.png';
      await new Promise((r) => setTimeout(r, 200));
      return { fetchFailed, seen };
    }, server.url.replace(/:\d+\//, ':9/'));
    assert.equal(blocked.fetchFailed, true);
    assert.ok(blocked.seen.includes('connect-src'), `violations: ${blocked.seen}`);
    assert.ok(blocked.seen.some((d) => d.startsWith('img-src')), `violations: ${blocked.seen}`);
    await close();
  });
});

describe('accessibility and layout', () => {
  test('every control has a label; landmarks and roles are present', async () => {
    const { page, close } = await open();
    const unlabeled = await page.evaluate(() => [...document.querySelectorAll('input, textarea, select, button')]
      .filter((c) => !(c.labels && c.labels.length) && !c.getAttribute('aria-label') && !c.getAttribute('aria-labelledby') && !(c.tagName === 'BUTTON' && c.textContent.trim()))
      .map((c) => c.id || c.outerHTML.slice(0, 60)));
    assert.deepEqual(unlabeled, []);
    assert.equal(await page.textContent('label[for=capture]'), 'Capture');
    assert.equal(await page.textContent('label[for=keys]'), 'Shared key');
    for (const sel of ['#list[role=grid]', '#tree[role=tree]', '#hex[role=grid]', 'main', 'header', 'footer']) {
      assert.ok(await page.$(sel), sel);
    }
    await close();
  });

  test('responsive: no horizontal overflow on a phone; light and dark schemes', async () => {
    const phone = await open({ viewport: { width: 390, height: 844 } });
    await decodeText(phone.page, vec('login.tcpdump-X.txt').toString('utf8'), KEY);
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page wider than the phone by ${overflow}px`);
    await shot(phone.page, 'phone');
    await phone.close();
    const dark = await open({ colorScheme: 'dark' });
    await decodeText(dark.page, vec('login.tcpdump-X.txt').toString('utf8'), KEY);
    await dark.page.click('#rows .row >> nth=2');
    await dark.page.waitForFunction(() => /user_msg/.test(document.getElementById('tree').textContent));
    await dark.page.click('#tree .node:has(.k:text-is("user_msg"))');
    const bg = await dark.page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    const [r, g, b] = bg.match(/\d+/g).map(Number);
    assert.ok(r + g + b < 120, `dark background, got ${bg}`);
    await shot(dark.page, 'dark');
    await dark.close();
    const light = await open();
    await light.page.selectOption('#example', 'login');
    await light.page.waitForSelector('#flow .steps li');
    const lbg = await light.page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    assert.ok(lbg.match(/\d+/g).map(Number).reduce((a, x) => a + x, 0) > 600, `light background, got ${lbg}`);
    await shot(light.page, 'light');
    await light.close();
  });
});

describe('scale', () => {
  const big = join(ART, 'big-100k.pcap');
  let info;
  before(() => {
    const out = execFileSync(process.execPath, [join(HERE, 'gen-pcap.mjs'), big, '100000', KEY], { encoding: 'utf8' });
    info = JSON.parse(out);
  });

  test('100 000-frame pcap: worker decode with progress to the end, smooth virtual list, no requests', async () => {
    const { page, requests, errors, close } = await open();
    const loaded = requests.length;
    // progress reports as they arrive
    await page.evaluate(() => {
      window.progressSeen = [];
      new MutationObserver(() => {
        const b = document.getElementById('progress-box');
        window.progressSeen.push([Number(b.dataset.done), Number(b.dataset.total), b.hidden]);
      }).observe(document.getElementById('progress-box'), { attributes: true, attributeFilter: ['data-done'] });
      // the main thread must never block: record the longest gap between animation frames
      window.frames = [];
      let last = performance.now();
      const tick = (t) => { window.frames.push([t, t - last]); last = t; requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
    });
    await openFile(page, 'big-100k.pcap', readFileSync(big));
    const seen = await page.evaluate(() => window.progressSeen);
    const total = statSync(big).size;
    assert.ok(seen.length >= 2, `progress updates: ${seen.length}`);
    const last = seen[seen.length - 1];
    assert.equal(last[0], total, 'progress reaches the end');
    assert.equal(last[1], total);
    assert.equal(await page.evaluate(() => document.getElementById('progress').value === document.getElementById('progress').max), true);
    assert.equal(await page.isVisible('#progress-box'), true, 'the finished bar stays for a big file');
    assert.equal(await rowCount(page), info.pdus);
    assert.match(await detected(page), /100,000 frames/);
    assert.match(await detected(page), /Key 1 decodes every packet/);
    // longest frame between Decode and the full table (the file upload by the test driver itself
    // is excluded: it is not the page's work)
    const decodeGap = await page.evaluate(() => {
      const start = performance.getEntriesByName('decode-start').pop().startTime;
      const end = performance.getEntriesByName('decode-table').pop().startTime;
      return Math.max(0, ...window.frames.filter(([t, gap]) => t - gap >= start && t - gap <= end).map(([, gap]) => gap));
    });
    await shot(page, 'big-100k', false);
    // scroll the whole list, one step per frame
    const scroll = await page.evaluate(async () => {
      const vp = document.getElementById('viewport');
      const gaps = [];
      let last = performance.now();
      const steps = 120;
      for (let i = 1; i <= steps; i++) {
        vp.scrollTop = (vp.scrollHeight - vp.clientHeight) * (i / steps);
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        gaps.push(now - last);
        last = now;
      }
      gaps.sort((a, b) => a - b);
      const lastRow = [...document.querySelectorAll('#rows .row:not([hidden])')].map((r) => Number(r.firstChild.textContent)).sort((a, b) => b - a)[0];
      return { p50: gaps[steps >> 1], p95: gaps[Math.floor(steps * 0.95)], max: gaps[steps - 1], rendered: document.querySelectorAll('#rows .row').length, lastRow };
    });
    console.log(`# 100k list: decode ${await page.getAttribute('#progress-box', 'data-ms')} ms, longest main-thread frame during decode ${decodeGap.toFixed(0)} ms; scroll frame p50 ${scroll.p50.toFixed(1)} ms, p95 ${scroll.p95.toFixed(1)} ms, max ${scroll.max.toFixed(1)} ms; ${scroll.rendered} row elements`);
    assert.equal(scroll.lastRow, info.pdus, 'the last row is reachable');
    assert.ok(scroll.rendered < 200, `rows in the DOM: ${scroll.rendered}`);
    assert.ok(scroll.p95 < 100, `scroll frames p95 ${scroll.p95} ms`);
    assert.ok(decodeGap < 500, `the page kept painting during the decode (longest frame ${decodeGap} ms)`);
    // keyboard to the end, details of the last packet
    await page.focus('#list');
    await page.keyboard.press('End');
    await page.waitForFunction((n) => document.querySelector('#rows .row[aria-selected=true] .c-no')?.textContent === String(n), info.pdus);
    await page.waitForFunction(() => document.querySelectorAll('#tree [role=treeitem]').length > 5);
    await page.fill('#filter', 'ACCT STOP');
    await page.waitForFunction(() => /of 99/.test(document.getElementById('packet-count').textContent));
    await shot(page, 'big-100k-filtered', false);
    assert.deepEqual(requests.slice(loaded), [], 'no request after load');
    assert.deepEqual(errors, []);
    await close();
  });

  test('Cancel stops a big decode; the page keeps working', async () => {
    const { page, requests, close } = await open();
    const loaded = requests.length;
    await page.uncheck('#live');
    await page.fill('#keys', KEY);
    await page.setInputFiles('#file', { name: 'big.pcap', mimeType: 'application/octet-stream', buffer: readFileSync(big) });
    await page.waitForSelector('#progress-box:not([hidden])');
    await page.click('#cancel');
    await page.waitForFunction(() => document.getElementById('progress-box').dataset.state === 'cancelled');
    assert.match(await page.textContent('#action-status'), /cancelled/);
    const since = await token(page);
    await page.selectOption('#example', 'login');
    await waitDecoded(page, since);
    assert.equal(await rowCount(page), 16);
    // a fresh worker was started from the page's own files (no data, nowhere else)
    const after = requests.slice(loaded);
    assert.ok(after.every((u) => u.startsWith(server.url) && /\/(worker\.js|pkg\/casplus\.js)$/.test(u)), `requests: ${after}`);
    await close();
  });
});

// ------------------------------------------------------------------------------------------
// Issue 18: the page's initial load (tests/browser/size.sh, ≤ 200 KB gzip) holds no crypto; the
// TLS module (www/pkg/casplus_tls*, src/wasm/tls.rs) is fetched only for a capture whose key log
// can open a TLS 1.3 connection (RFC 9887 TACACS+ over TLS).

const TLS_VEC = join(ROOT, 'tests/vectors/tls');
const tlsVec = (name) => readFileSync(join(TLS_VEC, name));
const path = (u) => new URL(u).pathname;
const isTls = (u) => /\/pkg\/casplus_tls(_bg\.wasm|\.js)$/.test(path(u));

/** The files tests/browser/size.sh counts as the initial load (its `files=(…)` list). */
function sizeShFiles() {
  const sh = readFileSync(join(HERE, 'size.sh'), 'utf8');
  const m = /^files=\(([^)]*)\)/m.exec(sh);
  assert.ok(m, 'size.sh has a files=(…) list');
  return m[1].trim().split(/\s+/).map((f) => `/${f}`).sort();
}

async function openTls(page, suite, keylog) {
  await page.uncheck('#live');
  await page.fill('#keys', '');
  await page.fill('#keylog', keylog);
  const since = await token(page);
  await page.setInputFiles('#file', { name: `tls13-${suite}.pcap`, mimeType: 'application/octet-stream', buffer: tlsVec(`tls13-${suite}.pcap`) });
  await waitDecoded(page, since);
}

describe('TLS module loaded on demand', () => {
  test('the initial load is what size.sh counts, and a plain capture (or TLS without its key log) fetches no TLS module', async () => {
    const { page, requests, errors, close } = await open();
    const atLoad = [...new Set(requests.map(path))].map((p) => (p === '/' ? '/index.html' : p)).sort();
    assert.deepEqual(atLoad, sizeShFiles(), 'size.sh lists exactly the files fetched at load');
    await openFile(page, 'login.pcap', vec('login.pcap'));
    assert.equal(await rowCount(page), 16);
    // TLS without a key log, and with another connection's key log: nothing the module could open
    await openTls(page, 'aes128gcm', '');
    assert.match(await page.textContent('body'), /TLS 1\.3 is encrypted: to show the TACACS\+ inside, give the key log/);
    await openTls(page, 'chacha20', tlsVec('tls13-aes128gcm.keys').toString());
    assert.match(await page.textContent('body'), /no line for this connection/);
    assert.deepEqual(requests.filter(isTls), [], 'no TLS module fetched');
    assert.deepEqual(errors, []);
    await close();
  });

  test('a TLS 1.3 capture with its key log fetches the TLS module once and decrypts in the page (RFC 9887)', async () => {
    const { page, requests, errors, close } = await open();
    assert.deepEqual(requests.filter(isTls), []);
    await openTls(page, 'aes256gcm', tlsVec('tls13-aes256gcm.keys').toString());
    assert.deepEqual(requests.filter(isTls).map(path).sort(), ['/pkg/casplus_tls.js', '/pkg/casplus_tls_bg.wasm']);
    // the six PDUs the generator sent through OpenSSL, decrypted and decoded like plain ones
    const lines = (await exportJson(page)).filter((l) => l.complete);
    assert.equal(lines.length, 6);
    const summaries = lines.map((l) => l.summary).sort();
    for (const want of ['AUTHEN START login pap user=alice', 'AUTHOR RESPONSE PASS_ADD priv-lvl=15', 'ACCT REPLY SUCCESS']) {
      assert.ok(summaries.some((s) => s.startsWith(want)), `${want} in ${summaries}`);
    }
    assert.ok(lines.every((l) => (l.header.flags || []).includes('UNENCRYPTED')), 'RFC 9887: UNENCRYPTED flag set');
    assert.doesNotMatch(await page.textContent('body'), /tls-no-decryption|without TLS decryption/);
    // another suite's capture: the module is already there, nothing is fetched again
    await openTls(page, 'chacha20', tlsVec('tls13-chacha20.keys').toString());
    assert.equal((await exportJson(page)).filter((l) => l.complete).length, 6);
    assert.equal(requests.filter(isTls).length, 2, 'the TLS module is fetched once');
    assert.deepEqual(errors, []);
    await close();
  });
});

describe('per-device keys (issue 18 item 3)', () => {
  test('ADDRESS=KEY lines: each device of a capture is read with its own key (RFC 8907 §4.5)', async () => {
    const { page, errors, close } = await open();
    const want = expected('peer-keys');
    const lines = [KEY, '192.0.2.11=nas-a-secret', `192.0.2.12=hex:${Buffer.from('nas-b-secret').toString('hex')}`];
    await openFile(page, 'peer-keys.pcap', vec('peer-keys.pcap'), lines.join('\n'));
    const exported = await exportJson(page);
    assert.deepEqual(exportedPdus(exported, true), expectedPdus('peer-keys', true));
    const index = { 'nas-a-secret': 1, 'nas-b-secret': 2, [KEY]: 0 };
    for (const c of want.connections) {
      const mine = exported.filter((l) => normEnd(l.src) === c.client || normEnd(l.dst) === c.client);
      assert.equal(mine.length, 4, c.client);
      assert.ok(mine.every((l) => l.key_index === index[c.key]), `${c.client}: ${mine.map((l) => l.key_index)}`);
    }
    // without the device lines, two of the three devices stay unreadable
    const since = await token(page);
    await page.fill('#keys', KEY);
    await page.click('#decode');
    await waitDecoded(page, since);
    const plain = (await exportJson(page)).filter((l) => l.key_index === 0);
    assert.equal(plain.length, 4);
    assert.deepEqual(errors, []);
    await close();
  });
});
