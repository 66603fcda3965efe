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
import { sql, type RawBuilder } from 'kysely';
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
    out.stageEnteredAt = `coalesce((SELECT max(sc."changedAt") FROM "stageChanges" sc WHERE sc."workspaceId" = "deals"."workspaceId" AND sc."dealId" = "deals"."id" AND sc."deleted" = 0), "deals"."createdAt")`;
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
    // values as of now; versions stay (see docs/custom-fields.md "Computed fields" on clients)
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
