// The package from CommonJS: `require('casplus')`, as installed from the tarball.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const casplus = require('casplus');
const encode = require('casplus/encode');
const cas = require('casplus/cas');
const vectors = process.env.CASPLUS_VECTORS;

test('require() gives every export, synchronously ready', () => {
  for (const name of ['decode', 'version']) {
    assert.equal(typeof casplus[name], 'function', name);
  }
  assert.equal(casplus.encodePacket, undefined);
  assert.equal(casplus.parseCasResponse, undefined);
  for (const name of ['encodePacket', 'obfuscate', 'version']) {
    assert.equal(typeof encode[name], 'function', `encode.${name}`);
  }
  for (const name of ['parseCasResponse', 'version']) {
    assert.equal(typeof cas[name], 'function', `cas.${name}`);
  }
  assert.equal(casplus.version(), require('casplus/package.json').version);
  assert.equal(cas.version(), casplus.version());
  assert.equal(encode.version(), casplus.version());
});

test('decode, encodePacket and obfuscate agree with each other', () => {
  const bytes = readFileSync(join(vectors, 'capture/login.pcap'));
  const r = casplus.decode(bytes, { keys: ['tac_plus_key'] });
  assert.equal(r.pdus.length, 16);
  assert.deepEqual(r.keys_ok, [0]);
  for (const p of r.pdus) {
    const wire = encode.encodePacket(p, 'tac_plus_key');
    assert.equal(Buffer.from(wire.subarray(12)).toString('hex'),
      Buffer.from(encode.obfuscate(Buffer.from(p.body_clear_hex, 'hex'), 'tac_plus_key', p.header)).toString('hex'));
    assert.equal(Buffer.from(encode.obfuscate(wire, 'tac_plus_key').subarray(12)).toString('hex'), p.body_clear_hex);
  }
});

test('parseCasResponse', () => {
  assert.equal(cas.parseCasResponse('yes\nalice\n').user, 'alice');
});

test('errors carry a code', () => {
  assert.throws(() => casplus.decode(1), (e) => e instanceof TypeError && e.code === 'INVALID_ARGUMENT');
  assert.throws(() => cas.parseCasResponse('<x'), (e) => e instanceof Error && typeof e.code === 'string');
  assert.throws(() => encode.encodePacket({ header: {}, body: {} }), (e) => e.code === 'INVALID_PACKET');
});

test('ESM and CommonJS builds give the same results', async () => {
  const esm = await import('casplus');
  const text = readFileSync(join(vectors, 'capture/messy.tcpdump-X.txt'), 'utf8');
  assert.deepEqual(casplus.decode(text, { keys: ['tac_plus_key'] }), esm.decode(text, { keys: ['tac_plus_key'] }));
});
