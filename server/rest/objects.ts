/**
 * Custom object types and their records (SPEC §3): `GET|POST /crm/objects`, `GET|PATCH
 * /crm/objects/:type`, `GET|POST /crm/objects/:type/records`, `GET|PATCH|DELETE
 * /crm/objects/:type/records/:id`, `…/:id/archive|restore`, `POST /crm/objects/:type/records/bulk`.
 * Types are addressed by key.
 */
import type { Request } from 'express';
import { z } from 'zod';
import { COLLECTIONS } from '../../shared/collections.js';
import { listQuerySchema } from '../../shared/listQuery.js';
import { CustomRecordCreate, CustomRecordUpdate, ObjectTypeCreate, ObjectTypeUpdate } from '../../shared/schemas.js';
import { parseInput } from '../domain/errors.js';
import type { Services } from '../domain/services.js';
import type { RouteDef } from './routeTable.js';
import { parseIfMatch } from './routes.js';
import { csvText, streamText, wantsCsv } from './csv.js';
import { exportRows } from '../domain/export.js';
import { BulkInput, BulkResult } from '../domain/bulk.js';

const param = (req: Request, name: string) => String(req.params[name]);
const page = (record: z.ZodType) => z.object({ data: z.array(record), nextCursor: z.string().nullable(), total: z.number().int().optional() });
const TAG = 'Custom objects';
/** A record's body without its type: the type is the path's. */
const RecordCreate = CustomRecordCreate.omit({ type: true });
/** The list query of a type's records: the records list's, the type from the path. */
const RecordsQuery = listQuerySchema('records');

export function objectRoutes(services: Services): RouteDef[] {
  const { records, objects, bulk } = services;
  const typeRecord = COLLECTIONS.objectTypes.record;
  const record = COLLECTIONS.records.record;
  const etagged = (method: RouteDef['method'], path: string, summary: string, handler: RouteDef['handler'], extra: Partial<RouteDef> = {}): RouteDef => ({
    method,
    path,
    tag: TAG,
    summary,
    response: path.includes('/records') ? record : typeRecord,
    etag: true,
    handler,
    ...extra,
  });
  return [
    {
      method: 'get',
      path: '/objects',
      tag: TAG,
      summary: 'Custom object types',
      query: listQuerySchema('objectTypes'),
      response: page(typeRecord),
      handler: (ctx, req) => records.list(ctx, 'objectTypes', req.query),
    },
    etagged(
      'post',
      '/objects',
      'Define a custom object type (owners): key, singular, plural, icon',
      async (ctx, req, res) => {
        const { record: created, created: isNew } = await records.create(ctx, 'objectTypes', req.body);
        res.status(isNew ? 201 : 200).location(`/crm/objects/${created.key as string}`);
        return created;
      },
      { body: ObjectTypeCreate, status: 201 },
    ),
    etagged('get', '/objects/:type', 'A custom object type', (ctx, req) => objects.type(ctx, param(req, 'type'))),
    etagged(
      'patch',
      '/objects/:type',
      'Rename a custom object type or change its icon (owners); the key never changes',
      async (ctx, req) => records.update(ctx, 'objectTypes', (await objects.type(ctx, param(req, 'type'))).id, req.body, { ifVersion: () => parseIfMatch(req.get('if-match')) }),
      { body: ObjectTypeUpdate },
    ),
    {
      method: 'get',
      path: '/objects/:type/records',
      tag: TAG,
      summary: "A custom object type's records (filters, operators and custom.<key> as on every list)",
      query: RecordsQuery,
      response: page(record),
      csvResponse: true,
      handler: async (ctx, req, res) => {
        await objects.type(ctx, param(req, 'type'));
        const query = { ...parseInput(RecordsQuery, req.query), type: param(req, 'type') };
        if (wantsCsv(req)) return streamText(res, 'text/csv; charset=utf-8', `${param(req, 'type')}.csv`, csvText(exportRows(records, ctx, 'records', query)));
        return records.list(ctx, 'records', query);
      },
    },
    etagged(
      'post',
      '/objects/:type/records',
      'Create a record of a custom object type; its custom fields are validated like any entity',
      async (ctx, req, res) => {
        await objects.type(ctx, param(req, 'type'));
        const body = parseInput(RecordCreate, req.body);
        const { record: created, created: isNew } = await records.create(ctx, 'records', { ...body, type: param(req, 'type') });
        res.status(isNew ? 201 : 200).location(`/crm/objects/${param(req, 'type')}/records/${created.id}`);
        return created;
      },
      { body: RecordCreate, status: 201 },
    ),
    {
      method: 'post',
      path: '/objects/:type/records/bulk',
      tag: TAG,
      summary: "One action over many of a type's records",
      description:
        "As POST /crm/people/bulk: the records by ids, or by filter (this list's query parameters as an object); action update (values is the patch), addLabels / removeLabels (values.labels), archive, restore, delete (owners); dryRun reports what would change and changes nothing. POST /crm/operations/{operationId}/undo reverts it. Ids of another type's records are refused in errors.",
      body: BulkInput,
      response: BulkResult,
      handler: async (ctx, req) => {
        await objects.type(ctx, param(req, 'type'));
        return bulk.run(ctx, { type: param(req, 'type') }, req.body);
      },
    },
    etagged('get', '/objects/:type/records/:id', 'A record of a custom object type', (ctx, req) => objects.record(ctx, param(req, 'type'), param(req, 'id'))),
    etagged(
      'patch',
      '/objects/:type/records/:id',
      'Update a record (send only what changes; custom values merge by key)',
      async (ctx, req) => {
        const body = parseInput(CustomRecordUpdate, req.body);
        const found = await objects.record(ctx, param(req, 'type'), param(req, 'id'));
        return records.update(ctx, 'records', found.id, body, { ifVersion: () => parseIfMatch(req.get('if-match')) });
      },
      { body: CustomRecordUpdate },
    ),
    etagged('post', '/objects/:type/records/:id/archive', 'Archive a record', async (ctx, req) =>
      records.setArchived(ctx, 'records', (await objects.record(ctx, param(req, 'type'), param(req, 'id'))).id, true),
    ),
    etagged('post', '/objects/:type/records/:id/restore', 'Restore an archived record', async (ctx, req) =>
      records.setArchived(ctx, 'records', (await objects.record(ctx, param(req, 'type'), param(req, 'id'))).id, false),
    ),
    {
      method: 'delete',
      path: '/objects/:type/records/:id',
      tag: TAG,
      summary: 'Delete a record (owners); leaves a tombstone',
      status: 204,
      handler: async (ctx, req) => {
        await records.remove(ctx, 'records', (await objects.record(ctx, param(req, 'type'), param(req, 'id'))).id);
      },
    },
  ];
}
