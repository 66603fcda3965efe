/**
 * Saved views (issue 15, item 2) over real HTTP and real sync: REST /crm/views, who sees and who
 * changes a view (personal views are their owner's alone; only the owner or a workspace owner
 * changes one), and views reaching other members' clients through /sync — shared ones live,
 * personal ones never (a view made personal again leaves their stores as a tombstone).
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Role } from '../../shared/schemas.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { openClient, waitFor, waitSynced, type TestClient } from './sync-helpers.js';

let server: TestServer;
let workspaceId: string;
let counter = 0;
const clients: TestClient[] = [];

async function member(role: Role) {
  const { accounts } = server.services;
  const user = await accounts.createUser({ email: `${role.toLowerCase()}-${++counter}@views.test`, name: `${role} ${counter}` });
  await accounts.setMembership(workspaceId, user.id, role);
  const { key } = await accounts.createApiKey({ userId: user.id });
  const api = (method: string, path: string, body?: unknown) => server.api(method, path, body, { key });
  return { user, key, api };
}

async function client(key: string, name: string): Promise<TestClient> {
  const c = await openClient(server.url, key, `${name}-${++counter}`);
  clients.push(c);
  return c;
}

const localView = async (c: TestClient, id: string) => (await c.store.db.collections.views.findOne(id).exec())?.toJSON() as Record<string, any> | undefined;

describe('saved views', () => {
  let ann: Awaited<ReturnType<typeof member>>;
  let bob: Awaited<ReturnType<typeof member>>;
  let viewer: Awaited<ReturnType<typeof member>>;

  beforeAll(async () => {
    server = await startTestServer();
    workspaceId = (await server.services.accounts.findWorkspace('default'))!.id;
    ann = await member('MEMBER');
    bob = await member('MEMBER');
    viewer = await member('VIEWER');
  });
  afterAll(async () => {
    for (const c of clients) await c.store.close();
    await server.stop();
  });

  test('REST: a member saves a view; the server sets its owner; bad input is refused naming the field', async () => {
    const res = await ann.api('POST', '/crm/views', {
      name: ' Big open deals ',
      table: 'deals',
      filters: { status: 'open', labels: ['vip'] },
      sort: [{ key: 'amount', direction: 'desc' }],
      columns: ['title', 'amount'],
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.name, 'Big open deals');
    assert.equal(res.body.ownerId, ann.user.id);
    assert.equal(res.body.shared, false, 'personal unless shared');
    assert.equal(res.body.custom, undefined, 'views have no custom fields');

    const forged = await ann.api('POST', '/crm/views', { name: 'x', table: 'deals', ownerId: bob.user.id });
    assert.equal(forged.status, 422);
    assert.deepEqual(
      forged.body.errors.map((e: { path: string }) => e.path),
      ['ownerId'],
    );
    const badTable = await ann.api('POST', '/crm/views', { name: 'x', table: 'projects' });
    assert.equal(badTable.status, 422);
    assert.equal(badTable.body.errors[0].path, 'table');
    assert.match(badTable.body.errors[0].message, /people, organizations, deals, board/);
    const badSort = await ann.api('POST', '/crm/views', { name: 'x', table: 'deals', sort: [{ key: 'amount', direction: 'up' }] });
    assert.equal(badSort.status, 422);
    assert.equal(badSort.body.errors[0].path, 'sort.0.direction');
    const noName = await ann.api('POST', '/crm/views', { table: 'deals' });
    assert.equal(noName.body.errors[0].path, 'name');
    assert.equal((await ann.api('PATCH', `/crm/views/${res.body.id}`, { table: 'people' })).status, 422, 'the table is fixed');

    const viewerSave = await viewer.api('POST', '/crm/views', { name: 'Mine', table: 'people' });
    assert.equal(viewerSave.status, 403, 'a viewer writes nothing, views included');
  });

  test('REST: another member cannot see or change a personal view, nor change a shared one; the owner and workspace owners can', async () => {
    const personal = (await ann.api('POST', '/crm/views', { name: 'Ann only', table: 'people' })).body;
    const shared = (await ann.api('POST', '/crm/views', { name: 'Team pipeline', table: 'board', filters: { ownerId: null }, shared: true })).body;

    // Bob: the personal view does not exist for him; the shared one he reads but cannot change
    assert.equal((await bob.api('GET', `/crm/views/${personal.id}`)).status, 404);
    assert.equal((await bob.api('PATCH', `/crm/views/${personal.id}`, { name: 'Hijacked' })).status, 404);
    assert.equal((await bob.api('DELETE', `/crm/views/${personal.id}`)).status, 404);
    const listed = (await bob.api('GET', '/crm/views?limit=100')).body.data.map((v: { id: string }) => v.id);
    assert.ok(listed.includes(shared.id) && !listed.includes(personal.id), 'his list has the shared view, not the personal one');
    assert.equal((await bob.api('GET', `/crm/views/${shared.id}`)).body.name, 'Team pipeline');
    const change = await bob.api('PATCH', `/crm/views/${shared.id}`, { name: 'Bob was here' });
    assert.equal(change.status, 403);
    assert.match(change.body.detail, /Only the owner of this saved view or a workspace owner can change it/);
    assert.equal((await bob.api('DELETE', `/crm/views/${shared.id}`)).status, 403);
    assert.equal((await viewer.api('GET', `/crm/views/${shared.id}`)).status, 200, 'viewers see shared views');

    // the owner changes it; a workspace owner (the server's first key) changes and deletes it too
    assert.equal((await ann.api('PATCH', `/crm/views/${shared.id}`, { name: 'Team board' })).body.name, 'Team board');
    assert.equal((await server.api('PATCH', `/crm/views/${shared.id}`, { columns: ['region'] })).status, 200);
    assert.equal((await server.api('GET', `/crm/views/${personal.id}`)).status, 404, 'a personal view is shown to its owner only, workspace owners included');
    assert.equal((await ann.api('DELETE', `/crm/views/${personal.id}`)).status, 204);
    assert.equal((await server.api('DELETE', `/crm/views/${shared.id}`)).status, 204);
  });

  test('sync: a shared view saved offline reaches another member, live too; he cannot change it; unsharing it takes it from his store', async () => {
    // one client open at a time: free RxDB opens 13 collections per process, a client has 12
    const annClient = await client(ann.key, 'ann');
    await waitSynced(annClient);
    annClient.net.off();
    const shared = await annClient.store.create('views', {
      name: 'Q4 forecast',
      table: 'deals',
      filters: { status: 'open' },
      sort: [{ key: 'expectedCloseDate', direction: 'asc' }],
      columns: ['title'],
      shared: true,
    });
    const personal = await annClient.store.create('views', { name: 'My follow-ups', table: 'people' });
    assert.equal(shared.ownerId, ann.user.id, 'the owner is known offline');
    annClient.net.on();
    await annClient.store.reconnect();
    await waitSynced(annClient);
    assert.equal((await ann.api('GET', `/crm/views/${personal.id}`)).status, 200, 'the personal view is on the server');
    await annClient.store.close();

    const bobClient = await client(bob.key, 'bob');
    await waitSynced(bobClient);
    const got = await waitFor(async () => (await localView(bobClient, String(shared.id))) ?? null, 'the shared view in bob’s store');
    assert.deepEqual([got.name, got.ownerId, got.sort], ['Q4 forecast', ann.user.id, [{ key: 'expectedCloseDate', direction: 'asc' }]]);
    assert.equal(await localView(bobClient, String(personal.id)), undefined, 'not ann’s personal view');
    // bob's pull of views carries ann's personal view only as a tombstone, without its content
    const hidden = (await bob.api('GET', '/sync/views/pull?checkpoint=0')).body.documents.find((d: { id: string }) => d.id === personal.id);
    assert.ok(hidden?._deleted, 'another member receives a personal view as a tombstone');
    assert.deepEqual([hidden.name, hidden.filters, hidden.columns], [null, null, null]);

    // a view ann shares while bob is online reaches him live
    const live = (await ann.api('POST', '/crm/views', { name: 'Renewals', table: 'organizations', shared: true })).body;
    await waitFor(async () => (await localView(bobClient, live.id))?.name === 'Renewals', 'the new shared view live in bob’s store');

    // bob's local edit of ann's view is refused by the server and reverted, with the reason listed
    await bobClient.store.update('views', String(shared.id), { name: 'Bob’s now' });
    await waitFor(async () => (await localView(bobClient, String(shared.id)))?.name === 'Q4 forecast', 'bob’s edit reverted');
    const rejected = (await bob.api('GET', '/sync/rejections')).body.data;
    assert.ok(
      rejected.some((r: { documentId: string; reason: string }) => r.documentId === shared.id && /Only the owner of this saved view/.test(r.reason)),
      JSON.stringify(rejected),
    );
    assert.equal((await ann.api('GET', `/crm/views/${shared.id}`)).body.name, 'Q4 forecast');

    // ann makes it personal again: bob's client drops it, and his digest agrees with his store
    assert.equal((await ann.api('PATCH', `/crm/views/${shared.id}`, { shared: false })).status, 200);
    await waitFor(async () => (await localView(bobClient, String(shared.id))) === undefined, 'the unshared view gone from bob’s store');
    await waitSynced(bobClient);
    const digest = (await bob.api('GET', '/sync/views/digest')).body;
    assert.equal(digest.count, await bobClient.store.db.collections.views.count().exec(), 'the digest counts what bob may hold');
    assert.equal(bobClient.status().healed ?? 0, 0, 'the self-check healed nothing');
  });
});
