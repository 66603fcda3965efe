/**
 * What MCP tools return: output schemas (published in tools/list, checked by the SDK against
 * every structuredContent) and the compact records lists use to save a model's context.
 */
import { z } from 'zod';
import { COLLECTIONS, type CollectionName } from '../../shared/collections.js';
import { AuditEntryRecord } from '../../shared/schemas.js';
import type { Ctx } from '../domain/context.js';
import type { Services } from '../domain/services.js';
import type { AnyRecord } from '../domain/reads.js';

const str = z.string();
const nstr = z.string().nullable();
const labels = z.array(z.string());

/** A record schema for output: ids as plain strings (no UUID pattern repeated in every listing). */
function outputRecord(collection: CollectionName) {
  const shape = { ...COLLECTIONS[collection].record.shape } as Record<string, z.ZodType>;
  shape.id = z.string().describe('Record id (UUID)');
  return z.object(shape);
}

export const OrganizationOut = outputRecord('organizations');
export const PersonOut = outputRecord('people');
export const DealOut = outputRecord('deals').extend({
  stageName: nstr.describe('Name of the deal stage'),
  pipelineName: nstr.describe('Name of the deal pipeline'),
});
export const ActivityOut = outputRecord('activities');
export const StageOut = outputRecord('stages');
export const PipelineOut = outputRecord('pipelines').extend({ stages: z.array(StageOut).describe('Stages in order') });
export const DealContactOut = outputRecord('dealContacts').extend({ personName: nstr });

// ---------------------------------------------------------------- compact list records

export const OrganizationCompact = z.looseObject({ id: str, name: str, domain: nstr, website: nstr, labels, archivedAt: nstr, updatedAt: str });
export const PersonCompact = z.looseObject({
  id: str,
  name: str,
  email: nstr,
  phone: nstr,
  title: nstr,
  organizationId: nstr,
  organizationName: nstr,
  labels,
  archivedAt: nstr,
  updatedAt: str,
});
export const DealCompact = z.looseObject({
  id: str,
  title: str,
  status: str,
  amount: z.number().nullable(),
  currency: str,
  valuePeriod: str,
  probability: z.number().nullable(),
  expectedCloseDate: nstr,
  pipelineId: str,
  pipelineName: nstr,
  stageId: str,
  stageName: nstr,
  organizationId: nstr,
  organizationName: nstr,
  primaryPersonId: nstr,
  primaryPersonName: nstr,
  labels,
  archivedAt: nstr,
  updatedAt: str,
});
export const ActivityCompact = z.looseObject({
  id: str,
  type: str,
  subject: nstr,
  bodyPreview: nstr.optional().describe('First 200 characters of the body (compact records only)'),
  occurredAt: str,
  dueAt: nstr,
  completedAt: nstr,
  organizationId: nstr,
  personId: nstr,
  dealId: nstr,
  archivedAt: nstr,
});
const StageCompact = z.looseObject({ id: str, name: str, position: z.number(), probability: z.number().nullable() });
export const PipelineCompact = z.looseObject({ id: str, name: str, isDefault: z.boolean(), position: z.number(), archivedAt: nstr, stages: z.array(StageCompact) });

export const page = <T extends z.ZodType>(item: T) =>
  z.object({
    data: z.array(item),
    nextCursor: nstr.describe('Pass as cursor to get the next page; null on the last page'),
  });

const pick = (record: AnyRecord, keys: string[]) => Object.fromEntries(keys.map((k) => [k, record[k] ?? null]));

/** id → name of the records referenced by `field`. */
async function namesOf(services: Services, ctx: Ctx, collection: CollectionName, ids: unknown[], nameField = 'name'): Promise<Map<string, string>> {
  const found = await services.records.getMany(
    ctx,
    collection,
    ids.filter((v): v is string => typeof v === 'string'),
  );
  return new Map([...found].map(([id, r]) => [id, String(r[nameField])]));
}

async function dealsWithNames(services: Services, ctx: Ctx, deals: AnyRecord[]): Promise<Record<string, unknown>[]> {
  const [stages, pipelines, orgs, people] = await Promise.all([
    namesOf(
      services,
      ctx,
      'stages',
      deals.map((d) => d.stageId),
    ),
    namesOf(
      services,
      ctx,
      'pipelines',
      deals.map((d) => d.pipelineId),
    ),
    namesOf(
      services,
      ctx,
      'organizations',
      deals.map((d) => d.organizationId),
    ),
    namesOf(
      services,
      ctx,
      'people',
      deals.map((d) => d.primaryPersonId),
    ),
  ]);
  return deals.map((d) => ({
    ...d,
    stageName: stages.get(d.stageId as string) ?? null,
    pipelineName: pipelines.get(d.pipelineId as string) ?? null,
    organizationName: d.organizationId ? (orgs.get(d.organizationId as string) ?? null) : null,
    primaryPersonName: d.primaryPersonId ? (people.get(d.primaryPersonId as string) ?? null) : null,
  }));
}

/** A deal as get/create/update return it: the full record plus its stage and pipeline names. */
export async function dealOut(services: Services, ctx: Ctx, deal: AnyRecord): Promise<Record<string, unknown>> {
  const [withNames] = await dealsWithNames(services, ctx, [deal]);
  const { organizationName: _o, primaryPersonName: _p, ...rest } = withNames;
  return rest;
}

export async function compactDeals(services: Services, ctx: Ctx, deals: AnyRecord[], full: boolean) {
  const withNames = await dealsWithNames(services, ctx, deals);
  if (full) return withNames;
  return withNames.map((d) =>
    pick(d as AnyRecord, [
      'id',
      'title',
      'status',
      'amount',
      'currency',
      'valuePeriod',
      'probability',
      'expectedCloseDate',
      'pipelineId',
      'pipelineName',
      'stageId',
      'stageName',
      'organizationId',
      'organizationName',
      'primaryPersonId',
      'primaryPersonName',
      'labels',
      'archivedAt',
      'updatedAt',
    ]),
  );
}

export async function compactPeople(services: Services, ctx: Ctx, people: AnyRecord[], full: boolean) {
  const orgs = await namesOf(
    services,
    ctx,
    'organizations',
    people.map((p) => p.organizationId),
  );
  return people.map((p) => {
    const organizationName = p.organizationId ? (orgs.get(p.organizationId as string) ?? null) : null;
    if (full) return { ...p, organizationName };
    return { ...pick(p, ['id', 'name', 'email', 'phone', 'title', 'organizationId']), organizationName, ...pick(p, ['labels', 'archivedAt', 'updatedAt']) };
  });
}

export function compactOrganizations(orgs: AnyRecord[], full: boolean) {
  return full ? orgs : orgs.map((o) => pick(o, ['id', 'name', 'domain', 'website', 'labels', 'archivedAt', 'updatedAt']));
}

export function compactActivities(activities: AnyRecord[], full: boolean) {
  if (full) return activities;
  return activities.map((a) => {
    const body = typeof a.body === 'string' ? a.body : null;
    return {
      ...pick(a, ['id', 'type', 'subject']),
      bodyPreview: body && body.length > 200 ? `${body.slice(0, 199)}…` : body,
      ...pick(a, ['occurredAt', 'dueAt', 'completedAt', 'organizationId', 'personId', 'dealId', 'archivedAt']),
    };
  });
}

export async function pipelinesWithStages(services: Services, ctx: Ctx, pipelines: AnyRecord[], full: boolean) {
  const out: Record<string, unknown>[] = [];
  for (const p of pipelines) {
    const stages = (await services.records.list(ctx, 'stages', { pipelineId: p.id, sort: 'position', limit: 500 })).data;
    if (full) out.push({ ...p, stages });
    else out.push({ ...pick(p, ['id', 'name', 'isDefault', 'position', 'archivedAt']), stages: stages.map((s) => pick(s, ['id', 'name', 'position', 'probability'])) });
  }
  return out;
}

// ---------------------------------------------------------------- audit

export const AuditCompact = z.looseObject({
  seq: z.number(),
  at: str,
  action: str,
  entityType: str,
  entityId: str,
  changes: z.record(z.string(), z.object({ from: z.unknown(), to: z.unknown() })).describe('Changed fields with their old and new values'),
  actorUserId: nstr,
  actorKeyId: nstr,
  source: str,
  detail: z.record(z.string(), z.unknown()).nullable(),
});

const NOISE = new Set(['version', 'updatedAt', 'createdAt', 'workspaceId']);

export function compactAudit(entries: z.infer<typeof AuditEntryRecord>[], full: boolean) {
  if (full) return entries;
  return entries.map((e) => {
    const fields = e.changedFields.length ? e.changedFields : Object.keys(e.after ?? e.before ?? {}).filter((f) => !NOISE.has(f) && f !== 'id');
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    for (const f of fields) changes[f] = { from: e.before?.[f] ?? null, to: e.after?.[f] ?? null };
    return {
      seq: e.seq,
      at: e.at,
      action: e.action,
      entityType: e.entityType,
      entityId: e.entityId,
      changes,
      actorUserId: e.actorUserId,
      actorKeyId: e.actorKeyId,
      source: e.source,
      detail: e.detail,
    };
  });
}
