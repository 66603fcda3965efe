/**
 * Row ⇄ record mapping for the CRM collections and the few SQL helpers the domain needs that
 * are dialect-specific (change sequence, JSON label matching).
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { COLLECTIONS, type CollectionName } from '../../shared/collections.js';
import { fromUnits, toUnits } from '../../shared/money.js';
import type { Db, OpenedDatabase } from './database.js';
import { greatest, isPostgres, jsonArrayContains } from './dialect.js';

export type Row = Record<string, unknown>;
export type AnyRecord = Record<string, unknown> & { id: string; workspaceId: string; version: number };

/** A stored record plus its tombstone flag. */
export interface StoredRecord {
  record: AnyRecord;
  deleted: boolean;
}

export function rowToRecord(collection: CollectionName, row: Row): AnyRecord {
  const info = COLLECTIONS[collection];
  const out: Row = { ...row };
  delete out.deleted;
  for (const f of info.jsonFields) out[f] = typeof row[f] === 'string' ? JSON.parse(row[f] as string) : (row[f] ?? (f === 'labels' ? [] : {}));
  for (const f of info.boolFields) out[f] = row[f] === 1 || row[f] === true;
  for (const f of info.moneyFields) out[f] = row[f] == null ? null : fromUnits(row[f] as number);
  return out as AnyRecord;
}

export function recordToRow(collection: CollectionName, record: Row): Row {
  const info = COLLECTIONS[collection];
  const row: Row = {};
  for (const key of Object.keys(info.record.shape)) {
    if (key in record) row[key] = record[key];
  }
  for (const f of info.jsonFields) if (f in row) row[f] = JSON.stringify(row[f] ?? (f === 'labels' ? [] : {}));
  for (const f of info.boolFields) if (f in row) row[f] = row[f] ? 1 : 0;
  for (const f of info.moneyFields) if (f in row) row[f] = row[f] == null ? null : toUnits(row[f] as number);
  return row;
}

/**
 * Write transactions opened through the store (Store.write): after a transaction's first value,
 * which takes the sequence row (and so its lock) with UPDATE … RETURNING, its next values are
 * counted in memory and the row is set once, to the last, when the transaction's work is done
 * (finishSequence) — an import commits hundreds of records per transaction. The write lock is held
 * throughout, so no other transaction can take a value in between.
 */
const allocations = new WeakMap<Db, { last: number; first: number }>();

/** Takes the next value of the global change sequence; call inside the write transaction. */
export async function nextVersion(tx: Db): Promise<number> {
  const open = allocations.get(tx);
  if (open && open.last > 0) return ++open.last;
  const row = await tx
    .updateTable('changeSequence')
    .set({ value: sql`"value" + 1` })
    .where('id', '=', 1)
    .returning('value')
    .executeTakeFirstOrThrow();
  const value = Number(row.value);
  if (open) open.last = open.first = value;
  return value;
}

/** Marks `tx` as a store write transaction whose sequence values after the first are counted in memory. */
export function beginSequence(tx: Db): void {
  allocations.set(tx, { last: 0, first: 0 });
}

/** Stores the last value transaction `tx` took (call at the end of its work, inside it). */
export async function finishSequence(tx: Db): Promise<void> {
  const open = allocations.get(tx);
  allocations.delete(tx);
  if (open && open.last > open.first) await tx.updateTable('changeSequence').set({ value: open.last }).where('id', '=', 1).execute();
}

/** Moves the sequence to at least `value` (restored records keep their versions; new ones come after). */
export async function advanceSequence(tx: Db, value: number): Promise<void> {
  const counting = allocations.has(tx);
  await finishSequence(tx);
  await tx
    .updateTable('changeSequence')
    .set({ value: greatest(tx, sql.ref('value'), sql.lit(value)) })
    .where('id', '=', 1)
    .execute();
  if (counting) beginSequence(tx);
}

export async function currentSequence(db: Db): Promise<number> {
  const row = await db.selectFrom('changeSequence').select('value').where('id', '=', 1).executeTakeFirst();
  return Number(row?.value ?? 0);
}

export async function findStored(db: Db, collection: CollectionName, id: string): Promise<StoredRecord | null> {
  const row = await db.selectFrom(collection).selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return null;
  return { record: rowToRecord(collection, row), deleted: row.deleted === 1 };
}

/**
 * A live (not deleted) record of a workspace by id, archived included — the hot path of every
 * GET by id. When no transaction is open on the connection it reads through a cached prepared
 * statement, skipping Kysely's query building and driver; inside a transaction, or while another
 * request's transaction holds the connection, it goes through Kysely, whose connection lock keeps
 * it from seeing writes that are not committed yet.
 */
export async function findLive(opened: Pick<OpenedDatabase, 'db' | 'dialect' | 'raw' | 'prepare'>, db: Db, collection: CollectionName, workspaceId: string, id: string): Promise<AnyRecord | null> {
  let row: Row | undefined;
  if (opened.dialect === 'sqlite' && db === opened.db && opened.raw.open && !opened.raw.inTransaction) {
    row = opened.prepare(`select * from "${collection}" where "id" = ? and "workspaceId" = ? and "deleted" = 0`).get(id, workspaceId) as Row | undefined;
  } else {
    row = await db.selectFrom(collection).selectAll().where('id', '=', id).where('workspaceId', '=', workspaceId).where('deleted', '=', 0).executeTakeFirst();
  }
  return row ? rowToRecord(collection, row) : null;
}

export async function insertRow(tx: Db, collection: CollectionName, record: Row): Promise<void> {
  await insertValues(tx, collection, recordToRow(collection, record));
}

/** The connections of the SQLite write transactions opened through the store (Store.write). */
const writers = new WeakMap<Db, Pick<OpenedDatabase, 'prepare'>>();

/** Marks `tx` as a store write transaction on `opened`: its inserts may use the connection's cached statements (SQLite). */
export function beginWrite(tx: Db, opened: Pick<OpenedDatabase, 'prepare' | 'dialect'>): void {
  if (opened.dialect === 'sqlite') writers.set(tx, opened);
  beginSequence(tx);
}

/**
 * Inserts one row (columns whose value is undefined are left to their defaults). In a store write
 * transaction — the connection is the transaction's alone until it ends — through a cached
 * prepared statement, skipping Kysely's query building: the hot path of imports and pushes, two
 * inserts (record and audit entry) per written record.
 */
export async function insertValues(tx: Db, table: string, row: Row): Promise<void> {
  const opened = writers.get(tx);
  if (!opened) {
    await tx.insertInto(table).values(row).execute();
    return;
  }
  const columns = Object.keys(row).filter((c) => row[c] !== undefined);
  opened.prepare(`insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values (${columns.map(() => '?').join(', ')})`).run(...columns.map((c) => row[c]));
}

export async function updateRow(tx: Db, collection: CollectionName, id: string, record: Row, deleted = false): Promise<void> {
  const row = recordToRow(collection, record);
  delete row.id;
  await tx
    .updateTable(collection)
    .set({ ...row, deleted: deleted ? 1 : 0 })
    .where('id', '=', id)
    .execute();
}

/** Records changed after `checkpoint` (tombstones included), in change order. */
export async function changedSince(db: Db, collection: CollectionName, workspaceId: string, checkpoint: number, limit: number): Promise<StoredRecord[]> {
  const rows = await db.selectFrom(collection).selectAll().where('workspaceId', '=', workspaceId).where('version', '>', checkpoint).orderBy('version').limit(limit).execute();
  return rows.map((row) => ({ record: rowToRecord(collection, row), deleted: row.deleted === 1 }));
}

/**
 * SQL condition: the records of `collection` that `userId` sees (shared/permissions.ts `visibleTo`:
 * shared, or theirs); null for collections that keep no record to its owner.
 */
export function visibleCondition(collection: CollectionName, userId: string | null): ((eb: ExpressionBuilder<any, any>) => Expression<SqlBool>) | null {
  const own = COLLECTIONS[collection].ownership;
  if (!own) return null;
  return (eb) => (userId === null ? eb(own.shared, '=', 1) : eb.or([eb(own.shared, '=', 1), eb(own.owner, '=', userId)]));
}

/** SQL condition: the JSON array column `labels` of `table` contains `label`. */
export function hasLabel(db: Db, table: string, label: string): Expression<SqlBool> {
  return jsonArrayContains(db, `${table}.labels`, '$', label);
}

/** Distinct labels with the number of live records carrying each, across the labelled collections. */
export async function labelCounts(db: Db, workspaceId: string): Promise<{ label: string; count: number; organizations: number; people: number; deals: number }[]> {
  const pg = isPostgres(db);
  const parts = (['organizations', 'people', 'deals'] as const).map((t) =>
    pg
      ? sql`select ${t}::text as kind, l.value as label from ${sql.table(t)}, jsonb_array_elements_text(${sql.table(t)}.labels::jsonb) as l(value)
               where ${sql.table(t)}."workspaceId" = ${workspaceId} and ${sql.table(t)}.deleted = 0 and ${sql.table(t)}."archivedAt" is null`
      : sql`select ${t} as kind, json_each.value as label from ${sql.table(t)}, json_each(${sql.table(t)}.labels)
               where ${sql.table(t)}."workspaceId" = ${workspaceId} and ${sql.table(t)}.deleted = 0 and ${sql.table(t)}."archivedAt" is null`,
  );
  const { rows } = await sql<{ label: string; count: number; organizations: number; people: number; deals: number }>`
    select label, count(*) as count,
      sum(case when kind = 'organizations' then 1 else 0 end) as organizations, sum(case when kind = 'people' then 1 else 0 end) as people,
      sum(case when kind = 'deals' then 1 else 0 end) as deals
    from (${sql.join(parts, sql` union all `)}) as labelled group by label order by count desc, ${pg ? sql`label collate "C"` : sql`label`}`.execute(db);
  return rows.map((r) => ({ ...r, count: Number(r.count), organizations: Number(r.organizations), people: Number(r.people), deals: Number(r.deals) }));
}
