/**
 * The per-key cap on open MCP sessions (issue 14): a key — a viewer's included — may hold
 * DEFAULT_SESSIONS_PER_KEY open sessions on /mcp. One more is refused (429, a JSON-RPC error that
 * names the cap) and nobody's session is closed to make room: not another key's, not its own.
 * Before the cap, any key could open 1,000 sessions and evict everyone else's.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { DEFAULT_SESSIONS_PER_KEY } from '../../server/mcp/http.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let viewerKey = '';

beforeAll(async () => {
  server = await startTestServer();
  const { accounts } = server.services;
  const viewer = await accounts.createUser({ email: 'vic@cap.test', name: 'Vic Viewer' });
  await accounts.setMembership((await accounts.findWorkspace('default'))!.id, viewer.id, 'VIEWER');
  viewerKey = (await accounts.createApiKey({ userId: viewer.id, name: 'viewer key' })).key;
});
afterAll(async () => {
  await server?.stop();
});

async function connect(key: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: 'cap-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', server.url), { requestInit: { headers: { authorization: `Bearer ${key}` } } });
  await client.connect(transport);
  return { client, transport };
}

/** An initialize over plain HTTP: the session id, or the refusal. */
async function initialize(key: string): Promise<{ status: number; sessionId: string | null; body: any }> {
  const res = await fetch(new URL('/mcp', server.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
  });
  return { status: res.status, sessionId: res.headers.get('mcp-session-id'), body: await res.json() };
}

describe('open MCP sessions per key', () => {
  test('a viewer key over its cap is refused; the owner’s session and its own earlier sessions stay open', async () => {
    const { client: owner } = await connect(server.key);
    const { client: viewerClient, transport: viewerTransport } = await connect(viewerKey);
    for (let i = 1; i < DEFAULT_SESSIONS_PER_KEY; i++) {
      const opened = await initialize(viewerKey);
      assert.equal(opened.status, 200, `session ${i + 1}: ${JSON.stringify(opened.body)}`);
      assert.ok(opened.sessionId);
    }
    const refused = await initialize(viewerKey);
    assert.equal(refused.status, 429);
    assert.equal(refused.sessionId, null);
    assert.equal(refused.body.jsonrpc, '2.0');
    assert.match(refused.body.error.message, new RegExp(`Too many open MCP sessions.*\\(${DEFAULT_SESSIONS_PER_KEY}\\)`));
    assert.equal(refused.body.error.data.limit, DEFAULT_SESSIONS_PER_KEY);

    // nobody was evicted: the owner's session and the viewer's first one still answer
    assert.ok((await owner.listTools()).tools.length > 0);
    assert.ok((await viewerClient.listTools()).tools.length > 0);
    // another key opens sessions as before
    assert.equal((await initialize(server.key)).status, 200);

    // ending one of its sessions (DELETE /mcp) makes room for the viewer again
    await viewerTransport.terminateSession();
    assert.equal((await initialize(viewerKey)).status, 200);
    assert.equal((await initialize(viewerKey)).status, 429);
    await owner.close();
  });
});
