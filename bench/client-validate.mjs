// Validation of a CAS response in Node: the `casplus/client` core against xml2js-based parsing
// as the existing JavaScript CAS clients do it (bench/RESULTS.md, "casplus/client: validation
// vs xml2js"; issue 17 asks ≥ 50× faster, same run).
//   node bench/client-validate.mjs [PKG_DIR]     (after `make npm`; `make bench-client`)
//
// Both sides get the same CAS 3.0 success (§2.5.2, §2.6.2: user, 12 attributes of which 3
// multi-valued, a PGTIOU, a chain of two proxies) as text and produce the same things: the
// user, every attribute as an array of strings, the proxy list and the PGTIOU, with the chain
// checked against an allow-list of one exact chain.
// - casplus: `new Validator(true, chains).validate(bytes)` — the text encoded, one call into the wasm core
//   (XML reading, the CAS shape, the chain check, the result as a plain object).
// - xml2js: `parseString` with the options of cas-authentication (trim, normalize,
//   explicitArray false, tag names lower-cased and stripped of their prefix), then the result
//   walked into the same shape and the chain compared by hand. xml2js calls back
//   synchronously (its `async` option is off by default), so one call is one validation.
// Runs alternate (casplus, xml2js, casplus, …); each run times BATCH validations; the median
// per validation of each side and their ratio are printed, with the machine load.
//   node bench/client-validate.mjs PKG_DIR BEFORE_PKG_DIR   also times a second build of the
//   package (e.g. main's) in the same alternation, for a before/after in one run.
// The breakdown of one validation (same run): what the JavaScript side of a call costs on its
// own — the text into wasm memory (wasm-bindgen's glue: a `charCodeAt` loop for ASCII, else
// `TextEncoder.encodeInto`), the result's JSON text out of it (`TextDecoder`) and its
// `JSON.parse` — measured on the same body and the same result text, and the core's share
// as the difference.
import { createRequire } from 'node:module';
import { loadavg, cpus } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
const require = createRequire(`${root}/package.json`);
let xml2js;
try {
  xml2js = require('xml2js');
} catch {
  console.error('xml2js missing: run tests/tools/setup.sh npm');
  process.exit(1);
}
const pkg = resolve(process.argv[2] ?? `${root}/pkg`);
const core = await import(pathToFileURL(`${pkg}/client/core/node.mjs`).href);
const beforePkg = process.argv[3] && resolve(process.argv[3]);
const before = beforePkg && (await import(pathToFileURL(`${beforePkg}/client/core/node.mjs`).href));

const RUNS = Number(process.env.RUNS ?? 7);
const BATCH = Number(process.env.BATCH ?? 5_000);
const CHAIN = ['https://proxy2.example.org/pgtUrl', 'https://proxy1.example.org/pgtUrl'];

const attrs = {
  email: ['jdoe@example.org'],
  firstName: ['John'],
  lastName: ['Doe'],
  displayName: ['John Doe'],
  affiliation: ['staff', 'faculty', 'member'],
  memberOf: ['cn=admins,ou=groups,dc=example,dc=org', 'cn=staff,ou=groups,dc=example,dc=org', 'cn=vpn,ou=groups,dc=example,dc=org'],
  eduPersonPrincipalName: ['jdoe@example.org'],
  employeeNumber: ['12345'],
  authenticationDate: ['2026-12-07T10:00:00Z'],
  longTermAuthenticationRequestTokenUsed: ['false'],
  isFromNewLogin: ['true'],
  authenticationMethod: ['LdapAuthenticationHandler', 'MfaHandler'],
};
const body =
  `<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">\n` +
  `  <cas:authenticationSuccess>\n` +
  `    <cas:user>jdoe</cas:user>\n` +
  `    <cas:attributes>\n` +
  Object.entries(attrs)
    .flatMap(([k, vs]) => vs.map((v) => `      <cas:${k}>${v}</cas:${k}>\n`))
    .join('') +
  `    </cas:attributes>\n` +
  `    <cas:proxyGrantingTicket>PGTIOU-84678-8a9d2sfa23casd</cas:proxyGrantingTicket>\n` +
  `    <cas:proxies>\n` +
  CHAIN.map((p) => `      <cas:proxy>${p}</cas:proxy>\n`).join('') +
  `    </cas:proxies>\n` +
  `  </cas:authenticationSuccess>\n` +
  `</cas:serviceResponse>\n`;

// --- casplus -------------------------------------------------------------------------------
// The core takes the response's bytes (the wrapper hands it `res.arrayBuffer()`); from a string,
// as here, that is one `TextEncoder.encode`, timed with the rest. A core that takes a string
// (BEFORE_PKG_DIR of an older build) gets the string.
const validator = new core.Validator(true, [CHAIN]);
const encoder = new TextEncoder();
const casplus = (text) => validator.validate(encoder.encode(text));
const beforeValidator = before && new before.Validator(true, [CHAIN]);
const casplusBefore = (text) => beforeValidator.validate(text);

// --- xml2js, as cas-authentication does it -------------------------------------------------
const { processors } = xml2js;
const options = { trim: true, normalize: true, explicitArray: false, tagNameProcessors: [processors.normalize, processors.stripPrefix] };
const list = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
function viaXml2js(text) {
  let out;
  xml2js.parseString(text, options, (err, result) => {
    if (err) throw err;
    const r = result?.serviceresponse;
    if (!r) throw new Error('not a CAS response');
    if (r.authenticationfailure) throw new Error(r.authenticationfailure.$?.code ?? 'INVALID_TICKET');
    const s = r.authenticationsuccess;
    if (!s || !s.user) throw new Error('unexpected response');
    const attributes = {};
    for (const [k, v] of Object.entries(s.attributes ?? {})) attributes[k] = list(v).map(String);
    const proxies = list(s.proxies?.proxy);
    if (proxies.length && !(proxies.length === CHAIN.length && proxies.every((p, i) => p === CHAIN[i]))) throw new Error('PROXY_CHAIN_NOT_ALLOWED');
    out = { user: s.user, attributes, proxies, pgtIou: s.proxygrantingticket ?? null };
  });
  if (!out) throw new Error('xml2js did not call back synchronously');
  return out;
}

// Both sides must read the same thing before anything is timed.
const a = casplus(body);
const b = viaXml2js(body);
const norm = (o) => Object.keys(o).map((k) => k.toLowerCase()).sort().map((k) => k);
if (a.user !== 'jdoe' || b.user !== 'jdoe' || a.proxies.join() !== CHAIN.join() || b.proxies.join() !== CHAIN.join() || a.pgtIou !== b.pgtIou) {
  throw new Error(`the two sides disagree: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
}
if (norm(a.attributes).join() !== norm(b.attributes).join() || a.attributes.memberOf.length !== 3 || b.attributes.memberof.length !== 3) {
  throw new Error('the two sides disagree on attributes');
}

function time(fn) {
  const t0 = process.hrtime.bigint();
  let sink = 0;
  for (let i = 0; i < BATCH; i++) sink += fn(body).proxies.length;
  const ns = Number(process.hrtime.bigint() - t0);
  if (sink !== 2 * BATCH) throw new Error('bad result');
  return ns / BATCH;
}
// One trivial call into the wasm (arguments and result crossing, no parsing): the floor of
// any export.
const crossing = (text) => ({ proxies: [text.length, core.loginUrl('https://cas.example.org/cas', 'https://app.example.org/', false, false)] });

// The JavaScript side of one validation, on its own (see the header).
const resultJson = JSON.stringify(a);
const resultBytes = new TextEncoder().encode(resultJson);
const mem = new Uint8Array(64 * 1024);
const decoder = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });
const parts = {
  // wasm-bindgen's passStringToWasm0 for ASCII text: one charCodeAt per character.
  textIn: (text) => {
    let i = 0;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) break;
      mem[i] = c;
    }
    if (i !== text.length) encoder.encodeInto(text.slice(i), mem.subarray(i));
    return { proxies: [0, i] };
  },
  encodeInto: (text) => ({ proxies: [encoder.encodeInto(text, mem).written, 0] }),
  // What the core's caller does now: the string's bytes, then copied into wasm memory.
  encodeCopy: (text) => {
    const bytes = encoder.encode(text);
    mem.set(bytes);
    return { proxies: [bytes.length, 0] };
  },
  textOut: () => ({ proxies: [decoder.decode(resultBytes), 0] }),
  jsonParse: () => JSON.parse(resultJson),
};

const sides = { casplus, xml2js: viaXml2js, crossing, ...parts };
if (before) sides.before = casplusBefore;
for (let i = 0; i < 2; i++) for (const f of Object.values(sides)) time(f); // warm-up
const t = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
const load0 = loadavg()[0];
for (let i = 0; i < RUNS; i++) for (const [k, f] of Object.entries(sides)) t[k].push(time(f));
const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
const m = Object.fromEntries(Object.entries(t).map(([k, xs]) => [k, median(xs)]));
const us = (ns) => (ns / 1000).toFixed(2).padStart(8);
console.log(`node ${process.version}, ${cpus().length} CPUs, load ${load0.toFixed(2)} → ${loadavg()[0].toFixed(2)}; response ${body.length} B, result ${resultJson.length} B of JSON; ${RUNS} alternated runs of ${BATCH}`);
console.log(`casplus core validate   ${us(m.casplus)} µs  (${Math.round(1e9 / m.casplus)}/s)`);
if (before) console.log(`  the same, BEFORE build ${us(m.before)} µs  (${Math.round(1e9 / m.before)}/s)  (${beforePkg})`);
console.log(`xml2js + extraction     ${us(m.xml2js)} µs  (${Math.round(1e9 / m.xml2js)}/s)`);
console.log(`one wasm call (loginUrl) ${us(m.crossing)} µs`);
console.log(`ratio xml2js / casplus  ${(m.xml2js / m.casplus).toFixed(1)}×`);
if (before) console.log(`ratio xml2js / BEFORE   ${(m.xml2js / m.before).toFixed(1)}×`);
const js = m.encodeCopy + m.textOut + m.jsonParse;
console.log('breakdown of one casplus validation (JavaScript parts measured alone on the same text):');
console.log(`  text into wasm memory: TextEncoder.encode + set ${us(m.encodeCopy)} µs   (the glue's charCodeAt loop for a string argument: ${us(m.textIn).trim()} µs; TextEncoder.encodeInto alone: ${us(m.encodeInto).trim()} µs)`);
console.log(`  result JSON text out (TextDecoder)             ${us(m.textOut)} µs`);
console.log(`  JSON.parse of the result                       ${us(m.jsonParse)} µs`);
console.log(`  the rest: the call, the core (XML, CAS shape, chain check, JSON writing) ${us(m.casplus - js)} µs`);
console.log(`  the JavaScript parts alone cap the ratio at    ${(m.xml2js / js).toFixed(1)}×`);
