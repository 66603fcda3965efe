/**
 * Issue 14, item 5 (SPEC §1 "Brute force"): invalid keys are limited per client address (429 with
 * Retry-After) while a valid key from the same address keeps working; the security headers are
 * on the web app, the API reference and API responses; unknown /.well-known/ paths are 404.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let uiDir: string;

beforeAll(async () => {
  // a minimal built UI: the app shell the server serves at / (the real dist/web is checked in e2e)
  uiDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kith-ui-'));
  fs.writeFileSync(path.join(uiDir, 'index.html'), '<!doctype html><html><head><script type="module" src="/assets/app.js"></script></head><body><div id="root"></div></body></html>');
  server = await startTestServer({ uiDir });
});
afterAll(async () => {
  await server.stop();
  fs.rmSync(uiDir, { recursive: true, force: true });
});

describe('invalid keys', () => {
  test('1,000 wrong keys in a loop get 429s with Retry-After, while a valid key keeps working', async () => {
    const statuses = new Map<number, number>();
    let retryAfter: string | null = null;
    for (let i = 0; i < 1000; i++) {
      const wrong = `kith_${String(i).padStart(32, 'x')}`;
      const res = await server.api('GET', '/crm/organizations', undefined, { key: wrong });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status === 429) retryAfter ??= res.headers.get('retry-after');
      if (i % 100 === 0) assert.equal((await server.api('GET', '/crm/organizations')).status, 200, `the valid key after ${i} wrong ones`);
    }
    assert.equal(statuses.get(401), 100, JSON.stringify([...statuses]));
    assert.equal(statuses.get(429), 900);
    assert.ok(Number(retryAfter) > 0);
    // the valid key still reads and writes, on /crm and /sync
    assert.equal((await server.api('POST', '/crm/organizations', { name: 'Still here' })).status, 201);
    assert.equal((await server.api('GET', '/sync/organizations/pull')).status, 200);
    // a malformed key, and a key on /mcp, from the limited address are refused too
    assert.equal((await server.api('GET', '/crm', undefined, { key: 'nonsense' })).status, 429);
    const mcp = await server.api('POST', '/mcp', { jsonrpc: '2.0', id: 1, method: 'ping' }, { key: 'kith_' + 'y'.repeat(32), headers: { accept: 'application/json, text/event-stream' } });
    assert.equal(mcp.status, 429);
  });
});

describe('DNS rebinding', () => {
  /** A GET with a chosen Host header (fetch does not let one set it). */
  const getWithHost = (urlPath: string, host: string) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: server.port, path: urlPath, headers: { host, authorization: `Bearer ${server.key}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });

  /** A request with a chosen Origin (and the server's own Host), as a browser page on that origin would send it. */
  const withOrigin = (method: string, urlPath: string, origin: string | null) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const headers: Record<string, string> = { authorization: `Bearer ${server.key}`, ...(origin === null ? {} : { origin }) };
      const req = http.request({ host: '127.0.0.1', port: server.port, method, path: urlPath, headers }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });

  test('bound to loopback, /crm, /sync and /auth answer a browser only from the server’s own pages', async () => {
    const own = `http://127.0.0.1:${server.port}`;
    for (const urlPath of ['/crm', '/sync/organizations/pull', '/auth/me']) {
      for (const foreign of ['https://evil.example', `http://localhost:${server.port + 1}`, `http://127.0.0.1:${server.port + 1}`, 'null', `ftp://127.0.0.1:${server.port}`]) {
        const res = await withOrigin('GET', urlPath, foreign);
        assert.equal(res.status, 403, `${urlPath} from ${foreign}`);
        assert.match(res.body, /Invalid Origin header/);
      }
      assert.equal((await withOrigin('GET', urlPath, own)).status, 200, `${urlPath} from its own page`);
      assert.equal((await withOrigin('GET', urlPath, null)).status, 200, `${urlPath} from a program (no Origin)`);
    }
    // a write with a key from a foreign page, and a sign-in attempt, are refused before anything else
    assert.equal((await withOrigin('POST', '/auth/login', 'https://evil.example')).status, 403);
    assert.equal((await withOrigin('DELETE', '/crm/keys/00000000-0000-4000-8000-000000000000', 'https://evil.example')).status, 403);
  });

  test('bound to loopback, /crm, /sync and /auth answer only loopback host names', async () => {
    for (const urlPath of ['/crm', '/sync/organizations/pull', '/auth/me']) {
      assert.equal(await getWithHost(urlPath, 'attacker.example:' + server.port), 403, urlPath);
      assert.equal(await getWithHost(urlPath, `localhost:${server.port}`), 200, urlPath);
      assert.equal(await getWithHost(urlPath, `127.0.0.1:${server.port}`), 200, urlPath);
    }
  });
});

describe('security headers', () => {
  const expectHeaders = (headers: Headers, where: string) => {
    const csp = headers.get('content-security-policy') ?? '';
    assert.match(csp, /frame-ancestors 'none'/, where);
    assert.match(csp, /script-src 'self'(;|$)/, where);
    assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/, where);
    assert.equal(headers.get('x-content-type-options'), 'nosniff', where);
    assert.equal(headers.get('referrer-policy'), 'no-referrer', where);
    assert.equal(headers.get('x-frame-options'), 'DENY', where);
  };

  test('on the web app, the API reference, API answers (also errors) and /auth', async () => {
    const app = await fetch(server.url + '/', { headers: { accept: 'text/html' } });
    assert.equal(app.status, 200);
    assert.match(await app.text(), /id="root"/);
    expectHeaders(app.headers, '/');
    const deep = await fetch(server.url + '/deals/123', { headers: { accept: 'text/html' } });
    expectHeaders(deep.headers, '/deals/123');
    const docs = await fetch(server.url + '/crm/docs');
    assert.equal(docs.status, 200);
    assert.doesNotMatch(await docs.text(), /<script>[^<]/, 'the docs page has no inline script');
    expectHeaders(docs.headers, '/crm/docs');
    for (const [urlPath, status] of [
      ['/crm', 200],
      ['/crm/openapi.json', 200],
      ['/crm/nothing-here', 404],
    ] as const) {
      const res = await server.api('GET', urlPath);
      assert.equal(res.status, status, urlPath);
      expectHeaders(res.headers, urlPath);
    }
    expectHeaders((await server.api('GET', '/crm', undefined, { key: null })).headers, '/crm 401');
    expectHeaders((await server.api('GET', '/sync/organizations/pull')).headers, '/sync');
    expectHeaders((await server.api('GET', '/auth/me', undefined, { key: null })).headers, '/auth/me');
  });

  test('unknown /.well-known/ paths answer 404 problem+json, never the web app', async () => {
    // the OAuth metadata of /mcp is served there (server/oauth/, test/integration/oauth.test.ts); nothing else
    for (const p of ['/.well-known/anything', '/.well-known/openid-configuration', '/.well-known/oauth-protected-resource/elsewhere']) {
      const res = await fetch(server.url + p, { headers: { accept: 'text/html' } });
      assert.equal(res.status, 404, p);
      assert.match(res.headers.get('content-type')!, /application\/problem\+json/, p);
      expectHeaders(res.headers, p);
    }
    // /auth paths that do not exist are not the web app either
    const res = await fetch(server.url + '/auth/nothing', { headers: { accept: 'text/html' } });
    assert.equal(res.status, 404);
  });
});

describe('the data directory', () => {
  test('a new data directory and its database files are readable by their owner only', async () => {
    const dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kith-mode-')), 'data');
    const fresh = await startTestServer({ dataDir });
    try {
      assert.equal((await fresh.api('POST', '/crm/organizations', { name: 'Written' })).status, 201);
      const mode = (p: string) => fs.statSync(p).mode & 0o777;
      assert.equal(mode(dataDir), 0o700);
      for (const name of ['kith.sqlite', 'kith.sqlite-wal', 'kith.sqlite-shm']) assert.equal(mode(path.join(dataDir, name)), 0o600, name);
    } finally {
      await fresh.stop();
      fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
    }
  });
});

describe('behind a reverse proxy (KITH_TRUST_PROXY)', () => {
  /** A request as a proxy on loopback forwards it: X-Forwarded-For names the client, -Proto the scheme it used. */
  const viaProxy = (target: TestServer, key: string, client: string, proto = 'http') =>
    target.api('GET', '/crm/organizations', undefined, { key, headers: { 'x-forwarded-for': client, 'x-forwarded-proto': proto } });
  const wrongKey = (i: number) => `kith_${String(i).padStart(32, 'z')}`;

  test('with the proxy trusted, failed keys are counted per client it names, and HTTPS at the proxy is known', async () => {
    const behind = await startTestServer({ trustProxy: 'loopback', auth: { limits: { keysPerAddress: 3 } } });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await viaProxy(behind, wrongKey(i), '203.0.113.7')).status);
      assert.deepEqual(statuses, [401, 401, 401, 429], 'the guessing client is limited');
      // another client behind the same proxy is not slowed by the first one's failures
      assert.equal((await viaProxy(behind, wrongKey(9), '203.0.113.8')).status, 401);
      // and the limited client's valid key still works
      assert.equal((await viaProxy(behind, behind.key, '203.0.113.7')).status, 200);
      // TLS ends at the proxy: the answer to an https request carries HSTS; to plain http it does not
      assert.equal((await viaProxy(behind, behind.key, '203.0.113.8', 'https')).headers.get('strict-transport-security'), 'max-age=31536000');
      assert.equal((await viaProxy(behind, behind.key, '203.0.113.8', 'http')).headers.get('strict-transport-security'), null);
    } finally {
      await behind.stop();
    }
  });

  test('without it (the default), X-Forwarded-For is ignored: a client cannot dodge the limit by naming other addresses', async () => {
    const direct = await startTestServer({ auth: { limits: { keysPerAddress: 3 } } });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await viaProxy(direct, wrongKey(i), `198.51.100.${i + 1}`, 'https')).status);
      assert.deepEqual(statuses, [401, 401, 401, 429]);
      assert.equal((await viaProxy(direct, direct.key, '198.51.100.9', 'https')).headers.get('strict-transport-security'), null, 'a forged X-Forwarded-Proto is not believed');
    } finally {
      await direct.stop();
    }
  });

  test('a value that is not a hop count or a list of addresses stops the start with a message naming the setting, and sets nothing up', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kith-trust-'));
    try {
      await assert.rejects(startTestServer({ dataDir, trustProxy: '10.0.0.1, not-an-address' }), /KITH_TRUST_PROXY: invalid IP address: not-an-address/);
      await assert.rejects(startTestServer({ dataDir, trustProxy: '10.0.0.1,,10.0.0.2' }), /KITH_TRUST_PROXY: an empty entry/);
      // the first good start is still the first start: its owner key is shown
      const started = await startTestServer({ dataDir });
      assert.match(started.key, /^kith_/);
      await started.stop();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('first start', () => {
  test('on a port already in use, the start fails saying so, and the next start still shows the owner key', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kith-busy-'));
    try {
      await assert.rejects(startTestServer({ dataDir, port: server.port }), new RegExp(`127\\.0\\.0\\.1:${server.port} is already in use.*KITH_PORT`));
      const started = await startTestServer({ dataDir });
      assert.match(started.key, /^kith_/, 'the owner key of the first start that listened');
      assert.equal((await started.api('GET', '/crm/organizations')).status, 200);
      await started.stop();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
