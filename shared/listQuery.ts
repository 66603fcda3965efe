/**
 * The query a list of one collection accepts (SPEC §3 "Lists"): paging, search, the collection's
 * own filters and sorts, nothing else. The server validates a list request with it and the OpenAPI
 * document is generated from it, so each collection documents exactly the filters it takes.
 */
import { z } from 'zod';
import { COLLECTIONS, type CollectionName } from './collections.js';
import { ArchivedFilter, CalendarDate, FIELD_KEY, Id, IsoDateTime, Label, maxChars } from './schemas.js';

export const LIST_LIMIT_MAX = 500;

/** The sort values of a collection: each sortable field, ascending or (with a leading -) descending. */
export function sortValues(collection: CollectionName): string[] {
  return ['createdAt', 'updatedAt', ...COLLECTIONS[collection].sortFields].flatMap((f) => [f, `-${f}`]);
}

/**
 * Filters that are not a column of the collection: a deal's `personId` is its primary person or
 * one of its contacts (SPEC §3 "Query operators"). The list query (server/domain/records/list.ts)
 * implements each.
 */
export const DERIVED_FILTERS: Partial<Record<CollectionName, Readonly<Record<string, string>>>> = {
  deals: { personId: 'Only deals whose primary person, or one of whose contacts, is this person' },
};

// ---------------------------------------------------------------- query operators (SPEC §3)

export const OPERATORS = ['ne', 'gt', 'gte', 'lt', 'lte', 'contains', 'empty'] as const;
export type Operator = (typeof OPERATORS)[number] | 'eq';

/** How a field compares: the kinds of standard fields (from the record schemas) and of custom field types. */
export type FieldKind = 'number' | 'money' | 'date' | 'datetime' | 'text' | 'enum' | 'boolean' | 'id' | 'multi';

const ORDERED: Operator[] = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'empty'];
/** The operators each kind of field takes. */
export const KIND_OPERATORS: Record<FieldKind, Operator[]> = {
  number: ORDERED,
  money: ORDERED,
  date: ORDERED,
  datetime: ORDERED,
  text: ['eq', 'ne', 'contains', 'empty'],
  enum: ['eq', 'ne', 'empty'],
  boolean: ['eq', 'ne', 'empty'],
  id: ['eq', 'ne', 'empty'],
  multi: ['eq', 'empty'],
};

/** The kind of a custom field type. */
export function customKind(type: string): FieldKind {
  if (type === 'number') return 'number';
  if (type === 'money') return 'money';
  if (type === 'date') return 'date';
  if (type === 'datetime') return 'datetime';
  if (type === 'boolean') return 'boolean';
  if (type === 'select') return 'enum';
  if (type === 'multi_select') return 'multi';
  if (type === 'reference') return 'id';
  return 'text';
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  while (s instanceof z.ZodNullable || s instanceof z.ZodOptional || s instanceof z.ZodDefault) s = s.unwrap() as z.ZodType;
  return s;
}

/** The kind of a standard field of a collection (null: not filterable with operators, such as labels or JSON). */
export function standardKind(collection: CollectionName, key: string): FieldKind | null {
  const info = COLLECTIONS[collection];
  if (['workspaceId', 'custom', 'labels', 'version'].includes(key)) return null;
  const s = unwrap(info.record.shape[key] as z.ZodType);
  if (info.moneyFields.includes(key)) return 'money';
  if (key === 'id' || info.references[key] || /Id$/.test(key)) return 'id';
  if (s instanceof z.ZodEnum) return 'enum';
  if (s instanceof z.ZodBoolean) return 'boolean';
  if (s instanceof z.ZodNumber) return 'number';
  if (!(s instanceof z.ZodString)) return null;
  if (/At$/.test(key)) return 'datetime';
  if (/Date$/.test(key)) return 'date';
  return 'text';
}

/** Standard fields that take operators, with their kinds. */
export function operatorFields(collection: CollectionName): [string, FieldKind][] {
  return Object.keys(COLLECTIONS[collection].record.shape)
    .map((key) => [key, standardKind(collection, key)] as [string, FieldKind | null])
    .filter((entry): entry is [string, FieldKind] => entry[1] !== null);
}

/** The schema of an operator's value in a query string (equality takes the field's own filter schema). */
export function operatorValue(kind: FieldKind, op: Operator): z.ZodType {
  if (op === 'empty') return z.enum(['true', 'false'], { error: 'must be true or false' });
  if (op === 'contains') return maxChars(z.string().trim().min(1, { error: 'must not be empty' }), 200);
  if (kind === 'number' || kind === 'money') return z.coerce.number({ error: 'must be a number' }).refine(Number.isFinite, { error: 'must be a number' });
  if (kind === 'date') return CalendarDate;
  if (kind === 'datetime') return z.union([IsoDateTime, CalendarDate], { error: 'must be an ISO 8601 date-time or a date YYYY-MM-DD' });
  if (kind === 'boolean') return z.enum(['true', 'false'], { error: 'must be true or false' });
  if (kind === 'id') return Id;
  return maxChars(z.string().trim(), 1000);
}

/** The query parameters of operators on standard fields, e.g. amount[gte], with their value schemas. */
export function operatorParams(collection: CollectionName): Record<string, z.ZodType> {
  const out: Record<string, z.ZodType> = {};
  for (const [key, kind] of operatorFields(collection)) for (const op of KIND_OPERATORS[kind]) if (op !== 'eq') out[`${key}[${op}]`] = operatorValue(kind, op).optional();
  return out;
}

/** A custom field query parameter: custom.<key> or custom.<key>[op]. */
export const CUSTOM_PARAM = new RegExp(`^custom\\.(${FIELD_KEY.source.slice(1, -1)})(?:\\[(${OPERATORS.join('|')})\\])?$`);

/** The schema of one filter parameter: ids are UUIDs, other filters take the record field's values (a deal status, an activity type). */
function filterSchema(collection: CollectionName, key: string): z.ZodType {
  if (key.endsWith('Id')) return Id;
  let field = COLLECTIONS[collection].record.shape[key] as z.ZodType;
  while (field instanceof z.ZodNullable || field instanceof z.ZodOptional) field = field.unwrap() as z.ZodType;
  return field;
}

function build(collection: CollectionName) {
  const info = COLLECTIONS[collection];
  const sorts = sortValues(collection);
  const filters: Record<string, z.ZodType> = {};
  for (const key of info.filterFields) {
    const one = filterSchema(collection, key);
    filters[key] = z
      .union([one, z.array(one)])
      .optional()
      .describe(`Only ${info.label}s whose ${key} is this value (repeated: any of them)`);
  }
  for (const [key, description] of Object.entries(DERIVED_FILTERS[collection] ?? {})) filters[key] = Id.optional().describe(description);
  const shape = {
    limit: z.coerce
      .number()
      .int()
      .min(1, { error: `must be between 1 and ${LIST_LIMIT_MAX}` })
      .max(LIST_LIMIT_MAX, { error: `must be between 1 and ${LIST_LIMIT_MAX}` })
      .optional()
      .describe('Page size (default 50)'),
    cursor: z.string().optional().describe('nextCursor of the previous page of the same list and sort, unchanged; anything else is refused with 400'),
    q: maxChars(z.string().trim(), 200)
      .optional()
      .describe(`Text search in ${info.searchFields.join(', ') || 'nothing'}`),
    sort: z
      .enum(sorts as [string, ...string[]], { error: `must be one of ${sorts.join(', ')}` })
      .optional()
      .describe('Sort field; a leading - sorts descending. Default -createdAt'),
    ...filters,
    ...(info.jsonFields.includes('labels') ? { label: Label.optional().describe('Only records with this label') } : {}),
    updatedSince: IsoDateTime.optional().describe('Only records changed at or after this time'),
    archived: ArchivedFilter.optional().describe('false (default): active records; true: archived ones; all: both'),
    ...operatorParams(collection),
    count: z.enum(['true', 'false'], { error: 'must be true or false' }).optional().describe('true: the answer carries total, the number of records matching'),
    format: z
      .enum(['json', 'csv'], { error: 'must be json or csv' })
      .optional()
      .describe('csv: every matching record as CSV (streamed; header row of field keys, custom.<key> columns; limit and cursor do not apply). Also Accept: text/csv'),
    workspace: z.string().optional().describe('Workspace slug or id (instead of X-Kith-Workspace)'),
  };
  // custom.<key> and custom.<key>[op] are checked against the workspace's fields by the list (server/domain/records/list.ts); any other unknown parameter is refused here
  return z
    .object(shape)
    .catchall(z.union([z.string(), z.array(z.string())]))
    .superRefine((query, ctx) => {
      const unknown = Object.keys(query).filter((key) => !(key in shape) && !CUSTOM_PARAM.test(key));
      if (unknown.length > 0) ctx.addIssue({ code: 'unrecognized_keys', keys: unknown, input: query, path: [] });
    });
}

const CACHE = new Map<CollectionName, ReturnType<typeof build>>();

/** The list query of a collection (strict: an unknown parameter, or another collection's filter, is refused). */
export function listQuerySchema(collection: CollectionName): ReturnType<typeof build> {
  let schema = CACHE.get(collection);
  if (!schema) CACHE.set(collection, (schema = build(collection)));
  return schema;
}

/** A validated list query: the parameters every list has, and any filter by name. */
export type ListQueryOf = z.output<ReturnType<typeof build>> & Record<string, unknown>;
