/**
 * Offline-first sync with real clients (the renderer data layer on RxDB memory storage) against
 * a real server on an ephemeral port with a real SQLite file.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createServices } from '../../server/domain/services.js';
import { openTestStore, startTestServer, type TestServer } from '../helpers/server.js';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { KithConnectionError, KithValidationError, openKithStore } from '../../renderer/data/index.js';
import { dumpClient, dumpServer, openClient, waitFor, waitSameAsServer, waitSynced, type TestClient } from './sync-helpers.js';

async function seed(server: TestServer) {
  const org = (await server.api('POST', '/crm/organizations', { name: 'Acme', website: 'https://www.acme.example' })).body;
  const gone = (await server.api('POST', '/crm/organizations', { name: 'Gone Ltd' })).body;
  const person = (await server.api('POST', '/crm/people', { name: 'Ann Lee', email: 'ANN@acme.example', organizationId: org.id })).body;
  const archived = (await server.api('POST', '/crm/people', { name: 'Old Contact' })).body;
  const deal = (await server.api('POST', '/crm/deals', { title: 'Acme rollout', amount: 1200.5, organizationId: org.id, primaryPersonId: person.id })).body;
  const stages = (await server.api('GET', `/crm/pipelines/${deal.pipelineId}/stages`)).body.data;
  assert.equal((await server.api('PATCH', `/crm/deals/${deal.id}`, { stageId: stages[1].id })).status, 200);
  await server.api('POST', `/crm/deals/${deal.id}/contacts`, { personId: person.id, role: 'champion' });
  await server.api('POST', '/crm/activities', { type: 'call', subject: 'Kick-off', dealId: deal.id });
  await server.api('POST', `/crm/people/${archived.id}/archive`);
  assert.equal((await server.api('DELETE', `/crm/organizations/${gone.id}`)).status, 204);
  return { org, gone, person, archived, deal, stages };
}

async function withClient<T>(client: TestClient, fn: (c: TestClient) => Promise<T>): Promise<T> {
  try {
    return await fn(client);
  } finally {
    await client.store.close();
  }
}

describe('sync: real clients against a real server', () => {
  let server: TestServer;
  let data: Awaited<ReturnType<typeof seed>>;
  beforeAll(async () => {
    server = await startTestServer();
    data = await seed(server);
  });
  afterAll(async () => {
    await server.stop();
  });

  test('a fresh client pulls everything, tombstones and archived records included as the server has them', async () => {
    await withClient(await openClient(server.url, server.key, 'fresh'), async (client) => {
      const dump = await waitSameAsServer(client.store, server.services);
      assert.equal(dump.stageChanges.length, 2, 'the create and the stage move are both recorded');
      assert.ok(dump.organizations.some((o) => o.id === data.org.id && o.domain === 'acme.example'));
      assert.ok(!dump.organizations.some((o) => o.id === data.gone.id), 'the deleted organization is gone locally');
      assert.ok(dump.people.some((p) => p.id === data.archived.id && p.archivedAt !== null));
      assert.equal(dump.dealContacts[0].role, 'champion');
      await waitSynced(client);
      assert.equal(client.store.info.role, 'OWNER');
      assert.equal(client.store.info.workspaceSlug, 'default');
    });
  });

  test('local writes are validated like the server would; a bad key is refused before anything opens', async () => {
    await assert.rejects(openKithStore({ serverUrl: server.url, apiKey: 'kith_' + 'x'.repeat(32) }, { storage: getRxStorageMemory() }), (error: unknown) => {
      assert.ok(error instanceof KithConnectionError);
      assert.equal(error.status, 401);
      assert.match(error.message, /API key/);
      return true;
    });
    await withClient(await openClient(server.url, server.key, 'validation'), async (client) => {
      await waitSynced(client);
      await assert.rejects(client.store.create('deals', { title: '  ', amount: -5, bogus: 1 }), (error: unknown) => {
        assert.ok(error instanceof KithValidationError);
        const paths = error.errors.map((e) => e.path).sort();
        assert.deepEqual(paths, ['amount', 'bogus', 'title']);
        return true;
      });
      await assert.rejects(client.store.create('people', { name: 'Nobody', organizationId: '01a20000-0000-7000-8000-000000000000' }), /organizationId: organization .* does not exist/);
      const stages = (await client.store.db.collections.stages.find({ sort: [{ position: 'asc' }] }).exec()).map((d) => d.get('id'));
      const deal = await client.store.create('deals', { title: 'Validated', stageId: stages[2] });
      assert.equal(deal.pipelineId, data.deal.pipelineId, 'the pipeline comes from the stage');
      const won = await client.store.update('deals', String(deal.id), { status: 'won' });
      assert.notEqual(won.wonAt, null);
      assert.equal(client.status().pending, 1, 'a create and an edit of the same record before it synced count once');
      await waitSynced(client);
      assert.equal((await server.api('GET', `/crm/deals/${deal.id}`)).body.status, 'won');
    });
  });

  test("an offline client's creates, edits and deletes arrive when it reconnects", async () => {
    const victim = (await server.api('POST', '/crm/organizations', { name: 'Delete me offline' })).body;
    await withClient(await openClient(server.url, server.key, 'offline'), async (client) => {
      const { store, net } = client;
      await waitSameAsServer(store, server.services);
      net.off();
      await waitFor(() => client.status().state === 'offline', 'offline state');

      const org = await store.create('organizations', { name: 'Made Offline Inc', website: 'madeoffline.example' });
      assert.equal(org.domain, 'madeoffline.example');
      const person = await store.create('people', { name: 'Otto Offline', organizationId: org.id });
      const deal = await store.create('deals', { title: 'Offline deal', amount: 10.25, primaryPersonId: person.id, organizationId: org.id });
      assert.equal(deal.pipelineId, data.deal.pipelineId, 'default pipeline filled in locally');
      assert.equal(deal.currency, 'USD');
      await store.create('activities', { type: 'note', body: 'written on a plane', dealId: deal.id });
      await store.update('deals', data.deal.id, { title: 'Acme rollout (edited offline)' });
      await store.remove('organizations', victim.id);
      await store.archive('people', data.person.id);

      assert.equal(client.status().state, 'offline');
      assert.equal(client.status().pending, 7, 'seven local changes wait for the server');
      assert.equal((await server.api('GET', `/crm/deals/${data.deal.id}`)).body.title, 'Acme rollout');
      assert.equal((await server.api('GET', `/crm/organizations/${victim.id}`)).status, 200);

      net.on();
      store.reconnect();
      await waitSynced(client);
      await waitSameAsServer(store, server.services);

      assert.equal((await server.api('GET', `/crm/deals/${data.deal.id}`)).body.title, 'Acme rollout (edited offline)');
      assert.equal((await server.api('GET', `/crm/organizations/${victim.id}`)).status, 404);
      const created = (await server.api('GET', `/crm/people/${person.id}`)).body;
      assert.equal(created.organizationId, org.id);
      const serverDeal = (await server.api('GET', `/crm/deals/${deal.id}`)).body;
      assert.equal(serverDeal.amount, 10.25);
      assert.ok(serverDeal.version > 0);
      assert.notEqual((await server.api('GET', `/crm/people/${data.person.id}`)).body.archivedAt, null);
      const audit = (await server.api('GET', `/crm/audit?entityType=deal&entityId=${data.deal.id}`)).body.data;
      assert.equal(audit[0].source, 'sync');
      assert.deepEqual(audit[0].changedFields, ['title']);
      await server.api('POST', `/crm/people/${data.person.id}/restore`);
    });
  });

  test('two clients editing different fields of one deal offline both keep their edits', async () => {
    const deal = (await server.api('POST', '/crm/deals', { title: 'Shared deal', amount: 100 })).body;
    // A edits the title offline, B edits the amount offline; A comes back first, then B.
    let a = await openClient(server.url, server.key, 'merge-a');
    await waitSameAsServer(a.store, server.services);
    a.net.off();
    await a.store.update('deals', deal.id, { title: 'Shared deal — renamed by A' });
    await a.store.close();

    let b = await openClient(server.url, server.key, 'merge-b');
    await waitSameAsServer(b.store, server.services);
    b.net.off();
    await b.store.update('deals', deal.id, { amount: 250.75, labels: ['priority'] });
    await b.store.close();

    a = await openClient(server.url, server.key, 'merge-a');
    await withClient(a, async () => {
      await waitFor(async () => (await server.api('GET', `/crm/deals/${deal.id}`)).body.title === 'Shared deal — renamed by A', "A's title on the server");
      await waitSynced(a);
    });
    b = await openClient(server.url, server.key, 'merge-b');
    await withClient(b, async () => {
      const dump = await waitSameAsServer(b.store, server.services);
      const local = dump.deals.find((d) => d.id === deal.id)!;
      assert.equal(local.title, 'Shared deal — renamed by A');
      assert.equal(local.amount, 250.75);
      assert.deepEqual(local.labels, ['priority']);
    });
    const onServer = (await server.api('GET', `/crm/deals/${deal.id}`)).body;
    assert.equal(onServer.title, 'Shared deal — renamed by A');
    assert.equal(onServer.amount, 250.75);
    const conflicts = (await server.api('GET', `/crm/audit?entityType=deal&entityId=${deal.id}&action=conflict`)).body.data;
    assert.equal(conflicts.length, 0, 'different fields are not a conflict');
    a = await openClient(server.url, server.key, 'merge-a');
    await withClient(a, async () => {
      const dump = await waitSameAsServer(a.store, server.services);
      assert.equal(dump.deals.find((d) => d.id === deal.id)!.amount, 250.75);
    });
  });

  test('the same field changed by two clients: the first to reach the server wins, the loser is in the audit log', async () => {
    const deal = (await server.api('POST', '/crm/deals', { title: 'Contested', notes: 'original' })).body;
    let a = await openClient(server.url, server.key, 'conflict-a');
    await waitSameAsServer(a.store, server.services);
    a.net.off();
    await a.store.update('deals', deal.id, { notes: 'notes by A' });
    await a.store.close();

    let b = await openClient(server.url, server.key, 'conflict-b');
    await waitSameAsServer(b.store, server.services);
    b.net.off();
    await b.store.update('deals', deal.id, { notes: 'notes by B', title: 'Contested (B)' });
    await b.store.close();

    a = await openClient(server.url, server.key, 'conflict-a');
    await withClient(a, async () => {
      await waitFor(async () => (await server.api('GET', `/crm/deals/${deal.id}`)).body.notes === 'notes by A', "A's notes on the server");
      await waitSynced(a);
    });
    b = await openClient(server.url, server.key, 'conflict-b');
    await withClient(b, async () => {
      const dump = await waitSameAsServer(b.store, server.services);
      const local = dump.deals.find((d) => d.id === deal.id)!;
      assert.equal(local.notes, 'notes by A', "B's losing value is replaced by the server's");
      assert.equal(local.title, 'Contested (B)', "B's uncontested field survives");
    });
    const conflicts = (await server.api('GET', `/crm/audit?entityType=deal&entityId=${deal.id}&action=conflict`)).body.data;
    assert.equal(conflicts.length, 1);
    assert.equal(conflicts[0].source, 'sync');
    assert.deepEqual(conflicts[0].detail.fields.notes, { lost: 'notes by B', kept: 'notes by A', base: 'original' });
    assert.equal(conflicts[0].detail.fields.title, undefined);
  });

  test("a viewer's offline edit is reverted and listed as a rejected change", async () => {
    const { accounts } = server.services;
    const viewer = await accounts.createUser({ email: 'viewer@kith.example', name: 'Vera Viewer' });
    const ws = await accounts.findWorkspace('default');
    await accounts.setMembership(ws!.id, viewer.id, 'VIEWER');
    const { key } = await accounts.createApiKey({ userId: viewer.id, name: 'viewer laptop' });
    await withClient(await openClient(server.url, key, 'viewer'), async (client) => {
      const { store, net } = client;
      assert.equal(store.info.role, 'VIEWER');
      await waitSameAsServer(store, server.services);
      net.off();
      await store.update('deals', data.deal.id, { title: 'Viewer was here' });
      const fake = await store.create('organizations', { name: 'Viewer Org' });
      assert.equal(client.status().pending, 2);
      const rejected: unknown[][] = [];
      store.rejected$.subscribe((r) => rejected.push(r));
      net.on();
      store.reconnect();
      await waitSynced(client);
      const dump = await waitSameAsServer(store, server.services);
      assert.notEqual(dump.deals.find((d) => d.id === data.deal.id)!.title, 'Viewer was here', 'the edit is reverted');
      assert.ok(!dump.organizations.some((o) => o.id === fake.id), 'the refused create is removed locally');
      const list = await waitFor(() => {
        const last = rejected[rejected.length - 1] as { documentId: string; reason: string; collection: string }[] | undefined;
        return last && last.some((r) => r.documentId === data.deal.id) && last.some((r) => r.documentId === fake.id) ? last : null;
      }, 'rejected changes listed');
      const entry = list.find((r) => r.documentId === data.deal.id)!;
      assert.equal(entry.collection, 'deals');
      assert.match(entry.reason, /VIEWER/);
    });
    const audit = (await server.api('GET', '/crm/audit?action=rejected')).body.data;
    const forDeal = audit.find((e: { entityId: string }) => e.entityId === data.deal.id);
    assert.equal(forDeal.source, 'sync');
    assert.equal(forDeal.detail.attempted.title, 'Viewer was here');
    assert.notEqual((await server.api('GET', `/crm/deals/${data.deal.id}`)).body.title, 'Viewer was here');
  });

  test('writes over REST and by another process reach a connected client live, without polling', async () => {
    await withClient(await openClient(server.url, server.key, 'live'), async (client) => {
      const { store } = client;
      await waitSameAsServer(store, server.services);
      await waitSynced(client);
      const requestsBefore = client.net.log.length;
      await server.api('PATCH', `/crm/deals/${data.deal.id}`, { title: 'Changed over REST' });
      const deals = store.db.collections.deals;
      await waitFor(async () => (await deals.findOne(data.deal.id).exec())?.get('title') === 'Changed over REST', 'REST change in the client', 5000);

      const mcp = new Client({ name: 'sync-test-agent', version: '1.0.0' });
      await mcp.connect(new StreamableHTTPClientTransport(new URL('/mcp', server.url), { requestInit: { headers: { authorization: `Bearer ${server.key}` } } }));
      try {
        const result = await mcp.callTool({ name: 'crm.deal.update', arguments: { id: data.deal.id, notes: 'Noted by an agent over MCP' } });
        assert.notEqual(result.isError, true, JSON.stringify(result.content));
      } finally {
        await mcp.close();
      }
      await waitFor(async () => (await deals.findOne(data.deal.id).exec())?.get('notes') === 'Noted by an agent over MCP', 'MCP change in the client', 5000);
      // the stream only says which collection changed; the client pulls that collection from its
      // own checkpoint, once per change, and nothing else (no polling)
      assert.deepEqual(client.net.log.slice(requestsBefore), ['GET /sync/deals/pull', 'GET /sync/deals/pull'], 'one pull of the changed collection per change the stream announced');

      // another process on the same database file (like the CLI or a direct kith-mcp)
      const other = await openTestStore(server.dataDir);
      try {
        const services = createServices(other);
        const ctx = await services.accounts.ownerContext('default', 'cli');
        const { record } = await services.records.create(ctx, 'organizations', { name: 'Made by the CLI' });
        await waitFor(async () => (await store.db.collections.organizations.findOne(record.id).exec()) !== null, 'other-process write in the client', 5000);
      } finally {
        await other.close();
      }
      await waitSameAsServer(store, server.services);
    });
  });
});

describe('sync: server restart mid-sync', () => {
  test('the server killed and restarted while a client writes loses nothing; the client resumes', async () => {
    let server = await startTestServer();
    const { dataDir, port, key } = server;
    const client = await openClient(server.url, key, 'restart', { retryTime: 200 });
    try {
      await waitSynced(client);
      const ids: string[] = [];
      const writes = (async () => {
        for (let i = 0; i < 120; i++) {
          const org = await client.store.create('organizations', { name: `Restart org ${i}` });
          ids.push(String(org.id));
          if (i % 3 === 0) await client.store.update('organizations', String(org.id), { notes: `edited ${i}` });
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      await waitFor(() => ids.length > 30, 'some writes');
      await server.stop({ keepData: true });
      await waitFor(() => client.status().state === 'offline', 'client notices the server is gone');
      await new Promise((r) => setTimeout(r, 300));
      server = await startTestServer({ dataDir, port });
      await writes;
      await waitSynced(client, 30_000);
      const dump = await waitSameAsServer(client.store, server.services, 30_000);
      const names = new Set(dump.organizations.map((o) => o.id));
      assert.ok(
        ids.every((id) => names.has(id)),
        'every organization made by the client is on the server',
      );
      const onServer = await dumpServer(server.services, client.store.info.workspaceId);
      assert.equal(onServer.organizations.filter((o) => String(o.name).startsWith('Restart org')).length, 120);
      assert.equal(onServer.organizations.filter((o) => String(o.notes ?? '').startsWith('edited')).length, 40);
      assert.deepEqual(await dumpClient(client.store), onServer);
    } finally {
      await client.store.close();
      await server.stop();
    }
  });
});
