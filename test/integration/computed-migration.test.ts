/**
 * The computed fields' migrations on a database that holds records, on SQLite and on PostgreSQL
 * (integration-pg): the 0010_computed backfill computes exactly what the writes stored (so a data
 * directory written before computed fields ends as if they had always been there), and
 * 0013_computed_versions gives a new version to exactly the records whose computed values a client
 * that synced before them lacks (any lastActivityAt or nextFollowUpAt; a deal's stageEnteredAt
 * other than its createdAt, which the client's schema migration fills in), so its pull from the
 * checkpoint it had reached brings those records and no others.
 */
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { afterAll, beforeAll, test } from 'vitest';
import { computedMigration, sendComputedToClients } from '../../server/store/computed.js';
import { isPostgres } from '../../server/store/dialect.js';
import { toPostgres } from '../../server/store/pg/migrations.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;

async function ok(method: string, url: string, body?: unknown): Promise<any> {
  const res = await server.api(method, url, body);
  assert.ok(res.status < 300, `${method} ${url} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
const COMPUTED = ['lastActivityAt', 'nextFollowUpAt', 'stageEnteredAt'];
const computedOf = (r: any) => Object.fromEntries(COMPUTED.filter((f) => f in r).map((f) => [f, r[f]]));

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

test('the 0010 backfill computes what the writes stored; 0013 renews exactly the records an old client lacks values of', async () => {
  const db = server.services.store.db;
  // records written through the domain, computed values kept by the writes
  const acme = await ok('POST', '/crm/organizations', { name: 'Acme' });
  const quiet = await ok('POST', '/crm/organizations', { name: 'Quiet Ltd' });
  const ann = await ok('POST', '/crm/people', { name: 'Ann', organizationId: acme.id });
  const nobody = await ok('POST', '/crm/people', { name: 'Nobody' });
  const busy = await ok('POST', '/crm/deals', { title: 'Busy deal', organizationId: acme.id, primaryPersonId: ann.id });
  const still = await ok('POST', '/crm/deals', { title: 'Still deal', organizationId: quiet.id });
  const moved = await ok('POST', '/crm/deals', { title: 'Moved deal' });
  const stages = (await ok('GET', `/crm/pipelines/${moved.pipelineId}/stages`)).data;
  await ok('PATCH', `/crm/deals/${moved.id}`, { stageId: stages[1].id });
  await ok('POST', '/crm/activities', { type: 'call', dealId: busy.id, occurredAt: '2026-11-20T10:00:00Z' });
  await ok('POST', '/crm/activities', { type: 'follow_up', personId: nobody.id, dueAt: '2026-12-24T09:00:00Z' });
  await ok('POST', '/crm/activities', { type: 'note', organizationId: quiet.id, occurredAt: '2026-10-01T08:00:00Z' });
  const archivedNote = await ok('POST', '/crm/activities', { type: 'note', dealId: still.id, occurredAt: '2026-11-01T08:00:00Z' });
  await ok('POST', `/crm/activities/${archivedNote.id}/archive`);

  const tables = ['organizations', 'people', 'deals'] as const;
  const read = async () => {
    const out: Record<string, any[]> = {};
    for (const t of tables) out[t] = (await ok('GET', `/crm/${t}?limit=100&sort=${t === 'deals' ? 'title' : 'name'}`)).data;
    return out;
  };
  const written = await read();
  assert.equal(written.people.find((p) => p.id === nobody.id).nextFollowUpAt, '2026-12-24T09:00:00.000Z');
  assert.equal(written.organizations.find((o) => o.id === acme.id).lastActivityAt, '2026-11-20T10:00:00.000Z', "the deal's call counts for its organization");

  // 0010's backfill over the same rows, their computed values cleared first
  const backfill = computedMigration()
    .filter((s) => s.startsWith('UPDATE'))
    .flatMap((s) => (isPostgres(db) ? toPostgres(s) : [s]));
  assert.equal(backfill.length, 3);
  await db.transaction().execute(async (tx) => {
    for (const t of tables)
      await sql
        .raw(
          `UPDATE "${t}" SET ${COMPUTED.filter((f) => f in written[t][0])
            .map((f) => `"${f}" = NULL`)
            .join(', ')}`,
        )
        .execute(tx);
    for (const statement of backfill) await sql.raw(statement).execute(tx);
  });
  const backfilled = await read();
  for (const t of tables) {
    assert.deepEqual(backfilled[t].map(computedOf), written[t].map(computedOf), `${t}: the backfill computes what the writes stored`);
    assert.deepEqual(
      backfilled[t].map((r) => r.version),
      written[t].map((r) => r.version),
      `${t}: the backfill keeps versions`,
    );
  }

  // 0013: what a client that pulled up to here lacks reaches it by its next pull, and nothing else
  const head = Number((await sql<{ value: number }>`SELECT "value" FROM "changeSequence" WHERE "id" = 1`.execute(db)).rows[0].value);
  // a data directory that ran an earlier 0010 (the creation's stage change time, a millisecond off)
  const stale = new Date(Date.parse(still.createdAt) + 1).toISOString();
  await sql`UPDATE "deals" SET "stageEnteredAt" = ${stale} WHERE "id" = ${still.id}`.execute(db);
  await db.transaction().execute((tx) => sendComputedToClients(tx));

  const renewed = [acme.id, quiet.id, ann.id, nobody.id, busy.id, moved.id, still.id];
  for (const t of tables) {
    const pulled = await ok('GET', `/sync/${t}/pull?checkpoint=${head}&limit=100`);
    const expected = written[t].filter((r) => renewed.includes(r.id));
    assert.deepEqual(pulled.documents.map((d: any) => d.id).sort(), expected.map((r) => r.id).sort(), `${t}: exactly the records with values to send come back`);
    for (const doc of pulled.documents) {
      const before = written[t].find((r) => r.id === doc.id);
      assert.ok(doc.version > head, `${t} ${doc.id} has a new version`);
      assert.deepEqual(computedOf(doc), doc.id === still.id ? { ...computedOf(before), stageEnteredAt: still.createdAt } : computedOf(before), `${t} ${doc.id}: its values`);
      assert.equal(doc.updatedAt, before.updatedAt, 'not an edit: updatedAt stays');
    }
  }
  const versions = Object.values(await read())
    .flat()
    .map((r) => r.version);
  assert.equal(new Set(versions).size, versions.length, 'every version is its own');
  const sequence = Number((await sql<{ value: number }>`SELECT "value" FROM "changeSequence" WHERE "id" = 1`.execute(db)).rows[0].value);
  assert.equal(sequence, Math.max(...versions), 'the change sequence moved past them');
  assert.equal(sequence, head + renewed.length);

  // a new write comes after them
  const later = await ok('POST', '/crm/organizations', { name: 'Later' });
  assert.ok(later.version > sequence);
});
