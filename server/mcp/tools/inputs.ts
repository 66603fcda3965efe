/**
 * Input pieces the tools share: ids, a record by name instead of id, the version check of an
 * update, and the filters and paging of list tools.
 */
import { z } from 'zod';
import { COLLECTIONS, type CollectionName } from '../../../shared/collections.js';
import { CUSTOMIZABLE } from '../../../shared/customFields.js';
import { operatorFields } from '../../../shared/listQuery.js';
import { invalid } from '../../domain/errors.js';
import { Id, IsoDateTime } from '../../../shared/schemas.js';

/** What ids look like, said once in each description that takes one. */
export const ID_HINT = 'Ids are UUIDs.';

/** A record id; `format: uuid` says what it is, so no description. */
export const recordId = (_what: string) => Id;
/** A record by exact name (case-insensitive, must match one) instead of its id field (`organization` beside `organizationId`). */
export const nameRef = () => z.string().trim().min(1, { error: 'must not be empty' }).optional();
export const IF_VERSION_NOTE = 'Fail unless still at this version';
export const ifVersion = z.number().int().optional().describe(IF_VERSION_NOTE);

const ARCHIVED = { exclude: 'false', only: 'true', include: 'all' } as const;

/** List arguments that are not fields. */
const LIST_ARGS = new Set(['q', 'label', 'updatedSince', 'archived', 'sort', 'limit', 'cursor', 'full', 'custom', 'count', 'id', 'workspaceId']);

/**
 * Standard fields of a collection a list tool filters with operators (SPEC §4: `{"amount": {"gte":
 * 10000}}`): numbers, money, dates and timestamps, and the collection's equality filters (a deal's
 * currency); text is searched with q. Kept few, so the catalogue stays small.
 */
const operatorKeys = (collection: CollectionName) =>
  (CUSTOMIZABLE as readonly string[]).includes(collection)
    ? operatorFields(collection)
        .filter(
          ([key, kind]) =>
            !LIST_ARGS.has(key) && !LONG_OR_IMPLIED.has(key) && (['number', 'money', 'date', 'datetime'].includes(kind) || (kind === 'text' && COLLECTIONS[collection].filterFields.includes(key))),
        )
        .map(([key]) => key)
    : [];
/** Fields list tools leave to q, archived and updatedSince. */
const LONG_OR_IMPLIED = new Set(['notes', 'body', 'lostReason', 'linkedProjectId', 'linkedTaskId', 'archivedAt', 'createdAt', 'updatedAt', 'domain']);

/** A field's filter in a list tool: a value (any of a list), or operators {ne, gt, gte, lt, lte, contains, empty}; checked by the list query. */
const fieldFilter = z.unknown().optional();

/** The note list tools' descriptions add: how to filter by any field, custom ones included. */
export const FILTER_HINT = 'Filter: field: value or {gte,lt,…}; custom: {key: …}; count: true → total.';

export function listInput(collection: CollectionName, extra: z.ZodRawShape = {}) {
  const info = COLLECTIONS[collection];
  const sortable = ['createdAt', 'updatedAt', ...info.sortFields];
  const fields = Object.fromEntries(
    operatorKeys(collection)
      .filter((key) => !(key in extra))
      .map((key) => [key, fieldFilter]),
  );
  return z.strictObject({
    ...fields,
    q: z.string().trim().max(200).optional(),
    ...extra,
    ...(info.jsonFields.includes('labels') ? { label: z.string().trim().min(1).optional() } : {}),
    updatedSince: IsoDateTime.optional(),
    archived: z.enum(['exclude', 'only', 'include']).optional(),
    // one of the sortable fields, with - for descending: a pattern says it in half the characters of the enum
    sort: z
      .string()
      .regex(new RegExp(`^-?(${sortable.join('|')})$`), { error: `must be one of ${sortable.join(', ')}, each optionally with a leading - (descending)` })
      .optional(),
    limit: z.number().int().min(1, { error: 'must be between 1 and 200' }).max(200, { error: 'must be between 1 and 200' }).optional(),
    cursor: z.string().optional(),
    full: z.boolean().optional(),
    ...(([...CUSTOMIZABLE, 'records'] as string[]).includes(collection) ? { custom: fieldFilter, count: z.boolean().optional() } : {}),
  });
}

/** A field's filter argument as list query parameters: field=value(s), field[op]=value. */
function addFilter(query: Record<string, unknown>, field: string, value: unknown): void {
  const text = (v: unknown) => (Array.isArray(v) ? v.map(String) : String(v));
  if (value === undefined) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    query[field] = text(value);
    return;
  }
  for (const [op, v] of Object.entries(value)) query[op === 'eq' ? field : `${field}[${op}]`] = text(v);
}

/** ListQuery for the record service from a tool's list arguments. */
export function listQuery(args: Record<string, unknown>, keys: string[], collection?: CollectionName): Record<string, unknown> {
  const query: Record<string, unknown> = { limit: args.limit ?? 25 };
  for (const key of ['q', 'label', 'updatedSince', 'sort', 'cursor', ...keys]) if (args[key] !== undefined) query[key] = args[key];
  if (args.archived !== undefined) query.archived = ARCHIVED[args.archived as keyof typeof ARCHIVED];
  for (const key of collection ? operatorKeys(collection) : []) if (!keys.includes(key)) addFilter(query, key, args[key]);
  const custom = args.custom ?? {};
  if (typeof custom !== 'object' || custom === null || Array.isArray(custom)) throw invalid('custom', 'must be an object: {key: value, or operators such as {"gte": 10}}');
  for (const [key, value] of Object.entries(custom)) addFilter(query, `custom.${key}`, value);
  if (args.count === true) query.count = 'true';
  return query;
}
