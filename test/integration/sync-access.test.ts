/**
 * Sync integrity (issue 9): the live stream is authorized continuously (a removed member, a
 * revoked or expired key, a changed role — in this process or by another one on the same file —
 * end the stream within a second, with nothing delivered after the change); refused pushes leave
 * a bounded record, capped per push and visible to their author and the owners only; a row too
 * deep or too large is refused alone; a member's deal-contact removal syncs like it does over REST.
 * Real server, real HTTP; the stream is read raw (fetch + our own SSE parsing).
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { newId } from '../../shared/ids.js';
import type { Role } from '../../shared/schemas.js';
import { sql } from 'kysely';
import { openTestStore, startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let workspaceId: string;
let counter = 0;

beforeAll(async () => {
  server = await startTestServer();
  workspaceId = (await server.services.accounts.findWorkspace('default'))!.id;
});
afterAll(async () => {
  await server.stop();
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A new user with `role` in the default workspace, and a key of theirs. */
async function member(role: Role, keyOptions: { readOnly?: boolean; expiresAt?: string } = {}) {
  const { accounts } = server.services;
  const user = await accounts.createUser({ email: `${role.toLowerCase()}-${++counter}@sync-access.test`, name: `${role} ${counter}` });
  await accounts.setMembership(workspaceId, user.id, role);
  const { key, info } = await accounts.createApiKey({ userId: user.id, ...keyOptions });
  return { user, key, info };
}

interface RawStream {
  status: number;
  /** `data:` payloads in arrival order ('RESYNC' or parsed events), with the time they arrived. */
  events: { at: number; data: any }[];
  /** Resolves with the time the server ended the response. */
  ended: Promise<number>;
  endedAt: number | null;
  close(): void;
}

/** GET /sync/stream read by hand: the body split into SSE messages, `data:` lines kept. */
async function openStream(key: string): Promise<RawStream> {
  const controller = new AbortController();
  const res = await fetch(`${server.url}/sync/stream`, { headers: { authorization: `Bearer ${key}` }, signal: controller.signal });
  const stream: RawStream = { status: res.status, events: [], ended: Promise.resolve(0), endedAt: null, close: () => controller.abort() };
  if (res.status !== 200 || !res.body) return stream;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  stream.ended = (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const message = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = message
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trimStart())
            .join('\n');
          if (data) stream.events.push({ at: Date.now(), data: data === 'RESYNC' ? data : JSON.parse(data) });
        }
      }
    } catch {
      // aborted by close()
    }
    stream.endedAt = Date.now();
    return stream.endedAt;
  })();
  return stream;
}

async function until(what: string, pred: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred() && Date.now() < deadline) await sleep(10);
  assert.ok(pred(), `timed out waiting for ${what}`);
}

const orgNames = (s: RawStream) => s.events.filter((e) => e.data !== 'RESYNC' && e.data.collection === 'organizations').flatMap((e) => e.data.documents.map((d: any) => d.name));

/**
 * Opens a stream for `key`, proves it delivers, applies `change`, then has the owner write for a
 * second. Nothing written after the change may arrive, and the stream must end within a second.
 * `quiet`: no writes during that second (the stream must end on its own: notice, timer, expiry),
 * then one write that must not arrive.
 */
async function assertCutOff(key: string, change: () => Promise<void>, label: string, { quiet = false } = {}): Promise<void> {
  const stream = await openStream(key);
  try {
    assert.equal(stream.status, 200);
    await until('RESYNC', () => stream.events.length >= 1);
    assert.equal(stream.events[0].data, 'RESYNC');
    const beforeName = `${label} before ${newId()}`;
    assert.equal((await server.api('POST', '/crm/organizations', { name: beforeName })).status, 201);
    await until('the write before the change', () => orgNames(stream).includes(beforeName));

    await change();
    const changedAt = Date.now();
    const afterNames: string[] = [];
    if (quiet) await Promise.race([stream.ended, sleep(1000)]);
    // the owner keeps writing for a second after the change (once, after it, when quiet)
    while (Date.now() - changedAt < 1000 || afterNames.length === 0) {
      const name = `${label} after ${newId()}`;
      afterNames.push(name);
      assert.equal((await server.api('POST', '/crm/organizations', { name })).status, 201);
      await sleep(50);
    }
    await Promise.race([stream.ended, sleep(200)]);
    const leaked = orgNames(stream).filter((n) => afterNames.includes(n));
    assert.deepEqual(leaked, [], `${label}: writes made after the change reached the stream`);
    assert.ok(stream.endedAt !== null, `${label}: the stream is still open more than a second after the change`);
    assert.ok(stream.endedAt - changedAt <= 1000, `${label}: the stream ended ${stream.endedAt - changedAt} ms after the change`);
    assert.ok(
      stream.events.every((e) => e.at <= stream.endedAt!),
      'nothing after the end',
    );
  } finally {
    stream.close();
  }
}

describe('the stream stops when access ends', () => {
  test('a member removed from the workspace', async () => {
    const { user, key } = await member('MEMBER');
    await assertCutOff(key, () => server.services.accounts.removeMembership(workspaceId, user.id), 'removed');
    assert.equal((await server.api('GET', '/sync/stream', undefined, { key })).status, 403, 'and cannot reconnect');
  });

  test('a revoked key', async () => {
    const { key, info } = await member('MEMBER');
    await assertCutOff(key, async () => void (await server.services.accounts.revokeApiKey(info.id)), 'revoked');
    assert.equal((await server.api('GET', '/sync/stream', undefined, { key })).status, 401);
  });

  test('a revoked key, with nothing written afterwards (the stream ends on its own)', async () => {
    const { key, info } = await member('MEMBER');
    await assertCutOff(key, async () => void (await server.services.accounts.revokeApiKey(info.id)), 'revoked quietly', { quiet: true });
  });

  test('a key revoked by another process on the same database file (no notice in this process)', async () => {
    const { key, info } = await member('MEMBER');
    const { createServices } = await import('../../server/domain/services.js');
    await assertCutOff(
      key,
      async () => {
        const other = await openTestStore(server.dataDir, { create: false });
        try {
          await createServices(other).accounts.revokeApiKey(info.prefix);
        } finally {
          await other.close();
        }
      },
      'revoked elsewhere',
      { quiet: true },
    );
  });

  test('an expired key', async () => {
    const expiresAt = Date.now() + 2500;
    const { key } = await member('MEMBER', { expiresAt: new Date(expiresAt).toISOString() });
    await assertCutOff(key, () => sleep(Math.max(0, expiresAt - Date.now())), 'expired', { quiet: true });
    assert.equal((await server.api('GET', '/sync/stream', undefined, { key })).status, 401);
  });

  test('a changed role (the client reconnects with its new role)', async () => {
    const { user, key } = await member('MEMBER');
    await assertCutOff(key, () => server.services.accounts.setMembership(workspaceId, user.id, 'VIEWER'), 'demoted');
    const again = await openStream(key);
    try {
      assert.equal(again.status, 200, 'a viewer may still read: a new stream opens');
      await until('RESYNC', () => again.events.length >= 1);
      assert.equal((await server.api('GET', '/crm', undefined, { key })).body.role, 'VIEWER');
    } finally {
      again.close();
    }
  });

  test('an unchanged stream keeps delivering through account changes of others', async () => {
    const { key } = await member('MEMBER');
    const stream = await openStream(key);
    try {
      await until('RESYNC', () => stream.events.length >= 1);
      const other = await member('MEMBER');
      await server.services.accounts.revokeApiKey(other.info.id);
      await server.services.accounts.setMembership(workspaceId, other.user.id, 'VIEWER');
      await sleep(600);
      const name = `still here ${newId()}`;
      await server.api('POST', '/crm/organizations', { name });
      await until('the write', () => orgNames(stream).includes(name));
      assert.equal(stream.endedAt, null);
    } finally {
      stream.close();
    }
  });
});

const orgDoc = (name: string, extra: Record<string, unknown> = {}) => ({
  id: newId(),
  name,
  website: null,
  notes: null,
  labels: [],
  ownerId: null,
  custom: {},
  archivedAt: null,
  _deleted: false,
  ...extra,
});

/** The workspace's `rejected` audit rows written with `keyId`, straight from the database. */
async function rejectedRows(keyId: string): Promise<{ count: number; bytes: number; largest: number }> {
  const { rows } = await sql<{ count: number; bytes: number; largest: number }>`
    select count(*) as "count",
           coalesce(sum(length(coalesce("detail", '')) + length(coalesce("before", '')) + length(coalesce("after", '')) + length("entityId")), 0) as "bytes",
           coalesce(max(length(coalesce("detail", ''))), 0) as "largest"
      from "auditEntries" where "action" = 'rejected' and "actorKeyId" = ${keyId}`.execute(server.services.store.db);
  return rows[0];
}

describe('refused pushes are bounded and row-level', () => {
  test("a read-only key's 10 MB push stores a bounded record, capped per push; members see only their own refusals", async () => {
    const readOnly = await member('MEMBER', { readOnly: true });
    const notes = 'n'.repeat(50_000);
    const rows = Array.from({ length: 200 }, (_, i) => ({ assumedMasterState: null, newDocumentState: orgDoc(`Read-only ${i}`, { notes }) }));
    assert.ok(JSON.stringify(rows).length >= 10_000_000, 'a 10 MB push');
    const res = await server.api('POST', '/sync/organizations/push', rows, { key: readOnly.key });
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 200, 'every refused row is answered');
    assert.ok(
      res.body.every((d: any) => d._deleted === true),
      'with a tombstone (the server never had them)',
    );
    assert.equal((await server.api('GET', `/crm/organizations/${rows[0].newDocumentState.id}`)).status, 404);

    const stored = await rejectedRows(readOnly.info.id);
    assert.ok(stored.count >= 2 && stored.count <= 20, `${stored.count} rejected rows (at most 20 per push)`);
    assert.ok(stored.bytes < 100_000, `the rejected rows take ${stored.bytes} bytes, not a copy of the 10 MB body`);
    assert.ok(stored.largest < 4_000, `the largest entry is ${stored.largest} bytes`);

    // the author sees their refusals: excerpts that say they were cut, the refused fields, and one summary
    const mine = (await server.api('GET', '/sync/rejections?limit=500', undefined, { key: readOnly.key })).body.data;
    assert.equal(mine.length, stored.count);
    const single = mine.find((r: any) => r.attempted);
    assert.match(single.reason, /read-only/);
    assert.match(String(single.attempted.notes), /truncated: 50000 characters/);
    assert.ok(JSON.stringify(single.attempted).length <= 2048);
    assert.deepEqual(single.fields, ['name', 'notes'], 'the refused fields: those the create gave');
    const summary = mine.find((r: any) => /more rows of this push were refused/.test(r.reason));
    assert.ok(summary, 'the refusals beyond the cap are summarised in one entry');
    assert.match(summary.reason, new RegExp(`^${200 - 19} more rows`));

    // retrying the same push records nothing new
    await server.api('POST', '/sync/organizations/push', rows, { key: readOnly.key });
    assert.equal((await rejectedRows(readOnly.info.id)).count, stored.count);

    // another member: refused too, sees only their own; the owner sees everyone's
    const other = await member('MEMBER');
    const org = (await server.api('POST', '/crm/organizations', { name: 'Owner only delete' })).body;
    const del = await server.api('POST', '/sync/organizations/push', [{ assumedMasterState: { ...org, _deleted: false }, newDocumentState: { ...org, _deleted: true } }], { key: other.key });
    assert.equal(del.body[0]._deleted, false);
    const theirs = (await server.api('GET', '/sync/rejections', undefined, { key: other.key })).body.data;
    assert.deepEqual(
      theirs.map((r: any) => r.documentId),
      [org.id],
      "a member sees their own refusal, not the read-only key's",
    );
    const viaAudit = (await server.api('GET', '/crm/audit?action=rejected&limit=500', undefined, { key: other.key })).body.data;
    assert.deepEqual(
      viaAudit.map((e: any) => e.entityId),
      [org.id],
      'the audit log follows the same rule',
    );
    const viewer = await member('VIEWER');
    assert.deepEqual((await server.api('GET', '/sync/rejections', undefined, { key: viewer.key })).body.data, []);
    const owners = (await server.api('GET', '/sync/rejections?limit=500')).body.data;
    assert.ok(
      owners.some((r: any) => r.documentId === org.id),
      'the owner sees the member refusal',
    );
    assert.ok(owners.filter((r: any) => mine.some((m: any) => m.id === r.id)).length === mine.length, "and all of the read-only key's");
  });

  test('a row nested 5,000 levels deep or larger than 256 KiB is refused alone; the rest of the batch applies', async () => {
    const owner = await member('OWNER');
    const depth = 5000;
    const good1 = orgDoc('Good before deep');
    const deepId = newId();
    const good2 = orgDoc('Good after deep');
    const hugeId = newId();
    const existing = (await server.api('POST', '/crm/organizations', { name: 'Existing, pushed deep' })).body;
    const deepJson = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    // built as text: JSON.stringify itself cannot serialise 5,000 levels
    const body =
      '[' +
      [
        JSON.stringify({ assumedMasterState: null, newDocumentState: good1 }),
        `{"assumedMasterState":null,"newDocumentState":{"id":"${deepId}","name":"Deep","website":null,"notes":null,"labels":[],"ownerId":null,"custom":{"x":${deepJson}},"archivedAt":null,"_deleted":false}}`,
        JSON.stringify({ assumedMasterState: null, newDocumentState: orgDoc('Huge', { id: hugeId, labels: Array.from({ length: 300 }, () => 'l'.repeat(1000)) }) }),
        `{"assumedMasterState":${JSON.stringify({ ...existing, _deleted: false })},"newDocumentState":${JSON.stringify({ ...existing, _deleted: false, name: 'Renamed deep' }).replace(/}$/, `,"custom":{"x":${deepJson}}}`)}}`,
        JSON.stringify({ assumedMasterState: null, newDocumentState: good2 }),
      ].join(',') +
      ']';
    const res = await server.api('POST', '/sync/organizations/push', body, { key: owner.key });
    assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
    assert.equal((await server.api('GET', `/crm/organizations/${good1.id}`)).body.name, 'Good before deep');
    assert.equal((await server.api('GET', `/crm/organizations/${good2.id}`)).body.name, 'Good after deep');
    assert.equal((await server.api('GET', `/crm/organizations/${deepId}`)).status, 404);
    assert.equal((await server.api('GET', `/crm/organizations/${hugeId}`)).status, 404);
    assert.equal((await server.api('GET', `/crm/organizations/${existing.id}`)).body.name, 'Existing, pushed deep', 'the deep edit is not applied');

    const answers = new Map(res.body.map((d: any) => [d.id, d]));
    const deepAnswer: any = answers.get(deepId);
    assert.equal(deepAnswer._deleted, true, 'a tombstone for the deep document the server never had');
    assert.equal(deepAnswer.custom, undefined, 'without the field too deep to send back');
    assert.equal((answers.get(hugeId) as any)._deleted, true);
    assert.equal((answers.get(existing.id) as any).name, 'Existing, pushed deep', 'the server state for a known record');

    const listed = new Map((await server.api('GET', '/sync/rejections?limit=50', undefined, { key: owner.key })).body.data.map((r: any) => [r.documentId, r]));
    const deep: any = listed.get(deepId);
    assert.match(deep.reason, /custom is nested more than 32 levels deep/);
    assert.deepEqual(deep.fields, ['custom']);
    assert.ok(JSON.stringify(deep.attempted).length <= 2048);
    const huge: any = listed.get(hugeId);
    assert.match(huge.reason, /the document is \d+ KiB of JSON \(largest: labels\); at most 256 KiB per document/);
    assert.deepEqual(huge.fields, ['labels']);
    assert.match((listed.get(existing.id) as any).reason, /custom is nested more than 32 levels deep/);
  });

  test('very deep bodies are refused with 4xx, never 500', async () => {
    const deepArray = '['.repeat(100_000) + ']'.repeat(100_000);
    const a = await server.api('POST', '/sync/organizations/push', deepArray);
    assert.equal(a.status, 422, JSON.stringify(a.body));
    const deepObject = '[{"assumedMasterState":' + '{"a":'.repeat(100_000) + 'null' + '}'.repeat(100_000) + `,"newDocumentState":${JSON.stringify(orgDoc('Deep assumed'))}}]`;
    const b = await server.api('POST', '/sync/organizations/push', deepObject);
    assert.equal(b.status, 200, JSON.stringify(b.body).slice(0, 300));
    assert.equal(b.body[0]._deleted, true);
    const rejection = (await server.api('GET', '/sync/rejections?limit=5')).body.data[0];
    assert.match(rejection.reason, /assumedMasterState: a is nested more than 32 levels deep/);
    const crm = await server.api('POST', '/crm/organizations', '{"name":"x","custom":' + '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000) + '}');
    assert.ok(crm.status >= 400 && crm.status < 500, `REST answers ${crm.status}`);
  });
});

describe('one rule across paths', () => {
  test("a member's deal-contact removal syncs as it does over REST; a viewer's is refused", async () => {
    const deal = (await server.api('POST', '/crm/deals', { title: 'Contacts deal' })).body;
    const alice = (await server.api('POST', '/crm/people', { name: 'Alice Contact' })).body;
    const bob = (await server.api('POST', '/crm/people', { name: 'Bob Contact' })).body;
    const linkA = (await server.api('POST', `/crm/deals/${deal.id}/contacts`, { personId: alice.id })).body;
    const linkB = (await server.api('POST', `/crm/deals/${deal.id}/contacts`, { personId: bob.id })).body;
    const memberUser = await member('MEMBER');
    const pulled = (await server.api('GET', '/sync/dealContacts/pull?checkpoint=0&limit=5000', undefined, { key: memberUser.key })).body.documents;
    const docA = pulled.find((d: any) => d.id === linkA.id);
    const docB = pulled.find((d: any) => d.id === linkB.id);

    const res = await server.api('POST', '/sync/dealContacts/push', [{ assumedMasterState: docA, newDocumentState: { ...docA, _deleted: true } }], { key: memberUser.key });
    assert.equal(res.status, 200);
    assert.ok(
      res.body.every((d: any) => d._deleted === true),
      `not reverted: ${JSON.stringify(res.body)}`,
    );
    const contacts = (await server.api('GET', `/crm/deals/${deal.id}/contacts`)).body.data;
    assert.deepEqual(
      contacts.map((c: any) => c.personId),
      [bob.id],
      'the contact is removed on the server',
    );
    const tombstone = (await server.api('GET', `/sync/dealContacts/pull?checkpoint=${docA.version}`)).body.documents.find((d: any) => d.id === linkA.id);
    assert.equal(tombstone._deleted, true, 'tombstoned for every client');
    assert.deepEqual((await server.api('GET', '/sync/rejections', undefined, { key: memberUser.key })).body.data, [], 'no rejection');

    const viewer = await member('VIEWER');
    const refused = await server.api('POST', '/sync/dealContacts/push', [{ assumedMasterState: docB, newDocumentState: { ...docB, _deleted: true } }], { key: viewer.key });
    assert.equal(refused.body[0]._deleted, false, "a viewer's removal comes back");
    assert.match((await server.api('GET', '/sync/rejections', undefined, { key: viewer.key })).body.data[0].reason, /VIEWER cannot delete deal contacts/);
    assert.deepEqual(
      (await server.api('GET', `/crm/deals/${deal.id}/contacts`)).body.data.map((c: any) => c.personId),
      [bob.id],
    );
  });
});
