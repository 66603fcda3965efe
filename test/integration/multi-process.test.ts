/**
 * Several stateless server processes on one PostgreSQL database (issue 17, "Done when"): two built
 * servers (`dist/server`) behind a round-robin proxy on loopback; RxDB clients syncing through it
 * (each in its own process), a REST and an MCP client writing; one server SIGKILLed and started
 * again in the middle. Then: every acknowledged write is there, a checkpoint puller skipped no row,
 * every client's dump equals the server's, a write through one process reached a sync stream held
 * by the other within a second (NOTIFY), and an MCP session opened on the killed process went on.
 *
 * PostgreSQL only (vitest project integration-pg, PG_ONLY_SUITES); `npm run build:server` first.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { afterAll, test } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { openServices, type Services } from '../../server/domain/services.js';
import { callTool, toolOk } from '../helpers/mcp.js';
import { dropTestDatabase, storeEnv } from '../helpers/postgres.js';
import { startProxy, type RoundRobinProxy } from '../helpers/proxy.js';
import { apiCall, tempDataDir } from '../helpers/server.js';
import { killSpawned, spawnServer, type Spawned } from '../helpers/spawn.js';
import { diffSummary, dumpServer, startSyncWorker, waitFor, type Dump, type SyncWorker } from './sync-helpers.js';

const CLIENTS = 2;
const WRITES_PER_CLIENT = 100;
const REST_WRITES = 80;
const MCP_WRITES = 30;

const dir = tempDataDir('kith-multi-');
let proxy: RoundRobinProxy | null = null;
let services: Services | null = null;
const workers: SyncWorker[] = [];
const streams: http.ClientRequest[] = [];

afterAll(async () => {
  for (const s of streams) s.destroy();
  for (const w of workers) w.child.kill('SIGKILL');
  killSpawned();
  await proxy?.close();
  await services?.store.close();
  await dropTestDatabase(dir);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** An SDK client whose requests go to whichever base URL `target.url` names at the time. */
async function mcpClient(key: string, url: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport; target: { url: string } }> {
  const target = { url };
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', url), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
    fetch: (to, init) => fetch(new URL(new URL(String(to)).pathname, target.url), init),
  });
  const client = new Client({ name: 'multi-process-agent', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport, target };
}

/** A /sync/stream held open on one server; `waitFor(text)` resolves when the stream carries it. */
async function openSyncStream(url: string, key: string): Promise<{ seen: (text: string) => Promise<void> }> {
  let received = '';
  const listeners = new Set<() => void>();
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.get(`${url}/sync/stream`, { agent: false, headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' } }, resolve);
    req.on('error', reject);
    streams.push(req);
  });
  assert.equal(res.statusCode, 200);
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    received += chunk;
    for (const l of listeners) l();
  });
  // the stream has started (its first event is the resync signal)
  await waitFor(() => received.includes('data:'), 'the sync stream to start', 10_000);
  return {
    seen: (text) =>
      new Promise((resolve) => {
        const check = () => {
          if (received.includes(text)) {
            listeners.delete(check);
            resolve();
          }
        };
        listeners.add(check);
        check();
      }),
  };
}

test('two server processes on one PostgreSQL behind a round-robin proxy, one killed and restarted mid-run: nothing lost, every client equal to the server', async () => {
  const env = await storeEnv(dir);
  assert.ok(env.KITH_DATABASE_URL, 'this test runs on PostgreSQL only (vitest project integration-pg)');
  // the sync clients' processes start while the servers do
  for (let i = 0; i < CLIENTS; i++) workers.push(startSyncWorker());
  const workersReady = Promise.all(workers.map((w) => w.next('ready')));
  // the first start creates the owner; the second process joins the same database
  let a: Spawned = await spawnServer(dir, { env });
  const b = await spawnServer(dir, { env });
  const key = a.key!;
  assert.ok(key);
  proxy = await startProxy([a.url, b.url]);
  const via = proxy.url;
  services = await openServices(dir, { databaseUrl: env.KITH_DATABASE_URL });

  // a write through one process reaches a sync stream held by the other within a second
  // (from the write's acknowledgement, its commit; after a first write that warms both processes up)
  const stream = await openSyncStream(b.url, key);
  const warm = await apiCall(a.url, key, 'POST', '/crm/organizations', { name: 'Warming Up' });
  await stream.seen('Warming Up');
  const live = await apiCall(a.url, key, 'POST', '/crm/organizations', { name: 'Heard Across Processes' });
  assert.equal(live.status, 201);
  const committed = Date.now();
  await stream.seen('Heard Across Processes');
  const latency = Date.now() - committed;
  assert.ok(latency < 1000, `the write through A reached B's stream ${latency} ms after it was acknowledged`);

  // an MCP session opened on A (directly), to go on through the proxy after A is killed
  const agent = await mcpClient(key, a.url);
  const sessionId = agent.transport.sessionId;
  assert.ok(sessionId);
  const acked = new Set<string>([warm.body.id, live.body.id, (await toolOk(agent.client, 'crm.organization.create', { name: 'Before The Kill' })).id]);

  const sharedDeals: string[] = [];
  for (let i = 0; i < 4; i++) sharedDeals.push((await apiCall(via, key, 'POST', '/crm/deals', { title: `Shared deal ${i}`, notes: 'start' })).body.id);
  await workersReady;

  // a checkpoint puller through the proxy for the whole run
  const pulled = new Set<string>();
  let checkpoint = 0;
  let pulling = true;
  const pullOnce = async (): Promise<number> => {
    const res = await apiCall(via, key, 'GET', `/sync/organizations/pull?checkpoint=${checkpoint}&limit=50`).catch(() => null);
    if (res?.status !== 200) {
      await new Promise((r) => setTimeout(r, 100)); // a process going down: try again
      return -1;
    }
    for (const doc of res.body.documents as { id: string }[]) pulled.add(doc.id);
    checkpoint = res.body.checkpoint.sequence;
    return res.body.documents.length as number;
  };
  const puller = (async () => {
    while (pulling) await pullOnce();
  })();

  const started = Date.now();
  workers.forEach((w, index) => w.child.send({ type: 'start', url: via, key, name: `multi-${index}`, writes: WRITES_PER_CLIENT, index, sharedDeals }));
  const clientsDone = Promise.all(workers.map((w) => w.next('done')));

  let restAcked = 0;
  const restWriter = (async () => {
    for (let i = 0; i < REST_WRITES; i++) {
      const res = await apiCall(via, key, 'POST', '/crm/organizations', { name: `REST org ${i}` }).catch(() => null);
      if (res?.status === 201) {
        acked.add(res.body.id);
        restAcked++;
      }
    }
  })();
  const mcpWriter = (async () => {
    const { client } = await mcpClient(key, via);
    for (let i = 0; i < MCP_WRITES; i++) {
      const result = await callTool(client, 'crm.organization.create', { name: `MCP org ${i}` }).catch(() => null);
      if (result && !result.isError) acked.add(result.structuredContent.id);
    }
    await client.close();
  })();

  // mid-run: SIGKILL A, then start it again on the same port
  await waitFor(() => restAcked >= 15, 'the REST writer to be under way', 120_000);
  a.child.kill('SIGKILL');
  console.log(`# A killed ${Date.now() - started} ms into the run`);
  await a.exited;
  // A is gone: the session it opened goes on through the proxy (on B)
  agent.target.url = via;
  acked.add((await toolOk(agent.client, 'crm.organization.create', { name: 'While A Is Down' })).id);
  a = await spawnServer(dir, { env, port: Number(new URL(a.url).port) });
  acked.add((await toolOk(agent.client, 'crm.organization.create', { name: 'After The Restart' })).id);
  assert.equal(agent.transport.sessionId, sessionId, 'the same MCP session');

  await Promise.all([restWriter, mcpWriter]);
  const done = await clientsDone;
  console.log(`# all writes acknowledged after ${Date.now() - started} ms; A restarted; stream latency ${latency} ms`);
  pulling = false;
  await puller;
  while ((await pullOnce()) !== 0);

  const workspaceId = (await apiCall(via, key, 'GET', '/crm')).body.workspace.id;
  // every client's dump equals the server's
  let serverDump: Dump = await dumpServer(services, workspaceId);
  const deadline = Date.now() + 30_000;
  for (;;) {
    serverDump = await dumpServer(services, workspaceId);
    for (const w of workers) w.child.send({ type: 'dump' });
    const dumps: Dump[] = (await Promise.all(workers.map((w) => w.next('dump')))).map((m) => m.dump);
    const expected = JSON.stringify(serverDump);
    if (dumps.every((d) => JSON.stringify(d) === expected)) break;
    if (Date.now() > deadline) assert.fail(`clients differ from the server: ${dumps.map((d, i) => `client ${i}: ${diffSummary(d, serverDump)}`).join(' | ')}`);
    await new Promise((r) => setTimeout(r, 250));
  }

  console.log(`# clients equal to the server after ${Date.now() - started} ms`);
  // every acknowledged write is there: REST, MCP, and the clients' (each client equals the server, and made them all)
  const orgIds = new Set(serverDump.organizations.map((o) => String(o.id)));
  const missing = [...acked].filter((id) => !orgIds.has(id));
  assert.deepEqual(missing, [], `${missing.length} acknowledged writes are missing`);
  assert.ok(restAcked > 15 && acked.size > restAcked, `REST acknowledged ${restAcked}, in all ${acked.size}`);
  const total = (kind: string) => done.reduce((n, m) => n + m.counts[kind], 0);
  assert.equal(serverDump.organizations.filter((o) => /^W\d org /.test(String(o.name))).length, total('organizations') - total('deletes'));
  assert.equal(serverDump.people.length, total('people'));
  assert.equal(serverDump.activities.length, total('activities'));
  assert.deepEqual((await apiCall(via, key, 'GET', '/sync/rejections?limit=5')).body.data, [], 'no client write was refused');

  // the checkpoint puller saw every organization
  const skipped = [...orgIds].filter((id) => !pulled.has(id));
  assert.deepEqual(skipped, [], `the puller skipped ${skipped.length} of ${orgIds.size} organizations`);

  // both processes served, the restarted one included
  assert.ok(
    [...proxy.served.values()].every((n) => n > 0),
    `requests per process: ${JSON.stringify([...proxy.served])}`,
  );
  assert.equal((await apiCall(a.url, key, 'GET', `/crm/organizations/${[...acked][0]}`)).status, 200);
  await agent.client.close();
});
