/**
 * Listing a collection: equality filters the registry declares, labels, search, archived or not,
 * a sort of the registry's sort fields, and keyset pagination with an opaque cursor.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { z } from 'zod';
import { COLLECTIONS, type CollectionName } from '../../../shared/collections.js';
import { CUSTOMIZABLE, type FieldDefinition } from '../../../shared/customFields.js';
import { CUSTOM_PARAM, customKind, DERIVED_FILTERS, KIND_OPERATORS, listQuerySchema, operatorValue, standardKind, type FieldKind, type Operator, type ListQueryOf } from '../../../shared/listQuery.js';
import { toUnits } from '../../../shared/money.js';
import { Id } from '../../../shared/schemas.js';
import type { Db } from '../../store/database.js';
import { containsText, jsonArrayContains, jsonArrayLength } from '../../store/dialect.js';
import { customValueSql } from '../../store/customIndexes.js';
import { readInOrder } from '../../store/ordered.js';
import { SqlRecordReader } from '../../store/reader.js';
import { hasLabel, rowToRecord, visibleCondition, type AnyRecord, type Row } from '../../store/records.js';
import type { Ctx } from '../context.js';
import { badCursor, parseInput, ValidationError, type FieldError } from '../errors.js';

export interface ListResult<T = AnyRecord> {
  data: T[];
  nextCursor: string | null;
  /** With count=true: how many records match (every page). */
  total?: number;
}

/** One operator condition of a list query: a standard column or a custom field's value. */
interface Condition {
  param: string;
  /** SQL of the compared value: the column, or the custom value extracted from the JSON. */
  target: Expression<unknown>;
  kind: FieldKind;
  op: Operator;
  value: unknown;
  /** Custom multi-selects: the JSON path of the array. */
  jsonPath?: string;
}

const SQL_OPS: Partial<Record<Operator, string>> = { gt: '>', gte: '>=', lt: '<', lte: '<=' };

/** A value as stored for comparison: money in integer units, timestamps as ISO, booleans 0/1. */
function storedValue(kind: FieldKind, value: unknown, custom: boolean): unknown {
  if (kind === 'money') return custom ? Number(value) : toUnits(Number(value));
  if (kind === 'number') return Number(value);
  if (kind === 'datetime') return new Date(String(value)).toISOString();
  if (kind === 'boolean') return value === 'true' || value === true ? 1 : 0;
  return value;
}

function conditionSql(db: Db, eb: ExpressionBuilder<any, any>, c: Condition): Expression<SqlBool> {
  const target = c.target;
  const values = Array.isArray(c.value) ? c.value : [c.value];
  if (c.op === 'empty') {
    const empty = c.jsonPath ? sql<SqlBool>`coalesce(${jsonArrayLength(db, 'custom', c.jsonPath)}, 0) = 0` : sql<SqlBool>`${target} is null`;
    if (c.value === 'true') return empty;
    // `is not null` reads a range of the field's index; `not (… is null)` would scan past every empty value
    return c.jsonPath ? sql<SqlBool>`not (${empty})` : sql<SqlBool>`${target} is not null`;
  }
  if (c.kind === 'multi') {
    return eb.or(values.map((v) => jsonArrayContains(db, 'custom', c.jsonPath!, String(v))));
  }
  if (c.op === 'contains') return containsText(db, target, String(c.value));
  if (c.op === 'eq') return values.length === 1 ? sql<SqlBool>`${target} = ${values[0]}` : sql<SqlBool>`${target} in (${sql.join(values)})`;
  if (c.op === 'ne') return sql<SqlBool>`(${target} is null or ${target} <> ${values[0]})`;
  return sql<SqlBool>`${target} ${sql.raw(SQL_OPS[c.op]!)} ${values[0]}`;
}

/**
 * The operator conditions of a query: standard `field[op]` parameters (validated by the query
 * schema) and `custom.<key>[op]` ones, checked here against the workspace's custom fields.
 */
async function conditionsOf(db: Db, ctx: Ctx, collection: CollectionName, query: Record<string, unknown>): Promise<Condition[]> {
  const out: Condition[] = [];
  const errors: FieldError[] = [];
  let definitions: FieldDefinition[] | null = null;
  for (const [param, raw] of Object.entries(query)) {
    if (raw === undefined) continue;
    const custom = CUSTOM_PARAM.exec(param);
    const standard = custom ? null : /^(\w+)\[(\w+)\]$/.exec(param);
    if (standard) {
      const kind = standardKind(collection, standard[1])!;
      out.push({ param, target: sql.ref(standard[1]), kind, op: standard[2] as Operator, value: standard[2] === 'empty' || standard[2] === 'contains' ? raw : storedValue(kind, raw, false) });
      continue;
    }
    if (!custom) continue;
    const [, key, op = 'eq'] = custom;
    // a custom object's fields are those of the listed type
    const entity = collection === 'records' && typeof query.type === 'string' ? query.type : collection;
    definitions ??= (CUSTOMIZABLE as readonly string[]).includes(entity) || entity !== collection ? await new SqlRecordReader(db, ctx.workspaceId).customFields(entity) : [];
    const def = definitions.find((d) => d.key === key);
    if (!def) {
      errors.push({ path: param, message: `unknown custom field '${key}' of ${entity}${definitions.length ? `; the fields are ${definitions.map((d) => d.key).join(', ')}` : ''}` });
      continue;
    }
    const kind = customKind(def.type);
    if (!KIND_OPERATORS[kind].includes(op as Operator)) {
      errors.push({ path: param, message: `a ${def.type} field takes ${KIND_OPERATORS[kind].map((o) => (o === 'eq' ? `custom.${key}=` : `custom.${key}[${o}]`)).join(', ')}` });
      continue;
    }
    const schema =
      op === 'eq' && (kind === 'enum' || kind === 'multi')
        ? z.enum((def.options.map((o) => o.value) as [string, ...string[]]).concat([]), { error: `must be one of ${def.options.map((o) => JSON.stringify(o.value)).join(', ')}` })
        : operatorValue(kind, op as Operator);
    const list = Array.isArray(raw) ? raw : [raw];
    if (list.length > 1 && op !== 'eq') {
      errors.push({ path: param, message: 'give it once' });
      continue;
    }
    const parsed = list.map((v) => schema.safeParse(v));
    const bad = parsed.find((p) => !p.success);
    if (bad && !bad.success) {
      errors.push({ path: param, message: bad.error.issues[0].message });
      continue;
    }
    const values = parsed.map((p) => (op === 'empty' || op === 'contains' ? p.data : storedValue(kind, p.data, true)));
    // SQLite: the path as a literal, so the field's expression index applies (server/store/customIndexes.ts)
    out.push({ param, target: customValueSql(db, key, def.type), kind, op: op as Operator, value: values.length === 1 ? values[0] : values, jsonPath: kind === 'multi' ? `$.${key}` : undefined });
  }
  if (errors.length > 0) throw new ValidationError(errors);
  // amounts compare within one currency (SPEC §3): an amount range needs the currency
  const amountRange = out.find((c) => c.kind === 'money' && SQL_OPS[c.op] && !CUSTOM_PARAM.test(c.param));
  if (amountRange && query.currency === undefined) {
    throw new ValidationError([{ path: amountRange.param, message: 'amounts compare within one currency: add currency=, e.g. currency=USD' }]);
  }
  return out;
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

/** Comparisons no empty (null) value satisfies. */
const NULL_EXCLUDING: ReadonlySet<Operator> = new Set(['eq', 'gt', 'gte', 'lt', 'lte', 'contains']);

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

  // `deleted = 0` as a literal: the planner then uses the partial indexes of live records (server/store/migrations.ts liveIndexes)
  let base = db.selectFrom(collection).selectAll().where('workspaceId', '=', ctx.workspaceId).where('deleted', '=', sql.lit(0));
  const visible = visibleCondition(collection, ctx.userId);
  if (visible) base = base.where(visible);
  const archived = query.archived ?? 'false';
  if (archived === 'false') base = base.where('archivedAt', 'is', null);
  if (archived === 'true') base = base.where('archivedAt', 'is not', null);
  let q = base;
  for (const [key, value] of Object.entries(filters)) q = Array.isArray(value) ? q.where(key, 'in', value) : q.where(key, '=', value);
  const conditions = await conditionsOf(db, ctx, collection, query);
  for (const condition of conditions) q = q.where((eb) => conditionSql(db, eb, condition));
  for (const key of derivedFilters) q = q.where((eb) => derived[key](eb, String(query[key]), ctx.workspaceId));
  if (query.label !== undefined) q = q.where(hasLabel(db, collection, String(query.label)));
  if (query.updatedSince) q = q.where('updatedAt', '>=', new Date(query.updatedSince).toISOString());
  if (query.q) {
    const text = query.q;
    q = q.where((eb) => eb.or(info.searchFields.map((f) => containsText(db, sql.ref(f), text))));
  }

  let total: number | undefined;
  if (query.count === 'true') {
    const counted = await q
      .clearSelect()
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    total = Number((counted as { n?: unknown } | undefined)?.n ?? 0);
  }

  // empty values sort last — unless a filter on the sort field already leaves them out, so that the
  // field's index gives the order (a `lastActivityAt[lt]` list sorted by lastActivityAt reads a range)
  const nullsLeftOut = sortField in filters || conditions.some((c) => c.param.startsWith(`${sortField}[`) && (NULL_EXCLUDING.has(c.op) || (c.op === 'empty' && c.value === 'false')));
  const nullable = info.nullableFields.includes(sortField) && !nullsLeftOut;
  const moneySort = info.moneyFields.includes(sortField);
  const dir = desc ? 'desc' : 'asc';
  const cmp = desc ? '<' : '>';
  type Part = (s: typeof q) => typeof q;
  /** The values part (keyset after the cursor when it names a value; null when the cursor is in the empty part) and the empty part, if read. */
  let values: Part | null = (s) => (nullable ? s.where(sortField, 'is not', null) : s);
  let empty: Part | null = nullable ? (s) => s.where(sortField, 'is', null) : null;
  if (query.cursor) {
    const { value, id } = decodeCursor(query.cursor, collection, sortParam, cursorValueSchema(collection, sortField));
    const cursorValue = moneySort && value != null ? Number(value) : value;
    if (cursorValue === null) {
      values = null;
      empty = (s) => s.where(sortField, 'is', null).where('id', cmp, id);
    } else {
      const inValues = values;
      values = (s) => inValues(s).where((eb: ExpressionBuilder<any, any>) => eb(eb.refTuple(sortField, 'id'), cmp, eb.tuple(cursorValue, id)));
    }
  }
  // Empty values last, in two reads that each follow an index in its order (a single
  // `order by <field> is null, …` would sort every matching row): the values, then if the page is
  // not full, the records without one by id. Each read in order whatever share of the rows the
  // filters match (server/store/ordered.ts).
  const read = (part: Part, order: string[], n: number) =>
    readInOrder(db, { table: collection, filtered: part(q), unfiltered: part(base), order, dir, indexKey: [sortField, 'id'], live: archived === 'false', limit: n });
  const rows: Row[] = values ? await read(values, [sortField, 'id'], limit + 1) : [];
  if (empty && rows.length <= limit) rows.push(...(await read(empty, ['id'], limit + 1 - rows.length)));

  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > limit && last ? encodeCursor(collection, sortParam, last[sortField] ?? null, String(last.id)) : null;
  return { data: page.map((row) => rowToRecord(collection, row)), nextCursor, ...(total !== undefined ? { total } : {}) };
}
