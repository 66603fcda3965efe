/**
 * Duplicates, merges, bulk operations and their undo (SPEC §3), over server/domain/merge.ts,
 * bulk.ts and operations.ts. Listed before the collection routes: /people/merge and /people/bulk
 * are matched before /people/:id.
 */
import { z } from 'zod';
import { BULK_COLLECTIONS, BulkResult } from '../domain/bulk.js';
import { BulkInput } from '../domain/bulk.js';
import { DuplicateGroup, DuplicatesQuery, MergeInput } from '../domain/merge.js';
import type { Services } from '../domain/services.js';
import { COLLECTIONS } from '../../shared/collections.js';
import type { RouteDef } from './routeTable.js';

const UndoResult = z.object({
  operationId: z.string().describe('The undo, itself an operation'),
  undid: z.string().describe('The operation undone'),
  changed: z.number().int().describe('Records changed back'),
  skipped: z.array(z.object({ id: z.string(), field: z.string(), message: z.string() })).describe('Fields left as they are because they changed since'),
});

const TAGS = { organizations: 'Organizations', people: 'People', deals: 'Deals', activities: 'Activities' } as const;

export function mergeRoutes(services: Services): RouteDef[] {
  const { merge, bulk } = services;
  const mergeRoute = (collection: 'people' | 'organizations', noun: string): RouteDef => ({
    method: 'post',
    path: `/${collection}/merge`,
    tag: 'Duplicates and merge',
    summary: `Merge ${collection} into one ${noun}`,
    description: `Moves every reference to the sources (deals, deal contacts, activities${collection === 'organizations' ? ', people of the organization' : ''}, reference custom fields) to the target, keeps the chosen values (fields: {field: recordId}; otherwise the target's, or the first source's where the target has none), unites labels, keeps the sources' other ${collection === 'people' ? 'emails and phones' : 'websites'} in the target's notes, deletes the sources (tombstones) and writes one merge audit entry with every snapshot. One transaction. Undo: POST /crm/merges/{auditEntryId}/undo.`,
    body: MergeInput,
    response: z.object({
      record: COLLECTIONS[collection].record.describe('The target after the merge'),
      auditEntryId: z.string().describe('The merge audit entry; POST /crm/merges/{auditEntryId}/undo reverts the merge'),
      operationId: z.string().describe('Every audit entry of the merge carries it'),
      moved: z.record(z.string(), z.number().int()).describe('References moved, by collection (custom fields as custom.<key>)'),
    }),
    statuses: { '404': `The target or a source is not a ${noun} of this workspace, or the workspace does not exist` },
    handler: (ctx, req) => merge.merge(ctx, collection, req.body),
  });
  return [
    {
      method: 'get',
      path: '/duplicates',
      tag: 'Duplicates and merge',
      summary: 'Groups of likely duplicate people or organizations',
      description:
        'People with the same email, organizations with the same website domain, and either with the same normalized name (case, accents and punctuation ignored); active records only, oldest first in each group. Records in two groups for the same reason set are listed once.',
      query: DuplicatesQuery,
      response: z.object({ data: z.array(DuplicateGroup) }),
      handler: (ctx, req) => merge.duplicates(ctx, req.query),
    },
    mergeRoute('people', 'person'),
    mergeRoute('organizations', 'organization'),
    {
      method: 'post',
      path: '/merges/:auditEntryId/undo',
      tag: 'Duplicates and merge',
      summary: 'Undo a merge',
      description:
        'Brings the sources back and moves their references back to them, and puts back the target values the merge changed — each field only if it has not changed since (the others are listed in skipped). One transaction.',
      response: UndoResult,
      statuses: { '404': 'No merge with this audit entry id in this workspace', '409': 'The merge was undone already' },
      handler: (ctx, req) => merge.undoMerge(ctx, String(req.params.auditEntryId)),
    },
    ...BULK_COLLECTIONS.map((collection): RouteDef => ({
      method: 'post',
      path: `/${collection}/bulk`,
      tag: TAGS[collection],
      summary: `One action over many ${COLLECTIONS[collection].label === 'person' ? 'people' : `${COLLECTIONS[collection].label}s`}`,
      description:
        "The records by ids, or by filter (the list query parameters as an object). action: update (values is the patch), addLabels / removeLabels (values.labels), archive, restore, delete (owners), moveStage (deals: values.stageId or values.stage, a name in the deal's pipeline). dryRun reports what would change and changes nothing. Every audit entry carries the operationId; POST /crm/operations/{operationId}/undo reverts it. A record the rules refuse is listed in errors; the others are changed.",
      body: BulkInput,
      response: BulkResult,
      handler: (ctx, req) => bulk.run(ctx, collection, req.body),
    })),
    {
      method: 'post',
      path: '/operations/:operationId/undo',
      tag: 'Duplicates and merge',
      summary: 'Undo a bulk operation or a merge',
      description:
        'Reverts every change of the operation, newest first, in one transaction: updates field by field (a field changed since is left and listed in skipped), archives restored, restores archived, deleted records brought back (owners).',
      response: UndoResult,
      statuses: { '404': 'No operation with this id in this workspace', '409': 'The operation was undone already, or is itself an undo' },
      handler: (ctx, req) => services.undoOperation(ctx, String(req.params.operationId)),
    },
  ];
}
