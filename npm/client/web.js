// casplus/client for Workers, Deno, Bun, browsers and bundlers: the wasm core is initialised
// on first use — from `options.wasm` (a WebAssembly.Module, as Workers import `.wasm` files)
// or fetched next to this file.
import init, * as core from './core/web.js';
import { makeCreate } from './index.js';

export { CasClientError, MemoryStore, KvStore, DurableObjectStore, durableObjectStore, CasSessionObject } from './index.js';
let ready;
export const createCasClient = makeCreate(async (options) => {
  ready ??= init(options.wasm ? { module_or_path: options.wasm } : undefined);
  await ready;
  return core;
});
