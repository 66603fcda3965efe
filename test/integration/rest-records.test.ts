/**
 * /crm record routes over real HTTP against a real SQLite file (and PostgreSQL, integration-pg): create/get/update/archive/
 * restore/delete for every collection, ETag/If-Match, idempotent create with a client id, lists
 * with cursor pagination that stays stable while records are inserted between pages, filters,
 * sort, q, and the problem+json errors (validation naming fields, unknown fields, 413, 415).
 */
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { newId } from '../../shared/ids.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let pipelineId: string;
let stageIds: string[];

beforeAll(async () => {
  server = await startTestServer();
  const pipelines = await server.api('GET', '/crm/pipelines');
  pipelineId = pipelines.body.data[0].id;
  stageIds = (await server.api('GET', `/crm/pipelines/${pipelineId}/stages`)).body.data.map((s: { id: string }) => s.id);
});
afterAll(async () => {
  await server.stop();
});

function assertProblem(res: { status: number; headers: Headers; body: any }, status: number) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(res.body.status, status);
  assert.equal(typeof res.body.type, 'string');
  assert.equal(typeof res.body.title, 'string');
  assert.equal(typeof res.body.detail, 'string');
}

describe('organizations, people, deals, activities, pipelines: CRUD', () => {
  test('create trims text, turns empty text into null, derives the domain, and GET returns it with an ETag', async () => {
    const created = await server.api('POST', '/crm/organizations', { name: '  Acme Corp  ', website: 'https://www.Acme.com/about', notes: '   ', labels: [' vip ', 'b2b'] });
    assert.equal(created.status, 201);
    assert.equal(created.body.name, 'Acme Corp');
    assert.equal(created.body.notes, null);
    assert.equal(created.body.domain, 'acme.com');
    assert.deepEqual(created.body.labels, ['vip', 'b2b']);
    assert.equal(created.body.archivedAt, null);
    assert.equal(created.headers.get('location'), `/crm/organizations/${created.body.id}`);
    assert.equal(created.headers.get('etag'), `"${created.body.version}"`);

    const got = await server.api('GET', `/crm/organizations/${created.body.id}`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, created.body);
    assert.equal(got.headers.get('etag'), `"${created.body.version}"`);
  });

  test('people: email lower-cased, organization must exist in the workspace', async () => {
    const org = (await server.api('POST', '/crm/organizations', { name: 'People Org' })).body;
    const person = await server.api('POST', '/crm/people', { name: 'Ada Lovelace', email: ' Ada@Example.COM ', title: 'CTO', organizationId: org.id, phone: '' });
    assert.equal(person.status, 201);
    assert.equal(person.body.email, 'ada@example.com');
    assert.equal(person.body.phone, null);
    assert.equal(person.body.organizationId, org.id);

    const missing = await server.api('POST', '/crm/people', { name: 'Nobody', organizationId: newId() });
    assertProblem(missing, 422);
    assert.equal(missing.body.errors[0].path, 'organizationId');
    assert.match(missing.body.errors[0].message, /does not exist/);
  });

  test('PATCH changes only the sent fields, bumps the version and honours If-Match', async () => {
    const org = (await server.api('POST', '/crm/organizations', { name: 'Patchable', website: 'patch.example.org' })).body;
    assert.equal(org.domain, 'patch.example.org');

    const stale = `"${org.version}"`;
    const patched = await server.api('PATCH', `/crm/organizations/${org.id}`, { notes: 'hello' }, { headers: { 'if-match': stale } });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.notes, 'hello');
    assert.equal(patched.body.name, 'Patchable');
    assert.equal(patched.body.website, 'patch.example.org');
    assert.ok(patched.body.version > org.version);
    assert.equal(patched.headers.get('etag'), `"${patched.body.version}"`);

    const conflicting = await server.api('PATCH', `/crm/organizations/${org.id}`, { notes: 'lost update' }, { headers: { 'if-match': stale } });
    assertProblem(conflicting, 412);
    assert.equal(conflicting.body.currentVersion, patched.body.version);
    assert.equal((await server.api('GET', `/crm/organizations/${org.id}`)).body.notes, 'hello');

    const weak = await server.api('PATCH', `/crm/organizations/${org.id}`, { website: 'https://new.example.net' }, { headers: { 'if-match': `W/"${patched.body.version}"` } });
    assert.equal(weak.status, 200);
    assert.equal(weak.body.domain, 'new.example.net');

    const garbage = await server.api('PATCH', `/crm/organizations/${org.id}`, { notes: 'x' }, { headers: { 'if-match': 'yesterday' } });
    assertProblem(garbage, 412);

    const star = await server.api('PATCH', `/crm/organizations/${org.id}`, { notes: 'any version' }, { headers: { 'if-match': '*' } });
    assert.equal(star.status, 200);

    const unchanged = await server.api('PATCH', `/crm/organizations/${org.id}`, { notes: 'any version' });
    assert.equal(unchanged.status, 200);
    assert.equal(unchanged.body.version, star.body.version, 'a no-op patch does not write');

    const cleared = await server.api('PATCH', `/crm/organizations/${org.id}`, { notes: '' });
    assert.equal(cleared.body.notes, null);
  });

  test('archive and restore; archived records leave the default list but stay readable', async () => {
    const org = (await server.api('POST', '/crm/organizations', { name: 'Archivable Ltd' })).body;
    const archived = await server.api('POST', `/crm/organizations/${org.id}/archive`);
    assert.equal(archived.status, 200);
    assert.ok(archived.body.archivedAt);

    const again = await server.api('POST', `/crm/organizations/${org.id}/archive`);
    assert.equal(again.status, 200);
    assert.equal(again.body.version, archived.body.version, 'archiving twice is a no-op');

    const listed = (await server.api('GET', '/crm/organizations?limit=500&q=Archivable')).body.data;
    assert.equal(listed.length, 0);
    const archivedList = (await server.api('GET', '/crm/organizations?archived=true&q=Archivable')).body.data;
    assert.deepEqual(
      archivedList.map((o: { id: string }) => o.id),
      [org.id],
    );
    const all = (await server.api('GET', '/crm/organizations?archived=all&q=Archivable')).body.data;
    assert.equal(all.length, 1);
    assert.equal((await server.api('GET', `/crm/organizations/${org.id}`)).status, 200);

    const restored = await server.api('POST', `/crm/organizations/${org.id}/restore`);
    assert.equal(restored.status, 200);
    assert.equal(restored.body.archivedAt, null);
    assert.equal((await server.api('GET', '/crm/organizations?q=Archivable')).body.data.length, 1);
  });

  test('delete leaves a tombstone: 204, then 404 everywhere, and the audit log keeps the before snapshot', async () => {
    const org = (await server.api('POST', '/crm/organizations', { name: 'Doomed Inc' })).body;
    const removed = await server.api('DELETE', `/crm/organizations/${org.id}`);
    assert.equal(removed.status, 204);
    assert.equal(removed.body, null);
    assertProblem(await server.api('GET', `/crm/organizations/${org.id}`), 404);
    assertProblem(await server.api('PATCH', `/crm/organizations/${org.id}`, { name: 'Zombie' }), 404);
    assertProblem(await server.api('DELETE', `/crm/organizations/${org.id}`), 404);
    assert.equal((await server.api('GET', '/crm/organizations?archived=all&q=Doomed')).body.data.length, 0);

    const row = (await sql<{ deleted: number; version: number }>`select deleted, version from organizations where id = ${org.id}`.execute(server.services.store.db)).rows[0];
    assert.equal(row.deleted, 1, 'the row stays as a tombstone for replication');
    assert.ok(row.version > org.version);

    const audit = (await server.api('GET', `/crm/audit?entityType=organization&entityId=${org.id}`)).body.data;
    assert.deepEqual(
      audit.map((a: { action: string }) => a.action),
      ['delete', 'create'],
    );
    assert.equal(audit[0].before.name, 'Doomed Inc');
    assert.equal(audit[0].after, null);
  });

  test('unknown ids are 404 problems naming the entity', async () => {
    const id = newId();
    for (const path of ['organizations', 'people', 'deals', 'pipelines']) {
      const res = await server.api('GET', `/crm/${path}/${id}`);
      assertProblem(res, 404);
      assert.match(res.body.detail, new RegExp(id));
    }
    assertProblem(await server.api('PATCH', `/crm/activities/${id}`, { subject: 'x' }), 404);
    assertProblem(await server.api('GET', `/crm/stages/${id}`), 404);
  });

  test('activities: need a subject record, follow-ups are completed with PATCH completed:true', async () => {
    const person = (await server.api('POST', '/crm/people', { name: 'Grace Hopper' })).body;
    const orphan = await server.api('POST', '/crm/activities', { type: 'note', body: 'floating' });
    assertProblem(orphan, 422);
    assert.match(orphan.body.detail, /at least one of organizationId, personId or dealId/);

    const due = '2030-01-01T09:00:00+02:00';
    const followUp = await server.api('POST', '/crm/activities', { type: 'follow_up', subject: '  Call back ', personId: person.id, dueAt: due });
    assert.equal(followUp.status, 201);
    assert.equal(followUp.body.subject, 'Call back');
    assert.equal(followUp.body.dueAt, '2030-01-01T07:00:00.000Z');
    assert.equal(followUp.body.completedAt, null);
    assert.ok(followUp.body.occurredAt);
    assert.ok(followUp.body.actorId, 'the acting user is recorded');

    const done = await server.api('PATCH', `/crm/activities/${followUp.body.id}`, { completed: true });
    assert.equal(done.status, 200);
    assert.ok(done.body.completedAt);
    const reopened = await server.api('PATCH', `/crm/activities/${followUp.body.id}`, { completed: false });
    assert.equal(reopened.body.completedAt, null);

    const typeChange = await server.api('PATCH', `/crm/activities/${followUp.body.id}`, { type: 'note' });
    assertProblem(typeChange, 422);
    assert.equal(typeChange.body.errors[0].path, 'type');

    const listed = (await server.api('GET', `/crm/activities?personId=${person.id}&type=follow_up`)).body.data;
    assert.deepEqual(
      listed.map((a: { id: string }) => a.id),
      [followUp.body.id],
    );
    assert.equal((await server.api('GET', `/crm/activities?personId=${person.id}&type=call`)).body.data.length, 0);
  });

  test('pipelines: create with initial stages, exactly one default', async () => {
    const created = await server.api('POST', '/crm/pipelines', { name: 'Partnerships', stages: [{ name: 'Intro', probability: 0.2 }, { name: 'Signed' }] });
    assert.equal(created.status, 201);
    assert.equal(created.body.isDefault, false);
    const stages = (await server.api('GET', `/crm/pipelines/${created.body.id}/stages`)).body.data;
    assert.deepEqual(
      stages.map((s: { name: string; position: number }) => [s.name, s.position]),
      [
        ['Intro', 0],
        ['Signed', 1],
      ],
    );

    const madeDefault = await server.api('PATCH', `/crm/pipelines/${created.body.id}`, { isDefault: true });
    assert.equal(madeDefault.body.isDefault, true);
    const all = (await server.api('GET', '/crm/pipelines')).body.data;
    assert.deepEqual(
      all.filter((p: { isDefault: boolean }) => p.isDefault).map((p: { id: string }) => p.id),
      [created.body.id],
    );

    const undefault = await server.api('PATCH', `/crm/pipelines/${created.body.id}`, { isDefault: false });
    assertProblem(undefault, 422);
    assert.equal(undefault.body.errors[0].path, 'isDefault');
    const archiveDefault = await server.api('POST', `/crm/pipelines/${created.body.id}/archive`);
    assertProblem(archiveDefault, 422);

    // put the original back as default for the other tests
    assert.equal((await server.api('PATCH', `/crm/pipelines/${pipelineId}`, { isDefault: true })).status, 200);
    assert.equal((await server.api('GET', `/crm/pipelines/${created.body.id}`)).body.isDefault, false);
    assertProblem(await server.api('DELETE', `/crm/pipelines/${pipelineId}`), 409);
    assert.equal((await server.api('DELETE', `/crm/pipelines/${created.body.id}`)).status, 204);
    assertProblem(await server.api('GET', `/crm/stages/${stages[0].id}`), 404);
  });
});

describe('idempotent create with a client id', () => {
  test('repeating the same create returns the record with 200 and writes nothing; different content is 409', async () => {
    const id = newId();
    const body = { id, title: 'Retry-safe deal', amount: 1200.5, currency: 'eur', labels: ['retry'] };
    const first = await server.api('POST', '/crm/deals', body);
    assert.equal(first.status, 201);
    assert.equal(first.body.id, id);
    assert.equal(first.body.currency, 'EUR');

    const second = await server.api('POST', '/crm/deals', body);
    assert.equal(second.status, 200);
    assert.deepEqual(second.body, first.body);

    const audit = (await server.api('GET', `/crm/audit?entityId=${id}`)).body.data;
    assert.equal(audit.length, 1, 'the retry wrote no second audit entry');
    const count = (await sql<{ n: number }>`select count(*) as n from deals where id = ${id}`.execute(server.services.store.db)).rows[0];
    assert.equal(count.n, 1);

    const different = await server.api('POST', '/crm/deals', { ...body, amount: 99 });
    assertProblem(different, 409);
    assert.equal(different.body.id, id);
    assert.equal((await server.api('GET', `/crm/deals/${id}`)).body.amount, 1200.5);

    const otherCollection = await server.api('POST', '/crm/organizations', { id, name: 'Same id, other table' });
    assert.equal(otherCollection.status, 201, 'ids are per collection');
  });

  test('concurrent retries of the same create: exactly one record, every answer the same record', async () => {
    const id = newId();
    const body = { id, name: 'Raced Org', labels: ['race'] };
    const answers = await Promise.all(Array.from({ length: 6 }, () => server.api('POST', '/crm/organizations', body)));
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 200, 200, 200, 201]);
    assert.ok(answers.every((a) => a.body.id === id && a.body.version === answers[0].body.version));
    const audit = (await server.api('GET', `/crm/audit?entityId=${id}`)).body.data;
    assert.equal(audit.length, 1);
  });

  test('a client id must be a UUID', async () => {
    const res = await server.api('POST', '/crm/organizations', { id: 'not-a-uuid', name: 'x' });
    assertProblem(res, 422);
    assert.deepEqual(res.body.errors, [{ path: 'id', message: 'must be a UUID' }]);
  });

  test('a deleted id cannot be re-created silently', async () => {
    const id = newId();
    assert.equal((await server.api('POST', '/crm/organizations', { id, name: 'Gone' })).status, 201);
    assert.equal((await server.api('DELETE', `/crm/organizations/${id}`)).status, 204);
    assertProblem(await server.api('POST', '/crm/organizations', { id, name: 'Gone' }), 409);
  });
});

describe('errors are problem+json naming the field', () => {
  test('validation lists every bad field with a dotted path', async () => {
    const res = await server.api('POST', '/crm/deals', { title: '   ', amount: -5, currency: 'EURO', probability: 2, expectedCloseDate: '2026-02-30', labels: ['ok', ''] });
    assertProblem(res, 422);
    const byPath = Object.fromEntries(res.body.errors.map((e: { path: string; message: string }) => [e.path, e.message]));
    assert.equal(byPath.title, 'must not be empty');
    assert.equal(byPath.amount, 'must be 0 or more');
    assert.match(byPath.currency, /ISO 4217/);
    assert.match(byPath.probability, /between 0 and 1/);
    assert.match(byPath.expectedCloseDate, /YYYY-MM-DD/);
    assert.equal(byPath['labels.1'], 'must not be empty');
  });

  test('missing required field, wrong type, bad enum, too many decimals', async () => {
    const missing = await server.api('POST', '/crm/organizations', {});
    assertProblem(missing, 422);
    assert.deepEqual(missing.body.errors, [{ path: 'name', message: 'is required' }]);

    const wrongType = await server.api('POST', '/crm/organizations', { name: 42 });
    assert.deepEqual(wrongType.body.errors, [{ path: 'name', message: 'must be a string' }]);
    const wrongEmail = await server.api('POST', '/crm/people', { name: 'x', email: 42 });
    assert.deepEqual(wrongEmail.body.errors, [{ path: 'email', message: 'must be a string' }]);
    const badEmail = await server.api('POST', '/crm/people', { name: 'x', email: 'not-an-address' });
    assert.deepEqual(badEmail.body.errors, [{ path: 'email', message: 'must be an email address' }]);

    const badEnum = await server.api('POST', '/crm/deals', { title: 'x', valuePeriod: 'weekly' });
    assert.equal(badEnum.body.errors[0].path, 'valuePeriod');
    assert.match(badEnum.body.errors[0].message, /one_time/);

    const decimals = await server.api('POST', '/crm/deals', { title: 'x', amount: 1.23456 });
    assert.deepEqual(decimals.body.errors, [{ path: 'amount', message: 'must have at most 4 decimal places' }]);
  });

  test('unknown fields are rejected, not ignored — in bodies and in queries', async () => {
    const body = await server.api('POST', '/crm/people', { name: 'Eve', nickname: 'e' });
    assertProblem(body, 422);
    assert.equal(body.body.errors[0].path, 'nickname');
    assert.match(body.body.errors[0].message, /unknown field 'nickname'/);

    const serverField = await server.api('POST', '/crm/people', { name: 'Eve', version: 99 });
    assertProblem(serverField, 422);
    assert.equal(serverField.body.errors[0].path, 'version');

    const nested = await server.api('POST', '/crm/pipelines', { name: 'P', stages: [{ name: 'S', colour: 'red' }] });
    assertProblem(nested, 422);
    assert.equal(nested.body.errors[0].path, 'stages.0.colour');

    const patch = await server.api('PATCH', `/crm/pipelines/${pipelineId}`, { name: 'Sales', colour: 'red' });
    assertProblem(patch, 422);

    const query = await server.api('GET', '/crm/organizations?colour=red');
    assertProblem(query, 422);
    assert.equal(query.body.errors[0].path, 'colour');

    const customField = await server.api('POST', '/crm/organizations', { name: 'C', custom: { tier: 'gold' } });
    assertProblem(customField, 422);
    assert.equal(customField.body.errors[0].path, 'custom.tier');
  });

  test('a body over 1 MB is 413; a body that is not JSON is 415; broken JSON is 400', async () => {
    const big = await server.api('POST', '/crm/organizations', { name: 'Big', notes: 'x'.repeat(1_100_000) });
    assertProblem(big, 413);

    const form = await server.api('POST', '/crm/organizations', 'name=Acme', { headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assertProblem(form, 415);
    assert.match(form.body.detail, /application\/json/);
    const text = await server.api('PATCH', `/crm/pipelines/${pipelineId}`, '{"name":"x"}', { headers: { 'content-type': 'text/plain' } });
    assertProblem(text, 415);
    assert.equal((await server.api('GET', `/crm/pipelines/${pipelineId}`)).body.name, 'Sales');

    const broken = await server.api('POST', '/crm/organizations', '{"name": ', { headers: { 'content-type': 'application/json' } });
    assertProblem(broken, 400);
    assert.match(broken.body.detail, /not valid JSON/);

    const charset = await server.api('POST', '/crm/organizations', JSON.stringify({ name: 'x' }), { headers: { 'content-type': 'application/json; charset=latin1' } });
    assertProblem(charset, 415);
    assert.equal(charset.body.title, 'Unsupported media type');

    const notAnObject = await server.api('POST', '/crm/organizations', []);
    assertProblem(notAnObject, 422);
    assert.deepEqual(notAnObject.body.errors, [{ path: '', message: 'must be an object' }]);

    const vendorJson = await server.api('POST', '/crm/organizations', { name: 'Vendor JSON' }, { headers: { 'content-type': 'application/vnd.api+json' } });
    assert.equal(vendorJson.status, 201);
  });

  test('list parameter errors name the parameter', async () => {
    const limit = await server.api('GET', '/crm/organizations?limit=501');
    assertProblem(limit, 422);
    assert.deepEqual(limit.body.errors, [{ path: 'limit', message: 'must be between 1 and 500' }]);
    const sort = await server.api('GET', '/crm/organizations?sort=colour');
    assert.equal(sort.body.errors[0].path, 'sort');
    assert.match(sort.body.errors[0].message, /name/);
    const cursor = await server.api('GET', '/crm/organizations?cursor=garbage');
    assert.equal(cursor.body.errors[0].path, 'cursor');
    const filter = await server.api('GET', `/crm/organizations?stageId=${stageIds[0]}`);
    assert.equal(filter.body.errors[0].path, 'stageId');
    const since = await server.api('GET', '/crm/deals?updatedSince=yesterday');
    assert.equal(since.body.errors[0].path, 'updatedSince');
  });

  test('unknown routes are problem+json 404s', async () => {
    assertProblem(await server.api('GET', '/crm/widgets'), 404);
    assertProblem(await server.api('PUT', '/crm/widgets'), 404);
  });
});

describe('lists: filters, sort, q and cursor pagination', () => {
  async function pageThrough(path: string, limit: number, between?: (page: number) => Promise<void>): Promise<string[]> {
    const seen: string[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const res = await server.api('GET', `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.ok(res.body.data.length <= limit);
      seen.push(...res.body.data.map((r: { name: string }) => r.name));
      cursor = res.body.nextCursor;
      page += 1;
      if (cursor && between) await between(page);
    } while (cursor);
    return seen;
  }

  test('default sort (-createdAt, id) neither skips nor repeats while records are inserted between pages', async () => {
    const label = 'page-default';
    const names: string[] = [];
    for (let i = 0; i < 23; i++) {
      names.push(`pd-${String(i).padStart(2, '0')}`);
      await server.api('POST', '/crm/organizations', { name: names[i], labels: [label] });
    }
    let inserted = 0;
    const seen = await pageThrough(`/crm/organizations?label=${label}`, 5, async () => {
      for (let j = 0; j < 3; j++) await server.api('POST', '/crm/organizations', { name: `pd-new-${inserted++}`, labels: [label] });
    });
    assert.equal(new Set(seen).size, seen.length, 'no record repeated');
    assert.deepEqual(
      seen.filter((n) => !n.startsWith('pd-new')),
      [...names].reverse(),
      'every original record, newest first, none skipped',
    );
    assert.ok(inserted >= 12);
  });

  test('sort=name stays stable with inserts before and after the cursor, and with equal names', async () => {
    const label = 'page-name';
    const names: string[] = [];
    for (let i = 0; i < 20; i++) {
      // pairs of equal names: the id breaks ties
      const name = `m-${String.fromCharCode(98 + Math.floor(i / 2))}`;
      names.push(name);
      await server.api('POST', '/crm/organizations', { name, labels: [label] });
    }
    let n = 0;
    const seen: string[] = [];
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await server.api('GET', `/crm/organizations?label=${label}&sort=name&limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      for (const r of res.body.data) {
        seen.push(r.name);
        ids.push(r.id);
      }
      cursor = res.body.nextCursor;
      // one before everything (m-a…), one in the middle (equal to a seen name), one at the end
      await server.api('POST', '/crm/organizations', { name: `m-a${n}`, labels: [label] });
      await server.api('POST', '/crm/organizations', { name: seen[seen.length - 1] ?? 'm-b', labels: [label] });
      await server.api('POST', '/crm/organizations', { name: `m-z${n++}`, labels: [label] });
    } while (cursor);
    assert.equal(new Set(ids).size, ids.length, 'no record repeated');
    const sorted = [...seen].sort();
    assert.deepEqual(seen, sorted, 'pages are in name order');
    for (const name of new Set(names)) {
      assert.ok(seen.filter((s) => s === name).length >= 2, `both originals named ${name} were listed`);
    }
    assert.ok(seen.includes('m-z0'), 'records inserted after the cursor show up on later pages');
    assert.ok(!seen.includes('m-a0'), 'records inserted before the cursor do not reappear');

    const total = (await server.api('GET', `/crm/organizations?label=${label}&limit=500`)).body.data.length;
    const desc = await pageThrough(`/crm/organizations?label=${label}&sort=-name`, 7);
    assert.deepEqual(desc, [...desc].sort().reverse());
    assert.equal(desc.length, total);
  });

  test('archiving and deleting records between pages never makes the list skip or repeat the others', async () => {
    const label = 'page-churn';
    const made: { id: string; name: string }[] = [];
    for (let i = 0; i < 24; i++) made.push((await server.api('POST', '/crm/organizations', { name: `churn-${String(i).padStart(2, '0')}`, labels: [label] })).body);
    const removed = new Set<string>();
    const seen: string[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      const res: any = await server.api('GET', `/crm/organizations?label=${label}&sort=name&limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...res.body.data.map((o: { id: string }) => o.id));
      cursor = res.body.nextCursor;
      // remove one record already seen and one not yet seen (archive on odd pages, delete on even)
      const behind = made.find((m) => seen.includes(m.id) && !removed.has(m.id));
      const ahead = made.find((m) => !seen.includes(m.id) && !removed.has(m.id));
      for (const victim of [behind, ahead]) {
        if (!victim) continue;
        removed.add(victim.id);
        const res2 = page % 2 ? await server.api('POST', `/crm/organizations/${victim.id}/archive`) : await server.api('DELETE', `/crm/organizations/${victim.id}`);
        assert.ok(res2.status === 200 || res2.status === 204);
      }
      page += 1;
    } while (cursor);
    assert.equal(new Set(seen).size, seen.length, 'no record repeated');
    for (const m of made) {
      if (!removed.has(m.id)) assert.ok(seen.includes(m.id), `${m.name} was listed`);
    }
  });

  test('nullable sort fields page through nulls without loss (deals by -amount)', async () => {
    const label = 'page-amount';
    const amounts = [5, null, 0.5, 100, null, 5, 2.25, null, 7];
    const ids = new Set<string>();
    for (const [i, amount] of amounts.entries()) ids.add((await server.api('POST', '/crm/deals', { title: `amt-${i}`, amount, labels: [label] })).body.id);
    const seen: (number | null)[] = [];
    const seenIds: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await server.api('GET', `/crm/deals?label=${label}&sort=-amount&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      for (const d of res.body.data) {
        seen.push(d.amount);
        seenIds.push(d.id);
      }
      cursor = res.body.nextCursor;
    } while (cursor);
    assert.deepEqual(new Set(seenIds), ids);
    assert.equal(seenIds.length, ids.size);
    assert.deepEqual(seen, [100, 7, 5, 5, 2.25, 0.5, null, null, null], 'nulls last');
  });

  test('filters, q, label and updatedSince', async () => {
    const org = (await server.api('POST', '/crm/organizations', { name: 'Filter Org' })).body;
    const p1 = (await server.api('POST', '/crm/people', { name: 'Zelda Filterton', email: 'zelda@filter.test', organizationId: org.id, labels: ['hero'] })).body;
    await server.api('POST', '/crm/people', { name: 'Link Filterton', title: 'Hero of Time' });
    const byOrg = (await server.api('GET', `/crm/people?organizationId=${org.id}`)).body.data;
    assert.deepEqual(
      byOrg.map((p: { id: string }) => p.id),
      [p1.id],
    );
    const byQ = (await server.api('GET', '/crm/people?q=filterton&sort=name')).body.data;
    assert.deepEqual(
      byQ.map((p: { name: string }) => p.name),
      ['Link Filterton', 'Zelda Filterton'],
    );
    const byEmail = (await server.api('GET', '/crm/people?q=ZELDA@FILTER')).body.data;
    assert.equal(byEmail.length, 1);
    const byTitle = (await server.api('GET', '/crm/people?q=hero%20of')).body.data;
    assert.equal(byTitle[0].name, 'Link Filterton');
    const likeChars = (await server.api('GET', '/crm/people?q=%25')).body.data;
    assert.equal(likeChars.length, 0, '% is matched literally');
    const byLabel = (await server.api('GET', '/crm/people?label=hero')).body.data;
    assert.deepEqual(
      byLabel.map((p: { id: string }) => p.id),
      [p1.id],
    );

    const before = new Date(Date.now() - 1).toISOString();
    await new Promise((r) => setTimeout(r, 5));
    const mark = new Date().toISOString();
    await server.api('PATCH', `/crm/people/${p1.id}`, { title: 'Princess' });
    const since = (await server.api('GET', `/crm/people?updatedSince=${encodeURIComponent(mark)}`)).body.data;
    assert.deepEqual(
      since.map((p: { id: string }) => p.id),
      [p1.id],
    );
    assert.ok((await server.api('GET', `/crm/people?updatedSince=${encodeURIComponent(before)}`)).body.data.length >= 1);

    const won = (await server.api('POST', '/crm/deals', { title: 'Filter won', status: 'won', stageId: stageIds[2] })).body;
    const wonList = (await server.api('GET', `/crm/deals?status=won&stageId=${stageIds[2]}`)).body.data;
    assert.deepEqual(
      wonList.map((d: { id: string }) => d.id),
      [won.id],
    );
    const byPipeline = (await server.api('GET', `/crm/deals?pipelineId=${pipelineId}&limit=500`)).body.data;
    assert.ok(byPipeline.some((d: { id: string }) => d.id === won.id));
  });
});

describe('read consistency', () => {
  test('reads never see a write that is not committed (and is then rolled back)', async () => {
    const { records, accounts } = server.services;
    const ctx = await accounts.ownerContext('default', 'rest');
    const id = newId();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let written!: () => void;
    const wasWritten = new Promise<void>((r) => (written = r));
    const transaction = records.transaction(ctx, async (s) => {
      await records.create(ctx, 'organizations', { id, name: 'Never committed' }, s);
      written();
      await gate;
      throw new Error('rolled back on purpose');
    });
    await wasWritten;
    // while the transaction is open, a GET by id (domain and HTTP) must not see its insert
    const direct = records.get(ctx, 'organizations', id).then(
      () => 'found',
      (error: { code?: string }) => error.code,
    );
    const overHttp = server.api('GET', `/crm/organizations/${id}`);
    await new Promise((r) => setTimeout(r, 50));
    release();
    await assert.rejects(transaction, /rolled back on purpose/);
    assert.equal(await direct, 'not_found');
    assert.equal((await overHttp).status, 404);
  });
});
