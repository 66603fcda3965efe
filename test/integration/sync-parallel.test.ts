/**
 * 10,000 writes by 4 clients in parallel (each in its own process, a real client store on RxDB
 * memory storage) end with every client and the server holding the same state.
 */
import assert from 'node:assert/strict';
import { test } from 'vitest';
import { startTestServer } from '../helpers/server.js';
import { diffSummary, dumpServer, startSyncWorker, type Dump, type SyncWorker } from './sync-helpers.js';

const CLIENTS = 4;
const WRITES_PER_CLIENT = Number(process.env.KITH_SYNC_WRITES ?? 2500);

test('10,000 writes by 4 parallel clients end with every client and the server holding the same state', async () => {
  const server = await startTestServer();
  const workers: SyncWorker[] = [];
  try {
    const sharedDeals: string[] = [];
    for (let i = 0; i < 4; i++) sharedDeals.push((await server.api('POST', '/crm/deals', { title: `Shared deal ${i}`, notes: 'start' })).body.id);

    for (let i = 0; i < CLIENTS; i++) workers.push(startSyncWorker());
    await Promise.all(workers.map((w) => w.next('ready')));
    workers.forEach((w, index) => w.child.send({ type: 'start', url: server.url, key: server.key, name: `parallel-${index}`, writes: WRITES_PER_CLIENT, index, sharedDeals }));
    const started = Date.now();
    const done = await Promise.all(workers.map((w) => w.next('done')));
    console.log(`# ${CLIENTS * WRITES_PER_CLIENT} writes acknowledged after ${Date.now() - started} ms`);

    const workspaceId = (await server.api('GET', '/crm')).body.workspace.id;
    let serverDump: Dump | null = null;
    let dumps: Dump[] = [];
    const deadline = Date.now() + 60_000;
    for (;;) {
      serverDump = await dumpServer(server.services, workspaceId);
      for (const w of workers) w.child.send({ type: 'dump' });
      dumps = (await Promise.all(workers.map((w) => w.next('dump')))).map((m) => m.dump);
      const expected = JSON.stringify(serverDump);
      if (dumps.every((d) => JSON.stringify(d) === expected)) break;
      if (Date.now() > deadline) {
        assert.fail(`clients differ from the server: ${dumps.map((d, i) => `client ${i}: ${diffSummary(d, serverDump!)}`).join(' | ')}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }

    console.log(`# all ${CLIENTS} clients equal to the server after ${Date.now() - started} ms`);
    const rejected = (await server.api('GET', '/sync/rejections?limit=5')).body.data;
    assert.deepEqual(rejected, [], 'no write was refused');
    const total = (key: string) => done.reduce((n, m) => n + m.counts[key], 0);
    const writes = done.reduce((n, m) => n + Object.values(m.counts as Record<string, number>).reduce((a, b) => a + b, 0), 0);
    assert.equal(writes, CLIENTS * WRITES_PER_CLIENT);
    const madeOrgs = serverDump.organizations.filter((o) => /^W\d org /.test(String(o.name))).length;
    assert.equal(madeOrgs, total('organizations') - total('deletes'), 'every created organization is on the server, deleted ones are gone');
    assert.equal(serverDump.people.length, total('people'));
    assert.equal(serverDump.deals.length, total('deals') + sharedDeals.length);
    assert.equal(serverDump.activities.length, total('activities'));
    // each worker edited its own field of the shared deals: every edit survived somewhere
    const shared = serverDump.deals.filter((d) => sharedDeals.includes(String(d.id)));
    assert.ok(
      shared.every((d) => d.amount !== null && d.probability !== null && d.expectedCloseDate !== null && String(d.title).includes('worker')),
      `edits to different fields all survive: ${JSON.stringify(shared)}`,
    );
  } finally {
    for (const w of workers) w.child.send({ type: 'close' });
    await Promise.all(workers.map((w) => new Promise((r) => (w.child.exitCode !== null ? r(null) : w.child.once('exit', r)))));
    await server.stop();
  }
}, 180_000);
