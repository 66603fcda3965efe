/**
 * Input pieces the tools share: ids, a record by name instead of id, the version check of an
 * update, and the filters and paging of list tools.
 */
import { z } from 'zod';
import { COLLECTIONS, type CollectionName } from '../../../shared/collections.js';
import { Id, IsoDateTime } from '../../../shared/schemas.js';

export const ID_HINT = 'Ids are UUID strings such as 0192f1c4-7b3a-7c2e-9f10-3d5e8a1b2c4d; take them from list, search or create results.';

export const recordId = (what: string) => Id.describe(`Id of the ${what} (UUID)`);
export const nameRef = (what: string, idField: string) =>
  z.string().trim().min(1, { error: 'must not be empty' }).max(300).optional().describe(`The ${what} by exact name (case-insensitive), instead of ${idField}; must match exactly one`);
export const ifVersion = z.number().int().optional().describe('Only update if the record still has this version (from a previous read); otherwise the call fails and nothing changes');

const ARCHIVED = { exclude: 'false', only: 'true', include: 'all' } as const;

export function listInput(collection: CollectionName, extra: z.ZodRawShape = {}) {
  const info = COLLECTIONS[collection];
  const sortable = ['createdAt', 'updatedAt', ...info.sortFields];
  return z.strictObject({
    q: z
      .string()
      .trim()
      .max(200)
      .optional()
      .describe(`Text search in ${info.searchFields.join(', ')}`),
    ...extra,
    ...(info.jsonFields.includes('labels') ? { label: z.string().trim().min(1).optional().describe('Only records with this label') } : {}),
    updatedSince: IsoDateTime.optional().describe('Only records changed at or after this time (ISO 8601)'),
    archived: z.enum(['exclude', 'only', 'include']).optional().describe('Archived records: exclude (default), only, or include'),
    sort: z
      .enum(sortable.flatMap((f) => [f, `-${f}`]) as [string, ...string[]])
      .optional()
      .describe('Sort field; a leading - sorts descending. Default -createdAt (newest first)'),
    limit: z.number().int().min(1, { error: 'must be between 1 and 200' }).max(200, { error: 'must be between 1 and 200' }).optional().describe('Page size (default 25, at most 200)'),
    cursor: z.string().optional().describe('nextCursor of the previous page, to continue the same list'),
    full: z.boolean().optional().describe('Return full records instead of compact ones (default false)'),
  });
}

/** ListQuery for the record service from a tool's list arguments. */
export function listQuery(args: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const query: Record<string, unknown> = { limit: args.limit ?? 25 };
  for (const key of ['q', 'label', 'updatedSince', 'sort', 'cursor', ...keys]) if (args[key] !== undefined) query[key] = args[key];
  if (args.archived !== undefined) query.archived = ARCHIVED[args.archived as keyof typeof ARCHIVED];
  return query;
}
