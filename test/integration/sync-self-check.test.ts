/**
 * The self-check: a client compares digests of its local store with the server's
 * (`GET /sync/:collection/digest`), finds the range that differs and heals it by itself — no
 * reload, no user action — and counts it in its status.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { getHeightOfRevision, type RxCollection } from 'rxdb';
import { newId } from '../../shared/ids.js';
import { openKithStore, type KithStore, type SyncStatus } from '../../renderer/data/index.js';
import { localDigest } from '../../renderer/data/selfCheck.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { diffSummary, dumpClient, dumpServer, NetworkSwitch, waitFor, waitSameAsServer } from './sync-helpers.js';

/**
 * The write context of a collection's replication downstream (RxDB 17: 'replication-downstream-'
 * + the checkpoint key, a hash of the replication identifier, database and collection names);
 * RxDB's upstream pushes every write it sees except those.
 */
async function downstreamContext(store: KithStore, serverUrl: string, collection: RxCollection<any>): Promise<string> {
  const identifier = `rxdbreplication${'kith-sync|'}${serverUrl}|${store.info.workspaceId}|${collection.name}`;
  const hash = await store.db.hashFunction([identifier, store.db.name, collection.name].join('||'));
  return `replication-downstream-rx_storage_replication_${hash}`;
}

/** Writes a document straight into the client's storage as if the replication had, so nothing notices (no push, not pending). */
async function behindReplicationsBack(
  store: KithStore,
  serverUrl: string,
  collection: RxCollection<any>,
  id: string,
  change: (doc: Record<string, unknown>) => Record<string, unknown>,
): Promise<void> {
  const instance = collection.internalStorageInstance;
  const [previous] = (await instance.findDocumentsById([id], true)) as any[];
  const height = previous ? getHeightOfRevision(previous._rev) + 1 : 1;
  const base = previous ?? { _attachments: {}, _deleted: false };
  const document = { ...change({ ...base }), _meta: { lwt: 1 }, _rev: `${height}-corrupted` };
  const result = await instance.bulkWrite([previous ? { previous, document } : { document }] as any, await downstreamContext(store, serverUrl, collection));
  assert.deepEqual(result.error, [], 'the corruption was written');
}

describe('sync self-check: digests and healing', () => {
  let server: TestServer;
  let store: KithStore;
  let status: SyncStatus;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    server = await startTestServer();
    for (let i = 0; i < 40; i++) {
      const org = (await server.api('POST', '/crm/organizations', { name: `Org ${i}` })).body;
      const person = (await server.api('POST', '/crm/people', { name: `Person ${i}`, organizationId: org.id })).body;
      ids[`org${i}`] = org.id;
      ids[`person${i}`] = person.id;
    }
    const deal = (await server.api('POST', '/crm/deals', { title: 'Big deal', amount: 5000 })).body;
    ids.deal = deal.id;
    await server.api('PATCH', `/crm/deals/${deal.id}`, { title: 'Big deal, renamed' });
    await server.api('DELETE', `/crm/organizations/${ids.org39}`);
    store = await openKithStore(
      { serverUrl: server.url, apiKey: server.key },
      { storage: getRxStorageMemory(), fetch: new NetworkSwitch().fetch, retryTime: 300, databaseName: 'self-check', selfCheckInterval: 400 },
    );
    store.status$.subscribe((s) => (status = s));
    await waitSameAsServer(store, server.services);
  });
  afterAll(async () => {
    await store?.close();
    await server.stop();
  });

  test("the server's digest of a collection equals the synced client's, and changes with any record's version", async () => {
    const res = await server.api('GET', '/sync/people/digest');
    assert.equal(res.status, 200);
    assert.equal(res.body.count, 40);
    assert.equal(res.body.from, 0);
    assert.equal(res.body.to, res.body.head);
    assert.match(res.body.hash, /^[0-9a-f]{16}$/);
    const local = await localDigest(store.db.collections.people);
    assert.deepEqual(local, { count: res.body.count, hash: res.body.hash });

    const orgs = (await server.api('GET', '/sync/organizations/digest')).body;
    assert.equal(orgs.count, 39, 'the deleted organization does not count');
    // ranges add up: the halves of the range hold all records
    const mid = Math.floor(orgs.head / 2);
    const left = (await server.api('GET', `/sync/organizations/digest?from=0&to=${mid}`)).body;
    const right = (await server.api('GET', `/sync/organizations/digest?from=${mid}&to=${orgs.head}`)).body;
    assert.equal(left.count + right.count, 39);
    assert.equal(left.head, orgs.head);

    const bad = await server.api('GET', '/sync/people/digest?from=-1&to=x');
    assert.equal(bad.status, 422);
    assert.deepEqual(
      bad.body.errors.map((e: { path: string }) => e.path),
      ['from', 'to'],
    );
    assert.equal((await server.api('GET', '/sync/nothing/digest')).status, 404);
    assert.equal((await server.api('GET', '/sync/people/digest', undefined, { key: null })).status, 401);

    const results = await store.verify();
    for (const [name, result] of Object.entries(results)) assert.equal(result.outcome, 'in-sync', `${name}: ${JSON.stringify(result)}`);
  });

  test('a client whose local store lost, revived and invented rows behind replication’s back detects it and heals itself without a reload', async () => {
    const healedBefore = status.healed;
    const people = store.db.collections.people;
    const orgs = store.db.collections.organizations;
    // a row deleted behind the replication's back
    await behindReplicationsBack(store, server.url, people, ids.person7, (doc) => ({ ...doc, _deleted: true }));
    // a deleted row that came back to life, and a row the server never had
    const deletedOrg = (await server.api('GET', `/sync/organizations/pull?checkpoint=0&limit=5000`)).body.documents.find((d: { id: string }) => d.id === ids.org39);
    await behindReplicationsBack(store, server.url, orgs, ids.org39, () => ({ ...deletedOrg, _deleted: false, _attachments: {} }));
    const inventedId = newId();
    await behindReplicationsBack(store, server.url, orgs, inventedId, (doc) => ({ ...deletedOrg, ...doc, id: inventedId, name: 'Never on the server', _deleted: false }));

    const [client, serverDump] = [await dumpClient(store), await dumpServer(server.services, store.info.workspaceId)];
    assert.notEqual(diffSummary(client, serverDump), 'none', 'the local store really differs from the server now');
    assert.equal(status.pending, 0, 'the corruption is not a local edit waiting to be pushed');

    // the periodic self-check (every 400 ms here) finds and heals all of it by itself
    await waitFor(() => status.healed >= healedBefore + 2, `two collections healed (status ${JSON.stringify(status)})`, 20_000);
    await waitSameAsServer(store, server.services);
    assert.equal(status.pending, 0, 'healing pushed nothing');
    assert.equal((await people.findOne(ids.person7).exec())?.get('name'), 'Person 7');
    assert.equal(await orgs.findOne(ids.org39).exec(), null);
    assert.equal(await orgs.findOne(inventedId).exec(), null);

    // healed documents stay live: a server change after the heal arrives as usual, a local edit is pushed
    await server.api('PATCH', `/crm/people/${ids.person7}`, { title: 'Back again' });
    await waitFor(async () => (await people.findOne(ids.person7).exec())?.get('title') === 'Back again', 'server edit of a healed row reaches the client');
    await store.update('deals', ids.deal, { notes: 'Edited after healing' });
    await waitFor(async () => (await server.api('GET', `/crm/deals/${ids.deal}`)).body.notes === 'Edited after healing', 'local edit of a healed row reaches the server');
    const results = await store.verify();
    for (const [name, result] of Object.entries(results)) assert.equal(result.outcome, 'in-sync', `${name}: ${JSON.stringify(result)}`);
  });
});
