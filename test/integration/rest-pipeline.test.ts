/**
 * Pipelines, stages and deals over /crm: stage add/rename/reorder/delete (refused while used),
 * deal rules (stage within its pipeline, won/lost timestamps), stage changes, deal contacts,
 * the pipeline summary with exact per-currency money, contexts, search, labels, audit and the
 * OpenAPI document.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

async function newPipeline(name: string, stages: { name: string; probability?: number | null }[]) {
  const pipeline = (await server.api('POST', '/crm/pipelines', { name, stages })).body;
  const list = (await server.api('GET', `/crm/pipelines/${pipeline.id}/stages`)).body.data as { id: string; name: string; position: number; probability: number | null }[];
  return { pipeline, stages: list, byName: Object.fromEntries(list.map((s) => [s.name, s])) };
}

describe('stages', () => {
  test('add at the end or at a position, rename, move, reorder, delete — positions stay 0..n-1', async () => {
    const { pipeline, byName } = await newPipeline('Stage lab', [{ name: 'A' }, { name: 'B' }, { name: 'C' }]);
    const names = async () => (await server.api('GET', `/crm/pipelines/${pipeline.id}/stages`)).body.data.map((s: { name: string; position: number }) => `${s.position}:${s.name}`);

    const d = await server.api('POST', `/crm/pipelines/${pipeline.id}/stages`, { name: 'D', probability: 0.9 });
    assert.equal(d.status, 201);
    assert.equal(d.body.position, 3);
    assert.equal(d.body.pipelineId, pipeline.id);
    assert.equal(d.headers.get('etag'), `"${d.body.version}"`);
    const first = await server.api('POST', `/crm/pipelines/${pipeline.id}/stages`, { name: 'Zero', position: 0 });
    assert.equal(first.body.position, 0);
    assert.deepEqual(await names(), ['0:Zero', '1:A', '2:B', '3:C', '4:D']);

    const renamed = await server.api('PATCH', `/crm/stages/${byName.B.id}`, { name: 'Bee', probability: 0.5 });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.probability, 0.5);
    const got = await server.api('GET', `/crm/stages/${byName.B.id}`);
    assert.equal(got.body.name, 'Bee');
    assert.equal(got.headers.get('etag'), `"${got.body.version}"`);

    assert.equal((await server.api('PATCH', `/crm/stages/${d.body.id}`, { position: 1 })).status, 200);
    assert.deepEqual(await names(), ['0:Zero', '1:D', '2:A', '3:Bee', '4:C']);

    const current = (await server.api('GET', `/crm/pipelines/${pipeline.id}/stages`)).body.data.map((s: { id: string }) => s.id);
    const reordered = await server.api('PUT', `/crm/pipelines/${pipeline.id}/stages/order`, { stageIds: [...current].reverse() });
    assert.equal(reordered.status, 200);
    assert.deepEqual(
      reordered.body.data.map((s: { name: string }) => s.name),
      ['C', 'Bee', 'A', 'D', 'Zero'],
    );
    assert.deepEqual(await names(), ['0:C', '1:Bee', '2:A', '3:D', '4:Zero']);

    const partial = await server.api('PUT', `/crm/pipelines/${pipeline.id}/stages/order`, { stageIds: current.slice(1) });
    assert.equal(partial.status, 422);
    assert.equal(partial.body.errors[0].path, 'stageIds');
    const foreign = (await server.api('GET', '/crm/pipelines')).body.data.find((p: { isDefault: boolean }) => p.isDefault);
    const foreignStage = (await server.api('GET', `/crm/pipelines/${foreign.id}/stages`)).body.data[0].id;
    const wrong = await server.api('PUT', `/crm/pipelines/${pipeline.id}/stages/order`, { stageIds: [foreignStage, ...current.slice(1)] });
    assert.equal(wrong.status, 422);
    assert.match(wrong.body.errors[0].message, /not a stage of pipeline/);
    const dup = await server.api('PUT', `/crm/pipelines/${pipeline.id}/stages/order`, { stageIds: [current[0], ...current.slice(0, -1)] });
    assert.equal(dup.status, 422);

    assert.equal((await server.api('DELETE', `/crm/stages/${byName.A.id}`)).status, 204);
    assert.deepEqual(await names(), ['0:C', '1:Bee', '2:D', '3:Zero']);
    assert.equal((await server.api('GET', `/crm/stages/${byName.A.id}`)).status, 404);
  });

  test('a stage used by deals cannot be deleted (409) until the deals move', async () => {
    const { byName } = await newPipeline('Busy', [{ name: 'Open' }, { name: 'Later' }]);
    const deal = (await server.api('POST', '/crm/deals', { title: 'Blocking deal', stageId: byName.Open.id })).body;
    const refused = await server.api('DELETE', `/crm/stages/${byName.Open.id}`);
    assert.equal(refused.status, 409);
    assert.match(refused.body.detail, /used by 1 deal/);
    assert.equal((await server.api('GET', `/crm/stages/${byName.Open.id}`)).status, 200);

    assert.equal((await server.api('PATCH', `/crm/deals/${deal.id}`, { stageId: byName.Later.id })).status, 200);
    assert.equal((await server.api('DELETE', `/crm/stages/${byName.Open.id}`)).status, 204);
  });

  test('stage validation: probability 0–1, name required, unknown pipeline 404', async () => {
    const { pipeline } = await newPipeline('Validated', [{ name: 'S' }]);
    const bad = await server.api('POST', `/crm/pipelines/${pipeline.id}/stages`, { name: '', probability: 1.5 });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.errors.map((e: { path: string }) => e.path).sort(), ['name', 'probability']);
    const smuggled = await server.api('POST', `/crm/pipelines/${pipeline.id}/stages`, { name: 'X', pipelineId: pipeline.id });
    assert.equal(smuggled.status, 422, 'the pipeline comes from the path');
    assert.equal(smuggled.body.errors[0].path, 'pipelineId');
    const missing = await server.api('GET', '/crm/pipelines/01a200ec-d98c-73c5-8282-a8bfff3d8b31/stages');
    assert.equal(missing.status, 404);
  });
});

describe('deals', () => {
  test('defaults: default pipeline, its first stage, workspace currency; stageId alone implies its pipeline', async () => {
    const defaultPipeline = (await server.api('GET', '/crm/pipelines')).body.data.find((p: { isDefault: boolean }) => p.isDefault);
    const stages = (await server.api('GET', `/crm/pipelines/${defaultPipeline.id}/stages`)).body.data;
    const plain = (await server.api('POST', '/crm/deals', { title: 'Plain' })).body;
    assert.equal(plain.pipelineId, defaultPipeline.id);
    assert.equal(plain.stageId, stages[0].id);
    assert.equal(plain.currency, 'USD');
    assert.equal(plain.status, 'open');
    assert.equal(plain.valuePeriod, 'one_time');

    const { pipeline, byName } = await newPipeline('Implied', [{ name: 'One' }, { name: 'Two' }]);
    const implied = (await server.api('POST', '/crm/deals', { title: 'Implied', stageId: byName.Two.id })).body;
    assert.equal(implied.pipelineId, pipeline.id);

    const moved = await server.api('PATCH', `/crm/deals/${implied.id}`, { pipelineId: defaultPipeline.id });
    assert.equal(moved.status, 200);
    assert.equal(moved.body.stageId, stages[0].id, 'changing pipeline alone puts the deal in its first stage');
  });

  test("a deal's stage must belong to its pipeline", async () => {
    const a = await newPipeline('Pipe A', [{ name: 'A1' }]);
    const b = await newPipeline('Pipe B', [{ name: 'B1' }]);
    const mismatched = await server.api('POST', '/crm/deals', { title: 'Mismatch', pipelineId: a.pipeline.id, stageId: b.byName.B1.id });
    assert.equal(mismatched.status, 422);
    assert.equal(mismatched.body.errors[0].path, 'stageId');
    assert.match(mismatched.body.errors[0].message, /belongs to pipeline/);

    const deal = (await server.api('POST', '/crm/deals', { title: 'In A', pipelineId: a.pipeline.id })).body;
    const patch = await server.api('PATCH', `/crm/deals/${deal.id}`, { pipelineId: a.pipeline.id, stageId: b.byName.B1.id });
    assert.equal(patch.status, 422);
    assert.equal(patch.body.errors[0].path, 'stageId');
    const unknown = await server.api('POST', '/crm/deals', { title: 'Ghost stage', stageId: '01a200ec-d98c-73c5-8282-a8bfff3d8b31' });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.errors[0].path, 'stageId');
  });

  test('won/lost set wonAt/lostAt; reopening clears them; lostReason kept only while lost', async () => {
    const deal = (await server.api('POST', '/crm/deals', { title: 'Status flow', amount: 10 })).body;
    assert.equal(deal.wonAt, null);
    const won = (await server.api('PATCH', `/crm/deals/${deal.id}`, { status: 'won' })).body;
    assert.ok(won.wonAt && Date.parse(won.wonAt) >= Date.parse(deal.createdAt));
    assert.equal(won.lostAt, null);
    const lost = (await server.api('PATCH', `/crm/deals/${deal.id}`, { status: 'lost', lostReason: '  budget  ' })).body;
    assert.ok(lost.lostAt);
    assert.equal(lost.wonAt, null);
    assert.equal(lost.lostReason, 'budget');
    const reopened = (await server.api('PATCH', `/crm/deals/${deal.id}`, { status: 'open' })).body;
    assert.deepEqual([reopened.wonAt, reopened.lostAt, reopened.lostReason], [null, null, null]);
    const createdWon = (await server.api('POST', '/crm/deals', { title: 'Born won', status: 'won' })).body;
    assert.ok(createdWon.wonAt);
  });

  test('every stage move writes a stage change with amount and currency at the time', async () => {
    const { pipeline, byName } = await newPipeline('History', [{ name: 'H1' }, { name: 'H2' }, { name: 'H3' }]);
    const deal = (await server.api('POST', '/crm/deals', { title: 'Mover', pipelineId: pipeline.id, amount: 100, currency: 'GBP' })).body;
    await server.api('PATCH', `/crm/deals/${deal.id}`, { stageId: byName.H2.id, amount: 150 });
    await server.api('PATCH', `/crm/deals/${deal.id}`, { notes: 'no move' });
    await server.api('PATCH', `/crm/deals/${deal.id}`, { stageId: byName.H3.id });
    const res = await server.api('GET', `/crm/deals/${deal.id}/stage-changes`);
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.data.map((c: any) => [c.fromStageName, c.toStageName, c.amount, c.currency, c.source]),
      [
        [null, 'H1', 100, 'GBP', 'rest'],
        ['H1', 'H2', 150, 'GBP', 'rest'],
        ['H2', 'H3', 150, 'GBP', 'rest'],
      ],
    );
    assert.ok(res.body.data.every((c: any) => c.dealId === deal.id && c.pipelineId === pipeline.id && c.actorId));
    assert.equal((await server.api('POST', '/crm/stageChanges', {})).status, 404, 'stage changes are read-only');
  });

  test('deal contacts: add with role, list with person, duplicate 409, remove', async () => {
    const deal = (await server.api('POST', '/crm/deals', { title: 'Contacts' })).body;
    const ana = (await server.api('POST', '/crm/people', { name: 'Ana', email: 'ana@x.test' })).body;
    const ben = (await server.api('POST', '/crm/people', { name: 'Ben' })).body;
    const add = await server.api('POST', `/crm/deals/${deal.id}/contacts`, { personId: ana.id, role: ' decision-maker ' });
    assert.equal(add.status, 201);
    assert.equal(add.body.role, 'decision-maker');
    assert.equal(add.body.dealId, deal.id);
    assert.equal((await server.api('POST', `/crm/deals/${deal.id}/contacts`, { personId: ben.id, role: 'champion' })).status, 201);
    const dup = await server.api('POST', `/crm/deals/${deal.id}/contacts`, { personId: ana.id, role: 'end-user' });
    assert.equal(dup.status, 409);

    const listed = (await server.api('GET', `/crm/deals/${deal.id}/contacts`)).body.data;
    assert.deepEqual(
      listed.map((c: any) => [c.person.name, c.role]),
      [
        ['Ana', 'decision-maker'],
        ['Ben', 'champion'],
      ],
    );

    // a change to the person shows everywhere (no copies)
    await server.api('PATCH', `/crm/people/${ana.id}`, { name: 'Ana Maria' });
    assert.equal((await server.api('GET', `/crm/deals/${deal.id}/contacts`)).body.data[0].person.name, 'Ana Maria');

    assert.equal((await server.api('DELETE', `/crm/deals/${deal.id}/contacts/${ana.id}`)).status, 204);
    assert.equal((await server.api('DELETE', `/crm/deals/${deal.id}/contacts/${ana.id}`)).status, 404);
    assert.deepEqual(
      (await server.api('GET', `/crm/deals/${deal.id}/contacts`)).body.data.map((c: any) => c.personId),
      [ben.id],
    );
    const ghost = await server.api('POST', `/crm/deals/${deal.id}/contacts`, { personId: '01a200ec-d98c-73c5-8282-a8bfff3d8b31' });
    assert.equal(ghost.status, 422);
    assert.equal(ghost.body.errors[0].path, 'personId');
    assert.equal((await server.api('GET', '/crm/deals/01a200ec-d98c-73c5-8282-a8bfff3d8b31/contacts')).status, 404);
  });
});

describe('pipeline summary', () => {
  test('counts, exact totals and weighted values per stage and currency; open deals unless asked', async () => {
    const { pipeline, byName } = await newPipeline('Money', [{ name: 'Low', probability: 0.1 }, { name: 'High', probability: 0.7 }, { name: 'Unset' }]);
    const make = (body: Record<string, unknown>) => server.api('POST', '/crm/deals', { pipelineId: pipeline.id, ...body });
    // ten deals of 0.1 must total exactly 1, not 0.9999999999999999
    for (let i = 0; i < 10; i++) await make({ title: `dime ${i}`, stageId: byName.Low.id, amount: 0.1 });
    await make({ title: 'point two', stageId: byName.Low.id, amount: 0.2 });
    await make({ title: 'euro', stageId: byName.High.id, amount: 1000.0001, currency: 'EUR' });
    await make({ title: 'own probability', stageId: byName.High.id, amount: 33.33, probability: 0.3333 });
    await make({ title: 'no amount', stageId: byName.High.id });
    await make({ title: 'stage without probability', stageId: byName.Unset.id, amount: 5 });
    await make({ title: 'won one', stageId: byName.High.id, amount: 999, status: 'won' });
    const archived = (await make({ title: 'archived', stageId: byName.Low.id, amount: 500 })).body;
    await server.api('POST', `/crm/deals/${archived.id}/archive`);

    const res = await server.api('GET', `/crm/pipelines/${pipeline.id}/summary`);
    assert.equal(res.status, 200);
    const s = res.body;
    assert.equal(s.status, 'open');
    assert.equal(s.totalDeals, 15);
    assert.deepEqual(s.totals, [
      { currency: 'EUR', count: 1, value: 1000.0001, weightedValue: 700.0001 }, // 700.00007 rounded half-up to 4 places
      { currency: 'USD', count: 14, value: 39.53, weightedValue: 0.12 + 11.1089 + 0 },
    ]);
    const low = s.stages.find((x: any) => x.name === 'Low');
    assert.deepEqual(low.totals, [{ currency: 'USD', count: 11, value: 1.2, weightedValue: 0.12 }]);
    assert.equal(low.count, 11);
    const high = s.stages.find((x: any) => x.name === 'High');
    assert.equal(high.count, 3);
    assert.deepEqual(high.totals, [
      { currency: 'EUR', count: 1, value: 1000.0001, weightedValue: 700.0001 },
      { currency: 'USD', count: 2, value: 33.33, weightedValue: 11.1089 },
    ]);
    const unset = s.stages.find((x: any) => x.name === 'Unset');
    assert.deepEqual(unset.totals, [{ currency: 'USD', count: 1, value: 5, weightedValue: 0 }]);
    assert.deepEqual(
      s.stages.map((x: any) => x.position),
      [0, 1, 2],
    );

    const won = (await server.api('GET', `/crm/pipelines/${pipeline.id}/summary?status=won`)).body;
    assert.equal(won.totalDeals, 1);
    assert.deepEqual(won.totals, [{ currency: 'USD', count: 1, value: 999, weightedValue: 699.3 }]);
    const all = (await server.api('GET', `/crm/pipelines/${pipeline.id}/summary?status=all`)).body;
    assert.equal(all.totalDeals, 16);
    assert.equal((await server.api('GET', `/crm/pipelines/${pipeline.id}/summary?status=maybe`)).status, 422);
  });
});

describe('contexts, search, labels, audit', () => {
  test('person, organization and deal contexts', async () => {
    const org = (await server.api('POST', '/crm/organizations', { name: 'Context Co', website: 'context.co' })).body;
    const person = (await server.api('POST', '/crm/people', { name: 'Cora Context', organizationId: org.id })).body;
    const deal = (await server.api('POST', '/crm/deals', { title: 'Context deal', organizationId: org.id, primaryPersonId: person.id, amount: 42 })).body;
    await server.api('POST', `/crm/deals/${deal.id}/contacts`, { personId: person.id, role: 'champion' });
    await server.api('POST', '/crm/activities', { type: 'call', subject: 'Intro call', personId: person.id, dealId: deal.id, organizationId: org.id });
    const overdue = (await server.api('POST', '/crm/activities', { type: 'follow_up', subject: 'Send proposal', personId: person.id, dealId: deal.id, dueAt: '2020-01-01T00:00:00Z' })).body;
    const done = (await server.api('POST', '/crm/activities', { type: 'follow_up', subject: 'Done already', personId: person.id, completedAt: '2020-01-02T00:00:00Z' })).body;

    const pc = await server.api('GET', `/crm/people/${person.id}/context`);
    assert.equal(pc.status, 200);
    assert.equal(pc.body.person.id, person.id);
    assert.equal(pc.body.organization.name, 'Context Co');
    assert.equal(pc.body.deals.length, 1);
    assert.equal(pc.body.deals[0].stageName, 'Lead');
    assert.equal(pc.body.deals[0].pipelineName, 'Sales');
    assert.equal(pc.body.deals[0].isPrimaryPerson, true);
    assert.equal(pc.body.deals[0].contactRole, 'champion');
    assert.deepEqual(pc.body.recentActivities.map((a: any) => a.subject).sort(), ['Done already', 'Intro call', 'Send proposal']);
    assert.deepEqual(
      pc.body.openFollowUps.map((a: any) => [a.id, a.overdue]),
      [[overdue.id, true]],
    );
    assert.ok(!pc.body.openFollowUps.some((a: any) => a.id === done.id));

    const oc = (await server.api('GET', `/crm/organizations/${org.id}/context`)).body;
    assert.equal(oc.organization.domain, 'context.co');
    assert.deepEqual(
      oc.people.map((p: any) => p.name),
      ['Cora Context'],
    );
    assert.deepEqual(
      oc.deals.map((d: any) => [d.title, d.stageName]),
      [['Context deal', 'Lead']],
    );
    assert.deepEqual(
      oc.recentActivities.map((a: any) => a.subject),
      ['Intro call'],
    );

    const dc = (await server.api('GET', `/crm/deals/${deal.id}/context`)).body;
    assert.equal(dc.deal.id, deal.id);
    assert.equal(dc.stage.name, 'Lead');
    assert.equal(dc.pipeline.name, 'Sales');
    assert.equal(dc.organization.id, org.id);
    assert.equal(dc.primaryPerson.id, person.id);
    assert.deepEqual(
      dc.contacts.map((c: any) => [c.person.name, c.role]),
      [['Cora Context', 'champion']],
    );
    assert.equal(dc.stageChanges.length, 1);
    assert.deepEqual(
      dc.openFollowUps.map((a: any) => a.subject),
      ['Send proposal'],
    );

    for (const path of ['people', 'organizations', 'deals']) {
      assert.equal((await server.api('GET', `/crm/${path}/01a200ec-d98c-73c5-8282-a8bfff3d8b31/context`)).status, 404);
    }
  });

  test('search across organizations, people and deals, best matches first', async () => {
    await server.api('POST', '/crm/organizations', { name: 'Zephyr Systems', website: 'zephyr.io' });
    await server.api('POST', '/crm/people', { name: 'Zed Zephyrson', email: 'zed@zephyr.io' });
    await server.api('POST', '/crm/deals', { title: 'Zephyr renewal', amount: 12 });
    await server.api('POST', '/crm/organizations', { name: 'Unrelated' });
    const res = await server.api('GET', '/crm/search?q=zephyr');
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.data.map((h: any) => [h.type, h.title]),
      [
        ['deal', 'Zephyr renewal'], // prefix matches first, then by title
        ['organization', 'Zephyr Systems'],
        ['person', 'Zed Zephyrson'],
      ],
    );
    assert.equal(res.body.data[0].subtitle, 'open · 12 USD');
    assert.equal(res.body.data[1].subtitle, 'zephyr.io');
    assert.equal(res.body.data[2].subtitle, 'zed@zephyr.io');
    const onlyPeople = await server.api('GET', '/crm/search?q=zephyr&types=person');
    assert.deepEqual(
      onlyPeople.body.data.map((h: any) => h.type),
      ['person'],
    );
    const empty = await server.api('GET', '/crm/search?q=%20');
    assert.equal(empty.status, 422);
    assert.equal(empty.body.errors[0].path, 'q');
  });

  test('labels: distinct set with counts across organizations, people and deals; archived excluded', async () => {
    await server.api('POST', '/crm/organizations', { name: 'L1', labels: ['lbl-hot', 'lbl-eu'] });
    await server.api('POST', '/crm/people', { name: 'L2', labels: ['lbl-hot'] });
    await server.api('POST', '/crm/deals', { title: 'L3', labels: ['lbl-hot', 'lbl-q4'] });
    const gone = (await server.api('POST', '/crm/deals', { title: 'L4', labels: ['lbl-q4', 'lbl-archived'] })).body;
    await server.api('POST', `/crm/deals/${gone.id}/archive`);
    const res = await server.api('GET', '/crm/labels');
    assert.equal(res.status, 200);
    const mine = res.body.data.filter((l: any) => l.label.startsWith('lbl-'));
    assert.deepEqual(mine, [
      { label: 'lbl-hot', count: 3, organizations: 1, people: 1, deals: 1 },
      { label: 'lbl-eu', count: 1, organizations: 1, people: 0, deals: 0 },
      { label: 'lbl-q4', count: 1, organizations: 0, people: 0, deals: 1 },
    ]);
  });

  test('audit: before/after snapshots, changed fields, actor and source; filter and paginate', async () => {
    const org = (await server.api('POST', '/crm/organizations', { name: 'Audited' })).body;
    await server.api('PATCH', `/crm/organizations/${org.id}`, { name: 'Audited Ltd', website: 'audited.example' });
    await server.api('POST', `/crm/organizations/${org.id}/archive`);
    await server.api('POST', `/crm/organizations/${org.id}/restore`);
    const res = await server.api('GET', `/crm/audit?entityType=organization&entityId=${org.id}`);
    assert.equal(res.status, 200);
    const entries = res.body.data;
    assert.deepEqual(
      entries.map((e: any) => e.action),
      ['restore', 'archive', 'update', 'create'],
    );
    const update = entries[2];
    assert.equal(update.before.name, 'Audited');
    assert.equal(update.after.name, 'Audited Ltd');
    assert.deepEqual(update.changedFields.sort(), ['domain', 'name', 'website']);
    assert.equal(update.source, 'rest');
    const owner = await server.services.accounts.findUser('owner@kith.local');
    assert.equal(update.actorUserId, owner.id);
    assert.ok(update.actorKeyId);
    assert.equal(entries[3].before, null);
    assert.equal(entries[3].after.name, 'Audited');

    const page1 = await server.api('GET', `/crm/audit?entityId=${org.id}&limit=3`);
    assert.equal(page1.body.data.length, 3);
    const page2 = await server.api('GET', `/crm/audit?entityId=${org.id}&limit=3&cursor=${page1.body.nextCursor}`);
    assert.deepEqual(
      page2.body.data.map((e: any) => e.action),
      ['create'],
    );
    assert.equal(page2.body.nextCursor, null);
    const updates = (await server.api('GET', `/crm/audit?entityId=${org.id}&action=update`)).body.data;
    assert.equal(updates.length, 1);
    assert.equal((await server.api('GET', '/crm/audit?action=explode')).status, 422);
  });
});

describe('OpenAPI', () => {
  test('OpenAPI 3.1 covers every route with schemas generated from the zod request schemas', async () => {
    const res = await server.api('GET', '/crm/openapi.json', undefined, { key: null });
    assert.equal(res.status, 200);
    const doc = res.body;
    assert.equal(doc.openapi, '3.1.0');
    const expected: [string, string][] = [
      ['/crm', 'get'],
      ['/crm/organizations', 'get'],
      ['/crm/organizations', 'post'],
      ['/crm/organizations/{id}', 'patch'],
      ['/crm/organizations/{id}/archive', 'post'],
      ['/crm/organizations/{id}/restore', 'post'],
      ['/crm/organizations/{id}', 'delete'],
      ['/crm/people/{id}', 'get'],
      ['/crm/deals', 'post'],
      ['/crm/activities/{id}', 'patch'],
      ['/crm/pipelines/{id}/stages', 'post'],
      ['/crm/pipelines/{id}/stages/order', 'put'],
      ['/crm/pipelines/{id}/summary', 'get'],
      ['/crm/stages/{id}', 'delete'],
      ['/crm/deals/{id}/contacts', 'post'],
      ['/crm/deals/{id}/contacts/{personId}', 'delete'],
      ['/crm/deals/{id}/stage-changes', 'get'],
      ['/crm/people/{id}/context', 'get'],
      ['/crm/organizations/{id}/context', 'get'],
      ['/crm/deals/{id}/context', 'get'],
      ['/crm/search', 'get'],
      ['/crm/labels', 'get'],
      ['/crm/audit', 'get'],
    ];
    for (const [path, method] of expected) assert.ok(doc.paths[path]?.[method], `${method.toUpperCase()} ${path} documented`);

    const create = doc.paths['/crm/deals'].post.requestBody.content['application/json'].schema;
    assert.equal(create.additionalProperties, false, 'unknown fields are rejected, and the document says so');
    assert.ok(create.required.includes('title'));
    assert.deepEqual(create.properties.valuePeriod.enum, ['one_time', 'monthly', 'quarterly', 'annual']);
    const amount = create.properties.amount.anyOf.find((s: any) => s.type === 'number');
    assert.equal(amount.minimum, 0);
    assert.ok(doc.paths['/crm/deals'].post.responses['422']);
    assert.ok(doc.paths['/crm/deals/{id}'].patch.parameters.some((p: any) => p.name === 'If-Match'));
    const list = doc.paths['/crm/people'].get.parameters.map((p: any) => p.name);
    for (const name of ['limit', 'cursor', 'q', 'sort', 'organizationId', 'label', 'updatedSince', 'archived']) assert.ok(list.includes(name), name);
  });
});
