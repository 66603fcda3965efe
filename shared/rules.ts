/**
 * Entity rules, run the same way by the server (server/domain/records.ts) and the offline client
 * (renderer/data/rules.ts), so a record made offline looks the same as one the server made and is
 * refused for the same reasons with the same messages. The rules themselves live with each entity
 * in shared/entities/; they read through the `RecordReader` port each runtime implements.
 *
 * Every function throws `RuleError` (field errors of kind `invalid` or `conflict`); the server maps
 * it to its DomainError (422 / 409), the client to KithValidationError.
 */
import type { z } from 'zod';
import { blankRecord, COLLECTIONS, isCollectionName, type CollectionInfo, type CollectionName } from './collections.js';
import { applyCustom, CustomValueError, CUSTOMIZABLE, type ReferenceCheck } from './customFields.js';
import { RuleError, type RuleContext, type RuleScope, type Row } from './entities/entity.js';
import { newId } from './ids.js';
import { zodErrors } from './validation.js';

export { RuleError, invalid, conflict, type RecordReader, type RuleContext, type RuleErrorKind } from './entities/entity.js';
export { DEFAULT_STAGES, initialStages } from './entities/pipelines.js';
export { domainFromWebsite } from './entities/organizations.js';

function scopeOf(ctx: RuleContext): RuleScope {
  return { ...ctx, labelOf: (collection) => COLLECTIONS[collection].label };
}

/** '' → null for optional text (the schemas have trimmed it). */
export function emptyToNull(input: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(input)) out[k] = v === '' ? null : v;
  return out;
}

function parse(schema: z.ZodType, input: unknown): Row {
  const result = schema.safeParse(input ?? {});
  if (!result.success) throw new RuleError('invalid', zodErrors(result.error));
  return emptyToNull(result.data as Row);
}

/** The registry entry of a collection clients may write (null when only the server writes it). */
export function writable(collection: CollectionName): (CollectionInfo & { create: z.ZodObject; update: z.ZodObject }) | null {
  const info = COLLECTIONS[collection];
  return info.create && info.update ? (info as CollectionInfo & { create: z.ZodObject; update: z.ZodObject }) : null;
}

function writableOrFail(collection: CollectionName) {
  const info = writable(collection);
  if (!info) throw new RuleError('invalid', [{ path: '', message: `${collection} are written by the server only` }]);
  return info;
}

/** A create input validated with the collection's create schema, empty text as null. */
export function parseCreate(collection: CollectionName, input: unknown): Row {
  return parse(writableOrFail(collection).create, input);
}

/** An update patch validated with the collection's update schema, convenience fields turned into record fields. */
export function parseUpdate(collection: CollectionName, input: unknown, now: string): Row {
  const info = writableOrFail(collection);
  const patch = parse(info.update, input);
  return info.rules.normalizePatch ? info.rules.normalizePatch(patch, now) : patch;
}

/** Whether a reference field's target exists: a record of a standard collection, or a custom record of the type it names. */
export function referenceCheck(reader: Pick<RuleContext['reader'], 'find'>): ReferenceCheck {
  return async (target, id) => {
    if (isCollectionName(target)) return (await reader.find(target, id)) !== null;
    return (await reader.find('records', id))?.type === target;
  };
}

/**
 * A record's custom values after a write, validated against the workspace's definitions of the
 * collection's custom fields (shared/customFields.ts `applyCustom`): `before` is the stored custom
 * object (null for a create), `incoming` the write's values by key.
 */
export async function customValues(ctx: RuleContext, collection: CollectionName, incoming: unknown, before: Row | null, type?: unknown): Promise<Row> {
  // a custom object's fields are those of its type (definitions with entity = the type key)
  const entity = collection === 'records' && typeof type === 'string' ? type : collection;
  const definitions = (CUSTOMIZABLE as readonly string[]).includes(entity) || collection === 'records' ? await ctx.reader.customFields(entity) : [];
  try {
    return await applyCustom(entity, definitions, incoming, before, referenceCheck(ctx.reader));
  } catch (error) {
    if (error instanceof CustomValueError) throw new RuleError('invalid', error.errors);
    throw error;
  }
}

/**
 * A new record from a parsed create input: the entity's defaults and derived fields, every other
 * field empty, a fresh id unless the input names one, stamped at `ctx.now()` (version 0: the
 * server gives the real one when it stores it). Not yet validated: see `validateRecord`.
 */
export async function prepareCreate(ctx: RuleContext, collection: CollectionName, data: Row): Promise<Row> {
  const info = writableOrFail(collection);
  const prepared = info.rules.create ? await info.rules.create(scopeOf(ctx), data) : { ...data };
  const now = ctx.now();
  const record: Row = {
    ...blankRecord(collection),
    ...prepared,
    id: (data.id as string | undefined) ?? (prepared.id as string | undefined) ?? newId(),
    workspaceId: ctx.workspaceId,
    createdAt: now,
    updatedAt: now,
    version: 0,
    archivedAt: null,
    custom: await customValues(ctx, collection, prepared.custom ?? data.custom, null, data.type),
  };
  // only record fields are stored (a pipeline's `stages` input is not one)
  for (const key of Object.keys(record)) if (!(key in info.record.shape)) delete record[key];
  return record;
}

/** The record after a parsed patch, with the entity's derived fields. Not yet validated: see `validateRecord`. */
export async function prepareUpdate(ctx: RuleContext, collection: CollectionName, before: Row, patch: Row): Promise<Row> {
  const info = writableOrFail(collection);
  const next: Row = { ...before, ...patch };
  if ('custom' in patch) next.custom = await customValues(ctx, collection, patch.custom, (before.custom ?? {}) as Row, before.type);
  await info.rules.update?.(scopeOf(ctx), before, next, patch);
  return next;
}

/**
 * A record's owner (`ownerId`, on every entity that has one) is a member of the workspace. Checked
 * when the write sets or changes it (a record whose owner has left the workspace can still be
 * edited), by runtimes that know the members (`RecordReader.isMember`).
 */
async function checkOwner(ctx: RuleContext, record: Row, before: Row | null): Promise<void> {
  const ownerId = record.ownerId;
  if (typeof ownerId !== 'string' || !ctx.reader.isMember || (before && before.ownerId === ownerId)) return;
  if (!(await ctx.reader.isMember(ownerId))) throw new RuleError('invalid', [{ path: 'ownerId', message: `user ${ownerId} is not a member of this workspace` }]);
}

/** Checks a record about to be stored: its owner, references and cross-field rules (`before`: null for a create). */
export async function validateRecord(ctx: RuleContext, collection: CollectionName, record: Row, before: Row | null): Promise<void> {
  await checkOwner(ctx, record, before);
  await COLLECTIONS[collection].rules.validate?.(scopeOf(ctx), record, before);
}

/** Refuses archiving a record that must stay active (the default pipeline). */
export async function checkArchive(ctx: RuleContext, collection: CollectionName, record: Row): Promise<void> {
  await COLLECTIONS[collection].rules.archive?.(scopeOf(ctx), record);
}

/** Refuses deleting a record others depend on (a stage with deals, the default pipeline). */
export async function checkRemove(ctx: RuleContext, collection: CollectionName, record: Row): Promise<void> {
  await COLLECTIONS[collection].rules.remove?.(scopeOf(ctx), record);
}
