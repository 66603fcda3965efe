/**
 * Input pieces the tools share: ids, a record by name instead of id, the version check of an
 * update, and the filters and paging of list tools.
 */
import { z } from 'zod';
import { COLLECTIONS, type CollectionName } from '../../../shared/collections.js';
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

export function listInput(collection: CollectionName, extra: z.ZodRawShape = {}) {
  const info = COLLECTIONS[collection];
  const sortable = ['createdAt', 'updatedAt', ...info.sortFields];
  return z.strictObject({
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
  });
}

/** ListQuery for the record service from a tool's list arguments. */
export function listQuery(args: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const query: Record<string, unknown> = { limit: args.limit ?? 25 };
  for (const key of ['q', 'label', 'updatedSince', 'sort', 'cursor', ...keys]) if (args[key] !== undefined) query[key] = args[key];
  if (args.archived !== undefined) query.archived = ARCHIVED[args.archived as keyof typeof ARCHIVED];
  return query;
}
