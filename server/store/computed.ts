/**
 * The computed fields' SQL (SPEC §2 "Computed fields"): `lastActivityAt` and `nextFollowUpAt` of
 * organizations, people and deals, from the activities that count for each record, and a deal's
 * `stageEnteredAt` from its stage changes. Used by the backfill of migration 0010_computed and by
 * the domain, which keeps the stored columns current in the write's transaction
 * (server/domain/records/computed.ts). Plain SQL (CASE, max/min, UNION ALL, correlated
 * subqueries) that SQLite and PostgreSQL both run; every branch is served by an index.
 *
 * Which activities count for a record: live (not deleted, not archived) ones that reference it,
 * and for an organization those of its deals, for a person those of the deals where they are the
 * primary person or a contact (live deals and deal contacts only).
 * - lastActivityAt: the latest time an activity happened — occurredAt, or for a follow-up its
 *   completedAt (an open follow-up has not happened yet and does not count).
 * - nextFollowUpAt: the earliest dueAt of an open (not completed) follow-up.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { CollectionName } from '../../shared/collections.js';
import type { Db } from './database.js';

export type ComputedCollection = 'organizations' | 'people' | 'deals';
export const ACTIVITY_COMPUTED = ['lastActivityAt', 'nextFollowUpAt'] as const;

export function hasComputed(collection: CollectionName): collection is ComputedCollection {
  return collection === 'organizations' || collection === 'people' || collection === 'deals';
}

const LIVE = `a."deleted" = 0 AND a."archivedAt" IS NULL`;
const COLUMNS = `a."type" AS "type", a."occurredAt" AS "occurredAt", a."dueAt" AS "dueAt", a."completedAt" AS "completedAt"`;

/** The activities that count for the row of `table` the outer query is on (referenced as "<table>"."id"). */
function countingActivities(table: ComputedCollection): string {
  const outer = `"${table}"`;
  const direct = (column: string) => `SELECT ${COLUMNS} FROM "activities" a WHERE a."workspaceId" = ${outer}."workspaceId" AND a."${column}" = ${outer}."id" AND ${LIVE}`;
  const viaDeals = (dealColumn: string) =>
    `SELECT ${COLUMNS} FROM "deals" d JOIN "activities" a ON a."workspaceId" = d."workspaceId" AND a."dealId" = d."id"
     WHERE d."workspaceId" = ${outer}."workspaceId" AND d."${dealColumn}" = ${outer}."id" AND d."deleted" = 0 AND ${LIVE}`;
  if (table === 'deals') return direct('dealId');
  if (table === 'organizations') return `${direct('organizationId')} UNION ALL ${viaDeals('organizationId')}`;
  return `${direct('personId')} UNION ALL ${viaDeals('primaryPersonId')} UNION ALL
    SELECT ${COLUMNS} FROM "dealContacts" dc
      JOIN "deals" d ON d."workspaceId" = dc."workspaceId" AND d."id" = dc."dealId" AND d."deleted" = 0
      JOIN "activities" a ON a."workspaceId" = dc."workspaceId" AND a."dealId" = dc."dealId"
     WHERE dc."workspaceId" = ${outer}."workspaceId" AND dc."personId" = ${outer}."id" AND dc."deleted" = 0 AND ${LIVE}`;
}

/** SQL of each computed column of `table`, as a correlated scalar subquery on the outer "<table>" row. */
export function computedSql(table: ComputedCollection): Record<string, string> {
  const source = countingActivities(table);
  const out: Record<string, string> = {
    lastActivityAt: `(SELECT max(CASE WHEN c."type" = 'follow_up' THEN c."completedAt" ELSE c."occurredAt" END) FROM (${source}) c)`,
    nextFollowUpAt: `(SELECT min(c."dueAt") FROM (${source}) c WHERE c."type" = 'follow_up' AND c."completedAt" IS NULL)`,
  };
  if (table === 'deals') {
    // as the write path sets it: its creation time (exactly createdAt), then the time of each stage
    // move (a stage change from another stage; the one written at creation has no fromStageId)
    out.stageEnteredAt = `coalesce((SELECT max(sc."changedAt") FROM "stageChanges" sc WHERE sc."workspaceId" = "deals"."workspaceId" AND sc."dealId" = "deals"."id" AND sc."fromStageId" IS NOT NULL AND sc."deleted" = 0), "deals"."createdAt")`;
  }
  return out;
}

/** Statements of migration 0010_computed: the columns, their indexes (per workspace, with id for keyset pages) and the backfill. */
export function computedMigration(): string[] {
  const out: string[] = [];
  for (const table of ['organizations', 'people', 'deals'] as const) {
    const columns = Object.keys(computedSql(table));
    for (const c of columns) out.push(`ALTER TABLE "${table}" ADD COLUMN "${c}" TEXT`);
    for (const c of columns) out.push(`CREATE INDEX "${table}_${c}" ON "${table}" ("workspaceId", "${c}", "id")`);
    // values as of now; versions stay (migration 0013_computed_versions sends them to clients)
    const set = Object.entries(computedSql(table)).map(([c, expr]) => `"${c}" = ${expr}`);
    out.push(`UPDATE "${table}" SET ${set.join(', ')} WHERE "deleted" = 0`);
  }
  return out;
}

export interface ComputedRow {
  id: string;
  /** The stored values. */
  stored: Record<string, string | null>;
  /** The values as they should be now. */
  current: Record<string, string | null>;
}

/**
 * The stored and current computed values of some live records of `table` (the activity columns
 * only: a deal's stageEnteredAt is set by the write that moves it). Run inside the write's
 * transaction, after the write.
 */
export async function readComputed(db: Db, table: ComputedCollection, workspaceId: string, ids: string[]): Promise<ComputedRow[]> {
  if (ids.length === 0) return [];
  const exprs = computedSql(table);
  const select: RawBuilder<unknown>[] = [];
  for (const c of ACTIVITY_COMPUTED) select.push(sql`${sql.ref(`${table}.${c}`)} as ${sql.ref(`stored_${c}`)}`, sql`${sql.raw(exprs[c])} as ${sql.ref(`current_${c}`)}`);
  const { rows } = await sql<Record<string, string | null>>`select ${sql.ref(`${table}.id`)} as "id", ${sql.join(select)} from ${sql.table(table)}
    where ${sql.ref(`${table}.workspaceId`)} = ${workspaceId} and ${sql.ref(`${table}.deleted`)} = 0 and ${sql.ref(`${table}.id`)} in (${sql.join(ids)})`.execute(db);
  return rows.map((r) => ({
    id: String(r.id),
    stored: Object.fromEntries(ACTIVITY_COMPUTED.map((c) => [c, r[`stored_${c}`] ?? null])),
    current: Object.fromEntries(ACTIVITY_COMPUTED.map((c) => [c, r[`current_${c}`] ?? null])),
  }));
}

/** Stores new computed values of one record with a new version (no other column changes; updatedAt stays). */
export async function writeComputed(db: Db, table: ComputedCollection, id: string, values: Record<string, string | null>, version: number): Promise<void> {
  await db
    .updateTable(table)
    .set({ ...values, version } as never)
    .where('id', '=', id)
    .execute();
}

/**
 * Migration 0013_computed_versions (SQLite and PostgreSQL alike): the computed values 0010 filled in
 * reach clients that already held the records. A client upgraded to RxDB schema version 1 holds
 * its old documents with the computed fields null, except a deal's stageEnteredAt, which its
 * migration step sets to createdAt (renderer/data/schemas.ts) — exactly the server's value for a
 * deal never moved. Every live record whose values differ from that gets a new version from the
 * change sequence, so the client's next pull (from the checkpoint it had reached) brings those
 * records and only those: no full re-download. Versions only: updatedAt stays, no audit entry.
 * It also sets stageEnteredAt of deals by the current definition (computedSql), for data
 * directories that ran an earlier 0010.
 */
export async function sendComputedToClients(db: Kysely<any>): Promise<void> {
  for (const table of ['organizations', 'people', 'deals'] as const) {
    const exprs = computedSql(table);
    const differs = [`"${table}"."lastActivityAt" IS NOT NULL`, `"${table}"."nextFollowUpAt" IS NOT NULL`];
    if (table === 'deals') differs.push(`coalesce("deals"."stageEnteredAt", '') <> "deals"."createdAt"`, `${exprs.stageEnteredAt} <> "deals"."createdAt"`);
    const where = `"${table}"."deleted" = 0 AND (${differs.join(' OR ')})`;
    const base = Number((await sql<{ value: number }>`SELECT "value" FROM "changeSequence" WHERE "id" = 1`.execute(db)).rows[0]?.value ?? 0);
    const count = Number((await sql<{ n: number }>`SELECT count(*) AS "n" FROM ${sql.table(table)} WHERE ${sql.raw(where)}`.execute(db)).rows[0]?.n ?? 0);
    if (count === 0) continue;
    // in the records' own order, each its own value after the sequence's
    const set = table === 'deals' ? `, "stageEnteredAt" = ${exprs.stageEnteredAt}` : '';
    await sql
      .raw(
        `UPDATE "${table}" SET "version" = ${base} + "numbered"."n"${set}
         FROM (SELECT "${table}"."id" AS "id", row_number() OVER (ORDER BY "${table}"."version", "${table}"."id") AS "n" FROM "${table}" WHERE ${where}) AS "numbered"
         WHERE "${table}"."id" = "numbered"."id"`,
      )
      .execute(db);
    await sql`UPDATE "changeSequence" SET "value" = ${base + count} WHERE "id" = 1`.execute(db);
  }
}
