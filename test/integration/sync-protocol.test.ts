/**
 * The /sync HTTP contract (SPEC §5) spoken directly, plus the per-field merge.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { createParser } from 'eventsource-parser';
import { mergeFields } from '../../shared/merge.js';
import { newId } from '../../shared/ids.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('per-field three-way merge', () => {
  const fields = ['title', 'amount', 'labels', 'notes'];
  const base = { title: 'T', amount: 1, labels: ['a'], notes: null };

  test('a field changed only by the client is applied; only on the server is kept', () => {
    const r = mergeFields(fields, base, { ...base, title: 'client' }, { ...base, amount: 2 });
    assert.deepEqual(r, { patch: { title: 'client' }, conflicts: [] });
  });
  test('the same field changed on both sides to different values is a conflict the server wins', () => {
    const r = mergeFields(fields, base, { ...base, labels: ['a', 'b'], notes: 'mine' }, { ...base, labels: ['c'], notes: null });
    assert.deepEqual(r.patch, { notes: 'mine' });
    assert.deepEqual(r.conflicts, [{ field: 'labels', local: ['a', 'b'], server: ['c'], base: ['a'] }]);
  });
  test('both sides making the same change is no conflict and nothing to write', () => {
    assert.deepEqual(mergeFields(fields, base, { ...base, amount: 5 }, { ...base, amount: 5 }), { patch: {}, conflicts: [] });
  });
  test('without a base every disagreement is a conflict (a retried create that someone edited since)', () => {
    const r = mergeFields(fields, null, { ...base, title: 'old' }, { ...base, title: 'new' });
    assert.deepEqual(r, { patch: {}, conflicts: [{ field: 'title', local: 'old', server: 'new', base: undefined }] });
  });
  test('fields the client did not send are left alone; null equals absent', () => {
    assert.deepEqual(mergeFields(fields, base, { title: 'T' }, { ...base, notes: undefined }), { patch: {}, conflicts: [] });
  });
});

describe('/sync over HTTP', () => {
  let server: TestServer;
  const push = (collection: string, rows: unknown, key?: string) => server.api('POST', `/sync/${collection}/push`, rows, key ? { key } : {});

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  test('pull: documents in sequence order from a checkpoint, tombstones included, in limited pages', async () => {
    const first = await server.api('GET', '/sync/organizations/pull?checkpoint=0');
    assert.equal(first.status, 200);
    const cp = first.body.checkpoint.sequence;
    const a = (await server.api('POST', '/crm/organizations', { name: 'A' })).body;
    const b = (await server.api('POST', '/crm/organizations', { name: 'B' })).body;
    await server.api('DELETE', `/crm/organizations/${a.id}`);
    const page1 = await server.api('GET', `/sync/organizations/pull?checkpoint=${cp}&limit=1`);
    assert.deepEqual(
      page1.body.documents.map((d: any) => [d.name, d._deleted]),
      [['B', false]],
    );
    const page2 = await server.api('GET', `/sync/organizations/pull?checkpoint=${page1.body.checkpoint.sequence}&limit=10`);
    assert.deepEqual(
      page2.body.documents.map((d: any) => [d.id, d._deleted]),
      [[a.id, true]],
    );
    assert.ok(page2.body.checkpoint.sequence > page1.body.checkpoint.sequence);
    const empty = await server.api('GET', `/sync/organizations/pull?checkpoint=${page2.body.checkpoint.sequence}`);
    assert.deepEqual(empty.body, { documents: [], checkpoint: page2.body.checkpoint });
    assert.equal(b.version, page1.body.checkpoint.sequence);
  });

  test('pull: bad input and missing keys are refused precisely', async () => {
    assert.equal((await server.api('GET', '/sync/organizations/pull?checkpoint=abc')).status, 422);
    assert.equal((await server.api('GET', '/sync/organizations/pull?limit=999999')).status, 422);
    const unknown = await server.api('GET', '/sync/widgets/pull');
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.detail, /unknown collection 'widgets'/);
    const anon = await server.api('GET', '/sync/organizations/pull', undefined, { key: null });
    assert.equal(anon.status, 401);
    assert.match(anon.headers.get('www-authenticate') ?? '', /Bearer/);
  });

  test('push: creates take server-managed fields from the server; a retried batch changes nothing twice', async () => {
    const id = newId();
    const doc = {
      id,
      name: '  Pushed Org ',
      website: 'https://www.pushed.example',
      notes: null,
      labels: [],
      ownerId: null,
      domain: 'bogus',
      custom: {},
      archivedAt: null,
      workspaceId: 'someone-else',
      createdAt: '2000-01-01T00:00:00.000Z',
      updatedAt: '2000-01-01T00:00:00.000Z',
      version: 999999,
      _deleted: false,
    };
    const rows = [{ assumedMasterState: null, newDocumentState: doc }];
    const res = await push('organizations', rows);
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 1, 'the stored document differs from the pushed one, so it comes back');
    const stored = res.body[0];
    assert.equal(stored.name, 'Pushed Org');
    assert.equal(stored.domain, 'pushed.example');
    assert.notEqual(stored.workspaceId, 'someone-else');
    assert.notEqual(stored.version, 999999);
    assert.notEqual(stored.createdAt, '2000-01-01T00:00:00.000Z');
    const auditBefore = (await server.api('GET', `/crm/audit?entityId=${id}`)).body.data.length;
    const again = await push('organizations', rows);
    assert.equal(again.status, 200);
    assert.equal((await server.api('GET', `/crm/organizations/${id}`)).body.version, stored.version, 'no second write');
    assert.equal((await server.api('GET', `/crm/audit?entityId=${id}`)).body.data.length, auditBefore, 'no second audit entry');
    // pushing exactly the server's document is a no-op with no answer
    assert.deepEqual((await push('organizations', [{ assumedMasterState: stored, newDocumentState: stored }])).body, []);
  });

  test('push: refusals are not stored, come back as the server state or a tombstone, and are listed', async () => {
    const missingOrg = newId();
    const personId = newId();
    const res = await push('people', [
      {
        assumedMasterState: null,
        newDocumentState: {
          id: personId,
          name: 'Dangling',
          email: null,
          phone: null,
          title: null,
          organizationId: missingOrg,
          notes: null,
          labels: [],
          ownerId: null,
          custom: {},
          archivedAt: null,
          _deleted: false,
        },
      },
    ]);
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.map((d: any) => [d.id, d._deleted]),
      [[personId, true]],
    );
    assert.equal((await server.api('GET', `/crm/people/${personId}`)).status, 404);

    const change = (await server.api('GET', '/sync/stageChanges/pull')).body.documents[0];
    const sc = await push('stageChanges', [{ assumedMasterState: change ?? null, newDocumentState: { ...(change ?? { id: newId() }), amount: 5, _deleted: false } }]);
    assert.equal(sc.status, 200);
    assert.equal(sc.body.length, 1);

    const { accounts } = server.services;
    const member = await accounts.createUser({ email: 'member@kith.example', name: 'Mo Member' });
    await accounts.setMembership((await accounts.findWorkspace('default'))!.id, member.id, 'MEMBER');
    const { key } = await accounts.createApiKey({ userId: member.id });
    const org = (await server.api('POST', '/crm/organizations', { name: 'Keep me' })).body;
    const del = await push('organizations', [{ assumedMasterState: { ...org, _deleted: false }, newDocumentState: { ...org, _deleted: true } }], key);
    assert.deepEqual(
      del.body.map((d: any) => [d.id, d._deleted, d.name]),
      [[org.id, false, 'Keep me']],
      'a member cannot delete: the record comes back',
    );
    assert.equal((await server.api('GET', `/crm/organizations/${org.id}`)).status, 200);

    const listed = (await server.api('GET', '/sync/rejections')).body.data;
    const reasons = new Map(listed.map((r: any) => [r.documentId, r]));
    assert.match((reasons.get(personId) as any).reason, /organization .* does not exist/);
    assert.equal((reasons.get(personId) as any).collection, 'people');
    assert.match((reasons.get(org.id) as any).reason, /MEMBER cannot delete/);
    assert.equal((reasons.get(org.id) as any).attempted._deleted, true);
    const viaRest = (await server.api('GET', '/crm/audit?action=rejected')).body.data;
    assert.equal(viaRest.length, listed.length);
  });

  test('push without an assumed master state: merged against the state at the version the document carries', async () => {
    const org = (await server.api('POST', '/crm/organizations', { name: 'Versioned', notes: 'first' })).body;
    const seen = { ...org, _deleted: false };
    // the server changes another field many times after this client saw the record
    for (let i = 0; i < 230; i++) assert.equal((await server.api('PATCH', `/crm/organizations/${org.id}`, { notes: `server note ${i}` })).status, 200);
    const res = await push('organizations', [{ assumedMasterState: null, newDocumentState: { ...seen, name: 'Renamed offline' } }]);
    assert.equal(res.status, 200);
    const stored = (await server.api('GET', `/crm/organizations/${org.id}`)).body;
    assert.equal(stored.name, 'Renamed offline', "the client's field");
    assert.equal(stored.notes, 'server note 229', "the server's field, not reverted to what the client saw");
    assert.deepEqual(
      res.body.map((d: any) => [d.name, d.notes]),
      [['Renamed offline', 'server note 229']],
      'the client gets the merged record',
    );
    const conflicts = (await server.api('GET', `/crm/audit?entityType=organization&entityId=${org.id}&action=conflict`)).body.data;
    assert.deepEqual(conflicts, []);

    // the same field changed on both sides: the server's value stands, the client's is audited
    const again = await push('organizations', [{ assumedMasterState: null, newDocumentState: { ...seen, notes: 'client note' } }]);
    assert.equal(again.body[0].notes, 'server note 229');
    const lost = (await server.api('GET', `/crm/audit?entityType=organization&entityId=${org.id}&action=conflict`)).body.data;
    assert.deepEqual(lost[0].detail.fields.notes, { lost: 'client note', kept: 'server note 229', base: 'first' });
  });

  test("push: a client's own earlier write whose answer it never got is not a conflict with its newer edit; another client's is", async () => {
    const org = (await server.api('POST', '/crm/organizations', { name: 'Mine v0' })).body;
    const seen = { ...org, _deleted: false };
    const device = { 'x-kith-client': 'device-a-0123456789' };
    const pushAs = (headers: Record<string, string>, rows: unknown) => server.api('POST', '/sync/organizations/push', rows, { headers });
    // the client renames it; the server commits, but the answer never arrives (cut connection)
    assert.equal((await pushAs(device, [{ assumedMasterState: seen, newDocumentState: { ...seen, name: 'Mine v1' } }])).status, 200);
    // the user renames it again; the client still assumes the state it last knew
    const res = await pushAs(device, [{ assumedMasterState: seen, newDocumentState: { ...seen, name: 'Mine v2' } }]);
    assert.equal(res.status, 200);
    assert.equal((await server.api('GET', `/crm/organizations/${org.id}`)).body.name, 'Mine v2', "the client's newest edit stands");
    assert.deepEqual((await server.api('GET', `/crm/audit?entityType=organization&entityId=${org.id}&action=conflict`)).body.data, []);
    const updates = (await server.api('GET', `/crm/audit?entityType=organization&entityId=${org.id}&action=update`)).body.data;
    assert.deepEqual(
      updates.map((e: any) => e.detail?.client),
      ['device-a-0123456789', 'device-a-0123456789'],
      'sync writes record the client they came from',
    );

    // another device with the same stale state: its edit of the same field is a conflict the server wins
    const other = await pushAs({ 'x-kith-client': 'device-b-0123456789' }, [{ assumedMasterState: seen, newDocumentState: { ...seen, name: 'Theirs' } }]);
    assert.equal(other.body[0].name, 'Mine v2');
    const lost = (await server.api('GET', `/crm/audit?entityType=organization&entityId=${org.id}&action=conflict`)).body.data;
    assert.deepEqual(lost[0].detail.fields.name, { lost: 'Theirs', kept: 'Mine v2', base: 'Mine v0' });
    // archived by the client's own push whose answer it never got, then restored by it: restored
    const archivedOnce = await pushAs(device, [{ assumedMasterState: seen, newDocumentState: { ...seen, name: 'Mine v2', archivedAt: new Date().toISOString() } }]);
    assert.equal(archivedOnce.status, 200);
    assert.notEqual((await server.api('GET', `/crm/organizations/${org.id}`)).body.archivedAt, null);
    await pushAs(device, [{ assumedMasterState: seen, newDocumentState: { ...seen, name: 'Mine v2', archivedAt: null } }]);
    assert.equal((await server.api('GET', `/crm/organizations/${org.id}`)).body.archivedAt, null, "the client's restore stands");

    // the client changes the notes, the answer is lost, then the user sets them back to what they
    // were: the field equals the assumed state here, yet the server's value is this client's older
    // edit, so the set-back stands (found by the fault test, seed 1780516039)
    const current = (await server.api('GET', `/crm/organizations/${org.id}`)).body;
    const base = { ...current, _deleted: false };
    assert.equal((await pushAs(device, [{ assumedMasterState: base, newDocumentState: { ...base, notes: 'changed once' } }])).status, 200);
    await pushAs(device, [{ assumedMasterState: base, newDocumentState: { ...base } }]);
    assert.equal((await server.api('GET', `/crm/organizations/${org.id}`)).body.notes, current.notes, "the client's set-back stands");
    // the same set-back by another device keeps the server's value: that device never changed it
    assert.equal((await pushAs(device, [{ assumedMasterState: base, newDocumentState: { ...base, notes: 'changed by A' } }])).status, 200);
    await pushAs({ 'x-kith-client': 'device-b-0123456789' }, [{ assumedMasterState: base, newDocumentState: { ...base } }]);
    assert.equal((await server.api('GET', `/crm/organizations/${org.id}`)).body.notes, 'changed by A');

    // and without the header (any other client), likewise
    const anonymous = await push('organizations', [{ assumedMasterState: seen, newDocumentState: { ...seen, name: 'Anonymous' } }]);
    assert.equal(anonymous.body[0].name, 'Mine v2');
  });

  test('push: malformed bodies are refused', async () => {
    assert.equal((await push('organizations', { not: 'an array' })).status, 422);
    assert.equal((await server.api('POST', '/sync/organizations/push', 'x', { headers: { 'content-type': 'text/plain' } })).status, 415);
  });

  test('stream: RESYNC on connect, then the changed documents of each write with their checkpoint; ends on shutdown', async () => {
    const local = await startTestServer();
    const controller = new AbortController();
    const events: any[] = [];
    const res = await fetch(`${local.url}/sync/stream`, { headers: { authorization: `Bearer ${local.key}` }, signal: controller.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    assert.match(res.headers.get('cache-control') ?? '', /no-cache/);
    const parser = createParser({ onEvent: (e) => events.push(e.data === 'RESYNC' ? 'RESYNC' : JSON.parse(e.data)) });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return 'ended';
        parser.feed(value);
      }
    })();
    const until = async (pred: () => boolean) => {
      const deadline = Date.now() + 5000;
      while (!pred() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(pred(), `stream events so far: ${JSON.stringify(events).slice(0, 500)}`);
    };
    await until(() => events.length >= 1);
    assert.equal(events[0], 'RESYNC');
    const deal = (await local.api('POST', '/crm/deals', { title: 'Streamed' })).body;
    await until(() => events.some((e) => e.collection === 'deals') && events.some((e) => e.collection === 'stageChanges'));
    const dealEvent = events.find((e) => e.collection === 'deals');
    assert.equal(dealEvent.documents[0].id, deal.id);
    assert.equal(dealEvent.documents[0]._deleted, false);
    assert.equal(dealEvent.checkpoint.sequence, deal.version);
    await local.stop();
    assert.equal(await reading, 'ended', 'the stream ends when the server shuts down');
    controller.abort();
  });
});
