// casplus/client for Node >= 18 (ESM): the wasm core loads synchronously.
import * as core from './core/node.mjs';
import { makeCreate } from './index.js';

export { CasClientError, MemoryStore, KvStore } from './index.js';
export const createCasClient = makeCreate(async () => core);
