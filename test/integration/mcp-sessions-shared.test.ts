/**
 * MCP sessions shared by several server processes on one database (issue 17): a session opened on
 * one process goes on through another (its transport rebuilt from the session's row), DELETE on
 * one ends it on the other, and the per-key cap counts the sessions of every process. Two servers
 * on one data dir in this test (one database); test/integration/multi-process.test.ts does the same
 * with spawned processes behind a proxy and a SIGKILL.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { callTool, toolOk } from '../helpers/mcp.js';
import { apiCall, startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from './sync-helpers.js';

let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  process.env.KITH_MCP_SESSIONS_PER_KEY = '2';
  try {
    a = await startTestServer();
    b = await startTestServer({ dataDir: a.dataDir });
  } finally {
    delete process.env.KITH_MCP_SESSIONS_PER_KEY;
  }
});
afterAll(async () => {
  await b?.stop({ keepData: true });
  await a?.stop();
});

/** An SDK client whose requests go to whichever server `target.url` names at the time. */
async function switchableClient(key: string, first: TestServer): Promise<{ client: Client; transport: StreamableHTTPClientTransport; target: { url: string } }> {
  const target = { url: first.url };
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', first.url), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
    fetch: (url, init) => fetch(new URL(new URL(String(url)).pathname, target.url), init),
  });
  const client = new Client({ name: 'switching-agent', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport, target };
}

describe('MCP sessions across server processes', () => {
  test('a session opened on one process goes on through the other, and DELETE there ends it on both', async () => {
    const { client, transport, target } = await switchableClient(a.key, a);
    const sessionId = transport.sessionId!;
    assert.ok(sessionId);

    target.url = b.url;
    const org = await toolOk(client, 'crm.organization.create', { name: 'Across Processes Ltd' });
    assert.ok((await client.listTools()).tools.some((t) => t.name === 'crm.person.create'));
    // what B wrote, A reads, in the same session
    target.url = a.url;
    assert.equal((await toolOk(client, 'crm.organization.get', { id: org.id })).name, 'Across Processes Ltd');

    // ended on B: A no longer answers it (once its next check has seen the row go)
    target.url = b.url;
    await transport.terminateSession();
    const call = () => apiCall(a.url, a.key, 'POST', '/mcp', { jsonrpc: '2.0', id: 9, method: 'tools/list' }, { accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId });
    const gone = await waitFor(async () => {
      const res = await call();
      return res.status === 404 ? res : null;
    }, 'the session ended on A too');
    assert.equal(gone.body.error.message, 'MCP session not found');
    await client.close();
  });

  test('the per-key cap counts the sessions open on every process', async () => {
    const first = await switchableClient(a.key, a);
    const second = await switchableClient(a.key, b);
    const refused = await apiCall(
      a.url,
      a.key,
      'POST',
      '/mcp',
      { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'third', version: '1' } } },
      { accept: 'application/json, text/event-stream' },
    );
    assert.equal(refused.status, 429);
    assert.match(refused.body.error.message, /holds 2, the most one key may hold \(2\)/);
    // both sessions still answer, each on the other process
    first.target.url = b.url;
    second.target.url = a.url;
    assert.equal((await callTool(first.client, 'crm.addon.info')).isError, undefined);
    assert.equal((await callTool(second.client, 'crm.addon.info')).isError, undefined);
    await first.transport.terminateSession();
    await second.transport.terminateSession();
  });

  test('initializes sent at the same moment to both processes open no more sessions than the cap', async () => {
    const init = (target: TestServer, i: number) =>
      apiCall(
        target.url,
        a.key,
        'POST',
        '/mcp',
        { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: `racer-${i}`, version: '1' } } },
        { accept: 'application/json, text/event-stream' },
      );
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => init(i % 2 === 0 ? a : b, i)));
    const opened = answers.filter((r) => r.status === 200).map((r) => r.headers.get('mcp-session-id'));
    assert.equal(opened.length, 2, `statuses ${answers.map((r) => r.status).join(',')}`);
    assert.ok(answers.every((r) => r.status === 200 || r.status === 429));
    const auth = await a.services.accounts.authenticate(a.key);
    assert.ok('key' in auth);
    assert.equal((await a.services.accounts.mcpSessions.counts(`k:${auth.key.id}`)).held, 2, 'two session rows for the key');
    for (const id of opened) {
      const closed = await fetch(new URL('/mcp', a.url), { method: 'DELETE', headers: { authorization: `Bearer ${a.key}`, 'mcp-session-id': id! } });
      assert.equal(closed.status, 200);
    }
  });
});
