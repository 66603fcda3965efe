/**
 * What MCP tools return: output schemas (published in tools/list, checked by the SDK against
 * every structuredContent) and the compact records lists use to save a model's context.
 */
import { z } from 'zod';
import type { CollectionName } from '../../shared/collections.js';
import { AuditEntryRecord } from '../../shared/schemas.js';
import type { Ctx } from '../domain/context.js';
import type { Services } from '../domain/services.js';
import type { AnyRecord } from '../domain/reads.js';

const str = z.string();
const num = z.number();

/**
 * The compact shared definition of a record in a result: an object (with an id, which the server
 * checks on every result but the listing leaves unsaid: 56 characters in each of some 40 tools).
 * Output schemas pin what every result has (a page's data and nextCursor, the sections of a
 * context) and leave the record's fields open: they are the fields of the tool's create input
 * plus id, version, createdAt, updatedAt, archivedAt and, where a tool adds them, names
 * (stageName, organizationName, …). Fields without a value are left out (see present).
 */
export const RecordOut = z.looseObject({}).refine((r) => typeof r.id === 'string', { error: 'a record has an id' });
/** A pipeline with its stages in order. */
export const PipelineOut = z.looseObject({ id: str, stages: z.array(z.looseObject({})) });

/** A page of a list: pass nextCursor back as cursor for the next one; null on the last page. */
export const page = <T extends z.ZodType>(item: T) =>
  // the listing says data is an array (its items are the tool's records); each item is still checked here
  z.looseObject({ data: z.array(z.unknown()), nextCursor: str.nullable() }).refine((p) => p.data.every((r) => item.safeParse(r).success), { error: "every item of data is one of the tool's records" });

/** Leaves out of a record what costs a model's context and says nothing: null and empty values, and workspaceId (the caller's own). */
export function present(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (value === null || value === undefined || key === 'workspaceId') continue;
    if (Array.isArray(value)) {
      if (value.length) out[key] = value.map((v) => (v && typeof v === 'object' && !Array.isArray(v) ? present(v as Record<string, unknown>) : v));
    } else if (typeof value === 'object') {
      if (Object.keys(value).length) out[key] = present(value as Record<string, unknown>);
    } else out[key] = value;
  }
  return out;
}

/** A result whose top-level entries are records or lists of records (crm.context.*): each presented, the entries themselves kept (null, []). */
export function presentEach(result: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(result).map(([k, v]) => [k, Array.isArray(v) ? v.map((r) => present(r as Record<string, unknown>)) : v && typeof v === 'object' ? present(v as Record<string, unknown>) : v]),
  );
}

const pick = (record: AnyRecord, keys: string[]) => present(Object.fromEntries(keys.map((k) => [k, record[k]])));

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
  return present(rest);
}

/**
 * Compact records name what a deal or person refers to (stageName, organizationName, …) instead of
 * carrying the related ids (full: true adds them, and every other field); names can be passed to
 * every tool that takes an id.
 */
export async function compactDeals(services: Services, ctx: Ctx, deals: AnyRecord[], full: boolean) {
  const withNames = await dealsWithNames(services, ctx, deals);
  if (full) return withNames.map(present);
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
      'pipelineName',
      'stageName',
      'organizationName',
      'primaryPersonName',
      'labels',
      'archivedAt',
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
    return full ? present({ ...p, organizationName }) : pick({ ...p, organizationName }, ['id', 'name', 'email', 'phone', 'title', 'organizationName', 'labels', 'archivedAt']);
  });
}

export function compactOrganizations(orgs: AnyRecord[], full: boolean) {
  return orgs.map((o) => (full ? present(o) : pick(o, ['id', 'name', 'domain', 'website', 'labels', 'archivedAt'])));
}

export function compactActivities(activities: AnyRecord[], full: boolean) {
  if (full) return activities.map(present);
  return activities.map((a) => {
    const body = typeof a.body === 'string' ? a.body : null;
    const bodyPreview = body && body.length > 200 ? `${body.slice(0, 199)}…` : body;
    return pick({ ...a, bodyPreview }, ['id', 'type', 'subject', 'bodyPreview', 'occurredAt', 'dueAt', 'completedAt', 'organizationId', 'personId', 'dealId', 'archivedAt']);
  });
}

export async function pipelinesWithStages(services: Services, ctx: Ctx, pipelines: AnyRecord[], full: boolean) {
  const out: Record<string, unknown>[] = [];
  for (const p of pipelines) {
    const stages = (await services.records.list(ctx, 'stages', { pipelineId: p.id, sort: 'position', limit: 500 })).data;
    if (full) out.push(present({ ...p, stages }));
    else out.push({ ...pick(p, ['id', 'name', 'isDefault', 'position', 'archivedAt']), stages: stages.map((s) => pick(s, ['id', 'name', 'position', 'probability'])) });
  }
  return out;
}

// ---------------------------------------------------------------- audit

export const AuditCompact = z.looseObject({ seq: num, action: str, entityId: str });

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
