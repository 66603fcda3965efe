/**
 * Computed fields (SPEC §2, issue 12 item 3) over real HTTP, the SDK MCP client and sync:
 * lastActivityAt and nextFollowUpAt of organizations, people and deals follow their activities
 * (added, completed, moved, archived, deleted; a deal's count for its organization and people) and
 * a deal's stageEnteredAt its stage moves, in the transaction of the write (a second connection to
 * the database never sees an activity without its effect); they filter and sort with the query
 * operators; clients cannot set them (REST and MCP refuse, a sync push's stale value is ignored
 * without a conflict); a computed change writes no audit entry and keeps updatedAt, but reaches
 * sync clients. Also the Done-when scenario of custom objects: a "Project" referencing an
 * organization is created, listed with custom-field filters, shown in the organization's context
 * (REST and MCP) and synced.
 */
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { newId } from '../../shared/ids.js';
import { openTestStore, startTestServer, type TestServer } from '../helpers/server.js';
import { connectMcp, toolFailure, toolOk } from '../helpers/mcp.js';
import { openClient, waitFor, waitSynced, type TestClient } from './sync-helpers.js';

let server: TestServer;
let agent: Client;

async function ok(method: string, url: string, body?: unknown): Promise<any> {
  const res = await server.api(method, url, body);
  assert.ok(res.status < 300, `${method} ${url} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
const get = (url: string) => ok('GET', url);
const computed = (r: any) => ({ lastActivityAt: r.lastActivityAt, nextFollowUpAt: r.nextFollowUpAt });

beforeAll(async () => {
  server = await startTestServer();
  agent = await connectMcp(server, server.key);
});
afterAll(async () => {
  await agent?.close();
  await server?.stop();
});

/** The client edits offline while the server writes; then it reconnects and syncs. */
async function editOfflineWhile(client: TestClient, localEdit: () => Promise<unknown>, serverWrite: () => Promise<unknown>): Promise<void> {
  client.net.off();
  await localEdit();
  await serverWrite();
  client.net.on();
  client.store.reconnect();
  await waitSynced(client);
}

describe('computed fields', () => {
  let acme: any, globex: any, ann: any, bob: any, deal: any;

  beforeAll(async () => {
    acme = await ok('POST', '/crm/organizations', { name: 'Acme' });
    globex = await ok('POST', '/crm/organizations', { name: 'Globex' });
    ann = await ok('POST', '/crm/people', { name: 'Ann', organizationId: acme.id });
    bob = await ok('POST', '/crm/people', { name: 'Bob' });
    deal = await ok('POST', '/crm/deals', { title: 'Acme rollout', organizationId: acme.id, primaryPersonId: ann.id });
    await ok('POST', `/crm/deals/${deal.id}/contacts`, { personId: bob.id, role: 'champion' });
  });

  test('a new deal entered its stage when it was created; nothing has happened yet', async () => {
    assert.equal(deal.stageEnteredAt, deal.createdAt);
    assert.deepEqual(computed(deal), { lastActivityAt: null, nextFollowUpAt: null });
    assert.deepEqual(computed(acme), { lastActivityAt: null, nextFollowUpAt: null });
  });

  test("an activity on a deal counts for the deal, its organization and its people (primary and contacts); a person's own activity only for them", async () => {
    const acmeBefore = await get(`/crm/organizations/${acme.id}`);
    const call = await ok('POST', '/crm/activities', { type: 'call', subject: 'Kickoff', dealId: deal.id, occurredAt: '2026-11-02T10:00:00Z' });
    for (const url of [`/crm/deals/${deal.id}`, `/crm/organizations/${acme.id}`, `/crm/people/${ann.id}`, `/crm/people/${bob.id}`]) {
      assert.equal((await get(url)).lastActivityAt, '2026-11-02T10:00:00.000Z', url);
    }
    // a computed change is not an edit: no audit entry, updatedAt as it was; the version moves (sync)
    const acmeAfter = await get(`/crm/organizations/${acme.id}`);
    assert.equal(acmeAfter.updatedAt, acmeBefore.updatedAt);
    assert.ok(acmeAfter.version > acmeBefore.version && acmeAfter.version > call.version);
    const audit = (await get(`/crm/audit?entityType=organization&entityId=${acme.id}`)).data;
    assert.deepEqual(
      audit.map((e: any) => e.action),
      ['create'],
    );

    await ok('POST', '/crm/activities', { type: 'email', personId: bob.id, occurredAt: '2026-11-05T09:00:00Z' });
    assert.equal((await get(`/crm/people/${bob.id}`)).lastActivityAt, '2026-11-05T09:00:00.000Z');
    assert.equal((await get(`/crm/organizations/${acme.id}`)).lastActivityAt, '2026-11-02T10:00:00.000Z', "a person's activity does not count for their organization");
  });

  test('follow-ups: the earliest open one is nextFollowUpAt; completing it moves it on and makes it an activity that happened', async () => {
    const later = await ok('POST', '/crm/activities', { type: 'follow_up', subject: 'Send quote', dealId: deal.id, dueAt: '2026-12-10T09:00:00Z' });
    const sooner = await ok('POST', '/crm/activities', { type: 'follow_up', subject: 'Call back', personId: ann.id, dueAt: '2026-12-01T09:00:00Z' });
    assert.equal((await get(`/crm/deals/${deal.id}`)).nextFollowUpAt, '2026-12-10T09:00:00.000Z');
    assert.equal((await get(`/crm/people/${ann.id}`)).nextFollowUpAt, '2026-12-01T09:00:00.000Z');
    assert.equal((await get(`/crm/organizations/${acme.id}`)).nextFollowUpAt, '2026-12-10T09:00:00.000Z');
    // an open follow-up has not happened: lastActivityAt stays the call's
    assert.equal((await get(`/crm/deals/${deal.id}`)).lastActivityAt, '2026-11-02T10:00:00.000Z');

    const done = await ok('PATCH', `/crm/activities/${sooner.id}`, { completed: true });
    const annNow = await get(`/crm/people/${ann.id}`);
    assert.equal(annNow.nextFollowUpAt, '2026-12-10T09:00:00.000Z', "Ann's next one is the deal's");
    assert.equal(annNow.lastActivityAt, done.completedAt, 'a completed follow-up counts when it was done');

    // over MCP too: crm.activity.complete
    await toolOk(agent, 'crm.activity.complete', { id: later.id });
    const dealNow = await get(`/crm/deals/${deal.id}`);
    assert.equal(dealNow.nextFollowUpAt, null);
    assert.equal((await get(`/crm/organizations/${acme.id}`)).nextFollowUpAt, null);
  });

  test('moving, archiving, restoring and deleting an activity recompute both sides', async () => {
    const umbrella = await ok('POST', '/crm/organizations', { name: 'Umbrella' });
    const meeting = await ok('POST', '/crm/activities', { type: 'meeting', organizationId: globex.id, occurredAt: '2026-11-20T15:00:00Z' });
    assert.equal((await get(`/crm/organizations/${globex.id}`)).lastActivityAt, '2026-11-20T15:00:00.000Z');

    await ok('PATCH', `/crm/activities/${meeting.id}`, { organizationId: umbrella.id });
    assert.equal((await get(`/crm/organizations/${globex.id}`)).lastActivityAt, null);
    assert.equal((await get(`/crm/organizations/${umbrella.id}`)).lastActivityAt, '2026-11-20T15:00:00.000Z');

    await ok('POST', `/crm/activities/${meeting.id}/archive`);
    assert.equal((await get(`/crm/organizations/${umbrella.id}`)).lastActivityAt, null);
    await ok('POST', `/crm/activities/${meeting.id}/restore`);
    assert.equal((await get(`/crm/organizations/${umbrella.id}`)).lastActivityAt, '2026-11-20T15:00:00.000Z');
    await ok('DELETE', `/crm/activities/${meeting.id}`);
    assert.equal((await get(`/crm/organizations/${umbrella.id}`)).lastActivityAt, null);
  });

  test("a deal moving to another organization takes its activities' weight along", async () => {
    const before = (await get(`/crm/organizations/${acme.id}`)).lastActivityAt;
    assert.ok(before);
    await ok('PATCH', `/crm/deals/${deal.id}`, { organizationId: globex.id });
    assert.equal((await get(`/crm/organizations/${globex.id}`)).lastActivityAt, before);
    assert.equal((await get(`/crm/organizations/${acme.id}`)).lastActivityAt, null);
    await ok('PATCH', `/crm/deals/${deal.id}`, { organizationId: acme.id });
    assert.equal((await get(`/crm/organizations/${acme.id}`)).lastActivityAt, before);
  });

  test('a stage move sets stageEnteredAt (REST and MCP); other edits leave it', async () => {
    const pipeline = (await get(`/crm/pipelines/${deal.pipelineId}`)) as any;
    const stages = pipeline.stages ?? (await get(`/crm/pipelines/${deal.pipelineId}/stages`)).data;
    const start = await get(`/crm/deals/${deal.id}`);
    const moved = await ok('PATCH', `/crm/deals/${deal.id}`, { stageId: stages[1].id });
    assert.ok(moved.stageEnteredAt > start.stageEnteredAt, 'entered the new stage now');
    const history = (await get(`/crm/deals/${deal.id}/stage-changes`)).data;
    assert.equal(history.at(-1).changedAt, moved.stageEnteredAt, 'the stage history says the same');
    const renamed = await ok('PATCH', `/crm/deals/${deal.id}`, { title: 'Acme rollout (phase 1)' });
    assert.equal(renamed.stageEnteredAt, moved.stageEnteredAt);
    const viaMcp = await toolOk(agent, 'crm.deal.update', { id: deal.id, stage: stages[2].name });
    const after = await get(`/crm/deals/${deal.id}`);
    assert.equal(after.stageId, stages[2].id);
    assert.ok(after.stageEnteredAt > moved.stageEnteredAt);
    assert.ok(viaMcp);
  });

  test('computed fields filter and sort with the query operators, over REST and MCP', async () => {
    const quiet = await ok('POST', '/crm/people', { name: 'Quiet Quinn' });
    const people = await get('/crm/people?lastActivityAt[gte]=2026-11-04&sort=-lastActivityAt&count=true');
    assert.deepEqual(people.data.map((p: any) => p.name).sort(), ['Ann', 'Bob']);
    assert.ok(people.data[0].lastActivityAt >= people.data[1].lastActivityAt, 'latest first');
    assert.equal(people.total, 2);
    const never = await get('/crm/people?lastActivityAt[empty]=true');
    assert.deepEqual(
      never.data.map((p: any) => p.id),
      [quiet.id],
    );
    const sorted = await get('/crm/organizations?sort=lastActivityAt');
    assert.deepEqual(
      sorted.data.map((o: any) => o.name),
      ['Acme', 'Globex', 'Umbrella'],
      'ascending, records without a value last',
    );
    assert.equal((await server.api('GET', '/crm/deals?stageEnteredAt[lt]=someday')).status, 422);

    const listed = await toolOk(agent, 'crm.deal.list', { stageEnteredAt: { gte: '2026-01-01' }, lastActivityAt: { lt: '2099-01-01' }, sort: '-stageEnteredAt', count: true });
    assert.equal(listed.total, 1);
    assert.equal(listed.data[0].id, deal.id);
    const orgs = await toolOk(agent, 'crm.organization.list', { lastActivityAt: { empty: true }, sort: 'name' });
    assert.deepEqual(
      orgs.data.map((o: any) => o.name),
      ['Globex', 'Umbrella'],
    );
  });

  test('clients cannot set them: REST and MCP refuse naming the field; a sync push carrying a stale value neither overwrites it nor conflicts', async () => {
    const created = await server.api('POST', '/crm/deals', { title: 'Sneaky', lastActivityAt: '2020-01-01T00:00:00Z' });
    assert.equal(created.status, 422);
    assert.match(JSON.stringify(created.body.errors), /lastActivityAt/);
    const patched = await server.api('PATCH', `/crm/deals/${deal.id}`, { stageEnteredAt: '2020-01-01T00:00:00Z' });
    assert.equal(patched.status, 422);
    assert.match(JSON.stringify(patched.body.errors), /stageEnteredAt/);
    assert.match(await toolFailure(agent, 'crm.person.update', { id: ann.id, nextFollowUpAt: '2020-01-01T00:00:00Z' }), /nextFollowUpAt/);

    const current = await get(`/crm/people/${ann.id}`);
    const stale = { ...current, name: 'Ann Archer', lastActivityAt: '2020-01-01T00:00:00.000Z', nextFollowUpAt: '2020-01-02T00:00:00.000Z' };
    const push = await server.api('POST', '/sync/people/push', [{ assumedMasterState: { ...current, _deleted: false }, newDocumentState: { ...stale, _deleted: false } }]);
    assert.equal(push.status, 200);
    const after = await get(`/crm/people/${ann.id}`);
    assert.equal(after.name, 'Ann Archer', 'the edit went through');
    assert.deepEqual(computed(after), computed(current), 'the computed values stand');
    assert.deepEqual(computed(push.body[0]), computed(current), 'and the answer hands them back to the client');
    assert.deepEqual((await get('/crm/audit?action=conflict')).data, [], 'no conflict');
  });

  test('in one transaction: another connection never sees an activity without its effect on the person', async () => {
    const person = await ok('POST', '/crm/people', { name: 'Watched Wendy' });
    // another connection (another process's store on the same file or database); one statement reads one snapshot
    const other = await openTestStore(server.dataDir, { create: false });
    const snapshot = async () =>
      (
        await sql<{ n: number; last: string | null; person: string | null }>`
          select (select count(*) from "activities" where "personId" = ${person.id} and "deleted" = 0 and "archivedAt" is null) as "n",
                 (select max("occurredAt") from "activities" where "personId" = ${person.id} and "deleted" = 0 and "archivedAt" is null) as "last",
                 (select "lastActivityAt" from "people" where "id" = ${person.id}) as "person"`.execute(other.db)
      ).rows[0];
    const seen: string[] = [];
    let checks = 0;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const s = await snapshot();
        checks++;
        if (s.last !== s.person) seen.push(`${s.n} activities up to ${s.last}, person says ${s.person}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    try {
      for (let i = 0; i < 20; i++) await ok('POST', '/crm/activities', { type: 'note', personId: person.id, occurredAt: new Date(Date.UTC(2026, 10, 1, 8, i)).toISOString() });
    } finally {
      polling = false;
      await poll;
    }
    const final = await snapshot();
    await other.close();
    assert.equal(final.n, 20);
    assert.equal(final.person, '2026-11-01T08:19:00.000Z');
    assert.ok(checks > 0);
    assert.deepEqual(seen, [], 'no snapshot where the activity is there and the value is not');
  });

  test('schema: every computed field is described, read-only, filterable and sortable', async () => {
    const schema = await get('/crm/schema');
    const deals = schema.entities.find((e: any) => e.name === 'deals');
    for (const key of ['lastActivityAt', 'nextFollowUpAt', 'stageEnteredAt']) {
      const field = deals.fields.find((f: any) => f.key === key);
      assert.deepEqual([field.type, field.readOnly, field.computed], ['datetime', true, true], key);
      assert.ok(deals.sorts.includes(`-${key}`));
    }
    const described = await toolOk(agent, 'crm.schema.describe', { entity: 'people' });
    assert.ok(JSON.stringify(described).includes('lastActivityAt'));
  });
});

describe('computed fields reach sync clients', () => {
  let client: TestClient | null = null;
  afterAll(async () => {
    await client?.store.close();
  });

  test("a client sees an activity's effect on a person, and its own edit of the person meanwhile is kept", async () => {
    const person = await ok('POST', '/crm/people', { name: 'Synced Sam' });
    client = await openClient(server.url, server.key, `cf-${newId().slice(-8)}`);
    await waitSynced(client);
    const local = () => client!.store.db.collections.people.findOne(person.id).exec();
    assert.equal((await local())?.get('lastActivityAt'), null);

    await editOfflineWhile(
      client,
      () => client!.store.update('people', person.id, { title: 'Buyer' }),
      () => ok('POST', '/crm/activities', { type: 'call', personId: person.id, occurredAt: '2026-11-30T12:00:00Z' }),
    );
    const doc = await waitFor(async () => {
      const d = await local();
      return d?.get('lastActivityAt') === '2026-11-30T12:00:00.000Z' && d.get('title') === 'Buyer' ? d : null;
    }, 'the person with its new lastActivityAt and the local title');
    assert.equal(doc.get('title'), 'Buyer');
    const onServer = await get(`/crm/people/${person.id}`);
    assert.equal(onServer.title, 'Buyer');
    assert.equal(onServer.lastActivityAt, '2026-11-30T12:00:00.000Z');
    assert.deepEqual((await get('/crm/audit?action=conflict')).data, []);
  });
});

describe('an offline edit of a record whose computed values changed is merged, not lost', () => {
  let client: TestClient | null = null;
  afterAll(async () => {
    await client?.store.close();
  });

  test('a client that first loaded a deal at a computed change edits it offline while the server recomputes it again: its edit is kept', async () => {
    const deal = await ok('POST', '/crm/deals', { title: 'Computed Carl', amount: 100 });
    await ok('POST', '/crm/activities', { type: 'call', dealId: deal.id, occurredAt: '2026-11-20T12:00:00Z' });
    const recomputed = await get(`/crm/deals/${deal.id}`);
    assert.ok(recomputed.version > deal.version, 'the computed change has a version of its own');
    assert.deepEqual((await get(`/crm/audit?entityId=${deal.id}&action=update`)).data, [], 'and no audit entry');

    client = await openClient(server.url, server.key, `cf-${newId().slice(-8)}`);
    await waitSynced(client);
    const local = () => client!.store.db.collections.deals.findOne(deal.id).exec();
    assert.equal((await local())?.get('version'), recomputed.version);

    await editOfflineWhile(
      client,
      () => client!.store.update('deals', deal.id, { title: 'Computed Carla' }),
      () => ok('POST', '/crm/activities', { type: 'meeting', dealId: deal.id, occurredAt: '2026-11-29T12:00:00Z' }),
    );
    await waitFor(async () => {
      const d = await local();
      return d?.get('lastActivityAt') === '2026-11-29T12:00:00.000Z' && d.get('title') === 'Computed Carla' ? d : null;
    }, 'the deal with its new lastActivityAt and the local title');
    const onServer = await get(`/crm/deals/${deal.id}`);
    assert.equal(onServer.title, 'Computed Carla', 'the offline edit reached the server');
    assert.equal(onServer.lastActivityAt, '2026-11-29T12:00:00.000Z');
    assert.deepEqual((await get(`/crm/audit?action=conflict&entityId=${deal.id}`)).data, [], 'no conflict');
  });
});

describe('a custom object "Project" referencing an organization', () => {
  test('created, listed with custom-field filters, shown in the organization’s context (REST and MCP) and synced', async () => {
    const initech = await ok('POST', '/crm/organizations', { name: 'Initech' });
    await ok('POST', '/crm/objects', { key: 'project', singular: 'Project', plural: 'Projects', icon: 'briefcase' });
    await ok('POST', '/crm/fields', { entity: 'project', key: 'client', label: 'Client', type: 'reference', referenceTo: 'organizations' });
    await ok('POST', '/crm/fields', { entity: 'project', key: 'phase', label: 'Phase', type: 'select', options: [{ value: 'planning' }, { value: 'delivery' }] });
    await ok('POST', '/crm/fields', { entity: 'project', key: 'budget', label: 'Budget', type: 'number' });
    const apollo = await ok('POST', '/crm/objects/project/records', { name: 'Apollo', custom: { client: initech.id, phase: 'delivery', budget: 50000 } });
    await ok('POST', '/crm/objects/project/records', { name: 'Gemini', custom: { client: initech.id, phase: 'planning', budget: 8000 } });
    await ok('POST', '/crm/objects/project/records', { name: 'Mercury', custom: { phase: 'delivery', budget: 90000 } });

    // several custom-field conditions in one list call
    const listed = await get(`/crm/objects/project/records?custom.phase=delivery&custom.budget[lt]=60000&custom.client=${initech.id}&count=true`);
    assert.deepEqual(
      listed.data.map((r: any) => r.name),
      ['Apollo'],
    );
    assert.equal(listed.total, 1);
    const viaMcp = await toolOk(agent, 'crm.record.list', { type: 'project', custom: { phase: 'delivery', budget: { gte: 60000 } } });
    assert.deepEqual(
      viaMcp.data.map((r: any) => r.name),
      ['Mercury'],
    );

    const context = await get(`/crm/organizations/${initech.id}/context`);
    assert.deepEqual(
      context.customRecords.map((g: any) => [g.type, g.plural, g.fields, g.records.map((r: any) => r.name)]),
      [['project', 'Projects', ['client'], ['Apollo', 'Gemini']]],
    );
    const mcpContext = await toolOk(agent, 'crm.context.organization', { id: initech.id });
    assert.deepEqual(
      mcpContext.customRecords[0].records.map((r: any) => r.name),
      ['Apollo', 'Gemini'],
    );
    await ok('POST', `/crm/objects/project/records/${apollo.id}/archive`);
    assert.deepEqual(
      (await get(`/crm/organizations/${initech.id}/context`)).customRecords[0].records.map((r: any) => r.name),
      ['Gemini'],
      'archived records leave the context',
    );
    const other = await get(`/crm/organizations/${(await ok('POST', '/crm/organizations', { name: 'Hooli' })).id}/context`);
    assert.deepEqual(other.customRecords, []);

    const client = await openClient(server.url, server.key, `cf-${newId().slice(-8)}`);
    try {
      await waitSynced(client);
      const projects = await waitFor(async () => {
        const docs = await client.store.db.collections.records.find({ selector: { type: 'project' } }).exec();
        return docs.length === 3 ? docs : null;
      }, 'the three projects on the client');
      const gemini = projects.find((d) => d.get('name') === 'Gemini')!;
      assert.equal(gemini.get('custom').client, initech.id);
    } finally {
      await client.store.close();
    }
  });
});
