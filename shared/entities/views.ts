/**
 * Saved views (SPEC §6, issue 15): a named set of filters, sort and columns of one table (people,
 * organizations, deals, a custom object type) or of the board, kept for its owner alone (personal)
 * or shared with the workspace. Synced like every record, so a view saved offline is there at once
 * and reaches the server (and, when shared, the other members) later.
 *
 * Who sees and changes a view is declared here once (`ownership`) and applied by the server (lists,
 * reads, pulls, the live stream, digests and every write) and by the UI (shared/permissions.ts
 * `visibleTo` / `mayChangeRecord`):
 * - anyone who may write records (members and owners) creates views, personal or shared;
 * - a personal view is seen by its owner only (other clients receive it as a tombstone);
 * - only its owner, or a workspace owner, changes, shares, unshares or deletes a view.
 * `ownerId` is the creating user, set by the server (a client's value is ignored) and fixed for life.
 */
import { z } from 'zod';
import { Id, maxChars, recordBase, requiredText } from '../schemas.js';
import { invalid, type EntityDefinition, type Permissions } from './entity.js';

/** Tables a view may belong to besides custom object types (whose keys are checked against the workspace's types). */
export const VIEW_TABLES = ['people', 'organizations', 'deals', 'board'] as const;

const ViewName = requiredText(100).describe('The name shown in the Views menu');
const ViewTable = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .regex(/^[a-z][a-z0-9_]{0,62}$/, { error: `must be ${VIEW_TABLES.join(', ')} or a custom object type key` })
  .describe(`Which table the view belongs to: ${VIEW_TABLES.join(', ')}, or a custom object type key`);
const ViewFilters = z
  .record(z.string().max(100), z.unknown())
  .refine((f) => Object.keys(f).length <= 50, { error: 'at most 50 filters' })
  .describe('The filters as the table page keeps them (search text, labels, archived, status, a custom field condition, …)');
const SortEntry = z.strictObject({
  key: maxChars(z.string().min(1, { error: 'must not be empty' }), 200),
  direction: z.enum(['asc', 'desc'], { error: "must be 'asc' or 'desc'" }),
});
const ViewSort = z.array(SortEntry).max(5, { error: 'at most 5 sort keys' }).describe('Sort keys in order (empty: the table’s default)');
const ViewColumns = z
  .array(maxChars(z.string().min(1, { error: 'must not be empty' }), 200))
  .max(200, { error: 'at most 200 columns' })
  .describe('The visible columns in order (standard keys, custom.<key> for custom fields; on the board, the custom fields shown on cards)');
const ViewShared = z.boolean({ error: 'must be true (shared with the workspace) or false (personal)' }).describe('Shared with the workspace (true) or personal (false)');

export const ViewRecord = z.object({
  ...recordBase,
  name: z.string(),
  table: z.string(),
  filters: z.record(z.string(), z.unknown()),
  sort: z.array(z.object({ key: z.string(), direction: z.enum(['asc', 'desc']) })),
  columns: z.array(z.string()),
  shared: z.boolean(),
  ownerId: z.string().nullable().describe('The user who saved the view (set by the server)'),
});
export type ViewRecord = z.infer<typeof ViewRecord>;

export const ViewCreate = z.strictObject({
  id: Id.optional().describe('Client-chosen id (UUIDv7). Repeating the same create is a no-op.'),
  name: ViewName,
  table: ViewTable,
  filters: ViewFilters.optional(),
  sort: ViewSort.optional(),
  columns: ViewColumns.optional(),
  shared: ViewShared.optional(),
});
export const ViewUpdate = z.strictObject({ name: ViewName, filters: ViewFilters, sort: ViewSort, columns: ViewColumns, shared: ViewShared }).partial();

/** Members and owners write views; the ownership below narrows changes to the view's owner (or a workspace owner). */
const VIEW_WRITES: Permissions = { create: 'MEMBER', update: 'MEMBER', archive: 'MEMBER', restore: 'MEMBER', delete: 'MEMBER' };

export const views: EntityDefinition<'views', typeof ViewRecord, typeof ViewCreate, typeof ViewUpdate> = {
  name: 'views',
  entityType: 'view',
  label: 'saved view',
  record: ViewRecord,
  create: ViewCreate,
  update: ViewUpdate,
  fixedFields: ['table'],
  references: {},
  moneyFields: [],
  indexes: [],
  list: { search: ['name'], sort: ['name', 'table'], filter: ['table', 'ownerId'] },
  permissions: VIEW_WRITES,
  ownership: { owner: 'ownerId', shared: 'shared' },
  sync: 'pushable',
  rules: {
    create: (scope, input) => ({ ...input, filters: input.filters ?? {}, sort: input.sort ?? [], columns: input.columns ?? [], shared: input.shared ?? false, ownerId: scope.actorId }),
    async validate(scope, record, before) {
      if (!before && !record.ownerId && !record.shared) throw invalid('shared', 'a personal view needs a signed-in user to belong to; share it with the workspace instead');
      if (before || (VIEW_TABLES as readonly string[]).includes(record.table)) return;
      const types = (await scope.reader.objectTypes()).filter((t) => !t.archivedAt).map((t) => t.key);
      if (!types.includes(record.table)) throw invalid('table', `must be ${[...VIEW_TABLES, ...types].join(', ')} (no object type '${record.table}')`);
    },
  },
};
