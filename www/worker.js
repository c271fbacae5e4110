// The decoding Web Worker: holds the web build of the core and the current analysis, so the
// page never blocks. Messages (all carry the request `id`):
//   {op: 'init', module}                         -> {op: 'ready'} | {op: 'error'}
//   {op: 'analyze', id, input, keys, format, keylog} -> {op: 'progress', …}* then {op: 'result', overview, table}
//   {op: 'pdu', id, index}                       -> {op: 'pdu', pdu, decoded}
//   {op: 'session', id, index}                   -> {op: 'session', session}
//   {op: 'sessions', id}                         -> {op: 'sessions', sessions}
//   {op: 'export-json', id}                      -> {op: 'export-json', text}
// Cancel: the page terminates this worker and starts another (a running analysis cannot read
// messages), passing it the compiled module again, so nothing is fetched twice.
import init, { inspect } from './pkg/casplus.js';

let current = null; // the Inspection of the last analysis
let ready = null;

function reply(msg, transfer = []) {
  self.postMessage(msg, transfer);
}

function fail(id, err) {
  reply({ op: 'error', id, message: String(err && err.message ? err.message : err) });
}

const TABLE_ARRAYS = ['frame', 'lastFrame', 'secs', 'nanos', 'conn', 'session', 'dir', 'type', 'seqNo',
  'flags', 'sessionId', 'state', 'keyIndex', 'diag', 'summaryEnd'];

function analyze({ id, input, keys, format, keylog }) {
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
  const insp = inspect(bytes, keys, format, onProgress, keylog || undefined);
  const analysed = performance.now();
  current = insp;
  const overview = insp.overview();
  const table = insp.table();
  const transfer = TABLE_ARRAYS.map((k) => table[k].buffer);
  reply({ op: 'result', id, overview, table, timing: { analyse: analysed - started, total: performance.now() - started } }, transfer);
}

function handle(msg) {
  const { op, id } = msg;
  try {
    switch (op) {
      case 'analyze':
        analyze(msg);
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
      await ready;
      reply({ op: 'ready' });
    } catch (err) {
      fail(undefined, err);
    }
    return;
  }
  if (ready) await ready;
  handle(msg);
};
