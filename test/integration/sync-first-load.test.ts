/**
 * The first load of a fresh client (renderer/data/firstLoad.ts): pages written straight into
 * local storage, then handed over to the live replication. Real clients (RxDB memory storage)
 * against a real server; small pages so every load spans several of them.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { NetworkSwitch, openClient, waitFor, waitSameAsServer, waitSynced, type TestClient } from './sync-helpers.js';

const PAGE = 40;
const ORGANIZATIONS = 240;

const orgPulls = (net: NetworkSwitch) => net.urls.filter((u) => u.startsWith('GET /sync/organizations/pull'));
const pushes = (net: NetworkSwitch) => net.log.filter((l) => l.startsWith('POST /sync/'));
const checkpointOf = (url: string) => Number(new URL(url.split(' ')[1], 'http://x').searchParams.get('checkpoint'));

describe('sync: first load of a fresh client', () => {
  let server: TestServer;
  const orgIds: string[] = [];
  beforeAll(async () => {
    server = await startTestServer();
    const ctx = await server.services.accounts.ownerContext('default', 'cli');
    for (let i = 0; i < ORGANIZATIONS; i++) {
      const { record } = await server.services.records.create(ctx, 'organizations', { name: `Org ${String(i).padStart(3, '0')}` });
      orgIds.push(record.id as string);
    }
    for (let i = 0; i < 60; i++) await server.services.records.create(ctx, 'people', { name: `Person ${i}`, organizationId: orgIds[i] });
  });
  afterAll(() => server.stop());

  const close = (client: TestClient) => client.store.close();

  test('a fresh client loads every record page by page, sends nothing back, and then syncs both ways', async () => {
    const client = await openClient(server.url, server.key, 'first-load-fresh', { pullBatchSize: PAGE });
    const counts: (number | null)[] = [];
    client.store.status$.subscribe((s) => counts.push(s.loaded));
    try {
      await waitSameAsServer(client.store, server.services);
      await waitSynced(client);
      const shown = counts.filter((n): n is number => n !== null);
      assert.ok(shown.length >= 3 && shown.every((n, i) => i === 0 || n >= shown[i - 1]), `the status counted the records as they loaded: ${shown.join(', ')}`);
      assert.ok(shown.at(-1)! >= ORGANIZATIONS, 'up to every record');
      assert.equal(client.status().loaded, null, 'and stopped counting when the load was done');
      assert.ok(orgPulls(client.net).length >= ORGANIZATIONS / PAGE, `organizations came in pages of ${PAGE}: ${orgPulls(client.net).length} pulls`);
      assert.deepEqual(pushes(client.net), [], 'loading pushed nothing back to the server');

      // first-loaded records take server changes live …
      assert.equal((await server.api('PATCH', `/crm/organizations/${orgIds[5]}`, { name: 'Renamed on the server' })).status, 200);
      await waitFor(async () => (await client.store.db.collections.organizations.findOne(orgIds[5]).exec())?.get('name') === 'Renamed on the server', 'the server change in the client');
      // … and local edits reach the server
      await client.store.update('organizations', orgIds[6], { name: 'Renamed by the client' });
      await waitFor(async () => (await server.api('GET', `/crm/organizations/${orgIds[6]}`)).body.name === 'Renamed by the client', 'the client edit on the server');
      await waitSynced(client);
      await waitSameAsServer(client.store, server.services);
    } finally {
      await close(client);
    }
  });

  test('a first load cut off by closing the app resumes where it stopped', async () => {
    const net = new NetworkSwitch();
    net.delay = 40;
    let client = await openClient(server.url, server.key, 'first-load-resume', { pullBatchSize: PAGE, net });
    await waitFor(() => orgPulls(net).length >= 3, 'three pages of organizations requested');
    await close(client);
    const loaded = orgPulls(net).length;
    assert.ok(loaded < ORGANIZATIONS / PAGE, 'the app closed before the organizations were all loaded');

    const again = new NetworkSwitch();
    client = await openClient(server.url, server.key, 'first-load-resume', { pullBatchSize: PAGE, net: again });
    try {
      await waitSameAsServer(client.store, server.services);
      await waitSynced(client);
      assert.ok(checkpointOf(orgPulls(again)[0]) > 0, `the second start continued from a saved page (${orgPulls(again)[0]})`);
      assert.ok(orgPulls(again).length < ORGANIZATIONS / PAGE + 2, 'pages already loaded were not fetched again');
      assert.deepEqual(pushes(again), [], 'nothing loaded was pushed back');
    } finally {
      await close(client);
    }
  });

  test('the network dropping during a first load: it waits and goes on; nothing is lost, writes made meanwhile arrive', async () => {
    const net = new NetworkSwitch();
    net.delay = 40;
    let client = await openClient(server.url, server.key, 'first-load-drop', { pullBatchSize: PAGE, net });
    await waitFor(() => orgPulls(net).length >= 2, 'two pages of organizations requested');
    net.off();
    await waitFor(() => client.status().state === 'offline', 'the client to say offline');
    const made = await client.store.create('people', { name: 'Added while the load was cut off' });
    await client.store.update('organizations', orgIds[0], { notes: 'edited while the load was cut off' });
    net.delay = 0;
    net.on();
    client.store.reconnect();
    try {
      await waitSameAsServer(client.store, server.services, 30_000);
      await waitSynced(client);
      assert.equal((await server.api('GET', `/crm/people/${made.id}`)).status, 200, 'the offline create reached the server');
      assert.equal((await server.api('GET', `/crm/organizations/${orgIds[0]}`)).body.notes, 'edited while the load was cut off');
    } finally {
      await close(client);
    }
    // the load went on once the network was back: a later start has nothing to fetch again or push
    const again = new NetworkSwitch();
    client = await openClient(server.url, server.key, 'first-load-drop', { pullBatchSize: PAGE, net: again });
    try {
      await waitSameAsServer(client.store, server.services);
      await waitSynced(client);
      assert.deepEqual(pushes(again), [], 'nothing was pushed again');
      assert.ok(
        orgPulls(again).every((u) => checkpointOf(u) > 0),
        `organizations were not loaded again: ${orgPulls(again).join(', ')}`,
      );
    } finally {
      await close(client);
    }
  });

  test('edits made while the first load runs are kept and merged with server changes to other fields', async () => {
    const net = new NetworkSwitch();
    net.delay = 60;
    const client = await openClient(server.url, server.key, 'first-load-edit', { pullBatchSize: PAGE, net });
    try {
      const target = orgIds[1];
      await waitFor(() => client.store.db.collections.organizations.findOne(target).exec(), 'the first page in the client');
      assert.notEqual(client.status().state, 'online', 'the load is still running');
      // the server changes one field (so the record comes again in a later page) while the client edits another
      assert.equal((await server.api('PATCH', `/crm/organizations/${target}`, { website: 'https://changed-on-server.example' })).status, 200);
      await client.store.update('organizations', target, { name: 'Renamed during the first load' });
      const person = await client.store.create('people', { name: 'Created during the first load', organizationId: target });

      await waitSameAsServer(client.store, server.services, 30_000);
      await waitSynced(client);
      const onServer = (await server.api('GET', `/crm/organizations/${target}`)).body;
      assert.equal(onServer.name, 'Renamed during the first load', "the client's field");
      assert.equal(onServer.website, 'https://changed-on-server.example', "the server's field");
      assert.equal(onServer.domain, 'changed-on-server.example');
      assert.equal((await server.api('GET', `/crm/people/${person.id}`)).body.organizationId, target);
      const conflicts = (await server.api('GET', `/crm/audit?entityType=organization&entityId=${target}&action=conflict`)).body.data;
      assert.deepEqual(conflicts, [], 'different fields merge without a conflict');
    } finally {
      await close(client);
    }
  });
});
