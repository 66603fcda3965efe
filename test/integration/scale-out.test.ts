/**
 * Several server processes on one PostgreSQL database (issue 17 item 5): built servers
 * (`dist/server/main.js`) started at once on an empty database create one owner (first-start work
 * under an advisory lock); two processes' webhook dispatchers deliver each event once to a real
 * receiver (endpoints claimed with FOR UPDATE SKIP LOCKED); GET /health answers 503 once the database
 * is gone.
 *
 * PostgreSQL only (vitest project integration-pg, PG_ONLY_SUITES); `npm run build:server` first.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { afterAll, test } from 'vitest';
import pg from 'pg';
import { storeEnv, testDatabaseUrl } from '../helpers/postgres.js';
import { apiCall, startTestServer, tempDataDir } from '../helpers/server.js';
import { killSpawned, spawnServer } from '../helpers/spawn.js';
import { until as waitUntil } from '../helpers/wait.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  killSpawned();
  for (const c of cleanups.reverse()) await c();
});

const until = (what: string, pred: () => boolean | Promise<boolean>, ms = 30_000) => waitUntil(what, pred, ms, 25);

async function query<T>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

test('two processes started at once on an empty database create one owner, one workspace, one key; both serve it', async () => {
  const dir = tempDataDir('kith-scale-');
  const env = { ...(await storeEnv(dir)), KITH_WEBHOOK_ALLOW_PRIVATE: '1' };
  const [a, b] = await Promise.all([spawnServer(dir, { env }), spawnServer(tempDataDir('kith-scale-'), { env })]);
  const keys = [a.key, b.key].filter((k): k is string => k !== null);
  assert.equal(keys.length, 1, `exactly one process printed an owner key:\n${a.output()}\n${b.output()}`);
  const url = await testDatabaseUrl(dir);
  const [counts] = await query<{ users: number; workspaces: number; keys: number; pipelines: number }>(
    url,
    `select (select count(*) from "users")::int as users, (select count(*) from "workspaces")::int as workspaces,
            (select count(*) from "apiKeys")::int as keys, (select count(*) from "pipelines")::int as pipelines`,
  );
  assert.deepEqual(counts, { users: 1, workspaces: 1, keys: 1, pipelines: 1 });
  for (const server of [a, b]) assert.equal((await apiCall(server.url, keys[0], 'GET', '/crm')).body.workspace.slug, 'default');

  // the same two processes: each webhook event is delivered once, by one of them, in order
  const got: { id: string; name: string }[] = [];
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ id: String(req.headers['kith-delivery-id']), name: JSON.parse(body).data.record.name });
      setTimeout(() => res.writeHead(200).end('{}'), 5); // a receiver that takes a moment: both dispatchers are awake meanwhile
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => receiver.close(r)));
  const port = (receiver.address() as net.AddressInfo).port;
  const hooked = await apiCall(a.url, keys[0], 'POST', '/crm/webhooks', { url: `http://127.0.0.1:${port}/hook`, events: ['organization.created'] });
  assert.equal(hooked.status, 201, JSON.stringify(hooked.body));
  const N = 60;
  for (let i = 0; i < N; i++) {
    const created = await apiCall([a, b][i % 2].url, keys[0], 'POST', '/crm/organizations', { name: `Org ${String(i).padStart(2, '0')}` });
    assert.equal(created.status, 201);
  }
  await until(`all ${N} deliveries`, () => got.length >= N);
  await until('both outboxes empty', async () => {
    const [{ pending }] = await query<{ pending: number }>(url, `select count(*)::int as pending from "webhookDeliveries" where "state" = 'pending'`);
    return pending === 0;
  });
  await new Promise((r) => setTimeout(r, 1500)); // time for a second, wrong delivery to arrive
  assert.equal(got.length, N, 'each event delivered once');
  assert.equal(new Set(got.map((g) => g.id)).size, N);
  assert.deepEqual(
    got.map((g) => g.name),
    got.map((g) => g.name).sort(),
    'in order of the changes',
  );
});

test('GET /health answers 503 with a reason once the database is unreachable, and 200 again when it is back', async () => {
  // the server reaches PostgreSQL through a loopback relay the test can cut
  const dir = tempDataDir('kith-health-');
  const target = new URL(await testDatabaseUrl(dir));
  const sockets = new Set<net.Socket>();
  let open = true;
  const relay = net.createServer((client) => {
    if (!open) return client.destroy();
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => relay.close(r)));
  const relayed = new URL(target);
  relayed.port = String((relay.address() as net.AddressInfo).port);
  const server = await startTestServer({ dataDir: dir, databaseUrl: relayed.toString() });
  cleanups.push(() => server.stop());
  assert.deepEqual((await apiCall(server.url, null, 'GET', '/health')).body, { ok: true });

  open = false;
  for (const s of sockets) s.destroy();
  const down = await apiCall(server.url, null, 'GET', '/health');
  assert.equal(down.status, 503);
  assert.equal(down.body.ok, false);
  assert.match(down.body.reason, /^the database is unavailable/);
  assert.equal(down.headers.get('retry-after'), '1');

  open = true;
  await until('healthy again', async () => (await apiCall(server.url, null, 'GET', '/health')).status === 200);
});
