// Main-thread side of the decoding worker: one request at a time per kind, promises for
// answers, progress callbacks, and Cancel (terminate the worker, start a fresh one with the
// already compiled module — no second download).

const WASM_URL = new URL('./pkg/casplus_bg.wasm', import.meta.url);
const WORKER_URL = new URL('./worker.js', import.meta.url);

export class Engine {
  constructor() {
    this.module = null;
    this.tlsModule = null; // the TLS module, once a worker has needed it (worker.js)
    this.worker = null;
    this.pending = new Map(); // id -> {resolve, reject, onProgress}
    this.nextId = 1;
    this.readyPromise = null;
    this.generation = 0; // bumped when the worker (and its analysis) is replaced
  }

  /** Compiles the core once and starts the worker. */
  start() {
    if (!this.readyPromise) {
      this.readyPromise = (async () => {
        const resp = await fetch(WASM_URL);
        if (!resp.ok) throw new Error(`cannot load the decoder (${resp.status})`);
        // a static host that does not say application/wasm still works, without streaming
        const wasmType = (resp.headers.get('content-type') || '').startsWith('application/wasm');
        this.module = wasmType
          ? await WebAssembly.compileStreaming(resp)
          : await WebAssembly.compile(await resp.arrayBuffer());
        await this.spawn();
      })();
    }
    return this.readyPromise;
  }

  spawn() {
    this.generation += 1;
    const worker = new Worker(WORKER_URL, { type: 'module', name: 'casplus-decoder' });
    this.worker = worker;
    return new Promise((resolve, reject) => {
      worker.onmessage = (e) => {
        const msg = e.data;
        if (msg.op === 'ready') {
          worker.onmessage = (ev) => this.dispatch(ev.data);
          resolve();
        } else if (msg.op === 'error') {
          reject(new Error(msg.message));
        }
      };
      worker.onerror = (e) => {
        e.preventDefault();
        const err = new Error(e.message || 'the decoder could not start');
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        reject(err);
      };
      worker.postMessage({ op: 'init', module: this.module, tlsModule: this.tlsModule });
    });
  }

  dispatch(msg) {
    if (msg.op === 'tls-module') {
      this.tlsModule = msg.module;
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.op === 'progress') {
      if (p.onProgress) p.onProgress(msg);
      return;
    }
    this.pending.delete(msg.id);
    if (msg.op === 'error') p.reject(new Error(msg.message));
    else p.resolve(msg);
  }

  async request(msg, onProgress, transfer = []) {
    await this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  /** Analyses `bytes`, whose buffer is handed over to the worker (no copy). */
  analyze(bytes, keys, format, onProgress, keylog = '') {
    const buf = bytes.buffer;
    return this.request({ op: 'analyze', input: buf, keys, format, keylog }, onProgress, [buf]);
  }

  pdu(index) { return this.request({ op: 'pdu', index }); }
  session(index) { return this.request({ op: 'session', index }); }
  sessions() { return this.request({ op: 'sessions' }); }
  exportJson() { return this.request({ op: 'export-json' }); }

  /** Stops whatever the worker is doing; pending requests reject with `Cancelled`. */
  async cancel() {
    if (!this.worker) return;
    this.worker.terminate();
    const err = new Error('Cancelled');
    err.cancelled = true;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.readyPromise = this.spawn();
    await this.readyPromise;
  }
}
