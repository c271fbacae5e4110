// A browser / bundler consumer (moduleResolution "bundler"), checked against web.d.ts.
import init, { decode, initSync, type DecodeResult, type InitOutput } from 'casplus';

const ready: InitOutput = await init();
const again: InitOutput = await init({ module_or_path: new URL('casplus_bg.wasm', import.meta.url) });
initSync({ module: new Uint8Array(0) });
const r: DecodeResult = decode(new Uint8Array(0), { keys: ['k'] });
void [ready, again, r.pdus.length];
// casplus/cas is its own module with its own init
import initCas, { parseCasResponse, type CasValidation } from 'casplus/cas';
await initCas({ module_or_path: new URL('cas/cas_bg.wasm', import.meta.url) });
const v: CasValidation = parseCasResponse('yes\nalice\n');
void v.success;
// @ts-expect-error init resolves to the module's exports, not a number
const wrong: number = await init();
void wrong;
