/**
 * Sync pushes: each row of a batch goes through the domain services (so permissions, entity
 * rules, audit and stage changes apply) in its own transaction. Field edits are merged against
 * the client's assumed master state; losing values are audited as `conflict`. A row the server
 * must refuse is not stored, is audited as `rejected` with its reason, and the server's state
 * (or a tombstone) is returned so the client reverts.
 */
import type { z } from 'zod';
import { COLLECTIONS, type CollectionName } from '../../shared/collections.js';
import { mergeFields, sameJsonValue } from '../../shared/merge.js';
import { creatableFields, mergeableFields, type PushRow, type SyncDocument } from '../../shared/sync.js';
import { listAudit, writeAudit, type AuditAction } from '../domain/audit.js';
import type { Ctx } from '../domain/context.js';
import { DomainError } from '../domain/errors.js';
import type { WriteScope } from '../domain/records.js';
import type { Services } from '../domain/services.js';
import type { Db } from '../store/database.js';
import { findStored, type AnyRecord } from '../store/records.js';

export function toSyncDocument(record: AnyRecord, deleted: boolean): SyncDocument {
  return { ...record, _deleted: deleted };
}

/** A client document without RxDB's bookkeeping fields. */
function clean(doc: Record<string, unknown> | null | undefined): Record<string, unknown> | null {
  if (!doc) return null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (!k.startsWith('_') || k === '_deleted') out[k] = v;
  return out;
}

/**
 * True when the server document differs from what the client pushed — in any field, server-managed
 * ones included. Such rows are answered with the server's document (a "conflict" in RxDB's
 * protocol) so the client adopts the stored state at once: a pull that ran while the push was in
 * flight may have skipped this document as locally modified, so the answer is the only reliable
 * way for the client to learn the new version.
 */
function differs(server: SyncDocument, pushed: Record<string, unknown>): boolean {
  for (const [k, v] of Object.entries(server)) if (!sameJsonValue(v, pushed[k])) return true;
  return false;
}

export interface PushOutcome {
  /** Documents to return to the client (conflicts in RxDB's sense). */
  conflicts: SyncDocument[];
  written: number;
  rejected: number;
  merged: number;
}

class Rejection extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** Appends an audit entry unless the newest entry of that action for the record says the same (retried batches). */
async function auditOnce(tx: Db, ctx: Ctx, entityType: string, entityId: string, action: AuditAction, detail: Record<string, unknown>, before: AnyRecord | null): Promise<void> {
  const last = await tx
    .selectFrom('auditEntries')
    .select(['detail'])
    .where('workspaceId', '=', ctx.workspaceId)
    .where('entityType', '=', entityType)
    .where('entityId', '=', entityId)
    .where('action', '=', action)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (last && typeof last.detail === 'string' && sameJsonValue(JSON.parse(last.detail), JSON.parse(JSON.stringify(detail)))) return;
  await writeAudit(tx, ctx, { entityType, entityId, action, before, after: null, detail });
}

export async function applyPush(services: Services, ctx: Ctx, collection: CollectionName, rows: PushRow[]): Promise<PushOutcome> {
  let results: RowResult[] | null = null;
  if (COLLECTIONS[collection].pushable && rows.length > 1) {
    // The common case: the whole batch in one transaction (one commit, one change notice).
    try {
      results = await services.records.transaction(ctx, async (s) => {
        const out: RowResult[] = [];
        for (const row of rows) out.push(await writeRow(services, ctx, collection, row, s));
        return out;
      });
    } catch (error) {
      if (!toRefusal(error)) throw error;
      results = null; // a row was refused and the batch rolled back: apply the rows one by one
    }
  }
  results ??= await (async () => {
    const out: RowResult[] = [];
    for (const row of rows) out.push(await pushRow(services, ctx, collection, row));
    return out;
  })();
  const outcome: PushOutcome = { conflicts: [], written: 0, rejected: 0, merged: 0 };
  for (const result of results) {
    if (result.conflict) outcome.conflicts.push(result.conflict);
    if (result.kind === 'written') outcome.written++;
    if (result.kind === 'rejected') outcome.rejected++;
    if (result.kind === 'merged') outcome.merged++;
  }
  return outcome;
}

interface RowResult {
  kind: 'written' | 'noop' | 'merged' | 'rejected';
  conflict: SyncDocument | null;
}

/** Applies one row inside the scope's transaction; throws a refusal (DomainError/Rejection). */
async function writeRow(services: Services, ctx: Ctx, collection: CollectionName, row: PushRow, s: WriteScope): Promise<RowResult> {
  const { records } = services;
  const info = COLLECTIONS[collection];
  const local = clean(row.newDocumentState)!;
  const base = clean(row.assumedMasterState);
  const id = String(local.id);
  if (!info.pushable) throw new Rejection(405, `${collection} are recorded by the server and cannot be changed by clients`);
  const stored = await findStored(s.tx, collection, id);
  if (stored && stored.record.workspaceId !== ctx.workspaceId) throw new Rejection(409, `id ${id} is already used by another workspace's record`);
  const wrote = { any: false };
  const tracked: WriteScope = { ...s, touch: (c, v) => ((wrote.any = true), s.touch(c, v)) };

  // ---- delete
  if (local._deleted === true) {
    if (!stored || stored.deleted) return { kind: 'noop', conflict: null } as RowResult;
    await records.remove(ctx, collection, id, tracked);
    return { kind: 'written', conflict: null } as RowResult;
  }
  if (stored?.deleted) throw new Rejection(410, `this ${info.entityType} was deleted on the server; the change could not be applied`);

  // ---- create
  if (!stored) {
    const input: Record<string, unknown> = { id };
    for (const f of creatableFields(collection)) if (local[f] !== undefined) input[f] = local[f];
    if (collection === 'pipelines') input.stages = []; // a client creates its stages as their own documents
    const { record } = await records.create(ctx, collection, input, tracked);
    let final = record;
    if (local.archivedAt != null) final = await records.setArchived(ctx, collection, id, true, tracked);
    const doc = toSyncDocument(final, false);
    return { kind: 'written', conflict: differs(doc, local) ? doc : null } as RowResult;
  }

  // ---- update: per-field three-way merge (of the values as the server would store them)
  const server = stored.record;
  const fields = mergeableFields(collection);
  // Without an assumed state, a document carrying the server's current version was based on it.
  const effectiveBase = base ?? (await baseFromVersion(s.tx, ctx, info.entityType, id, local.version, server));
  const { patch, conflicts } = mergeFields(fields, effectiveBase, normalized(records.hooksFor(collection).updateSchema, fields, local), server);
  let final = server;
  if (Object.keys(patch).length > 0) final = await records.update(ctx, collection, id, patch, {}, tracked);
  const localArchived = local.archivedAt != null;
  const baseArchived = effectiveBase ? effectiveBase.archivedAt != null : server.archivedAt != null;
  if (localArchived !== baseArchived && localArchived !== (final.archivedAt != null)) {
    final = await records.setArchived(ctx, collection, id, localArchived, tracked);
  }
  if (conflicts.length > 0) {
    await auditOnce(s.tx, ctx, info.entityType, id, 'conflict', {
      collection,
      reason: 'the same field was changed on the server and by this client; the server value was kept',
      fields: Object.fromEntries(conflicts.map((c) => [c.field, { lost: c.local ?? null, kept: c.server ?? null, base: c.base ?? null }])),
    }, server);
  }
  const doc = toSyncDocument(final, false);
  const returnIt = differs(doc, local);
  return { kind: conflicts.length > 0 ? 'merged' : wrote.any ? 'written' : 'noop', conflict: returnIt ? doc : null } as RowResult;
}

/** One row in its own transaction; a refusal is recorded and answered with the server state. */
async function pushRow(services: Services, ctx: Ctx, collection: CollectionName, row: PushRow): Promise<RowResult> {
  const info = COLLECTIONS[collection];
  const local = clean(row.newDocumentState)!;
  const id = String(local.id);
  try {
    return await services.records.transaction(ctx, (s) => writeRow(services, ctx, collection, row, s));
  } catch (error) {
    const refusal = toRefusal(error);
    if (!refusal) throw error;
    // Not stored: record why, and hand the client the server's state so it reverts.
    const current = await services.records.transaction(ctx, async (s) => {
      const stored = await findStored(s.tx, collection, id);
      const visible = stored && stored.record.workspaceId === ctx.workspaceId ? stored : null;
      await auditOnce(s.tx, ctx, info.entityType, id, 'rejected', {
        collection,
        reason: refusal.message,
        status: refusal.status,
        errors: refusal.errors,
        attempted: local,
      }, visible && !visible.deleted ? visible.record : null);
      return visible;
    });
    const conflict: SyncDocument = current ? toSyncDocument(current.record, current.deleted) : tombstoneFor(local);
    return { kind: 'rejected', conflict };
  }
}

/**
 * The client's values as the server would store them (trimmed text, lower-case email, '' → null),
 * so formatting alone is neither a change nor a conflict. Values that do not parse are left as
 * they are: the update refuses them with a precise message.
 */
function normalized(schema: z.ZodType, fields: string[], local: Record<string, unknown>): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const f of fields) if (f in local) picked[f] = local[f];
  const result = schema.safeParse(picked);
  if (!result.success) return local;
  const out: Record<string, unknown> = { ...local };
  for (const [k, v] of Object.entries(result.data as Record<string, unknown>)) if (k in picked) out[k] = v === '' ? null : v;
  return out;
}

/**
 * The server state a document without an assumed master state was based on, found by the version
 * it carries: the current record, or the audit snapshot written with that version (version 0 —
 * never synced — means the client's own create). Happens for records a client got by its first
 * load, and when a client edits a record again while the push of its previous state is in flight.
 */
async function baseFromVersion(tx: Db, ctx: Ctx, entityType: string, id: string, version: unknown, server: AnyRecord): Promise<Record<string, unknown> | null> {
  if (typeof version !== 'number') return null;
  if (version === server.version) return server;
  // the record's history newest first, page by page; versions only grow, so stop below the one wanted
  let cursor: string | null = null;
  do {
    const page: Awaited<ReturnType<typeof listAudit>> = await listAudit(tx, ctx, { entityType, entityId: id, limit: 200, ...(cursor ? { cursor } : {}) });
    for (const entry of page.data) {
      const after = entry.after as Record<string, unknown> | null;
      if (!after) continue;
      if (version === 0 ? entry.action === 'create' : after.version === version) return after;
      if (version !== 0 && typeof after.version === 'number' && after.version < version) return null;
    }
    cursor = page.nextCursor;
  } while (cursor);
  return null;
}

/** What the client gets for a refused document the server never had: a tombstone of it. */
function tombstoneFor(local: Record<string, unknown>): SyncDocument {
  return { ...local, id: String(local.id), _deleted: true };
}

function toRefusal(error: unknown): Rejection | null {
  if (error instanceof Rejection) return error;
  if (error instanceof DomainError && error.status >= 400 && error.status < 500) return new Rejection(error.status, error.message, error.errors);
  return null;
}
