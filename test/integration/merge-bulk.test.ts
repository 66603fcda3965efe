/**
 * Duplicates, merge and undo, bulk operations and undo, and the duplicate warning on create (SPEC
 * §3, issue 13) over real HTTP, with what replicating clients pull afterwards.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { memberKey } from '../helpers/mcp.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

async function post(path: string, body: unknown, status = 201) {
  const res = await server.api('POST', path, body);
  assert.equal(res.status, status, `${path}: ${JSON.stringify(res.body)}`);
  return res.body;
}
const get = async (path: string) => {
  const res = await server.api('GET', path);
  assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
  return res.body;
};
const contactsOf = async (dealId: string) => ((await get(`/crm/deals/${dealId}/contacts`)).data as { personId: string; role: string | null }[]).map((c) => `${c.personId}:${c.role}`).sort();
/** Every document of a collection a client pulling from the start gets (the latest state of each). */
async function pulled(collection: string): Promise<Map<string, any>> {
  const out = new Map<string, any>();
  let checkpoint: unknown = 0;
  for (;;) {
    const res = await server.api('GET', `/sync/${collection}/pull?checkpoint=${encodeURIComponent(typeof checkpoint === 'object' ? JSON.stringify(checkpoint) : String(checkpoint))}&limit=500`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    for (const doc of res.body.documents) out.set(doc.id, doc);
    if (res.body.documents.length < 500) return out;
    checkpoint = res.body.checkpoint;
  }
}

describe('people: duplicates, merge, undo', () => {
  test('a merge moves every reference to the target; undo moves them back', async () => {
    const org = await post('/crm/organizations', { name: 'Merge Org' });
    const field = await post('/crm/fields', { entity: 'deals', key: 'champion', label: 'Champion', type: 'reference', referenceTo: 'people' });
    const target = await post('/crm/people', { name: 'Ada Lovelace', email: 'ada@example.com', labels: ['vip'] });
    const first = await post('/crm/people', { name: 'Ada  Lovelace', email: 'ADA@example.com', phone: '+44 1', organizationId: org.id, labels: ['newsletter'] });
    assert.equal(first.warnings?.[0]?.duplicateOf, target.id, 'the create says which record it duplicates');
    assert.equal(first.warnings[0].field, 'email');
    const source = await post('/crm/people', { name: 'A. Lovelace', email: 'ada.l@example.org', phone: '+44 2', title: 'Countess' });
    assert.equal(source.warnings, undefined, 'no warning without a duplicate');

    const dupes = await get('/crm/duplicates?entity=person');
    const byEmail = dupes.data.find((g: any) => g.reason === 'email' && g.value === 'ada@example.com');
    assert.deepEqual(
      byEmail.records.map((r: any) => r.id),
      [target.id, first.id],
    );
    assert.ok(!dupes.data.some((g: any) => g.reason === 'name' && g.records.length === 2 && g.records[1].id === first.id), 'the same records are listed once');
    assert.equal((await server.api('GET', '/crm/duplicates?entity=deal')).status, 422);

    const deal = await post('/crm/deals', { title: 'Engine', primaryPersonId: first.id, organizationId: org.id, custom: { champion: source.id } });
    const other = await post('/crm/deals', { title: 'Notes' });
    await post(`/crm/deals/${deal.id}/contacts`, { personId: target.id, role: 'buyer' });
    await post(`/crm/deals/${deal.id}/contacts`, { personId: first.id, role: 'champion' });
    await post(`/crm/deals/${other.id}/contacts`, { personId: source.id, role: 'end-user' });
    const activity = await post('/crm/activities', { type: 'call', personId: first.id, subject: 'Intro' });
    const note = await post('/crm/activities', { type: 'note', personId: source.id, dealId: other.id, body: 'Met' });
    const beforeContacts = [await contactsOf(deal.id), await contactsOf(other.id)];

    const merged = await post('/crm/people/merge', { targetId: target.id, sourceIds: [first.id, source.id], fields: { title: source.id, organizationId: first.id } }, 200);
    assert.equal(merged.record.id, target.id);
    assert.deepEqual(merged.record.labels, ['vip', 'newsletter']);
    assert.equal(merged.record.title, 'Countess', 'the chosen value');
    assert.equal(merged.record.organizationId, org.id);
    assert.equal(merged.record.phone, '+44 1', 'empty on the target: the first source value');
    assert.equal(merged.record.email, 'ada@example.com');
    assert.match(merged.record.notes, /ada\.l@example\.org/, "the sources' other emails stay in the notes");
    assert.match(merged.record.notes, /\+44 2/);

    const gone = await server.api('GET', `/crm/people/${first.id}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.mergedInto, target.id, 'the 404 names the record it was merged into');
    assert.equal((await server.api('GET', `/crm/people/${source.id}`)).status, 404);
    const dealAfter = await get(`/crm/deals/${deal.id}`);
    assert.equal(dealAfter.primaryPersonId, target.id);
    assert.equal(dealAfter.custom.champion, target.id, 'reference custom fields point at the target');
    assert.deepEqual(await contactsOf(deal.id), [`${target.id}:buyer`], 'the target was on the deal already: one link');
    assert.deepEqual(await contactsOf(other.id), [`${target.id}:end-user`], 'the role moves with the link');
    assert.equal((await get(`/crm/activities/${activity.id}`)).personId, target.id);
    assert.equal((await get(`/crm/activities/${note.id}`)).personId, target.id);
    assert.equal((await get(`/crm/activities?personId=${target.id}`)).data.length, 2);

    // one merge entry with every snapshot; the moved references under the same operation id
    const merges = (await get(`/crm/audit?action=merge&entityId=${target.id}`)).data;
    assert.equal(merges.length, 1);
    assert.equal(merges[0].id, merged.auditEntryId);
    assert.deepEqual(merges[0].detail.sources.map((s: any) => s.id).sort(), [first.id, source.id].sort());
    assert.equal(merges[0].detail.operationId, merged.operationId);
    const operation = (await get(`/crm/audit?operationId=${merged.operationId}&limit=100`)).data;
    assert.ok(operation.length >= 7, JSON.stringify(operation.map((e: any) => `${e.entityType} ${e.action}`)));
    assert.ok(operation.every((e: any) => e.detail.operationId === merged.operationId));
    assert.ok(operation.some((e: any) => e.entityType === 'deal' && e.changedFields.includes('primaryPersonId')));

    // a client pulling from scratch: the sources are tombstones, the references name the target
    const people = await pulled('people');
    assert.equal(people.get(first.id)._deleted, true);
    assert.equal(people.get(source.id)._deleted, true);
    assert.equal(people.get(target.id).title, 'Countess');
    assert.equal((await pulled('deals')).get(deal.id).primaryPersonId, target.id);
    const links = [...(await pulled('dealContacts')).values()].filter((d) => !d._deleted && d.dealId === other.id);
    assert.deepEqual(
      links.map((d) => d.personId),
      [target.id],
    );

    // undo: the sources and their references come back
    const undone = await post(`/crm/merges/${merged.auditEntryId}/undo`, undefined, 200);
    assert.deepEqual(undone.skipped, []);
    assert.equal((await get(`/crm/people/${first.id}`)).phone, '+44 1');
    assert.equal((await get(`/crm/people/${source.id}`)).title, 'Countess');
    assert.equal((await server.api('GET', `/crm/people/01900000-0000-7000-8000-000000000000`)).body.mergedInto, undefined);
    const restoredTarget = await get(`/crm/people/${target.id}`);
    assert.deepEqual(restoredTarget.labels, ['vip']);
    assert.equal(restoredTarget.title, null);
    assert.equal(restoredTarget.phone, null);
    assert.equal(restoredTarget.notes, null);
    const dealBack = await get(`/crm/deals/${deal.id}`);
    assert.equal(dealBack.primaryPersonId, first.id);
    assert.equal(dealBack.custom.champion, source.id);
    assert.deepEqual([await contactsOf(deal.id), await contactsOf(other.id)], beforeContacts);
    assert.equal((await get(`/crm/activities/${activity.id}`)).personId, first.id);
    assert.equal((await get(`/crm/activities/${note.id}`)).personId, source.id);
    assert.equal((await pulled('people')).get(first.id)._deleted, false, 'clients get the source back');
    assert.equal((await pulled('deals')).get(deal.id).primaryPersonId, first.id);

    const again = await server.api('POST', `/crm/merges/${merged.auditEntryId}/undo`);
    assert.equal(again.status, 409, JSON.stringify(again.body));
    assert.equal((await server.api('POST', `/crm/operations/${undone.operationId}/undo`)).status, 409, 'an undo is not undone');
    assert.equal((await server.api('POST', `/crm/merges/${field.id}/undo`)).status, 404);
  });

  test('merge refusals: unknown records, the target among the sources, viewers; nothing is changed', async () => {
    const a = await post('/crm/people', { name: 'Refused A' });
    const b = await post('/crm/people', { name: 'Refused B' });
    const activity = await post('/crm/activities', { type: 'note', personId: b.id, body: 'x' });
    const unknown = '01900000-0000-7000-8000-000000000000';
    assert.equal((await server.api('POST', '/crm/people/merge', { targetId: a.id, sourceIds: [b.id, unknown] })).status, 404);
    const self = await server.api('POST', '/crm/people/merge', { targetId: a.id, sourceIds: [a.id] });
    assert.equal(self.status, 422);
    assert.equal(self.body.errors[0].path, 'sourceIds');
    const org = await post('/crm/organizations', { name: 'Not a person' });
    assert.equal((await server.api('POST', '/crm/people/merge', { targetId: a.id, sourceIds: [org.id] })).status, 404);
    const viewer = await memberKey(server, 'VIEWER');
    assert.equal((await server.api('POST', '/crm/people/merge', { targetId: a.id, sourceIds: [b.id] }, { key: viewer })).status, 403);
    assert.equal((await get(`/crm/people/${b.id}`)).id, b.id);
    assert.equal((await get(`/crm/activities/${activity.id}`)).personId, b.id, 'a refused merge moved nothing');
  });
});

test('custom values: chosen per custom.<key>, else the target value, else a source value', async () => {
  await post('/crm/fields', { entity: 'people', key: 'nickname', label: 'Nickname', type: 'text' });
  await post('/crm/fields', { entity: 'people', key: 'handle', label: 'Handle', type: 'text' });
  await post('/crm/fields', { entity: 'people', key: 'shoe', label: 'Shoe size', type: 'number' });
  const target = await post('/crm/people', { name: 'Custom target', custom: { nickname: 'T', shoe: 42 } });
  const source = await post('/crm/people', { name: 'Custom source', custom: { nickname: 'S', handle: '@src', shoe: 44 } });
  const bad = await server.api('POST', '/crm/people/merge', { targetId: target.id, sourceIds: [source.id], fields: { colour: source.id } });
  assert.equal(bad.status, 422);
  assert.equal(bad.body.errors[0].path, 'fields.colour');
  const merged = await post('/crm/people/merge', { targetId: target.id, sourceIds: [source.id], fields: { 'custom.nickname': source.id, name: target.id } }, 200);
  assert.deepEqual(merged.record.custom, { nickname: 'S', handle: '@src', shoe: 42 });
  assert.equal(merged.record.name, 'Custom target');
});

describe('organizations: duplicates and merge', () => {
  test('by domain: people, deals, activities and reference fields move; undo restores them', async () => {
    await post('/crm/fields', { entity: 'people', key: 'employer', label: 'Employer', type: 'reference', referenceTo: 'organizations' });
    const target = await post('/crm/organizations', { name: 'Globex', website: 'https://globex.com' });
    const source = await post('/crm/organizations', { name: 'Globex Corporation', website: 'http://www.globex.com/about', labels: ['partner'] });
    assert.equal(source.warnings[0].duplicateOf, target.id);
    assert.equal(source.warnings[0].field, 'domain');
    const group = (await get('/crm/duplicates?entity=organization')).data.find((g: any) => g.reason === 'domain' && g.value === 'globex.com');
    assert.deepEqual(
      group.records.map((r: any) => r.id),
      [target.id, source.id],
    );

    const person = await post('/crm/people', { name: 'Hank Scorpio', organizationId: source.id, custom: { employer: source.id } });
    const deal = await post('/crm/deals', { title: 'Doomsday', organizationId: source.id });
    const activity = await post('/crm/activities', { type: 'meeting', organizationId: source.id, subject: 'Volcano' });

    const merged = await post('/crm/organizations/merge', { targetId: target.id, sourceIds: [source.id] }, 200);
    assert.deepEqual(merged.record.labels, ['partner']);
    assert.match(merged.record.notes, /www\.globex\.com/);
    assert.deepEqual(merged.moved, { people: 1, deals: 1, activities: 1, 'custom.employer': 1 });
    const personAfter = await get(`/crm/people/${person.id}`);
    assert.equal(personAfter.organizationId, target.id);
    assert.equal(personAfter.custom.employer, target.id);
    assert.equal((await get(`/crm/deals/${deal.id}`)).organizationId, target.id);
    assert.equal((await get(`/crm/activities/${activity.id}`)).organizationId, target.id);
    assert.equal((await pulled('organizations')).get(source.id)._deleted, true);
    assert.equal((await pulled('people')).get(person.id).organizationId, target.id);

    // the target changes after the merge: undo leaves that field and says so
    assert.equal((await server.api('PATCH', `/crm/organizations/${target.id}`, { labels: ['partner', 'key'] })).status, 200);
    const undone = await post(`/crm/operations/${merged.operationId}/undo`, undefined, 200);
    assert.deepEqual(
      undone.skipped.map((s: any) => s.field),
      ['labels'],
    );
    const personBack = await get(`/crm/people/${person.id}`);
    assert.equal(personBack.organizationId, source.id);
    assert.equal(personBack.custom.employer, source.id);
    assert.equal((await get(`/crm/deals/${deal.id}`)).organizationId, source.id);
    assert.equal((await get(`/crm/activities/${activity.id}`)).organizationId, source.id);
    assert.equal((await get(`/crm/organizations/${source.id}`)).name, 'Globex Corporation');
    assert.equal((await get(`/crm/organizations/${target.id}`)).notes, null);
  });
});

describe('bulk operations', () => {
  test('archive by filter: dry run changes nothing, then for real, then undo', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await post('/crm/people', { name: `Lapsed ${i}`, labels: ['lapsed'] })).id);
    const keep = await post('/crm/people', { name: 'Lapsed but active' });
    const versions = async () => Promise.all(ids.map(async (id) => (await get(`/crm/people/${id}`)).version));
    const before = await versions();
    const auditCount = async () => (await get('/crm/audit?limit=500')).data.length;
    const entriesBefore = await auditCount();

    const dry = await post('/crm/people/bulk', { filter: { label: 'lapsed', q: 'Lapsed' }, action: 'archive', dryRun: true }, 200);
    assert.equal(dry.matched, 3);
    assert.equal(dry.changed, 3);
    assert.equal(dry.dryRun, true);
    assert.equal(dry.operationId, null);
    assert.deepEqual([...dry.ids].sort(), [...ids].sort());
    assert.deepEqual(await versions(), before, 'a dry run changes nothing');
    assert.equal(await auditCount(), entriesBefore, 'and audits nothing');
    assert.equal((await get('/crm/people?label=lapsed')).data.length, 3);

    const done = await post('/crm/people/bulk', { filter: { label: 'lapsed' }, action: 'archive' }, 200);
    assert.equal(done.matched, 3);
    assert.equal(done.changed, 3);
    assert.match(done.operationId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(done.errors, []);
    assert.equal((await get('/crm/people?label=lapsed')).data.length, 0);
    assert.equal((await get('/crm/people?label=lapsed&archived=true')).data.length, 3);
    assert.equal((await get(`/crm/people/${keep.id}`)).archivedAt, null);
    const entries = (await get(`/crm/audit?operationId=${done.operationId}`)).data;
    assert.deepEqual(
      entries.map((e: any) => e.action),
      ['archive', 'archive', 'archive'],
    );
    assert.ok(entries.every((e: any) => e.detail.operationId === done.operationId));
    const synced = await pulled('people');
    assert.ok(
      ids.every((id) => synced.get(id).archivedAt !== null),
      'clients see the archive',
    );

    const again = await post('/crm/people/bulk', { filter: { label: 'lapsed' }, action: 'archive' }, 200);
    assert.equal(again.matched, 0, 'archived records are not in the default list');

    // restore by the same filter looks at archived records; its own undo archives them again
    const restored = await post('/crm/people/bulk', { filter: { label: 'lapsed' }, action: 'restore' }, 200);
    assert.equal(restored.changed, 3);
    assert.equal((await get('/crm/people?label=lapsed')).data.length, 3);
    await post(`/crm/operations/${restored.operationId}/undo`, undefined, 200);
    assert.equal((await get('/crm/people?label=lapsed')).data.length, 0);

    const undone = await post(`/crm/operations/${done.operationId}/undo`, undefined, 200);
    assert.equal(undone.changed, 3);
    assert.equal((await get('/crm/people?label=lapsed')).data.length, 3);
    assert.ok((await pulled('people')).get(ids[0]).archivedAt === null);
    assert.equal((await server.api('POST', `/crm/operations/${done.operationId}/undo`)).status, 409);
    assert.equal((await server.api('POST', '/crm/operations/01900000-0000-7000-8000-000000000000/undo')).status, 404);
  });

  test('labels, updates with per-record errors, stage moves by name, deletes for owners only', async () => {
    const pipeline = await post('/crm/pipelines', { name: 'Bulk pipeline', stages: [{ name: 'Lead' }, { name: 'Won it' }] });
    const deals = [];
    for (let i = 0; i < 3; i++) deals.push(await post('/crm/deals', { title: `Bulk deal ${i}`, pipelineId: pipeline.id, labels: i === 0 ? ['hot'] : [] }));
    const ids = deals.map((d) => d.id);

    const labelled = await post('/crm/deals/bulk', { ids, action: 'addLabels', values: { labels: ['hot', 'q3'] } }, 200);
    assert.equal(labelled.changed, 3);
    assert.deepEqual((await get(`/crm/deals/${ids[0]}`)).labels, ['hot', 'q3']);
    assert.equal((await post('/crm/deals/bulk', { ids, action: 'addLabels', values: { labels: ['q3'] } }, 200)).changed, 0, 'nothing to add: nothing changed');
    assert.equal((await post('/crm/deals/bulk', { ids, action: 'removeLabels', values: { labels: ['hot'] } }, 200)).changed, 3);

    const moved = await post('/crm/deals/bulk', { filter: { pipelineId: pipeline.id }, action: 'moveStage', values: { stage: 'won it' } }, 200);
    assert.equal(moved.changed, 3);
    const stageId = (await get(`/crm/deals/${ids[1]}`)).stageId;
    assert.equal((await get(`/crm/stages/${stageId}`)).name, 'Won it');
    assert.equal((await get(`/crm/deals/${ids[1]}/stage-changes`)).data.length, 2, 'a stage move is recorded like any other');

    const updated = await post('/crm/deals/bulk', { ids: [...ids, '01900000-0000-7000-8000-000000000000'], action: 'update', values: { amount: 100, currency: 'EUR' } }, 200);
    assert.equal(updated.matched, 4);
    assert.equal(updated.changed, 3);
    assert.equal(updated.errors[0].id, '01900000-0000-7000-8000-000000000000');
    const bad = await post('/crm/deals/bulk', { ids, action: 'update', values: { amount: -1 } }, 200);
    assert.equal(bad.changed, 0);
    assert.equal(bad.errors.length, 3);
    assert.equal(bad.errors[0].path, 'amount');
    assert.equal((await get(`/crm/deals/${ids[0]}`)).amount, 100);

    const refused = await server.api('POST', '/crm/deals/bulk', { ids, action: 'delete' }, { key: await memberKey(server, 'MEMBER') });
    assert.equal(refused.status, 403);
    assert.equal((await server.api('POST', '/crm/deals/bulk', { action: 'archive' })).status, 422);
    assert.equal((await server.api('POST', '/crm/deals/bulk', { filter: { colour: 'red' }, action: 'archive' })).body.errors[0].path, 'filter.colour');
    const deleted = await post('/crm/deals/bulk', { ids, action: 'delete' }, 200);
    assert.equal(deleted.changed, 3);
    assert.equal((await server.api('GET', `/crm/deals/${ids[0]}`)).status, 404);
    assert.equal((await pulled('deals')).get(ids[0])._deleted, true);
    await post(`/crm/operations/${deleted.operationId}/undo`, undefined, 200);
    assert.equal((await get(`/crm/deals/${ids[0]}`)).amount, 100, 'undo brings deleted records back as they were');
    assert.equal((await pulled('deals')).get(ids[0])._deleted, false);
  });
});

test("a custom object type's records: bulk by ids or filter, dry run, undo; another type's ids are refused", async () => {
  await post('/crm/objects', { key: 'bulkproject', singular: 'Project', plural: 'Projects' });
  await post('/crm/objects', { key: 'bulkasset', singular: 'Asset', plural: 'Assets' });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await post('/crm/objects/bulkproject/records', { name: `Project ${i}`, labels: i < 2 ? ['q4'] : [] })).id);
  const asset = (await post('/crm/objects/bulkasset/records', { name: 'Laptop', labels: ['q4'] })).id;

  const dry = await post('/crm/objects/bulkproject/records/bulk', { filter: { label: 'q4' }, action: 'archive', dryRun: true }, 200);
  assert.deepEqual([dry.matched, dry.changed, dry.operationId], [2, 2, null], "the filter looks at this type's records only");
  assert.equal((await get(`/crm/objects/bulkproject/records/${ids[0]}`)).archivedAt, null, 'a dry run changes nothing');

  const done = await post('/crm/objects/bulkproject/records/bulk', { ids: [...ids, asset], action: 'addLabels', values: { labels: ['hot'] } }, 200);
  assert.equal(done.changed, 3);
  assert.deepEqual(
    done.errors.map((e: any) => [e.id, e.path]),
    [[asset, 'id']],
  );
  assert.deepEqual((await get(`/crm/objects/bulkasset/records/${asset}`)).labels, ['q4'], "another type's record is left alone");
  assert.deepEqual((await get(`/crm/objects/bulkproject/records/${ids[2]}`)).labels, ['hot']);
  const undone = await post(`/crm/operations/${done.operationId}/undo`, undefined, 200);
  assert.equal(undone.changed, 3);
  assert.deepEqual((await get(`/crm/objects/bulkproject/records/${ids[2]}`)).labels, []);
  assert.equal((await server.api('POST', '/crm/objects/nosuchtype/records/bulk', { ids, action: 'archive' })).status, 404);
});
