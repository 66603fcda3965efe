/**
 * The query a list of one collection accepts (SPEC §3 "Lists"): paging, search, the collection's
 * own filters and sorts, nothing else. The server validates a list request with it and the OpenAPI
 * document is generated from it, so each collection documents exactly the filters it takes.
 */
import { z } from 'zod';
import { COLLECTIONS, type CollectionName } from './collections.js';
import { ArchivedFilter, Id, IsoDateTime, Label, maxChars } from './schemas.js';

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
  for (const key of info.filterFields) filters[key] = filterSchema(collection, key).optional().describe(`Only ${info.label}s whose ${key} is this value`);
  for (const [key, description] of Object.entries(DERIVED_FILTERS[collection] ?? {})) filters[key] = Id.optional().describe(description);
  return z.strictObject({
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
    workspace: z.string().optional().describe('Workspace slug or id (instead of X-Kith-Workspace)'),
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
