/**
 * Local writes: validation with the shared request schemas and the same defaults and derived
 * fields the server applies, so a record made offline looks right at once. The server stays
 * the authority: whatever it derives differently arrives with the next sync.
 */
import { z } from 'zod';
import type { RxDatabase } from 'rxdb';
import { COLLECTIONS, type CollectionName } from '../../shared/collections.js';
import { newId } from '../../shared/ids.js';
import {
  ActivityCreate,
  ActivityUpdate,
  DealContactCreate,
  DealCreate,
  DealUpdate,
  Id,
  OrganizationCreate,
  OrganizationUpdate,
  PersonCreate,
  PersonUpdate,
  PipelineCreate,
  PipelineUpdate,
  StageCreate,
  StageUpdate,
} from '../../shared/schemas.js';
import { DEFAULT_STAGES, domainFromWebsite } from '../../shared/rules.js';
import { zodErrors, type FieldError } from '../../shared/validation.js';

export type { FieldError };

export class KithValidationError extends Error {
  errors: FieldError[];
  constructor(message: string, errors: FieldError[]) {
    super(message);
    this.name = 'KithValidationError';
    this.errors = errors;
  }
}

type Row = Record<string, unknown>;

const CREATE: Record<Exclude<CollectionName, 'stageChanges'>, z.ZodType> = {
  organizations: OrganizationCreate,
  people: PersonCreate,
  deals: DealCreate,
  dealContacts: DealContactCreate.extend({ dealId: Id }),
  activities: ActivityCreate,
  pipelines: PipelineCreate,
  stages: StageCreate.extend({ pipelineId: Id }),
};

const UPDATE: Record<Exclude<CollectionName, 'stageChanges'>, z.ZodType> = {
  organizations: OrganizationUpdate,
  people: PersonUpdate,
  deals: DealUpdate,
  dealContacts: z.strictObject({ role: DealContactCreate.shape.role }),
  activities: ActivityUpdate,
  pipelines: PipelineUpdate,
  stages: StageUpdate,
};


function fail(errors: FieldError[]): never {
  throw new KithValidationError(errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; '), errors);
}

function parse(schema: z.ZodType, input: unknown): Row {
  const result = schema.safeParse(input ?? {});
  if (!result.success) fail(zodErrors(result.error));
  const out: Row = {};
  for (const [k, v] of Object.entries(result.data as Row)) out[k] = v === '' ? null : v;
  return out;
}


let lastStamp = 0;
/** Local clock, strictly increasing within this page (two writes in one ms still differ). */
export function localNow(): string {
  const now = Math.max(Date.now(), lastStamp + 1);
  lastStamp = now;
  return new Date(now).toISOString();
}

function blank(collection: CollectionName): Row {
  const out: Row = {};
  for (const key of Object.keys(COLLECTIONS[collection].record.shape)) out[key] = key === 'labels' ? [] : key === 'custom' ? {} : null;
  return out;
}

async function findLive(db: RxDatabase, collection: CollectionName, id: unknown): Promise<Row | null> {
  if (typeof id !== 'string') return null;
  const doc = await db.collections[collection].findOne(id).exec();
  return doc ? (doc.toJSON() as Row) : null;
}

async function requireRef(db: RxDatabase, collection: CollectionName, id: unknown, field: string, label: string): Promise<Row | null> {
  if (id == null) return null;
  const found = await findLive(db, collection, id);
  if (!found) fail([{ path: field, message: `${label} ${String(id)} does not exist in this workspace` }]);
  return found;
}

async function stagesOf(db: RxDatabase, pipelineId: string): Promise<Row[]> {
  const docs = await db.collections.stages.find({ selector: { pipelineId }, sort: [{ position: 'asc' }] }).exec();
  return docs.map((d) => d.toJSON() as Row);
}

async function defaultPipeline(db: RxDatabase): Promise<Row | null> {
  const docs = (await db.collections.pipelines.find().exec()).map((d) => d.toJSON() as Row);
  docs.sort((a, b) => Number(b.isDefault) - Number(a.isDefault) || (a.position as number) - (b.position as number));
  return docs[0] ?? null;
}

async function firstStageId(db: RxDatabase, pipelineId: string, field: string): Promise<string> {
  const [first] = await stagesOf(db, pipelineId);
  if (!first) fail([{ path: field, message: `pipeline ${pipelineId} has no stages; add a stage first` }]);
  return first.id as string;
}

function applyStatus(next: Row, previousStatus: unknown, now: string): void {
  if (next.status === previousStatus) return;
  if (next.status === 'won') Object.assign(next, { wonAt: now, lostAt: null });
  else if (next.status === 'lost') Object.assign(next, { lostAt: now, wonAt: null });
  else Object.assign(next, { wonAt: null, lostAt: null, lostReason: null });
}

const iso = (v: unknown) => (typeof v === 'string' ? new Date(v).toISOString() : v);

async function checkDeal(db: RxDatabase, record: Row): Promise<void> {
  await requireRef(db, 'pipelines', record.pipelineId, 'pipelineId', 'pipeline');
  const stage = await requireRef(db, 'stages', record.stageId, 'stageId', 'stage');
  if (stage && stage.pipelineId !== record.pipelineId) {
    fail([{ path: 'stageId', message: `stage '${String(stage.name)}' belongs to pipeline ${String(stage.pipelineId)}, not to the deal's pipeline ${String(record.pipelineId)}` }]);
  }
  await requireRef(db, 'organizations', record.organizationId, 'organizationId', 'organization');
  await requireRef(db, 'people', record.primaryPersonId, 'primaryPersonId', 'person');
}

async function checkActivity(db: RxDatabase, record: Row): Promise<void> {
  if (record.organizationId == null && record.personId == null && record.dealId == null) {
    fail([{ path: 'dealId', message: 'an activity needs at least one of organizationId, personId or dealId' }]);
  }
  await requireRef(db, 'organizations', record.organizationId, 'organizationId', 'organization');
  await requireRef(db, 'people', record.personId, 'personId', 'person');
  await requireRef(db, 'deals', record.dealId, 'dealId', 'deal');
}

export interface LocalContext {
  db: RxDatabase;
  workspaceId: string;
  defaultCurrency: string;
}

/** A new record (plus any records it brings along, e.g. a pipeline's stages), validated. */
export async function prepareCreate(ctx: LocalContext, collection: CollectionName, fields: Row): Promise<{ record: Row; extra: { collection: CollectionName; record: Row }[] }> {
  if (collection === 'stageChanges') fail([{ path: '', message: 'stage changes are recorded by the server when a deal moves; they cannot be created' }]);
  const { db } = ctx;
  const input = parse(CREATE[collection], fields);
  const now = localNow();
  const record: Row = { ...blank(collection), ...input, id: (input.id as string | undefined) ?? newId(), workspaceId: ctx.workspaceId, createdAt: now, updatedAt: now, version: 0, archivedAt: null };
  if (record.custom && Object.keys(record.custom as Row).length > 0) {
    const key = Object.keys(record.custom as Row)[0];
    fail([{ path: `custom.${key}`, message: `unknown custom field '${key}' (this workspace defines no custom fields)` }]);
  }
  record.custom = {};
  if (await findLive(db, collection, record.id)) fail([{ path: 'id', message: `a record with id ${String(record.id)} already exists` }]);
  const extra: { collection: CollectionName; record: Row }[] = [];

  switch (collection) {
    case 'organizations':
      record.domain = domainFromWebsite(record.website);
      break;
    case 'people':
      await requireRef(db, 'organizations', record.organizationId, 'organizationId', 'organization');
      break;
    case 'deals': {
      let pipelineId = input.pipelineId as string | undefined;
      if (input.stageId && !pipelineId) pipelineId = (await requireRef(db, 'stages', input.stageId, 'stageId', 'stage'))!.pipelineId as string;
      if (!pipelineId) {
        const p = await defaultPipeline(db);
        if (!p) fail([{ path: 'pipelineId', message: 'this workspace has no pipeline; create one first' }]);
        pipelineId = p.id as string;
      }
      record.pipelineId = pipelineId;
      record.stageId = input.stageId ?? (await firstStageId(db, pipelineId, 'stageId'));
      record.currency = input.currency ?? ctx.defaultCurrency;
      record.valuePeriod = input.valuePeriod ?? 'one_time';
      record.status = input.status ?? 'open';
      record.wonAt = null;
      record.lostAt = null;
      applyStatus(record, 'open', now);
      if (record.status === 'open') record.lostReason = input.lostReason ?? null;
      await checkDeal(db, record);
      break;
    }
    case 'dealContacts': {
      await requireRef(db, 'deals', record.dealId, 'dealId', 'deal');
      await requireRef(db, 'people', record.personId, 'personId', 'person');
      const dup = await db.collections.dealContacts.findOne({ selector: { dealId: record.dealId as string, personId: record.personId as string } }).exec();
      if (dup) fail([{ path: 'personId', message: `person ${String(record.personId)} is already a contact of deal ${String(record.dealId)}` }]);
      break;
    }
    case 'activities':
      record.occurredAt = iso(input.occurredAt ?? now);
      record.dueAt = iso(record.dueAt);
      record.completedAt = iso(record.completedAt);
      await checkActivity(db, record);
      break;
    case 'pipelines': {
      const all = (await db.collections.pipelines.find().exec()).map((d) => d.toJSON() as Row);
      const hasDefault = all.some((p) => p.isDefault === true);
      record.isDefault = !hasDefault || input.isDefault === true;
      record.position = input.position ?? all.length;
      delete record.stages;
      const stages = (input.stages as { name: string; probability?: number | null }[] | undefined) ?? DEFAULT_STAGES;
      stages.forEach((st, i) => {
        extra.push({
          collection: 'stages',
          record: { ...blank('stages'), id: newId(), workspaceId: ctx.workspaceId, createdAt: now, updatedAt: now, version: 0, archivedAt: null, pipelineId: record.id, name: st.name, position: i, probability: st.probability ?? null, custom: {} },
        });
      });
      break;
    }
    case 'stages': {
      await requireRef(db, 'pipelines', record.pipelineId, 'pipelineId', 'pipeline');
      const stages = await stagesOf(db, record.pipelineId as string);
      record.position = Math.min((input.position as number | undefined) ?? stages.length, stages.length);
      record.probability = input.probability ?? null;
      break;
    }
  }
  // only record fields are stored
  const shape = COLLECTIONS[collection].record.shape;
  for (const key of Object.keys(record)) if (!(key in shape)) delete record[key];
  return { record, extra };
}

/** The record after `patch`, validated, with derived fields. */
export async function prepareUpdate(ctx: LocalContext, collection: CollectionName, before: Row, patchInput: Row): Promise<Row> {
  if (collection === 'stageChanges') fail([{ path: '', message: 'stage changes are recorded by the server; they cannot be changed' }]);
  const { db } = ctx;
  const patch = parse(UPDATE[collection], patchInput);
  const now = localNow();
  if (collection === 'activities') {
    const { completed, ...rest } = patch;
    if (completed === true && rest.completedAt === undefined) rest.completedAt = now;
    if (completed === false) rest.completedAt = null;
    for (const k of Object.keys(patch)) delete patch[k];
    Object.assign(patch, rest);
  }
  if ('custom' in patch && patch.custom && Object.keys(patch.custom as Row).length > 0) {
    const key = Object.keys(patch.custom as Row)[0];
    fail([{ path: `custom.${key}`, message: `unknown custom field '${key}' (this workspace defines no custom fields)` }]);
  }
  const next: Row = { ...before, ...patch, updatedAt: now };
  switch (collection) {
    case 'organizations':
      next.domain = domainFromWebsite(next.website);
      break;
    case 'people':
      await requireRef(db, 'organizations', next.organizationId, 'organizationId', 'organization');
      break;
    case 'deals':
      if (patch.stageId !== undefined && patch.pipelineId === undefined) next.pipelineId = (await requireRef(db, 'stages', patch.stageId, 'stageId', 'stage'))!.pipelineId;
      if (patch.pipelineId !== undefined && patch.stageId === undefined && patch.pipelineId !== before.pipelineId) {
        await requireRef(db, 'pipelines', patch.pipelineId, 'pipelineId', 'pipeline');
        next.stageId = await firstStageId(db, patch.pipelineId as string, 'pipelineId');
      }
      applyStatus(next, before.status, now);
      if (patch.lostReason !== undefined && next.status === 'lost') next.lostReason = patch.lostReason;
      await checkDeal(db, next);
      break;
    case 'activities':
      for (const f of ['occurredAt', 'dueAt', 'completedAt']) next[f] = iso(next[f]);
      await checkActivity(db, next);
      break;
    case 'pipelines':
      if (before.isDefault && patch.isDefault === false) fail([{ path: 'isDefault', message: 'a workspace needs a default pipeline: make another pipeline the default instead' }]);
      next.isDefault = before.isDefault === true || patch.isDefault === true;
      break;
  }
  return next;
}
