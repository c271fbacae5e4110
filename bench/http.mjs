// The benchmarks' HTTP client: one keep-alive agent, one request function (Node's http, no
// fetch: the load generators measure the server, not undici's pool).
import http from 'node:http';

/** The shared keep-alive agent (destroy it when the run is over). */
export const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One HTTP request; resolves { status, headers, body }. */
export function request(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}
