/**
 * Listing a collection: equality filters the registry declares, labels, search, archived or not,
 * a sort of the registry's sort fields, and keyset pagination with an opaque cursor.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { z } from 'zod';
import { COLLECTIONS, type CollectionName } from '../../../shared/collections.js';
import { DERIVED_FILTERS, listQuerySchema, type ListQueryOf } from '../../../shared/listQuery.js';
import { Id } from '../../../shared/schemas.js';
import type { Db } from '../../store/database.js';
import { hasLabel, rowToRecord, type AnyRecord, type Row } from '../../store/records.js';
import type { Ctx } from '../context.js';
import { badCursor, parseInput } from '../errors.js';

export interface ListResult<T = AnyRecord> {
  data: T[];
  nextCursor: string | null;
}

/** A cursor longer than this was not made by the server (its values are at most a few hundred characters). */
const CURSOR_MAX_LENGTH = 4096;

/**
 * A cursor names the list (collection and sort) and the sort value and id of the last record of
 * the page, as base64url JSON: `[collection, sort, value, id]`. Opaque to clients.
 */
function encodeCursor(collection: CollectionName, sort: string, value: unknown, id: string): string {
  return Buffer.from(JSON.stringify([collection, sort, value, id])).toString('base64url');
}

/**
 * The sort value and id of a cursor this list made, or a 400 (`usage`, naming `cursor`): anything
 * else (another list's or sort's cursor, a tampered one: wrong shape, wrong types, objects, huge or
 * non-finite numbers) is refused here and never reaches SQL.
 */
function decodeCursor(cursor: string, collection: CollectionName, sort: string, valueSchema: z.ZodType): { value: unknown; id: string } {
  if (cursor.length > CURSOR_MAX_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw badCursor();
  const bytes = Buffer.from(cursor, 'base64url');
  // only the exact encoding the server wrote (Node's decoder ignores stray trailing characters)
  if (bytes.toString('base64url') !== cursor) throw badCursor();
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) throw badCursor();
  const [c, s, value, id] = parsed as unknown[];
  if (c !== collection || s !== sort || !Id.safeParse(id).success || !valueSchema.safeParse(value).success) throw badCursor();
  return { value, id: id as string };
}

/** What a cursor's sort value may be: the stored column's type (money as integer units), null only for a nullable field. */
function cursorValueSchema(collection: CollectionName, sortField: string): z.ZodType {
  const info = COLLECTIONS[collection];
  let field = info.record.shape[sortField] as z.ZodType;
  while (field instanceof z.ZodNullable || field instanceof z.ZodOptional) field = field.unwrap() as z.ZodType;
  let value: z.ZodType = field;
  if (info.moneyFields.includes(sortField)) value = z.number().int().safe();
  else if (field instanceof z.ZodNumber) value = z.number().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
  else if (field instanceof z.ZodString) value = z.string().max(CURSOR_MAX_LENGTH);
  return info.nullableFields.includes(sortField) ? value.nullable() : value;
}

/**
 * Filters that are not a column (shared/listQuery.ts DERIVED_FILTERS): a deal's person is its
 * primary person or one of its (live) contacts.
 */
const DERIVED: Partial<Record<CollectionName, Record<string, (eb: ExpressionBuilder<any, any>, value: string, workspaceId: string) => Expression<SqlBool>>>> = {
  deals: {
    personId: (eb, value, workspaceId) =>
      eb.or([
        eb('primaryPersonId', '=', value),
        eb('id', 'in', eb.selectFrom('dealContacts').select('dealId').where('workspaceId', '=', workspaceId).where('deleted', '=', 0).where('personId', '=', value)),
      ]),
  },
};

/** A page of records and the cursor of the next page (null on the last). */
export async function listRecords(db: Db, ctx: Ctx, collection: CollectionName, input: unknown, extra: Row = {}): Promise<ListResult> {
  const query = parseInput(listQuerySchema(collection), input) as ListQueryOf;
  const info = COLLECTIONS[collection];
  const limit = query.limit ?? 50;

  const sortParam = query.sort ?? '-createdAt';
  const desc = sortParam.startsWith('-');
  const sortField = desc ? sortParam.slice(1) : sortParam;
  const filters: Row = { ...extra };
  for (const key of info.filterFields) if (query[key] !== undefined) filters[key] = query[key];
  const derived = DERIVED[collection] ?? {};
  const derivedFilters = Object.keys(DERIVED_FILTERS[collection] ?? {}).filter((key) => query[key] !== undefined);

  let q = db.selectFrom(collection).selectAll().where('workspaceId', '=', ctx.workspaceId).where('deleted', '=', 0);
  const archived = query.archived ?? 'false';
  if (archived === 'false') q = q.where('archivedAt', 'is', null);
  if (archived === 'true') q = q.where('archivedAt', 'is not', null);
  for (const [key, value] of Object.entries(filters)) q = q.where(key, '=', value);
  for (const key of derivedFilters) q = q.where((eb) => derived[key](eb, String(query[key]), ctx.workspaceId));
  if (query.label !== undefined) q = q.where(hasLabel(collection, String(query.label)));
  if (query.updatedSince) q = q.where('updatedAt', '>=', new Date(query.updatedSince).toISOString());
  if (query.q) {
    const pattern = `%${query.q.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
    q = q.where((eb) => eb.or(info.searchFields.map((f) => sql<boolean>`${sql.ref(f)} like ${pattern} escape '\\'`)));
  }

  const nullable = info.nullableFields.includes(sortField);
  const moneySort = info.moneyFields.includes(sortField);
  if (query.cursor) {
    const { value, id } = decodeCursor(query.cursor, collection, sortParam, cursorValueSchema(collection, sortField));
    const cmp = desc ? '<' : '>';
    const cursorValue = moneySort && value != null ? Number(value) : value;
    q = q.where((eb: ExpressionBuilder<any, any>) => {
      if (cursorValue === null) {
        return eb.and([eb(sortField, 'is', null), eb('id', cmp, id)]);
      }
      const after = eb.or([eb(sortField, cmp, cursorValue), eb.and([eb(sortField, '=', cursorValue), eb('id', cmp, id)])]);
      return nullable ? eb.or([eb.and([eb(sortField, 'is not', null), after]), eb(sortField, 'is', null)]) : after;
    });
  }
  if (nullable) q = q.orderBy(sql`${sql.ref(sortField)} is null`);
  q = q
    .orderBy(sortField, desc ? 'desc' : 'asc')
    .orderBy('id', desc ? 'desc' : 'asc')
    .limit(limit + 1);

  const rows = await q.execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > limit && last ? encodeCursor(collection, sortParam, last[sortField] ?? null, last.id) : null;
  return { data: page.map((row) => rowToRecord(collection, row)), nextCursor };
}
