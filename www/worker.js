// The decoding Web Worker: holds the web build of the core and the current analysis, so the
// page never blocks. Messages (all carry the request `id`):
//   {op: 'init', module, tlsModule?}             -> {op: 'ready'} | {op: 'error'}
//   {op: 'analyze', id, input, keys, format, keylog} -> {op: 'progress', …}* then {op: 'result', overview, table}
//                                                   (and {op: 'tls-module', module} the first time TLS is needed)
//   {op: 'pdu', id, index}                       -> {op: 'pdu', pdu, decoded}
//   {op: 'session', id, index}                   -> {op: 'session', session}
//   {op: 'sessions', id}                         -> {op: 'sessions', sessions}
//   {op: 'export-json', id}                      -> {op: 'export-json', text}
// Cancel: the page terminates this worker and starts another (a running analysis cannot read
// messages), passing it the compiled module again, so nothing is fetched twice.
//
// TLS: the records of TACACS+ over TLS (RFC 9887) are opened by a second wasm module
// (pkg/casplus_tls*, src/wasm/tls.rs: the crypto crates), which is not fetched with the page.
// When an analysis reports a connection its key log could decrypt (diagnostic
// `tls-no-decryption`), this worker loads that module, puts its exports on
// `globalThis.casplusTls` (where the core calls them) and analyses again; the page keeps the
// compiled module for the workers that replace this one.
import init, { inspect } from './pkg/casplus.js';

const TLS_GLUE = './pkg/casplus_tls.js';
const TLS_WASM = new URL('./pkg/casplus_tls_bg.wasm', import.meta.url);

let current = null; // the Inspection of the last analysis
let ready = null;
let tlsModule = null; // the TLS module, compiled (given by the page, or fetched here)
let tlsReady = null; // resolves once globalThis.casplusTls is set
let queue = Promise.resolve(); // requests run one after the other (analyze may wait for TLS)

function reply(msg, transfer = []) {
  self.postMessage(msg, transfer);
}

function fail(id, err) {
  reply({ op: 'error', id, message: String(err && err.message ? err.message : err) });
}

const TABLE_ARRAYS = ['frame', 'lastFrame', 'secs', 'nanos', 'conn', 'session', 'dir', 'type', 'seqNo',
  'flags', 'sessionId', 'state', 'keyIndex', 'diag', 'summaryEnd'];

function loadTls() {
  if (!tlsReady) {
    tlsReady = (async () => {
      const glue = await import(TLS_GLUE);
      const fresh = !tlsModule;
      if (fresh) {
        const resp = await fetch(TLS_WASM);
        if (!resp.ok) throw new Error(`cannot load the TLS decryption (${resp.status})`);
        const wasmType = (resp.headers.get('content-type') || '').startsWith('application/wasm');
        tlsModule = wasmType
          ? await WebAssembly.compileStreaming(resp)
          : await WebAssembly.compile(await resp.arrayBuffer());
      }
      await glue.default({ module_or_path: tlsModule });
      globalThis.casplusTls = { expandLabel: glue.expandLabel, open: glue.open };
      if (fresh) reply({ op: 'tls-module', module: tlsModule });
    })();
    tlsReady.catch(() => { tlsReady = null; });
  }
  return tlsReady;
}

const needsTls = (overview) => overview.diagnostics.some((d) => d.code === 'tls-no-decryption');

async function analyze({ id, input, keys, format, keylog }) {
  const bytes = new Uint8Array(input);
  let last = 0;
  const started = performance.now();
  const onProgress = (done, total, frames, pdus) => {
    const now = performance.now();
    // at most ~30 messages a second; the final call always goes out
    if (done >= total || now - last > 33) {
      last = now;
      reply({ op: 'progress', id, done, total, frames, pdus });
    }
    return false;
  };
  if (current) {
    current.free();
    current = null;
  }
  const tls = Boolean(globalThis.casplusTls);
  let insp = inspect(bytes, keys, format, onProgress, keylog || undefined, tls);
  let overview = insp.overview();
  // a TLS module that cannot be loaded leaves the analysis as it is (its diagnostic says why)
  if (!tls && keylog && needsTls(overview) && (await loadTls().then(() => true, () => false))) {
    insp.free();
    last = 0;
    insp = inspect(bytes, keys, format, onProgress, keylog, true);
    overview = insp.overview();
  }
  const analysed = performance.now();
  current = insp;
  const table = insp.table();
  const transfer = TABLE_ARRAYS.map((k) => table[k].buffer);
  reply({ op: 'result', id, overview, table, timing: { analyse: analysed - started, total: performance.now() - started } }, transfer);
}

async function handle(msg) {
  const { op, id } = msg;
  try {
    switch (op) {
      case 'analyze':
        await analyze(msg);
        break;
      case 'pdu':
        reply({ op, id, pdu: current ? current.pdu(msg.index) : null, decoded: current ? current.decodePdu(msg.index) : null });
        break;
      case 'session':
        reply({ op, id, session: current ? current.session(msg.index) : null });
        break;
      case 'sessions':
        reply({ op, id, sessions: current ? current.sessions() : [] });
        break;
      case 'export-json':
        reply({ op, id, text: current ? current.exportJsonLines() : '' });
        break;
      default:
        fail(id, `unknown request ${op}`);
    }
  } catch (err) {
    fail(id, err);
  }
}

self.onmessage = async (e) => {
  const msg = e.data;
  if (msg.op === 'init') {
    try {
      ready = init({ module_or_path: msg.module });
      tlsModule = msg.tlsModule || null;
      await ready;
      if (tlsModule) await loadTls();
      reply({ op: 'ready' });
    } catch (err) {
      fail(undefined, err);
    }
    return;
  }
  queue = queue.then(async () => {
    if (ready) await ready;
    await handle(msg);
  });
};
