/**
 * Every /crm route of SPEC §3, as thin adapters over the domain services.
 */
import type { Request } from 'express';
import { z } from 'zod';
import type { CollectionName } from '../../shared/collections.js';
import { COLLECTIONS } from '../../shared/collections.js';
import { listQuerySchema } from '../../shared/listQuery.js';
import {
  ActivityCreate,
  ActivityUpdate,
  AuditEntryRecord,
  DealContactCreate,
  DealCreate,
  DealUpdate,
  FieldCreate,
  FieldUpdate,
  OrganizationCreate,
  OrganizationUpdate,
  PersonCreate,
  PersonUpdate,
  PipelineCreate,
  PipelineUpdate,
  StageCreate,
  StageOrder,
  StageUpdate,
} from '../../shared/schemas.js';
import { ViewCreate, ViewUpdate } from '../../shared/entities/views.js';
import { AuditQuery } from '../domain/audit.js';
import { WorkspaceUpdate, type Auth } from '../domain/accounts.js';
import { DomainError, parseInput } from '../domain/errors.js';
import type { Services } from '../domain/services.js';
import { SchemaDescription } from '../domain/schema.js';
import { SearchQuery, SummaryQuery } from '../domain/views.js';
import { keyRoutes } from './keyRoutes.js';
import { connectedAppRoutes } from './connectedApps.js';
import { automationRoutes } from './automationRoutes.js';
import { memberRoutes } from './members.js';
import { webhookRoutes } from './webhookRoutes.js';
import { objectRoutes } from './objects.js';
import { mergeRoutes } from './mergeRoutes.js';
import { Warning } from '../domain/merge.js';
import type { RouteDef } from './routeTable.js';
import { csvText, streamText, wantsCsv } from './csv.js';
import { exportRows } from '../domain/export.js';
import { importRoutes } from './importRoutes.js';

import { CRM_VERSION } from '../../shared/version.js';

/** The If-Match values PATCH accepts: an ETag of a GET (strong or weak), or *. */
export const IF_MATCH_PATTERN = '^\\s*(\\*|(W/)?"\\d+")\\s*$';

/** "12", W/"12" → 12; * → undefined; anything else → a 412 that says what was expected. */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^(?:W\/)?"(\d+)"$/.exec(header.trim());
  if (!match) throw new DomainError('precondition_failed', `If-Match must be an ETag returned by GET (e.g. "42"), got ${header}`);
  return Number(match[1]);
}

const page = (record: z.ZodType) =>
  z.object({ data: z.array(record), nextCursor: z.string().nullable(), total: z.number().int().optional().describe('With count=true: the number of records matching') });
const param = (req: Request, name: string) => String(req.params[name]);

interface CollectionRoutes {
  collection: CollectionName;
  path: string;
  tag: string;
  create: z.ZodType;
  update: z.ZodType;
  noun: string;
  /** Routes the collection does not have (custom fields are archived, never deleted). */
  without?: 'delete'[];
  /** A create answers `warnings` naming the records it likely duplicates (people by email, organizations by domain). */
  warnings?: boolean;
}

function collectionRoutes(services: Services, c: CollectionRoutes): RouteDef[] {
  const { records } = services;
  const record = COLLECTIONS[c.collection].record;
  const routes: RouteDef[] = [
    {
      method: 'get',
      path: c.path,
      tag: c.tag,
      summary: `List ${c.noun}s`,
      description: 'Cursor-paginated (pass nextCursor back unchanged; any other cursor is 400). Only the parameters listed are accepted: any other is refused with 422. Default sort -createdAt.',
      query: listQuerySchema(c.collection),
      response: page(record),
      csvResponse: true,
      handler: (ctx, req, res) =>
        wantsCsv(req) ? streamText(res, 'text/csv; charset=utf-8', `${c.collection}.csv`, csvText(exportRows(records, ctx, c.collection, req.query))) : records.list(ctx, c.collection, req.query),
    },
    {
      method: 'post',
      path: c.path,
      tag: c.tag,
      summary: `Create a ${c.noun}`,
      description: 'May carry a client id: repeating the same create returns the record (200); the same id with other content is 409.',
      body: c.create,
      response: c.warnings ? record.extend({ warnings: z.array(Warning).optional().describe('Records this one likely duplicates (created all the same)') }) : record,
      status: 201,
      etag: true,
      handler: async (ctx, req, res) => {
        const { record: created, created: isNew } = await records.create(ctx, c.collection, req.body);
        res.status(isNew ? 201 : 200).location(`/crm${c.path}/${created.id}`);
        const warnings = c.warnings && isNew ? await services.merge.duplicateWarnings(ctx, c.collection, created) : [];
        return warnings.length > 0 ? { ...created, warnings } : created;
      },
    },
    {
      method: 'get',
      path: `${c.path}/:id`,
      tag: c.tag,
      summary: `Get a ${c.noun}`,
      response: record,
      etag: true,
      handler: (ctx, req) => records.get(ctx, c.collection, param(req, 'id')),
    },
    {
      method: 'patch',
      path: `${c.path}/:id`,
      tag: c.tag,
      summary: `Update a ${c.noun}`,
      description: 'Send only the fields to change. Honours If-Match (412 when the record changed), checked after the body is validated: an invalid body is 422 whatever If-Match says.',
      body: c.update,
      response: record,
      etag: true,
      handler: (ctx, req) => records.update(ctx, c.collection, param(req, 'id'), req.body, { ifVersion: () => parseIfMatch(req.get('if-match')) }),
    },
    {
      method: 'post',
      path: `${c.path}/:id/archive`,
      tag: c.tag,
      summary: `Archive a ${c.noun}`,
      response: record,
      etag: true,
      handler: (ctx, req) => records.setArchived(ctx, c.collection, param(req, 'id'), true),
    },
    {
      method: 'post',
      path: `${c.path}/:id/restore`,
      tag: c.tag,
      summary: `Restore an archived ${c.noun}`,
      response: record,
      etag: true,
      handler: (ctx, req) => records.setArchived(ctx, c.collection, param(req, 'id'), false),
    },
    {
      method: 'delete',
      path: `${c.path}/:id`,
      tag: c.tag,
      summary: `Delete a ${c.noun} (owners)`,
      description: 'Leaves a tombstone so replicating clients learn of the delete.',
      status: 204,
      handler: async (ctx, req) => {
        await records.remove(ctx, c.collection, param(req, 'id'));
      },
    },
  ];
  return routes.filter((route) => !(c.without ?? []).includes(route.method as 'delete'));
}

export function crmRoutes(services: Services): RouteDef[] {
  const { records, views, accounts } = services;
  const stageRecord = COLLECTIONS.stages.record;
  return [
    {
      method: 'get',
      path: '/',
      tag: 'Workspace',
      summary: 'Feature gate and caller info',
      ungated: true,
      response: z.object({
        feature: z.string(),
        enabled: z.boolean(),
        version: z.string(),
        workspace: z.object({ id: z.string(), slug: z.string(), name: z.string(), defaultCurrency: z.string() }),
        role: z.string(),
        readOnly: z.boolean(),
        user: z.object({ id: z.string(), name: z.string(), email: z.string() }).describe('The user the API key belongs to'),
      }),
      handler: async (ctx, _req, res) => ({
        feature: 'crm.core',
        enabled: ctx.workspace.features['crm.core'] !== false,
        version: CRM_VERSION,
        workspace: { id: ctx.workspace.id, slug: ctx.workspace.slug, name: ctx.workspace.name, defaultCurrency: ctx.workspace.defaultCurrency },
        role: ctx.role,
        readOnly: ctx.readOnly,
        user: { id: (res.locals.auth as Auth).user.id, name: (res.locals.auth as Auth).user.name, email: (res.locals.auth as Auth).user.email },
      }),
    },
    {
      method: 'patch',
      path: '/workspace',
      tag: 'Workspace',
      summary: 'Change workspace settings (owners): name, default currency, features such as crm.core',
      ungated: true,
      body: WorkspaceUpdate,
      handler: async (ctx, req) => accounts.updateWorkspace(ctx, req.body),
    },
    ...memberRoutes(services),
    ...connectedAppRoutes(services),
    ...keyRoutes(services),
    ...webhookRoutes(services),
    ...automationRoutes(services),
    ...objectRoutes(services),
    ...importRoutes(services),
    ...mergeRoutes(services), // before the collections: /people/merge is not /people/:id
    ...collectionRoutes(services, {
      collection: 'organizations',
      path: '/organizations',
      tag: 'Organizations',
      create: OrganizationCreate,
      update: OrganizationUpdate,
      noun: 'organization',
      warnings: true,
    }),
    ...collectionRoutes(services, { collection: 'people', path: '/people', tag: 'People', create: PersonCreate, update: PersonUpdate, noun: 'person', warnings: true }),
    ...collectionRoutes(services, { collection: 'deals', path: '/deals', tag: 'Deals', create: DealCreate, update: DealUpdate, noun: 'deal' }),
    ...collectionRoutes(services, { collection: 'pipelines', path: '/pipelines', tag: 'Pipelines', create: PipelineCreate, update: PipelineUpdate, noun: 'pipeline' }),
    ...collectionRoutes(services, { collection: 'activities', path: '/activities', tag: 'Activities', create: ActivityCreate, update: ActivityUpdate, noun: 'activity' }),
    ...collectionRoutes(services, { collection: 'fields', path: '/fields', tag: 'Data model', create: FieldCreate, update: FieldUpdate, noun: 'custom field', without: ['delete'] }).map((route) =>
      route.method === 'patch'
        ? {
            ...route,
            description: `${route.description} The key and entity never change. A change of type, options or referenceTo converts the values records hold, or is refused with 409 saying how many records and which would not convert.`,
            statuses: { '409': 'A type, options or referenceTo change that values records hold would not convert to (the problem says how many and which)' },
          }
        : route,
    ),
    // saved views (a UI feature: REST, sync, no MCP tools); another member's personal view is 404
    ...collectionRoutes(services, { collection: 'views', path: '/views', tag: 'Saved views', create: ViewCreate, update: ViewUpdate, noun: 'saved view' }).map((route) =>
      route.method === 'delete' ? { ...route, summary: 'Delete a saved view (its owner or a workspace owner)' } : route,
    ),
    {
      method: 'get',
      path: '/schema',
      tag: 'Data model',
      summary: 'Every entity with its standard and custom fields: types, options, references, filters and sorts',
      response: SchemaDescription,
      handler: (ctx) => services.schema(ctx),
    },
    {
      method: 'get',
      path: '/pipelines/:id/stages',
      tag: 'Pipelines',
      summary: "A pipeline's stages in order",
      response: z.object({ data: z.array(stageRecord) }),
      handler: async (ctx, req) => {
        await records.get(ctx, 'pipelines', param(req, 'id'));
        return { data: (await records.list(ctx, 'stages', { pipelineId: param(req, 'id'), sort: 'position', limit: 500, archived: 'all' })).data };
      },
    },
    {
      method: 'post',
      path: '/pipelines/:id/stages',
      tag: 'Pipelines',
      summary: 'Add a stage (owners); position defaults to the end',
      body: StageCreate,
      response: stageRecord,
      status: 201,
      etag: true,
      handler: async (ctx, req, res) => {
        // validated against the body schema first, so a pipelineId in the body is refused, not overridden
        const body = parseInput(StageCreate, req.body);
        const { record, created } = await records.create(ctx, 'stages', { ...body, pipelineId: param(req, 'id') });
        res.status(created ? 201 : 200);
        return record;
      },
    },
    {
      method: 'put',
      path: '/pipelines/:id/stages/order',
      tag: 'Pipelines',
      summary: 'Reorder stages (owners): every stage id of the pipeline, in the new order',
      body: StageOrder,
      response: z.object({ data: z.array(stageRecord) }),
      handler: async (ctx, req) => ({ data: await services.reorderStages(ctx, param(req, 'id'), req.body) }),
    },
    {
      method: 'get',
      path: '/pipelines/:id/summary',
      tag: 'Pipelines',
      summary: 'Deal counts, value and weighted value per stage and per currency (open deals unless status= says otherwise)',
      query: SummaryQuery,
      handler: (ctx, req) => views.pipelineSummary(ctx, param(req, 'id'), req.query),
    },
    {
      method: 'get',
      path: '/stages/:id',
      tag: 'Pipelines',
      summary: 'Get a stage',
      response: stageRecord,
      etag: true,
      handler: (ctx, req) => records.get(ctx, 'stages', param(req, 'id')),
    },
    {
      method: 'patch',
      path: '/stages/:id',
      tag: 'Pipelines',
      summary: 'Rename, re-probability or move a stage (owners)',
      body: StageUpdate,
      response: stageRecord,
      etag: true,
      handler: (ctx, req) => records.update(ctx, 'stages', param(req, 'id'), req.body, { ifVersion: () => parseIfMatch(req.get('if-match')) }),
    },
    {
      method: 'delete',
      path: '/stages/:id',
      tag: 'Pipelines',
      summary: 'Delete a stage (owners); refused with 409 while deals use it',
      status: 204,
      handler: async (ctx, req) => {
        await records.remove(ctx, 'stages', param(req, 'id'));
      },
    },
    {
      method: 'get',
      path: '/deals/:id/contacts',
      tag: 'Deals',
      summary: "A deal's contacts with their roles and person records",
      handler: async (ctx, req) => ({ data: await views.dealContacts(ctx, param(req, 'id')) }),
    },
    {
      method: 'post',
      path: '/deals/:id/contacts',
      tag: 'Deals',
      summary: 'Add a person to a deal with a role (decision-maker, champion, end-user…)',
      body: DealContactCreate,
      response: COLLECTIONS.dealContacts.record,
      status: 201,
      handler: async (ctx, req, res) => {
        const body = parseInput(DealContactCreate, req.body);
        const { record, created } = await records.create(ctx, 'dealContacts', { ...body, dealId: param(req, 'id') });
        res.status(created ? 201 : 200);
        return record;
      },
    },
    {
      method: 'delete',
      path: '/deals/:id/contacts/:personId',
      tag: 'Deals',
      summary: 'Remove a person from a deal',
      status: 204,
      handler: async (ctx, req) => {
        const contacts = await views.dealContacts(ctx, param(req, 'id'));
        const contact = contacts.find((c) => (c as Record<string, unknown>).personId === param(req, 'personId'));
        if (!contact) throw new DomainError('not_found', `person ${param(req, 'personId')} is not a contact of deal ${param(req, 'id')}`);
        await records.remove(ctx, 'dealContacts', contact.id, undefined, 'MEMBER');
      },
    },
    {
      method: 'get',
      path: '/deals/:id/stage-changes',
      tag: 'Deals',
      summary: "A deal's stage history, oldest first",
      handler: async (ctx, req) => ({ data: await views.stageChanges(ctx, param(req, 'id')) }),
    },
    {
      method: 'get',
      path: '/people/:id/context',
      tag: 'Context',
      summary: 'A person with their organization, deals (with stage names), recent activities, open follow-ups and the custom object records that reference them (customRecords, by type)',
      handler: (ctx, req) => views.personContext(ctx, param(req, 'id')),
    },
    {
      method: 'get',
      path: '/organizations/:id/context',
      tag: 'Context',
      summary: 'An organization with its people, deals, recent activities, open follow-ups and the custom object records that reference it (customRecords, by type)',
      handler: (ctx, req) => views.organizationContext(ctx, param(req, 'id')),
    },
    {
      method: 'get',
      path: '/deals/:id/context',
      tag: 'Context',
      summary: 'A deal with its stage, pipeline, organization, contacts, stage history, activities, open follow-ups and the custom object records that reference it (customRecords, by type)',
      handler: (ctx, req) => views.dealContext(ctx, param(req, 'id')),
    },
    {
      method: 'get',
      path: '/search',
      tag: 'Search',
      summary: 'Search organizations (name, domain), people (name, email, title, phone) and deals (title)',
      query: SearchQuery,
      handler: (ctx, req) => views.search(ctx, req.query),
    },
    {
      method: 'get',
      path: '/labels',
      tag: 'Search',
      summary: 'Distinct labels with counts',
      handler: (ctx) => views.labels(ctx),
    },
    {
      method: 'get',
      path: '/audit',
      tag: 'Audit',
      summary: 'Audit entries, newest first (filter by entityType, entityId, action)',
      query: AuditQuery,
      response: page(AuditEntryRecord),
      handler: (ctx, req) => services.audit(ctx, req.query),
    },
  ];
}
