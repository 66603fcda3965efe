/**
 * The protocol edges of the hosted /mcp endpoint, pinned with raw HTTP: statuses and messages of
 * SPEC §4, sessions bound to keys, DELETE, revocation mid-session, idle expiry that closes the
 * session's open stream, DNS-rebinding protection and the body limit.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

const ACCEPT = 'application/json, text/event-stream';
const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw-test', version: '1' } },
};

interface Reply {
  status: number;
  headers: Headers;
  body: any;
}

async function mcp(server: TestServer, method: string, options: { key?: string | null; session?: string; body?: unknown; accept?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const headers: Record<string, string> = { accept: options.accept ?? ACCEPT, ...options.headers };
  const key = options.key === undefined ? server.key : options.key;
  if (key) headers.authorization = `Bearer ${key}`;
  if (options.session) headers['mcp-session-id'] = options.session;
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(`${server.url}/mcp`, { method, headers, body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body };
}

/** initialize + notifications/initialized; returns the session id. */
async function openSession(server: TestServer, key = server.key, headers: Record<string, string> = {}): Promise<string> {
  const init = await mcp(server, 'POST', { key, body: INIT, headers });
  assert.equal(init.status, 200, JSON.stringify(init.body));
  const session = init.headers.get('mcp-session-id');
  assert.ok(session, 'the server issues Mcp-Session-Id');
  assert.equal(init.body.result.serverInfo.name, 'kith');
  const initialized = await mcp(server, 'POST', { key, session, body: { jsonrpc: '2.0', method: 'notifications/initialized' } });
  assert.equal(initialized.status, 202);
  return session;
}

const listTools = (id = 2) => ({ jsonrpc: '2.0', id, method: 'tools/list', params: {} });
const callTool = (name: string, args: Record<string, unknown>, id = 3) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

async function userKey(server: TestServer, role: 'OWNER' | 'MEMBER' | 'VIEWER', options: { workspaceId?: string } = {}) {
  const { accounts } = server.services;
  const ws = await accounts.findWorkspace('default');
  const user = await accounts.createUser({ email: `${role.toLowerCase()}-${Math.random().toString(36).slice(2)}@example.com`, name: role });
  await accounts.setMembership(ws!.id, user.id, role);
  return accounts.createApiKey({ userId: user.id, ...(options.workspaceId ? { workspaceId: options.workspaceId } : {}) });
}

/** Opens the session's GET stream; resolves `ended` when the server closes it. */
async function openStream(server: TestServer, key: string, session: string) {
  const res = await fetch(`${server.url}/mcp`, { headers: { accept: 'text/event-stream', authorization: `Bearer ${key}`, 'mcp-session-id': session } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = res.body!.getReader();
  const ended = (async () => {
    try {
      for (;;) if ((await reader.read()).done) return true;
    } catch {
      return true;
    }
  })();
  return { ended, cancel: () => reader.cancel().catch(() => {}) };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))]);
}

/** A raw request with a chosen Host header (fetch does not let a caller set Host). */
function rawPost(server: TestServer, headers: Record<string, string>, body: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port: server.port,
        path: '/mcp',
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: ACCEPT, authorization: `Bearer ${server.key}`, 'content-length': Buffer.byteLength(data), ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

describe('/mcp protocol edges', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  test('initialize → initialized → tools/list → tools/call over plain HTTP', async () => {
    const session = await openSession(server);
    const list = await mcp(server, 'POST', { session, body: listTools() });
    assert.equal(list.status, 200);
    assert.ok(list.body.result.tools.some((t: any) => t.name === 'crm.deal.update'));
    const created = await mcp(server, 'POST', { session, body: callTool('crm.organization.create', { name: 'Raw Corp' }) });
    assert.equal(created.status, 200);
    assert.equal(created.body.result.structuredContent.name, 'Raw Corp');
    assert.deepEqual(JSON.parse(created.body.result.content[0].text), created.body.result.structuredContent);
  });

  test('missing, invalid and malformed keys get 401 Unauthorized with WWW-Authenticate: Bearer', async () => {
    for (const key of [null, 'kith_00000000000000000000000000000000', 'not-a-key']) {
      const res = await mcp(server, 'POST', { key, body: INIT });
      assert.equal(res.status, 401, `key ${key}`);
      assert.equal(res.body.error.message, 'Unauthorized');
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /);
      assert.equal(res.headers.get('mcp-session-id'), null);
    }
  });

  test('a client that does not accept text/event-stream gets 406', async () => {
    const res = await mcp(server, 'POST', { body: INIT, accept: 'application/json' });
    assert.equal(res.status, 406);
    assert.match(res.body.error.message, /Not Acceptable/);
    const session = await openSession(server);
    const get = await mcp(server, 'GET', { session, accept: 'application/json' });
    assert.equal(get.status, 406);
  });

  test('a call before initialize is refused with Server not initialized', async () => {
    const res = await mcp(server, 'POST', { body: listTools() });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.message, 'Server not initialized');
  });

  test('an unknown session id gets 404 MCP session not found', async () => {
    const res = await mcp(server, 'POST', { session: '5f1d7c1e-0000-4000-8000-000000000000', body: listTools() });
    assert.equal(res.status, 404);
    assert.equal(res.body.error.message, 'MCP session not found');
  });

  test('a session belongs to the key that opened it: another valid key gets 404, the owner keeps using it', async () => {
    const session = await openSession(server);
    const { key: other } = await userKey(server, 'OWNER');
    const stolen = await mcp(server, 'POST', { key: other, session, body: listTools() });
    assert.equal(stolen.status, 404);
    assert.equal(stolen.body.error.message, 'MCP session not found');
    assert.equal((await mcp(server, 'POST', { session, body: listTools() })).status, 200);
  });

  test('DELETE ends a session; a request after it gets 404', async () => {
    const session = await openSession(server);
    const stream = await openStream(server, server.key, session);
    const del = await mcp(server, 'DELETE', { session });
    assert.equal(del.status, 200);
    assert.equal(await within(stream.ended, 3000, 'stream closed by DELETE'), true);
    const after = await mcp(server, 'POST', { session, body: listTools() });
    assert.equal(after.status, 404);
    assert.equal(after.body.error.message, 'MCP session not found');
  });

  test('revoking the key cuts the session off at once: 401 mid-session and its open stream ends', async () => {
    const { key, info } = await userKey(server, 'MEMBER');
    const session = await openSession(server, key);
    assert.equal((await mcp(server, 'POST', { key, session, body: listTools() })).status, 200);
    const stream = await openStream(server, key, session);
    await server.services.accounts.revokeApiKey(info.id);
    const res = await mcp(server, 'POST', { key, session, body: callTool('crm.organization.list', {}) });
    assert.equal(res.status, 401);
    assert.equal(res.body.error.message, 'Unauthorized');
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer .*revoked/);
    assert.equal(await within(stream.ended, 3000, 'stream closed after revocation'), true);
  });

  test('a revoked key’s idle stream is closed by the server even without a new request', async () => {
    const { key, info } = await userKey(server, 'MEMBER');
    const session = await openSession(server, key);
    const stream = await openStream(server, key, session);
    await server.services.accounts.revokeApiKey(info.id);
    assert.equal(await within(stream.ended, 4000, 'stream closed after revocation'), true);
  });

  test('a key restricted to another workspace gets 403 Workspace access denied by MCP key restriction', async () => {
    const other = await server.services.accounts.createWorkspace({ slug: 'other-ws', name: 'Other' });
    const { accounts } = server.services;
    const user = await accounts.createUser({ email: 'two-workspaces@example.com', name: 'Two Workspaces' });
    const defaultWs = await accounts.findWorkspace('default');
    await accounts.setMembership(defaultWs!.id, user.id, 'MEMBER');
    await accounts.setMembership(other.id, user.id, 'OWNER');
    const { key } = await accounts.createApiKey({ userId: user.id, workspaceId: defaultWs!.id });
    const res = await mcp(server, 'POST', { key, body: INIT, headers: { 'x-kith-workspace': 'other-ws' } });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.message, 'Workspace access denied by MCP key restriction');
    // the same key in its own workspace works, also selected by ?workspace=
    const ok = await fetch(`${server.url}/mcp?workspace=default`, {
      method: 'POST',
      headers: { accept: ACCEPT, 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(INIT),
    });
    assert.equal(ok.status, 200);
    // mid-session too: naming the other workspace is refused the same way
    const session = ok.headers.get('mcp-session-id')!;
    const mid = await mcp(server, 'POST', { key, session, body: listTools(), headers: { 'x-kith-workspace': 'other-ws' } });
    assert.equal(mid.status, 403);
    assert.equal(mid.body.error.message, 'Workspace access denied by MCP key restriction');
    assert.equal((await mcp(server, 'POST', { key, session, body: listTools(), headers: { 'x-kith-workspace': 'default' } })).status, 200);
  });

  test('a viewer’s listing has no write tools, and calling one anyway is an isError result, not an HTTP error', async () => {
    const { key } = await userKey(server, 'VIEWER');
    const session = await openSession(server, key);
    const list = await mcp(server, 'POST', { key, session, body: listTools() });
    const names: string[] = list.body.result.tools.map((t: any) => t.name);
    assert.ok(names.includes('crm.deal.list'));
    assert.ok(!names.some((n) => /\.(create|update|archive|add|complete|reorder|remove)$/.test(n)));
    const res = await mcp(server, 'POST', { key, session, body: callTool('crm.deal.create', { title: 'Nope' }) });
    assert.equal(res.status, 200);
    assert.equal(res.body.result.isError, true);
    assert.match(res.body.result.content[0].text, /VIEWER cannot create deals/);
  });

  test('Host and Origin are validated on loopback (DNS-rebinding protection)', async () => {
    const evilHost = await rawPost(server, { host: `evil.example:${server.port}` }, INIT);
    assert.equal(evilHost.status, 403);
    assert.match(evilHost.body.error.message, /Invalid Host header/);
    const evilOrigin = await rawPost(server, { origin: 'http://evil.example' }, INIT);
    assert.equal(evilOrigin.status, 403);
    assert.match(evilOrigin.body.error.message, /Invalid Origin header/);
    for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`]) {
      const ok = await rawPost(server, { host, origin: `http://${host}` }, INIT);
      assert.equal(ok.status, 200, host);
    }
  });

  test('bodies over the limit get 413, non-JSON bodies 415, bad JSON 400', async () => {
    const session = await openSession(server);
    const huge = callTool('crm.organization.create', { name: 'Big', notes: 'x'.repeat(1_100_000) });
    const big = await mcp(server, 'POST', { session, body: huge });
    assert.equal(big.status, 413);
    const text = await mcp(server, 'POST', { session, body: 'hello', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.status, 415);
    const bad = await mcp(server, 'POST', { session, body: '{"jsonrpc":', headers: { 'content-type': 'application/json' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, -32700);
  });
});

describe('/mcp idle sessions', () => {
  let server: TestServer;
  beforeAll(async () => {
    process.env.KITH_MCP_IDLE_MS = '1000';
    server = await startTestServer();
    delete process.env.KITH_MCP_IDLE_MS;
  });
  afterAll(async () => {
    await server.stop();
  });

  test('an idle session expires and is closed: its open stream ends and its id then gets 404', async () => {
    const session = await openSession(server);
    const stream = await openStream(server, server.key, session);
    assert.equal(await within(stream.ended, 6000, 'idle session closed'), true);
    const res = await mcp(server, 'POST', { session, body: listTools() });
    assert.equal(res.status, 404);
    assert.equal(res.body.error.message, 'MCP session not found');
  });

  test('a session in use does not expire', async () => {
    const session = await openSession(server);
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 400));
      assert.equal((await mcp(server, 'POST', { session, body: listTools(10 + i) })).status, 200);
    }
  });
});
