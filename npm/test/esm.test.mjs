// The package from Node ESM: `import ... from 'casplus'`, as installed from the tarball.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

import * as casplus from 'casplus';
import * as encode from 'casplus/encode';
import * as cas from 'casplus/cas';
import { decode, version } from 'casplus';
import { encodePacket, obfuscate, version as encodeVersion } from 'casplus/encode';
import { parseCasResponse, version as casVersion } from 'casplus/cas';

import {
  capture, expected, formsOf, pduVectors, fromHex, toHex, expectedRows, decodedRows,
} from './fixtures.mjs';

const require = createRequire(import.meta.url);
const KEY = 'tac_plus_key'; // the key of tests/vectors/capture (generate.py)

/** Asserts that `fn` throws an Error with this `code` (and returns it). */
function throwsCode(fn, code, ctor = Error) {
  let err;
  assert.throws(fn, (e) => {
    err = e;
    return e instanceof ctor && e.code === code;
  }, `expected ${ctor.name} with code ${code}`);
  assert.equal(typeof err.message, 'string');
  assert.ok(err.message.length > 0);
  return err;
}

describe('module', () => {
  test('exports exactly the documented functions', () => {
    assert.deepEqual(
      Object.keys(casplus).filter((k) => typeof casplus[k] === 'function').sort(),
      ['decode', 'version'],
    );
    assert.deepEqual(
      Object.keys(encode).filter((k) => typeof encode[k] === 'function').sort(),
      ['encodePacket', 'obfuscate', 'version'],
    );
    assert.deepEqual(
      Object.keys(cas).filter((k) => typeof cas[k] === 'function').sort(),
      ['parseCasResponse', 'version'],
    );
  });

  test('version() is the package version', () => {
    assert.equal(version(), require('casplus/package.json').version);
    assert.equal(casVersion(), version());
    assert.equal(encodeVersion(), version());
    assert.match(version(), /^\d+\.\d+\.\d+/);
  });
});

describe('decode', () => {
  for (const stem of ['login', 'messy', 'single-connect']) {
    test(`every form of ${stem} decodes to the PDUs scapy wrote (header fields + clear body)`, () => {
      const want = expectedRows(expected(stem));
      // Payload-only dumps carry no TCP sequence numbers: a capture with reordered and
      // duplicated segments (messy) cannot be put back together from them.
      const forms = formsOf(stem).filter((f) => stem !== 'messy' || !f.includes('payload'));
      assert.ok(forms.length >= 6, `${stem}: ${forms}`);
      for (const f of forms) {
        const r = decode(capture(f), { keys: [KEY] });
        assert.deepEqual(decodedRows(r), want, f);
      }
    });
  }

  test('reports the detected form', () => {
    const form = (f) => decode(capture(f)).format;
    assert.equal(form('login.pcap').form, 'pcap');
    assert.equal(form('handmade.pcapng').form, 'pcapng');
    assert.equal(form('login.tcpdump-XX.txt').form, 'tcpdump');
    assert.equal(form('login.tshark-x.txt').form, 'hexdump');
    assert.deepEqual([form('login.pcap.hex').form, form('login.pcap.hex').inner], ['hex', 'pcap']);
    assert.equal(form('login.payload.b64').form, 'base64');
  });

  test('takes a string, a Uint8Array or a Buffer alike', () => {
    const text = capture('login.tcpdump-X.txt');
    const a = decode(text.toString('latin1'), { keys: [KEY] });
    const b = decode(new Uint8Array(text), { keys: [KEY] });
    const c = decode(text, { keys: [KEY] });
    assert.deepEqual(a, b);
    assert.deepEqual(b, c);
  });

  test('a login: sessions, flow, endpoints, times and key verdicts', () => {
    const r = decode(capture('login.pcap'), { keys: ['not it', KEY] });
    assert.deepEqual(r.keys_ok, [1]);
    assert.ok(r.sessions.length >= 2);
    const first = r.sessions[0];
    assert.equal(first.type, 'AUTHEN');
    assert.equal(first.steps.length, 6);
    assert.deepEqual(first.steps.map((s) => s.seq_no), [1, 2, 3, 4, 5, 6]);
    assert.equal(first.outcome, 'PASS');
    const start = r.pdus[first.steps[0].pdu];
    assert.equal(start.body.kind, 'authen_start');
    assert.equal(start.body.authen_type, 'ASCII');
    assert.equal(start.key_index, 1);
    assert.equal(start.body_state, 'deobfuscated');
    assert.equal(start.src, '192.0.2.10:40000');
    assert.equal(start.dst, '192.0.2.49:49');
    assert.match(start.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    assert.match(start.summary, /^AUTHEN START login ascii/);
    assert.equal(r.connections[first.conn].server.port, 49);
    assert.equal(r.connections[first.conn].kind, 'tacacs');
    // the password the user typed (AUTHEN CONTINUE, seq 5): shown as the codec decodes it
    const cont = r.pdus[first.steps[4].pdu];
    assert.equal(cont.body.kind, 'authen_continue');
    assert.equal(cont.body.user_msg, 's3cr3t!');
  });

  test('keys: none, wrong, binary', () => {
    const bytes = capture('login.pcap');
    const none = decode(bytes);
    assert.ok(none.pdus.every((p) => p.body_state === 'obfuscated' && p.body.kind === 'unknown'));
    assert.ok(none.pdus.some((p) => p.diagnostics.some((d) => d.code === 'no-key')));
    const wrong = decode(bytes, { keys: ['nope'] });
    assert.ok(wrong.pdus.every((p) => p.body_state === 'wrong_key' && p.key_index === null));
    assert.ok(wrong.pdus[0].diagnostics.some((d) => d.code === 'wrong-key' && d.severity === 'error'));
    const binary = decode(bytes, { keys: [new TextEncoder().encode(KEY)] });
    assert.deepEqual(binary, decode(bytes, { keys: [KEY] }));
  });

  test('inputFormat forces a form', () => {
    const r = decode(capture('login.payload.b64'), { inputFormat: 'hex', keys: [KEY] });
    assert.equal(r.format.form, 'hex');
    assert.equal(r.format.forced, true);
    assert.ok(r.diagnostics.some((d) => d.severity === 'error'));
    assert.equal(decode(capture('login.tshark-x.txt'), { inputFormat: 'tshark' }).format.form, 'hexdump');
  });

  test('malformed input gives diagnostics, never an exception', () => {
    for (const input of ['', 'hello, world', 'c0 01 01', new Uint8Array([0xd4, 0xc3, 0xb2, 0xa1, 2, 0])]) {
      const r = decode(input);
      assert.ok(r.diagnostics.length + r.pdus.flatMap((p) => p.diagnostics).length > 0, String(input));
    }
    const cut = decode('c0 01 01 00 00 00 00 01 00 00 00 09 01 02');
    assert.equal(cut.pdus.length, 1);
    assert.equal(cut.pdus[0].complete, false);
  });

  test('bad arguments throw errors with a code', () => {
    throwsCode(() => decode(42), 'INVALID_ARGUMENT', TypeError);
    throwsCode(() => decode(), 'INVALID_ARGUMENT', TypeError);
    throwsCode(() => decode('', { key: 'typo' }), 'INVALID_OPTIONS');
    throwsCode(() => decode('', { keys: 'not-a-list' }), 'INVALID_OPTIONS');
    throwsCode(() => decode('', { keys: [1] }), 'INVALID_OPTIONS');
    throwsCode(() => decode('', { inputFormat: 7 }), 'INVALID_OPTIONS');
    throwsCode(() => decode('', 'options'), 'INVALID_OPTIONS');
    const e = throwsCode(() => decode('', { inputFormat: 'pcapx' }), 'INVALID_INPUT_FORMAT');
    assert.match(e.message, /pcapng/);
    assert.equal(decode('', null).pdus.length, 0);
  });
});

describe('encodePacket', () => {
  const vectors = pduVectors();

  test('every decoded codec vector encodes back to its bytes (RFC 8907 §4.1, §4.5, §5-§7)', () => {
    assert.ok(vectors.length >= 40);
    for (const v of vectors) {
      const [pdu] = decode(v.pdu_hex, { keys: [v.keyBytes] }).pdus;
      assert.equal(pdu.body.kind, v.kind, v.name);
      const bytes = encodePacket(pdu, v.keyBytes);
      assert.ok(bytes instanceof Uint8Array);
      assert.equal(toHex(bytes), v.pdu_hex, v.name);
    }
  });

  test('a hand-written packet decodes to what was written', () => {
    const packet = {
      header: { type: 'AUTHOR', seq_no: 1, session_id: 0x01020304, flags: ['SINGLE_CONNECT'] },
      body: {
        kind: 'author_request', authen_method: 'TACACSPLUS', priv_lvl: 15, authen_type: 'ASCII',
        authen_service: 'LOGIN', user: 'alice', port: 'tty1', rem_addr: '198.51.100.7',
        args: ['service=shell', 'cmd*'],
      },
    };
    const bytes = encodePacket(packet, 'k3y');
    assert.equal(bytes.length, 12 + 8 + 2 + 5 + 4 + 12 + 13 + 4);
    const [pdu] = decode(bytes, { keys: ['k3y'] }).pdus;
    assert.equal(pdu.body_state, 'deobfuscated');
    assert.deepEqual(pdu.header.flags, ['SINGLE_CONNECT']);
    assert.equal(pdu.body.user, 'alice');
    assert.deepEqual(pdu.body.av_pairs, [
      { name: 'service', value: 'shell', mandatory: true },
      { name: 'cmd', value: '', mandatory: false },
    ]);
    // without a key, only an unencrypted packet can be written (§4.5)
    const clear = encodePacket({ ...packet, header: { ...packet.header, flags: ['UNENCRYPTED'] } });
    assert.equal(decode(clear).pdus[0].body_state, 'clear');
  });

  test('escaped text and data_hex carry any byte', () => {
    const packet = {
      header: { type: 'AUTHEN', seq_no: 2, session_id: 9 },
      body: { kind: 'authen_reply', status: 'GETPASS', flags: ['NOECHO'], server_msg: 'P\\x00w\\u{85}\\\\', data_hex: 'ff00' },
    };
    const [pdu] = decode(encodePacket(packet, 'k'), { keys: ['k'] }).pdus;
    assert.equal(pdu.body.server_msg, 'P\\0w\\u{0085}\\\\');
    assert.equal(pdu.body.data_hex, 'ff00');
  });

  test('bad packets throw errors with a code', () => {
    const start = () => ({
      header: { type: 'AUTHEN', seq_no: 1, session_id: 1, minor: 1 },
      body: { kind: 'authen_start', action: 'LOGIN', priv_lvl: 1, authen_type: 'PAP', authen_service: 'LOGIN', user: 'u', data: 'p' },
    });
    assert.ok(encodePacket(start(), 'k').length > 12);
    throwsCode(() => encodePacket(start()), 'MISSING_KEY');
    const reply = start();
    reply.body = { kind: 'authen_reply', status: 'PASS' };
    throwsCode(() => encodePacket(reply, 'k'), 'KIND_MISMATCH');
    const long = start();
    long.body.user = 'x'.repeat(256);
    throwsCode(() => encodePacket(long, 'k'), 'FIELD_TOO_LONG');
    const many = {
      header: { type: 'AUTHOR', seq_no: 1, session_id: 1 },
      body: { kind: 'author_request', authen_method: 'NONE', priv_lvl: 0, authen_type: 'NOT_SET', authen_service: 'NONE', args: Array(256).fill('a=b') },
    };
    throwsCode(() => encodePacket(many, 'k'), 'TOO_MANY_ARGS');
    const typo = start();
    typo.body.usr = 'u';
    assert.match(throwsCode(() => encodePacket(typo, 'k'), 'INVALID_PACKET').message, /usr/);
    const name = start();
    name.body.authen_type = 'PAPX';
    assert.match(throwsCode(() => encodePacket(name, 'k'), 'INVALID_PACKET').message, /PAPX/);
    throwsCode(() => encodePacket({ body: start().body }, 'k'), 'INVALID_PACKET');
    throwsCode(() => encodePacket(undefined, 'k'), 'INVALID_ARGUMENT', TypeError);
    throwsCode(() => encodePacket(start(), 42), 'INVALID_ARGUMENT', TypeError);
    throwsCode(() => encodePacket({ header: { type: 1, seq_no: 1, session_id: 1n }, body: {} }), 'INVALID_ARGUMENT', TypeError);
  });
});

describe('obfuscate', () => {
  const vectors = pduVectors().filter((v) => v.keyBytes.length > 0 && !(v.wire[3] & 1));

  test('gives the body the codec vectors carry on the wire, and back (§4.5)', () => {
    assert.ok(vectors.length >= 25);
    for (const v of vectors) {
      const [pdu] = decode(v.pdu_hex, { keys: [v.keyBytes] }).pdus;
      const clear = fromHex(pdu.body_clear_hex);
      const onWire = obfuscate(clear, v.keyBytes, pdu.header);
      assert.equal(toHex(onWire), v.pdu_hex.slice(24), v.name);
      assert.equal(toHex(obfuscate(onWire, v.keyBytes, pdu.header)), pdu.body_clear_hex, v.name);
      // a whole packet: its own header gives session_id, version and seq_no
      const packet = obfuscate(v.wire, v.keyBytes);
      assert.equal(toHex(packet), v.pdu_hex.slice(0, 24) + pdu.body_clear_hex, v.name);
    }
  });

  test('the pad depends on every input of §4.5', () => {
    const body = new Uint8Array(40);
    const h = { session_id: 1, seq_no: 1, major: 12, minor: 0 };
    const base = toHex(obfuscate(body, 'key', h));
    for (const other of [
      obfuscate(body, 'kez', h),
      obfuscate(body, 'key', { ...h, session_id: 2 }),
      obfuscate(body, 'key', { ...h, seq_no: 3 }),
      obfuscate(body, 'key', { ...h, minor: 1 }),
    ]) assert.notEqual(toHex(other), base);
    assert.equal(toHex(obfuscate(body, 'key', { session_id: 1, seq_no: 1 })), base, 'major 12, minor 0 by default');
  });

  test('bad arguments throw errors with a code', () => {
    throwsCode(() => obfuscate(new Uint8Array(5), 'k'), 'SHORT_PACKET');
    throwsCode(() => obfuscate('abc', 'k'), 'INVALID_ARGUMENT', TypeError);
    throwsCode(() => obfuscate(new Uint8Array(5), 7), 'INVALID_ARGUMENT', TypeError);
    throwsCode(() => obfuscate(new Uint8Array(5), 'k', { session_id: 1 }), 'INVALID_ARGUMENT', TypeError);
    throwsCode(() => obfuscate(new Uint8Array(5), 'k', { session_id: 1, seq_no: 1, major: 16 }), 'INVALID_ARGUMENT', TypeError);
  });
});

describe('parseCasResponse', () => {
  const ns = 'xmlns:cas="http://www.yale.edu/tp/cas"';

  test('CAS 3.0 XML success with attributes, PGTIOU and proxies (§2.5.2, §2.6.2)', () => {
    const r = parseCasResponse(`<cas:serviceResponse ${ns}>
      <cas:authenticationSuccess>
        <cas:user>alice</cas:user>
        <cas:attributes>
          <cas:memberOf>admins</cas:memberOf><cas:memberOf>ops</cas:memberOf>
          <cas:email>alice@example.org</cas:email>
        </cas:attributes>
        <cas:proxyGrantingTicket>PGTIOU-84678-8a9d</cas:proxyGrantingTicket>
        <cas:proxies><cas:proxy>https://proxy2/pgtUrl</cas:proxy><cas:proxy>https://proxy1/pgtUrl</cas:proxy></cas:proxies>
      </cas:authenticationSuccess>
    </cas:serviceResponse>`);
    assert.deepEqual(r, {
      success: true,
      kind: 'authenticationSuccess',
      format: 'xml',
      user: 'alice',
      attributes: { memberOf: ['admins', 'ops'], email: ['alice@example.org'] },
      proxyGrantingTicket: 'PGTIOU-84678-8a9d',
      proxies: ['https://proxy2/pgtUrl', 'https://proxy1/pgtUrl'],
      proxyTicket: null,
      failure: null,
    });
  });

  test('failures are results, not errors (§2.5.3)', () => {
    const r = parseCasResponse(`<cas:serviceResponse ${ns}><cas:authenticationFailure code="INVALID_TICKET">Ticket ST-1 not recognized</cas:authenticationFailure></cas:serviceResponse>`);
    assert.equal(r.success, false);
    assert.deepEqual(r.failure, { code: 'INVALID_TICKET', description: 'Ticket ST-1 not recognized' });
    assert.equal(r.user, null);
  });

  test('CAS 3.0 JSON and CAS 1.0 text', () => {
    const j = parseCasResponse('{"serviceResponse":{"authenticationSuccess":{"user":"bob","attributes":{"age":[42]}}}}');
    assert.equal(j.format, 'json');
    assert.equal(j.user, 'bob');
    assert.deepEqual(j.attributes, { age: ['42'] });
    const t = parseCasResponse('yes\nbob\n');
    assert.deepEqual([t.format, t.success, t.user], ['text', true, 'bob']);
    assert.equal(parseCasResponse('no\n\n').success, false);
  });

  test('what is no CAS response throws with the parser code and offset', () => {
    const e = throwsCode(() => parseCasResponse('<!DOCTYPE x [<!ENTITY a "b">]><x/>'), 'XML_DOCTYPE');
    assert.equal(typeof e.offset, 'number');
    throwsCode(() => parseCasResponse('  '), 'EMPTY');
    throwsCode(() => parseCasResponse('hello'), 'UNKNOWN_FORMAT');
    throwsCode(() => parseCasResponse('{"serviceResponse":'), 'JSON_MALFORMED');
    throwsCode(() => parseCasResponse(`<cas:serviceResponse ${ns}><cas:authenticationSuccess></cas:authenticationSuccess></cas:serviceResponse>`), 'MISSING_ELEMENT');
    throwsCode(() => parseCasResponse(42), 'INVALID_ARGUMENT', TypeError);
    throwsCode(() => parseCasResponse(), 'INVALID_ARGUMENT', TypeError);
  });

  test('the module still works after every error above', () => {
    assert.equal(parseCasResponse('yes\nx\n').user, 'x');
    assert.equal(decode(capture('login.pcap'), { keys: [KEY] }).pdus.length, 16);
  });
});

describe('casplus/client core', () => {
  const proxied = (proxy) =>
    '<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationSuccess>' +
    `<cas:user>alice</cas:user><cas:proxies><cas:proxy>${proxy}</cas:proxy></cas:proxies>` +
    '</cas:authenticationSuccess></cas:serviceResponse>';

  test('proxy-chain patterns are JavaScript RegExps matched against the whole URL (§2.6.2)', async () => {
    const { createCasClient } = await import('casplus/client');
    let proxy;
    const options = {
      casUrl: 'https://cas.example/cas',
      serviceUrl: 'https://backend.example/',
      acceptProxyTickets: true,
      // A lookahead: JavaScript's syntax, which the core hands to the host's RegExp.
      allowedProxyChains: [[/https:\/\/(?!evil)[a-z]+\.example\/pgt/]],
      cookie: { secret: 'x'.repeat(32) },
      fetch: async () => new Response(proxied(proxy)),
    };
    const client = createCasClient(options);
    for (const [p, ok] of [['https://app.example/pgt', true], ['https://evil.example/pgt', false], ['https://app.example/pgt/x', false]]) {
      proxy = p;
      const request = new Request('https://backend.example/?ticket=PT-1-a');
      const res = await client(request);
      if (ok) {
        assert.equal(res, null, p);
        assert.deepEqual(client.principal(request), { user: 'alice', attributes: {}, proxies: [p] });
      } else {
        assert.equal(res.status, 403, p);
        assert.match(await res.text(), /PROXY_CHAIN_NOT_ALLOWED/);
      }
    }
    const bad = createCasClient({ ...options, allowedProxyChains: [['^(']] });
    await assert.rejects(bad(new Request('https://backend.example/?ticket=PT-1-a')), { code: 'INVALID_OPTIONS' });
  });

  test('attribute values reach the principal exactly, whatever their characters (§2.5.7)', async () => {
    const { createCasClient } = await import('casplus/client');
    const value = 'a"b\\c\u0001\u001f\u007f é 😀 \u2028 </x> {"k":[1]}';
    const json = JSON.stringify({ serviceResponse: { authenticationSuccess: { user: 'u"\\', attributes: { [value]: [value, 'x'] } } } });
    const client = createCasClient({
      casUrl: 'https://cas.example/cas',
      serviceUrl: 'https://app.example/',
      cookie: { secret: 'x'.repeat(32) },
      fetch: async () => new Response(json),
    });
    const res = await client(new Request('https://app.example/?ticket=ST-1-a'));
    assert.equal(res.status, 302);
    const cookie = res.headers.get('set-cookie').split(';')[0];
    const next = new Request('https://app.example/', { headers: { cookie } });
    assert.equal(await client(next), null);
    assert.deepEqual(client.principal(next), { user: 'u"\\', attributes: { [value]: [value, 'x'] }, proxies: [] });
  });
});
