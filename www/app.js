// The TACACS+ inspector page: input, decoding in a Web Worker, packet list, details, bytes,
// session flow, diagnostics, share and export. Everything stays in this tab.
import { Engine } from './engine.js';
import { VirtualGrid } from './list.js';
import { Tree, HexView, buildNodes, pduBytes } from './detail.js';
import { FlowView } from './flow.js';
import { encodeFragment, decodeFragment, download, MAX_LINK } from './share.js';
import { EXAMPLES } from './examples.js';
import { FORM_NAMES, TYPE_NAMES } from './fields.js';

const $ = (id) => document.getElementById(id);
const LIVE_LIMIT = 64 * 1024; // decode as you type up to this many characters
const REDECODE_LIMIT = 1 << 20; // re-decode on a key change up to this many bytes
const PROGRESS_AFTER_MS = 150;
const KEY_STORE = 'casplus.inspector.keys';

const engine = new Engine();
const ui = {
  capture: $('capture'), keys: $('keys'), keylog: $('keylog'), format: $('format'), live: $('live'), decode: $('decode'),
  file: $('file'), drop: $('drop'), fileChip: $('file-chip'), fileName: $('file-name'),
  detected: $('detected'), message: $('message'), progressBox: $('progress-box'), progress: $('progress'),
  progressText: $('progress-text'), progressLabel: $('progress-label'), cancel: $('cancel'),
  copyLink: $('copy-link'), exportJson: $('export-json'), exportText: $('export-text'),
  actionStatus: $('action-status'), shareBox: $('share-box'), shareUrl: $('share-url'),
  filter: $('filter'), nextFlag: $('next-flag'), count: $('packet-count'), diags: $('diags'),
  diagCount: $('diag-count'), keysError: $('keys-error'), remember: $('remember-keys'), showKeys: $('show-keys'),
  sessionPos: $('session-pos'), example: $('example'),
};

/** What will be decoded: the textarea, or an opened file. */
let source = { kind: 'text' };
/** The last decode: {overview, table, summaries, marks, ends, input: {bytes, isText, form}}. */
let result = null;
let selected = -1;
let currentSession = -1;
let running = null; // {token, timer, big}
let liveTimer = 0;
let runToken = 0;
let detailToken = 0;

// ---------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------

function showMessage(text, kind = 'error') {
  ui.message.hidden = !text;
  ui.message.textContent = text || '';
  ui.message.className = `message ${kind}`;
}

window.addEventListener('error', (e) => {
  showMessage(`Something went wrong: ${e.message}. The page still works; try again or another input.`);
});
window.addEventListener('unhandledrejection', (e) => {
  const err = e.reason;
  if (err && err.cancelled) return;
  showMessage(`Something went wrong: ${err && err.message ? err.message : err}. The page still works; try again or another input.`);
});

// ---------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------

/** `ip:port`, `[v6]:port` for a core Endpoint. */
export const endpoint = (e) => (e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`);
const hex8 = (v) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
const plural = (n, one, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

function absTime(secs, nanos, timeOfDay) {
  if (Number.isNaN(secs)) return '';
  const frac = String(nanos).padStart(9, '0');
  if (timeOfDay) {
    const s = ((secs % 86400) + 86400) % 86400;
    const p = (n) => String(n).padStart(2, '0');
    return `${p(Math.floor(s / 3600))}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}.${frac}`;
  }
  return new Date(secs * 1000).toISOString().replace(/\.\d{3}Z$/, `.${frac}Z`);
}

function relTime(i) {
  const t = result.table;
  const t0 = result.overview.first_time;
  const s = t.secs[i];
  if (Number.isNaN(s) || !t0) return '';
  return ((s - t0.secs) + (t.nanos[i] - t0.nanos) / 1e9).toFixed(6);
}

// ---------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------

// One key per line: SECRET, hex:HEX, or ADDRESS=… for one device's key (read by the core's glue,
// src/wasm/inspect.rs parse_keys).
function readKeys() {
  return ui.keys.value.split(/\r?\n/).filter((line) => line !== '').map((text) => ({ text }));
}

function rememberKeys() {
  try {
    if (ui.remember.checked) localStorage.setItem(KEY_STORE, ui.keys.value);
    else localStorage.removeItem(KEY_STORE);
  } catch {
    /* storage disabled: nothing remembered */
  }
}

// ---------------------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------------------

function isTextual(bytes) {
  const head = bytes.subarray(0, 4096);
  if (head.length === 0) return true;
  const magic = head.length >= 4 ? (head[0] << 24 | head[1] << 16 | head[2] << 8 | head[3]) >>> 0 : 0;
  if ([0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a].includes(magic)) return false;
  if (head.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, Math.max(0, head.length - 4)));
    return true;
  } catch {
    return false;
  }
}

/** A file (or the capture of a link) to decode: kept as a Blob, read afresh for each decode. */
function setFile(name, blob, isText) {
  source = { kind: 'file', name, blob, isText };
  ui.fileName.textContent = `${name} · ${blob.size.toLocaleString('en')} bytes${isText ? ' (text)' : ''}`;
  ui.fileChip.hidden = false;
  ui.capture.value = '';
  ui.capture.placeholder = `Decoding the file ${name}; type or paste here to decode text instead.`;
}

function clearFile() {
  source = { kind: 'text' };
  ui.fileChip.hidden = true;
  ui.capture.placeholder = 'c0 01 01 00 22 65 b1 f5 00 00 00 14 …';
}

async function openFile(file) {
  let head;
  try {
    head = new Uint8Array(await file.slice(0, 4096).arrayBuffer());
  } catch (err) {
    showMessage(`Cannot read ${file.name}: ${err.message}`);
    return;
  }
  const text = isTextual(head);
  if (text && file.size <= LIVE_LIMIT * 16) {
    clearFile();
    ui.capture.value = await file.text();
    ui.actionStatus.textContent = `Opened ${file.name}`;
  } else {
    setFile(file.name, file, text);
  }
  decode();
}

/** What to decode now: a Blob (a file stays on disk until read) and whether it is text. */
function currentInput() {
  if (source.kind === 'file') return { blob: source.blob, isText: source.isText };
  return { blob: new Blob([ui.capture.value]), isText: true };
}

// ---------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------

function setProgress(done, total, frames, pdus) {
  ui.progress.max = Math.max(1, total);
  ui.progress.value = Math.min(done, total);
  ui.progressBox.dataset.done = String(done);
  ui.progressBox.dataset.total = String(total);
  ui.progressText.textContent = `${Math.round((done / Math.max(1, total)) * 100)} % · ${plural(frames, 'frame')} · ${plural(pdus, 'PDU')}`;
}

async function decode() {
  const input = currentInput();
  const size = input.blob.size;
  const form = ui.format.value;
  const keys = readKeys();
  if (size === 0) {
    if (running) await cancel(false);
    result = null;
    renderEmpty('No capture yet. Paste one, open a file, or pick an example.');
    return;
  }
  clearTimeout(liveTimer);
  // A big decode still running is stopped; a small one finishes in the worker first (its
  // result is ignored), so typing never restarts the worker.
  if (running && running.big) await cancel(false);
  else if (running) clearTimeout(running.timer);
  const token = ++runToken;
  const started = performance.now();
  performance.mark('decode-start');
  ui.keysError.textContent = '';
  showMessage('');
  ui.progressBox.hidden = true;
  ui.progressBox.dataset.state = 'running';
  ui.progressLabel.textContent = 'Decoding…';
  setProgress(0, size, 0, 0);
  const timer = setTimeout(() => {
    if (runToken === token) ui.progressBox.hidden = false;
  }, size > 512 * 1024 ? 0 : PROGRESS_AFTER_MS);
  running = { token, timer, big: size > LIVE_LIMIT };
  document.body.classList.add('busy');
  let msg;
  try {
    const bytes = new Uint8Array(await input.blob.arrayBuffer());
    if (runToken !== token) return;
    msg = await engine.analyze(bytes, keys, form, (p) => {
      if (runToken === token) setProgress(p.done, p.total, p.frames, p.pdus);
    }, ui.keylog.value);
  } catch (err) {
    if (runToken !== token || err.cancelled) return;
    clearTimeout(timer);
    running = null;
    document.body.classList.remove('busy');
    ui.progressBox.hidden = true;
    if (/^key \d+/.test(err.message)) {
      ui.keysError.textContent = `Shared key: ${err.message}`;
    } else if (err.name === 'NotReadableError' || err.name === 'NotFoundError') {
      showMessage(`Cannot read the file any more (${err.message}); open it again.`);
    } else {
      showMessage(`The decoder stopped: ${err.message}. Try again, or another input.`);
      engine.cancel().catch(() => {});
    }
    return;
  }
  if (runToken !== token) return;
  clearTimeout(timer);
  running = null;
  document.body.classList.remove('busy');
  const { overview, table, timing } = msg;
  setProgress(overview.stats.input_bytes, overview.stats.input_bytes, overview.stats.frames, overview.pdus);
  ui.progressBox.dataset.state = 'done';
  const ms = performance.now() - started;
  ui.progressLabel.textContent = 'Decoded';
  ui.progressBox.dataset.ms = ms.toFixed(1);
  ui.progressBox.dataset.analyseMs = timing.analyse.toFixed(1);
  result = prepare(overview, table, { ...input, form });
  render();
  performance.mark('decode-table');
  ui.progressText.textContent = `${plural(overview.stats.frames, 'frame')} · ${plural(overview.pdus, 'PDU')} in ${(ms / 1000).toFixed(2)} s`;
  if (!ui.progressBox.hidden) ui.cancel.hidden = true;
  document.body.dataset.decoded = String(token);
  // small decodes: the bar only flashes; big ones keep "Decoded N frames in X s" on screen
  if (ms < 1000 && size < 512 * 1024) ui.progressBox.hidden = true;
}

async function cancel(announce = true) {
  if (!running) return;
  clearTimeout(running.timer);
  running = null;
  runToken++;
  document.body.classList.remove('busy');
  ui.progressBox.dataset.state = 'cancelled';
  ui.progressLabel.textContent = 'Cancelled';
  if (announce) ui.actionStatus.textContent = 'Decoding cancelled.';
  await engine.cancel();
  if (announce) ui.progressBox.hidden = true;
}

/** Columns derived once per decode: summaries, marks, endpoint strings. */
function prepare(overview, table, input) {
  const n = table.length;
  const summaries = new Array(n);
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = table.summaryEnd[i];
    summaries[i] = table.summary.slice(start, end);
    start = end;
  }
  const marks = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const st = table.state[i];
    let m = table.diag[i];
    if ((st & 3) === 3) m = 3; // wrong key
    if (st & 4) m = Math.max(m, 2); // incomplete
    marks[i] = m;
  }
  const rank = { info: 1, warning: 2, error: 3 };
  for (const d of overview.diagnostics) {
    if (d.pdu !== null && d.pdu < n) marks[d.pdu] = Math.max(marks[d.pdu], rank[d.severity] || 1);
  }
  const ends = overview.connections.map((c) => [`${endpoint(c.client)} → ${endpoint(c.server)}`, `${endpoint(c.server)} → ${endpoint(c.client)}`]);
  return { overview, table, summaries, marks, ends, input, view: null };
}

// ---------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------

const grid = new VirtualGrid($('list'), $('viewport'), $('spacer'), $('rows'), {
  columns: ['c-no', 'c-time', 'c-ends', 'c-dir', 'c-type', 'c-seq', 'c-sess', 'c-sum', 'c-mark'],
  render(row, cells, i) {
    const t = result.table;
    const dir = t.dir[i];
    const type = t.type[i];
    const mark = result.marks[i];
    row.className = `row t${type > 3 ? 0 : type} ${dir ? 'to-client' : 'to-server'}${mark === 3 ? ' m-err' : mark === 2 ? ' m-warn' : ''}`;
    cells[0].textContent = String(i + 1);
    cells[1].textContent = relTime(i);
    const c = t.conn[i];
    cells[2].textContent = c >= 0 ? result.ends[c][dir] : dir ? 'server → client' : 'client → server';
    cells[3].textContent = dir ? 'S→C' : 'C→S';
    cells[4].textContent = TYPE_NAMES[type] || String(type);
    cells[5].textContent = String(t.seqNo[i]);
    cells[6].textContent = hex8(t.sessionId[i]);
    cells[7].textContent = result.summaries[i];
    cells[8].textContent = mark === 3 ? '✖' : mark === 2 ? '⚠' : mark === 1 ? 'ℹ' : '';
    cells[8].title = mark ? 'has diagnostics' : '';
  },
  onSelect: (i) => selectPdu(i, { fromList: true }),
  onActivate: () => $('tree').focus(),
});

const fieldInfo = $('field-info');
const tree = new Tree($('tree'), {
  onSelect: (node) => {
    const span = node.spanAll || node.span;
    hexView.highlight(span);
    const bytes = span && span[1] > span[0] ? ` · bytes ${span[0]}${span[1] - span[0] > 1 ? `–${span[1] - 1}` : ''}` : '';
    fieldInfo.textContent = node.help || bytes ? `${node.label}${bytes}${node.help ? ` — ${node.help}` : ''}` : '';
  },
});
const hexView = new HexView($('hex'), { onPick: (i) => tree.selectAt(i) });
const flow = new FlowView($('flow'), { onPick: (i) => selectPdu(i, { fromFlow: true }) });

function renderEmpty(text) {
  ui.detected.textContent = text;
  grid.setRows(0);
  ui.count.textContent = '';
  tree.empty('Select a packet.');
  fieldInfo.textContent = '';
  hexView.empty('Select a packet.');
  flow.empty('Select a packet to see its session.');
  ui.diags.replaceChildren(Object.assign(document.createElement('p'), { className: 'empty', textContent: 'None yet.' }));
  ui.diagCount.textContent = '';
  ui.sessionPos.textContent = '';
  for (const b of [ui.copyLink, ui.exportJson, ui.exportText]) b.disabled = true;
  selected = -1;
  currentSession = -1;
}

// TACACS+ over TLS (RFC 9887): what the handshake shows, and whether the key log decrypted it.
function tlsVerdict(o) {
  const out = [];
  for (const c of o.connections) {
    const t = c.tls;
    if (!t) continue;
    const what = [t.version === 0x0304 ? 'TLS 1.3' : 'TLS', t.sni ? `SNI ${t.sni}` : ''].filter(Boolean).join(', ');
    const dec = t.decrypted[0] + t.decrypted[1];
    out.push(dec ? ` ${what}: decrypted with the key log.` : ` ${what}: ${t.opaque_reason || 'not decrypted'}.`);
  }
  return out.join('');
}

function keyVerdict(o, t) {
  let obfuscated = 0;
  let wrong = 0;
  for (let i = 0; i < t.length; i++) {
    const s = t.state[i] & 3;
    if (s === 2) obfuscated++;
    else if (s === 3) wrong++;
  }
  if (t.length === 0) return '';
  if (o.keys === 0) {
    return obfuscated ? `${plural(obfuscated, 'body', 'bodies')} obfuscated: enter the shared key to read them.` : 'No key needed: bodies are in clear.';
  }
  if (o.keys_ok.length) {
    const k = o.keys_ok.map((x) => x + 1).join(', ');
    return `Key ${k} decodes every packet consistently.`;
  }
  const fits = o.connections.filter((c) => c.keys_ok.length).length;
  if (wrong) {
    return `${plural(wrong, 'packet')} did not decode with any key (the field lengths don't add up): probably wrong key${fits ? `; ${fits} connection${fits === 1 ? '' : 's'} decode fine` : ''}.`;
  }
  return '';
}

function render() {
  const { overview: o, table: t } = result;
  const f = o.format;
  const form = FORM_NAMES[f.form] || f.form;
  const inner = f.inner ? ` containing a ${FORM_NAMES[f.inner] || f.inner}` : '';
  const unrecognised = o.diagnostics.some((d) => d.code === 'unrecognised-input');
  const parts = [
    unrecognised
      ? `Input form not recognised (read as ${form})`
      : `${f.forced ? 'Read as' : 'Detected'}: ${form}${inner}${f.detail ? ` (${f.detail})` : ''}`,
    plural(o.stats.frames, 'frame'),
    plural(o.connections.length, 'connection'),
    plural(o.pdus, 'PDU'),
    plural(o.sessions, 'session'),
  ];
  ui.detected.textContent = `${parts.join(' · ')}. ${keyVerdict(o, t)}${tlsVerdict(o)}`;
  ui.detected.dataset.form = f.form;
  for (const b of [ui.copyLink, ui.exportJson, ui.exportText]) b.disabled = false;
  if (t.length === 0) showMessage(noPduMessage(o), 'warn');
  ui.count.textContent = `(${t.length.toLocaleString('en')})`;
  applyFilter(false);
  renderDiagnostics();
  selected = -1;
  currentSession = -1;
  if (t.length) grid.select(0);
  else {
    tree.empty('No packet.');
    hexView.empty('No packet.');
    flow.empty('No session.');
    ui.sessionPos.textContent = '';
  }
}

function noPduMessage(o) {
  const errors = o.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    const hint = errors[0].code === 'unrecognised-input'
      ? ' Paste tcpdump -X/-xx output, a Wireshark hex dump, hex or base64, or open a pcap/pcapng file.'
      : '';
    return `No TACACS+ packet: ${errors[0].message}.${hint}`;
  }
  const tls = o.connections.filter((c) => c.kind === 'tacacs_tls').length;
  if (tls) return `No readable TACACS+ packet: ${plural(tls, 'connection')} carry TACACS+ over TLS (RFC 9887), which cannot be decoded without the TLS keys: paste the key log (SSLKEYLOGFILE) beside the capture.`;
  return `No TACACS+ packet found in ${plural(o.stats.frames, 'frame')} (${plural(o.stats.tcp_segments, 'TCP segment')}). TACACS+ is recognised on any port by its 12-byte header (version 0xc, type 1-3).`;
}

function renderDiagnostics() {
  const o = result.overview;
  const list = o.diagnostics;
  ui.diagCount.textContent = list.length ? `(${list.length}${o.stats.diagnostics_dropped ? ` + ${o.stats.diagnostics_dropped} repeated` : ''})` : '';
  if (!list.length) {
    ui.diags.replaceChildren(Object.assign(document.createElement('p'), { className: 'empty', textContent: 'No capture-level findings. Findings inside a packet are listed in its details.' }));
    return;
  }
  const ul = document.createElement('ul');
  for (const d of list) {
    const li = document.createElement('li');
    li.className = `sev-${d.severity}`;
    const sev = document.createElement('span');
    sev.className = 'sev';
    sev.textContent = d.severity;
    const msg = document.createElement('span');
    msg.className = 'msg';
    msg.textContent = d.message;
    const where = [];
    if (d.offset !== null) where.push(`input offset ${d.offset}`);
    if (d.frame !== null) where.push(`frame ${d.frame}`);
    if (d.conn !== null) where.push(`connection #${d.conn + 1}`);
    const code = document.createElement('code');
    code.textContent = d.code;
    li.append(sev, ' ', code, ' ', msg);
    if (where.length) {
      const w = document.createElement('span');
      w.className = 'where';
      w.textContent = ` (${where.join(', ')})`;
      li.append(w);
    }
    const target = d.pdu !== null ? d.pdu : d.frame !== null ? pduAtFrame(d.frame) : -1;
    if (target >= 0) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'link';
      b.textContent = `Show packet ${target + 1}`;
      b.addEventListener('click', () => selectPdu(target, { reveal: true }));
      li.append(' ', b);
    }
    ul.append(li);
  }
  ui.diags.replaceChildren(ul);
}

function pduAtFrame(frame) {
  const t = result.table;
  for (let i = 0; i < t.length; i++) if (t.frame[i] <= frame && frame <= t.lastFrame[i]) return i;
  for (let i = 0; i < t.length; i++) if (t.frame[i] >= frame) return i;
  return -1;
}

// ---------------------------------------------------------------------------------------
// Selection: details, bytes, flow
// ---------------------------------------------------------------------------------------

let shown = null; // {pdu, decoded}

async function selectPdu(i, how = {}) {
  if (!result || i < 0 || i >= result.table.length) return;
  selected = i;
  if (!how.fromList) {
    if (!grid.selectIndex(i, false)) grid.render();
  }
  const token = ++detailToken;
  let msg;
  try {
    msg = await engine.pdu(i);
  } catch (err) {
    if (err.cancelled) return;
    throw err;
  }
  if (token !== detailToken || !result) return;
  shown = { pdu: msg.pdu, decoded: msg.decoded };
  renderDetail();
  const s = result.table.session[i];
  if (s >= 0 && s === currentSession) flow.markCurrent(i);
  else if (s >= 0) await showSession(s);
  else {
    currentSession = -1;
    flow.empty('This PDU belongs to no session.');
    ui.sessionPos.textContent = '';
  }
}

function rowInfo(i) {
  const t = result.table;
  const c = t.conn[i];
  const conn = c >= 0 ? result.overview.connections[c] : null;
  const dir = t.dir[i];
  return {
    time: absTime(t.secs[i], t.nanos[i], result.overview.first_time && result.overview.first_time.time_of_day),
    src: conn ? endpoint(dir ? conn.server : conn.client) : null,
    dst: conn ? endpoint(dir ? conn.client : conn.server) : null,
  };
}

function bytesView() {
  return document.querySelector('input[name=bytes-view]:checked').value;
}

function renderDetail() {
  if (!shown || !shown.pdu) return;
  const { pdu, decoded } = shown;
  const { bytes, obfuscated } = pduBytes(pdu, decoded, bytesView());
  const missing = Math.max(0, 12 + pdu.header.length - bytes.length);
  hexView.show(bytes, { bodyStart: 12, missing: pdu.complete ? 0 : missing, obfuscated });
  // Before the tree: a field the tree keeps selected (Tree.show) describes itself.
  fieldInfo.textContent = 'Select a field to see its bytes and meaning; click a byte to find its field.';
  tree.show(buildNodes({ pdu, decoded, overview: result.overview, row: rowInfo(pdu.index), bytes }));
}

async function showSession(s) {
  const msg = await engine.session(s);
  if (!result || !msg.session) return;
  currentSession = s;
  const sess = msg.session;
  const conn = sess.conn !== null ? result.overview.connections[sess.conn] : null;
  flow.show(sess, {
    conn: conn && { client: endpoint(conn.client), server: endpoint(conn.server) },
    current: selected,
    summary: (i) => result.summaries[i],
    time: (i) => relTime(i),
    frame: (i) => result.table.lastFrame[i],
  });
  ui.sessionPos.textContent = `${(s + 1).toLocaleString('en')} / ${result.overview.sessions.toLocaleString('en')}`;
}

async function stepSession(delta) {
  if (!result || !result.overview.sessions) return;
  const next = currentSession < 0 ? 0 : Math.max(0, Math.min(result.overview.sessions - 1, currentSession + delta));
  const msg = await engine.session(next);
  if (msg.session && msg.session.steps.length) selectPdu(msg.session.steps[0].pdu, { reveal: true });
}

// ---------------------------------------------------------------------------------------
// Filter
// ---------------------------------------------------------------------------------------

function applyFilter(keepSelection = true) {
  if (!result) return;
  const q = ui.filter.value.trim().toLowerCase();
  const t = result.table;
  if (!q) {
    grid.setRows(t.length);
    ui.count.textContent = `(${t.length.toLocaleString('en')})`;
    return;
  }
  const hits = [];
  for (let i = 0; i < t.length; i++) {
    const c = t.conn[i];
    const hay = `${result.summaries[i]} ${c >= 0 ? result.ends[c][t.dir[i]] : ''} ${TYPE_NAMES[t.type[i]] || ''} ${hex8(t.sessionId[i])} #${t.frame[i]}`.toLowerCase();
    if (hay.includes(q)) hits.push(i);
  }
  grid.setRows(t.length, Uint32Array.from(hits));
  ui.count.textContent = `(${hits.length.toLocaleString('en')} of ${t.length.toLocaleString('en')})`;
  if (keepSelection && selected >= 0) grid.selectIndex(selected, false);
}

function nextFlagged() {
  if (!result) return;
  const n = result.table.length;
  for (let k = 1; k <= n; k++) {
    const i = (Math.max(selected, -1) + k) % n;
    if (result.marks[i] && grid.viewPos(i) >= 0) {
      selectPdu(i, { reveal: true });
      return;
    }
  }
  ui.actionStatus.textContent = 'No packet has a diagnostic.';
}

// ---------------------------------------------------------------------------------------
// Share and export
// ---------------------------------------------------------------------------------------

async function copyLink() {
  if (!result) return;
  const { blob, isText, form } = result.input;
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const frag = await encodeFragment(bytes, isText, form);
  if (frag.length > MAX_LINK) {
    ui.actionStatus.textContent = `This capture is too big for a link (${Math.round(frag.length / 1024)} KB compressed); export it instead.`;
    return;
  }
  const url = `${location.href.split('#')[0]}#${frag}`;
  ui.shareBox.hidden = false;
  ui.shareUrl.value = url;
  try {
    await navigator.clipboard.writeText(url);
    ui.actionStatus.textContent = 'Link copied (the capture is in it, the key is not).';
  } catch {
    ui.shareUrl.select();
    ui.actionStatus.textContent = 'Copy the link below (the capture is in it, the key is not).';
  }
}

async function exportJson() {
  const msg = await engine.exportJson();
  download('tacacs-decode.jsonl', msg.text, 'application/x-ndjson');
  ui.actionStatus.textContent = 'Exported JSON Lines (casplus decode --json schema).';
}

async function exportText() {
  const { overview: o, table: t, summaries } = result;
  const lines = [];
  lines.push('casplus TACACS+ inspector export');
  lines.push(ui.detected.textContent);
  lines.push('');
  lines.push(['No.', 'Frame', 'Time', 'Source -> Destination', 'Dir', 'Type', 'Seq', 'Session', 'Summary', 'Diag'].join('\t'));
  for (let i = 0; i < t.length; i++) {
    const c = t.conn[i];
    const ends = c >= 0 ? result.ends[c][t.dir[i]].replace('→', '->') : t.dir[i] ? 'server -> client' : 'client -> server';
    lines.push([i + 1, t.lastFrame[i], relTime(i), ends, t.dir[i] ? 'S->C' : 'C->S', TYPE_NAMES[t.type[i]] || t.type[i],
      t.seqNo[i], hex8(t.sessionId[i]), summaries[i], ['', 'info', 'warning', 'error'][result.marks[i]]].join('\t'));
  }
  const { sessions } = await engine.sessions();
  lines.push('', 'Sessions');
  for (const s of sessions) {
    const conn = s.conn !== null ? o.connections[s.conn] : null;
    lines.push(`Session ${hex8(s.session_id)} ${s.type}${conn ? ` ${endpoint(conn.client)} <-> ${endpoint(conn.server)}` : ''}: ${s.outcome || (s.finished ? 'ended' : 'not finished')}`);
    for (const st of s.steps) lines.push(`  ${st.direction === 'to_server' ? 'C->S' : 'S->C'} seq ${st.seq_no}  ${summaries[st.pdu]}  (packet ${st.pdu + 1}, frame ${t.lastFrame[st.pdu]})`);
  }
  lines.push('', 'Diagnostics');
  for (const d of o.diagnostics) {
    const where = [d.offset !== null ? `input offset ${d.offset}` : '', d.frame !== null ? `frame ${d.frame}` : '', d.pdu !== null ? `packet ${d.pdu + 1}` : ''].filter(Boolean).join(', ');
    lines.push(`  ${d.severity} ${d.code}: ${d.message}${where ? ` (${where})` : ''}`);
  }
  download('tacacs-decode.txt', `${lines.join('\n')}\n`, 'text/plain');
  ui.actionStatus.textContent = 'Exported text.';
}

// ---------------------------------------------------------------------------------------
// Wiring
// ---------------------------------------------------------------------------------------

function scheduleLive() {
  clearTimeout(liveTimer);
  if (!ui.live.checked || ui.capture.value.length > LIVE_LIMIT) return;
  liveTimer = setTimeout(decode, 300);
}

ui.capture.addEventListener('input', () => {
  if (source.kind === 'file') clearFile();
  scheduleLive();
});
ui.keys.addEventListener('input', () => {
  if (ui.remember.checked) rememberKeys();
  clearTimeout(liveTimer);
  const size = source.kind === 'file' ? source.blob.size : ui.capture.value.length;
  if (result && size <= REDECODE_LIMIT && (ui.live.checked || source.kind === 'file')) liveTimer = setTimeout(decode, 300);
});
ui.keylog.addEventListener('input', () => {
  clearTimeout(liveTimer);
  if (result) liveTimer = setTimeout(decode, 300);
});
ui.remember.addEventListener('change', rememberKeys);
ui.showKeys.addEventListener('change', () => ui.keys.classList.toggle('masked', !ui.showKeys.checked));
ui.format.addEventListener('change', () => { if (result || source.kind === 'file') decode(); });
ui.decode.addEventListener('click', () => decode());
ui.cancel.addEventListener('click', () => cancel(true));
ui.file.addEventListener('change', () => {
  const f = ui.file.files && ui.file.files[0];
  if (f) openFile(f);
  ui.file.value = '';
});
$('file-clear').addEventListener('click', () => {
  clearFile();
  ui.capture.focus();
  decode();
});
for (const ev of ['dragenter', 'dragover']) {
  ui.drop.addEventListener(ev, (e) => {
    if (e.dataTransfer && [...e.dataTransfer.types].includes('Files')) {
      e.preventDefault();
      ui.drop.classList.add('dragging');
    }
  });
}
ui.drop.addEventListener('dragleave', (e) => {
  if (!ui.drop.contains(e.relatedTarget)) ui.drop.classList.remove('dragging');
});
ui.drop.addEventListener('drop', (e) => {
  ui.drop.classList.remove('dragging');
  const f = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
  if (f) {
    e.preventDefault();
    openFile(f);
  }
});
// a file dropped outside the box must not navigate away from the page
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => e.preventDefault());

ui.filter.addEventListener('input', () => {
  clearTimeout(ui.filter.timer);
  ui.filter.timer = setTimeout(() => applyFilter(true), 150);
});
ui.nextFlag.addEventListener('click', nextFlagged);
$('prev-session').addEventListener('click', () => stepSession(-1));
$('next-session').addEventListener('click', () => stepSession(1));
for (const r of document.querySelectorAll('input[name=bytes-view]')) {
  r.addEventListener('change', () => {
    const label = tree.current ? tree.current.li.id : null;
    renderDetail();
    if (label) tree.select(tree.nodes.find((e) => e.li.id === label), true);
  });
}
ui.copyLink.addEventListener('click', () => copyLink());
ui.exportJson.addEventListener('click', () => exportJson());
ui.exportText.addEventListener('click', () => exportText());

for (const ex of EXAMPLES) {
  const o = document.createElement('option');
  o.value = ex.id;
  o.textContent = ex.title;
  ui.example.append(o);
}
ui.example.addEventListener('change', () => {
  const ex = EXAMPLES.find((x) => x.id === ui.example.value);
  if (!ex) return;
  clearFile();
  ui.capture.value = ex.text;
  ui.keys.value = ex.key;
  if (ui.remember.checked) rememberKeys();
  ui.format.value = 'auto';
  decode();
});
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && running) cancel(true);
});

async function startup() {
  try {
    const stored = localStorage.getItem(KEY_STORE);
    if (stored !== null) {
      ui.keys.value = stored;
      ui.remember.checked = true;
    }
  } catch {
    /* storage disabled */
  }
  renderEmpty('No capture yet. Paste one, open a file, or pick an example.');
  const ready = engine.start().then(
    () => { document.body.dataset.ready = 'true'; },
    (err) => showMessage(`The decoder could not start: ${err.message}. This page needs WebAssembly and module workers (a current browser).`),
  );
  if (location.hash.length > 1) {
    try {
      const shared = await decodeFragment(location.hash);
      if (shared) {
        ui.format.value = shared.form;
        if (shared.isText) ui.capture.value = new TextDecoder().decode(shared.bytes);
        else setFile('shared capture', new Blob([shared.bytes]), false);
        ui.actionStatus.textContent = 'Capture loaded from the link. Enter the key to read obfuscated bodies.';
        await ready;
        decode();
      }
    } catch (err) {
      showMessage(`The link's capture could not be read (${err.message}); it may have been cut.`);
    }
  }
  await ready;
}

startup();
