/**
 * Listing a collection: equality filters the registry declares, labels, search, archived or not,
 * a sort of the registry's sort fields, and keyset pagination with an opaque cursor.
 */
import { sql, type ExpressionBuilder } from 'kysely';
import { COLLECTIONS, COLLECTION_NAMES, type CollectionName } from '../../../shared/collections.js';
import { ListQuery } from '../../../shared/schemas.js';
import type { Db } from '../../store/database.js';
import { hasLabel, rowToRecord, type AnyRecord, type Row } from '../../store/records.js';
import type { Ctx } from '../context.js';
import { invalid, parseInput } from '../errors.js';

export interface ListResult<T = AnyRecord> {
  data: T[];
  nextCursor: string | null;
}

function encodeCursor(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

function decodeCursor(cursor: string): unknown[] {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2) return parsed;
  } catch {
    // fall through
  }
  throw invalid('cursor', 'must be a nextCursor returned by a previous page of the same list');
}

/** Query parameters that filter a list by equality: those of ListQuery that some collection declares as a filter. */
const FILTER_KEYS = Object.keys(ListQuery.shape).filter((key) => COLLECTION_NAMES.some((c) => COLLECTIONS[c].filterFields.includes(key))) as (keyof ListQuery)[];

/** A page of records and the cursor of the next page (null on the last). */
export async function listRecords(db: Db, ctx: Ctx, collection: CollectionName, input: unknown, extra: Row = {}): Promise<ListResult> {
  const query = parseInput(ListQuery, input);
  const info = COLLECTIONS[collection];
  const limit = query.limit ?? 50;

  const sortParam = query.sort ?? '-createdAt';
  const desc = sortParam.startsWith('-');
  const sortField = desc ? sortParam.slice(1) : sortParam;
  const sortable = ['createdAt', 'updatedAt', ...info.sortFields];
  if (!sortable.includes(sortField)) {
    throw invalid('sort', `must be one of ${sortable.map((f) => `${f}, -${f}`).join(', ')}`);
  }
  const filters: Row = { ...extra };
  for (const key of FILTER_KEYS) {
    if (query[key] === undefined) continue;
    if (!info.filterFields.includes(key)) throw invalid(key, `is not a filter of ${collection} (filters: ${info.filterFields.join(', ') || 'none'})`);
    filters[key] = query[key];
  }
  if (query.label !== undefined && !info.jsonFields.includes('labels')) throw invalid('label', `${collection} have no labels`);

  let q = db.selectFrom(collection).selectAll().where('workspaceId', '=', ctx.workspaceId).where('deleted', '=', 0);
  const archived = query.archived ?? 'false';
  if (archived === 'false') q = q.where('archivedAt', 'is', null);
  if (archived === 'true') q = q.where('archivedAt', 'is not', null);
  for (const [key, value] of Object.entries(filters)) q = q.where(key, '=', value);
  if (query.label !== undefined) q = q.where(hasLabel(collection, query.label));
  if (query.updatedSince) q = q.where('updatedAt', '>=', new Date(query.updatedSince).toISOString());
  if (query.q) {
    const pattern = `%${query.q.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
    q = q.where((eb) => eb.or(info.searchFields.map((f) => sql<boolean>`${sql.ref(f)} like ${pattern} escape '\\'`)));
  }

  const nullable = info.nullableFields.includes(sortField);
  const moneySort = info.moneyFields.includes(sortField);
  if (query.cursor) {
    const [value, id] = decodeCursor(query.cursor);
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
  const nextCursor = rows.length > limit && last ? encodeCursor([last[sortField] ?? null, last.id]) : null;
  return { data: page.map((row) => rowToRecord(collection, row)), nextCursor };
}
