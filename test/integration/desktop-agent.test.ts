/**
 * "Agent access" (main/agent.ts): the MCP client configuration blocks, and the self-test that
 * launches the built stdio `kith-mcp` (dist/server/mcp-stdio.js; `npm test` builds it) against a
 * real server and reports the tools it lists — directly and through the desktop bridge.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { agentConfig, stdioLaunch, testMcp } from '../../main/agent.js';
import { CHANNELS } from '../../main/bridge.js';
import { createDesktop } from '../../main/desktop.js';
import { createFakeElectron } from '../helpers/electron-mock.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** How many tools the hosted /mcp endpoint lists for this key (the SDK's HTTP client). */
async function hostedToolCount(serverUrl: string, apiKey: string): Promise<number> {
  const client = new Client({ name: 'desktop-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${serverUrl}/mcp`), { requestInit: { headers: { authorization: `Bearer ${apiKey}` } } }));
  try {
    return (await client.listTools()).tools.length;
  } finally {
    await client.close();
  }
}

const MCP_SCRIPT = path.resolve('dist/server/mcp-stdio.js');
const KEY = 'kith_' + 'Q'.repeat(32);

describe('agent configuration blocks', () => {
  it('stdio block launches the bundled kith-mcp with the server and key; http block points at /mcp with a bearer header', () => {
    const config = agentConfig({ serverUrl: 'http://127.0.0.1:47317', apiKey: KEY, workspace: 'default' }, '/opt/Kith/dist/server/mcp-stdio.js', {
      execPath: '/usr/bin/node',
    });
    assert.deepEqual(config.stdio, {
      mcpServers: {
        kith: {
          command: '/usr/bin/node',
          args: ['/opt/Kith/dist/server/mcp-stdio.js'],
          env: { KITH_URL: 'http://127.0.0.1:47317', KITH_API_KEY: KEY, KITH_WORKSPACE: 'default' },
        },
      },
    });
    assert.deepEqual(config.http, {
      mcpServers: {
        kith: { type: 'http', url: 'http://127.0.0.1:47317/mcp', headers: { Authorization: `Bearer ${KEY}`, 'X-Kith-Workspace': 'default' } },
      },
    });
    // the blocks are plain JSON a person pastes into a client's config file
    assert.deepEqual(JSON.parse(JSON.stringify(config)), config);
  });

  it('inside Electron the app binary runs kith-mcp as plain Node', () => {
    const launch = stdioLaunch({ serverUrl: 'https://crm.example.com', apiKey: KEY }, '/Applications/Kith.app/Contents/Resources/app.asar.unpacked/dist/server/mcp-stdio.js', {
      execPath: '/Applications/Kith.app/Contents/MacOS/Kith',
      electron: '45.4.1',
    });
    assert.equal(launch.command, '/Applications/Kith.app/Contents/MacOS/Kith');
    assert.deepEqual(launch.env, { KITH_URL: 'https://crm.example.com', KITH_API_KEY: KEY, ELECTRON_RUN_AS_NODE: '1' });
  });
});

describe('launching kith-mcp', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('initializes and lists the tools the key may use', async () => {
    // a viewer's read-only key: kith-mcp lists what the server allows this key — fewer than the owner's
    const accounts = server.services.accounts;
    const viewer = await accounts.createUser({ email: 'viewer@example.com', name: 'Viewer' });
    const workspace = (await accounts.findWorkspace('default'))!;
    await accounts.setMembership(workspace.id, viewer.id, 'VIEWER');
    const { key } = await accounts.createApiKey({ userId: viewer.id });
    const read = await testMcp({ serverUrl: server.url, apiKey: key }, MCP_SCRIPT);
    assert.equal(read.error, undefined);
    assert.equal(read.ok, true);
    assert.equal(read.toolCount, await hostedToolCount(server.url, key), 'same catalogue as the hosted /mcp for this key');
    const ownerCount = await hostedToolCount(server.url, server.key);
    assert.ok(read.toolCount! > 0 && read.toolCount! < ownerCount, `viewer ${read.toolCount} < owner ${ownerCount}`);
  });

  it('reports failures as a message, not a crash', async () => {
    const { key } = await server.services.accounts.createApiKey({ userId: (await server.services.accounts.findUser('owner@kith.local')).id });
    await server.services.accounts.revokeApiKey(key);
    const revoked = await testMcp({ serverUrl: server.url, apiKey: key }, MCP_SCRIPT, { timeoutMs: 15_000 });
    assert.equal(revoked.ok, false);
    assert.match(revoked.error!, /revoked/, 'the reason kith-mcp gave is passed on');

    const missing = await testMcp({ serverUrl: server.url, apiKey: server.key }, '/nonexistent/mcp-stdio.js');
    assert.deepEqual(missing, { ok: false, error: 'kith-mcp is not built: /nonexistent/mcp-stdio.js is missing (run npm run build:server)' });
  });

  it('"Agent access" in the app: config for the local server and a test launch through the bridge', async () => {
    const fake = createFakeElectron();
    const desktop = createDesktop({ electron: fake.api, preloadPath: '/p.cjs', uiDir: null, mcpScript: MCP_SCRIPT, defaultPort: 0, log: () => {} });
    try {
      await desktop.start();
      const conn = await fake.invokeAsApp(CHANNELS.getConnection);
      const config = await fake.invokeAsApp(CHANNELS.agentConfig);
      assert.equal(config.stdio.mcpServers.kith.env.KITH_URL, conn.serverUrl);
      assert.equal(config.stdio.mcpServers.kith.env.KITH_API_KEY, conn.apiKey);
      assert.deepEqual(config.stdio.mcpServers.kith.args, [MCP_SCRIPT]);
      assert.equal(config.http.mcpServers.kith.url, `${conn.serverUrl}/mcp`);
      const result = await fake.invokeAsApp(CHANNELS.testMcp);
      assert.equal(result.ok, true, result.error);
      assert.equal(result.toolCount, await hostedToolCount(conn.serverUrl, conn.apiKey), 'the owner sees the whole catalogue');
      assert.ok(result.toolCount >= 30, `got ${result.toolCount} tools`);
    } finally {
      fake.app.quit();
      await fake.app.quitDone();
    }
  });
});
