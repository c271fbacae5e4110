// A CommonJS consumer, checked with `tsc --noEmit` against the shipped node.d.cts.
import casplus = require('casplus');
import cas = require('casplus/cas');

const r: casplus.DecodeResult = casplus.decode('c0 01 01 00', { keys: ['k'] });
const n: number = r.pdus.length;
const ok: boolean = cas.parseCasResponse('no\n\n').success;
void [n, ok];
// @ts-expect-error the CAS parser is in casplus/cas
void casplus.parseCasResponse;
// @ts-expect-error the Node builds are ready on require: no init
void casplus.initSync;
