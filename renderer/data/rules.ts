/**
 * Local writes: the shared entity rules (shared/rules.ts, shared/entities/) run over the local
 * RxDB database (./reader.ts), so a record made offline is validated, defaulted and derived as the
 * server would do it, with the server's messages. The server stays the authority: whatever it
 * derives differently arrives with the next sync.
 */
import type { RxDatabase } from 'rxdb';
import { blankRecord, COLLECTIONS, type CollectionName } from '../../shared/collections.js';
import { newId } from '../../shared/ids.js';
import * as rules from '../../shared/rules.js';
import type { FieldError } from '../../shared/validation.js';
import { RxRecordReader } from './reader.js';

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

function fail(errors: FieldError[]): never {
  throw new KithValidationError(errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; '), errors);
}

/** Runs `work`, turning a rule's refusal into a KithValidationError with the same field errors. */
async function ruled<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof rules.RuleError) fail(error.errors);
    throw error;
  }
}

let lastStamp = 0;
/** Local clock, strictly increasing within this page (two writes in one ms still differ). */
export function localNow(): string {
  const now = Math.max(Date.now(), lastStamp + 1);
  lastStamp = now;
  return new Date(now).toISOString();
}

export interface LocalContext {
  db: RxDatabase;
  workspaceId: string;
  defaultCurrency: string;
  /** The signed-in user (recorded on activities), when known. */
  userId?: string | null;
}

/** The rules' view of one local write: one timestamp for all of it. */
function ruleContext(ctx: LocalContext, now: string): rules.RuleContext {
  return { reader: new RxRecordReader(ctx.db), workspaceId: ctx.workspaceId, defaultCurrency: ctx.defaultCurrency, actorId: ctx.userId ?? null, now: () => now };
}

/** A new record (plus any records it brings along, e.g. a pipeline's stages), validated. */
export async function prepareCreate(ctx: LocalContext, collection: CollectionName, fields: Row): Promise<{ record: Row; extra: { collection: CollectionName; record: Row }[] }> {
  if (!COLLECTIONS[collection].pushable) fail([{ path: '', message: 'stage changes are recorded by the server when a deal moves; they cannot be created' }]);
  return ruled(async () => {
    const now = localNow();
    const rc = ruleContext(ctx, now);
    const input = rules.parseCreate(collection, fields);
    const record = await rules.prepareCreate(rc, collection, input);
    if (await rc.reader.find(collection, record.id as string)) fail([{ path: 'id', message: `a record with id ${String(record.id)} already exists` }]);
    await rules.validateRecord(rc, collection, record, null);
    // a new pipeline's stages: made here at once (the server makes them for a pipeline it creates)
    const extra = collection === 'pipelines' ? rules.initialStages(input as Parameters<typeof rules.initialStages>[0]).map((stage) => ({ collection: 'stages' as const, record: newStage(ctx, now, record.id as string, stage) })) : [];
    return { record, extra };
  });
}

function newStage(ctx: LocalContext, now: string, pipelineId: string, stage: { name: string; probability: number | null; position: number }): Row {
  return { ...blankRecord('stages'), id: newId(), workspaceId: ctx.workspaceId, createdAt: now, updatedAt: now, version: 0, archivedAt: null, pipelineId, ...stage, custom: {} };
}

/** The record after `patch`, validated, with derived fields. */
export async function prepareUpdate(ctx: LocalContext, collection: CollectionName, before: Row, patchInput: Row): Promise<Row> {
  if (!COLLECTIONS[collection].pushable) fail([{ path: '', message: 'stage changes are recorded by the server; they cannot be changed' }]);
  return ruled(async () => {
    const now = localNow();
    const rc = ruleContext(ctx, now);
    const patch = rules.parseUpdate(collection, patchInput, now);
    const next = await rules.prepareUpdate(rc, collection, before, patch);
    next.updatedAt = now;
    await rules.validateRecord(rc, collection, next, before);
    return next;
  });
}

/** Refuses archiving what the server would refuse to archive (the default pipeline). */
export async function prepareArchive(ctx: LocalContext, collection: CollectionName, record: Row): Promise<void> {
  await ruled(() => rules.checkArchive(ruleContext(ctx, localNow()), collection, record));
}

/** Refuses deleting what the server would refuse to delete (a stage with deals, the default pipeline). */
export async function prepareRemove(ctx: LocalContext, collection: CollectionName, record: Row): Promise<void> {
  if (!COLLECTIONS[collection].pushable) fail([{ path: '', message: 'stage changes are recorded by the server; they cannot be deleted' }]);
  await ruled(() => rules.checkRemove(ruleContext(ctx, localNow()), collection, record));
}
