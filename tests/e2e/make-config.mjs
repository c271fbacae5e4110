// Writes the configuration the end-to-end tests serve (argument: output file).
// Password hashes are made here with Node's own PBKDF2, independently of casplus.
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const ITERATIONS = 1000; // the engine's minimum: keeps the many test logins fast
const b64 = (buf) => buf.toString('base64').replace(/=+$/, '');
export function hash(password, iterations = ITERATIONS) {
  const salt = randomBytes(16);
  const dk = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  return `$pbkdf2-sha256$i=${iterations}$${b64(salt)}$${b64(dk)}`;
}

const loop = String.raw`127\.0\.0\.1`;
const config = {
  engine: {
    services: [
      {
        id: 1, name: 'E2E app',
        service: { regex: String.raw`^http://${loop}:\d+/app([/?#].*)?$` },
        proxyTickets: true,
        proxyCallback: { regex: String.raw`^https://(${loop}|localhost):\d+/callback([/?].*)?$` },
        releasedAttributes: ['email', 'displayName', 'memberOf', 'note'],
        singleLogout: true,
      },
      {
        id: 2, name: 'E2E second app',
        service: { regex: String.raw`^http://${loop}:\d+/second([/?#].*)?$` },
        releasedAttributes: ['email'],
        singleLogout: true,
      },
      {
        id: 3, name: 'E2E backend',
        service: { regex: String.raw`^http://${loop}:\d+/backend([/?#].*)?$` },
        proxyTickets: true,
        releasedAttributes: ['email'],
        singleLogout: false,
      },
      {
        id: 4, name: 'E2E https app',
        service: { regex: String.raw`^https://localhost(:\d+)?/secure([/?#].*)?$` },
        releasedAttributes: ['email', 'memberOf'],
        singleLogout: false,
      },
      {
        id: 5, name: 'E2E no proxy',
        service: { regex: String.raw`^http://${loop}:\d+/noproxy([/?#].*)?$` },
        singleLogout: false,
      },
      {
        id: 6, name: '<img src=x onerror=alert("svc")>',
        service: { regex: String.raw`^http://${loop}:\d+/xss([/?#].*)?$` },
        releasedAttributes: ['displayName', 'note'],
        singleLogout: false,
      },
      {
        id: 7, name: 'E2E phpCAS',
        service: { regex: String.raw`^http://${loop}:\d+/php([/?#].*)?$` },
        releasedAttributes: ['email', 'displayName', 'memberOf'],
        singleLogout: true,
      },
      {
        id: 8, name: 'E2E python-cas',
        service: { regex: String.raw`^http://${loop}:\d+/py([/?#].*)?$` },
        proxyTickets: true,
        proxyCallback: { regex: String.raw`^https://(${loop}|localhost):\d+/callback([/?].*)?$` },
        releasedAttributes: ['email', 'displayName', 'memberOf'],
        singleLogout: true,
      },
      {
        id: 9, name: 'E2E django-cas-ng',
        service: { regex: String.raw`^http://${loop}:\d+/django([/?#].*)?$` },
        releasedAttributes: ['email', 'displayName', 'memberOf'],
        singleLogout: true,
      },
      {
        id: 10, name: 'E2E mod_auth_cas',
        service: { regex: String.raw`^http://${loop}:\d+/modcas([/?#].*)?$` },
        singleLogout: true,
      },
      {
        // Host by name, the rest by pattern (issue 20): security.test.mjs.
        id: 11, name: 'E2E host pattern',
        service: { host: '127.0.0.1', scheme: 'http', port: '*', path: '/hosted([/?#].*)?' },
        proxyCallback: { host: ['127.0.0.1', 'localhost'], port: '*', path: '/callback([/?].*)?' },
        singleLogout: false,
      },
      {
        // Front-channel single logout (CAS 3.0 §2.3.3, issue 15): browser.test.mjs.
        id: 12, name: 'E2E front channel',
        service: { regex: String.raw`^http://${loop}:\d+/front([/?#].*)?$` },
        logoutType: 'front_channel',
      },
      {
        // The demo application of make dev (worker/demo-app): client-demo.test.mjs.
        id: 13, name: 'E2E demo app',
        service: { regex: String.raw`^http://${loop}:\d+/demo([/?#].*)?$` },
        proxyTickets: true,
        proxyCallback: { regex: String.raw`^https://${loop}:\d+/callback([/?].*)?$` },
        releasedAttributes: ['email', 'displayName', 'memberOf'],
        singleLogout: true,
      },
    ],
    tickets: { serviceTicketSeconds: 4, proxyTicketSeconds: 4 },
    // Per-address limits stay out of the way of the other tests (every test comes from
    // 127.0.0.1); per-user throttling is what the brute-force test checks.
    throttle: { maxFailuresPerUser: 3, maxFailuresPerAddress: 10000, lockoutSeconds: 60 },
    cookie: { secure: false },
  },
  users: {
    casuser: {
      password: hash('Mellon'),
      attributes: { email: 'casuser@example.org', displayName: 'CAS User', memberOf: ['staff', 'developers'] },
    },
    '<b>xss</b>': {
      password: hash('xss-pass'),
      attributes: { displayName: '<script>alert(1)</script>', note: `a&b<c>"d'e` },
    },
    victim: { password: hash('correct horse') },
    locked: { password: hash('whatever') },
    disabled: { password: hash('disabled-pass'), disabled: true },
    remember: { password: hash('remember-pass'), attributes: { email: 'r@example.org' } },
  },
};

const out = process.argv[2];
if (!out) { console.error('usage: make-config.mjs OUT.json'); process.exit(2); }
writeFileSync(out, JSON.stringify(config));
