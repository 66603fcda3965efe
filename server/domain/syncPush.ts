/**
 * Sync pushes: each row of a batch goes through the domain services (so permissions, entity
 * rules, audit and stage changes apply) in its own transaction. Field edits are merged against
 * the client's assumed master state; losing values are audited as `conflict`. A row the server
 * must refuse is not stored and the server's state (or a tombstone) is returned so the client
 * reverts; the refusal is audited as `rejected` with its reason, the refused fields and a
 * size-capped excerpt of the attempted document — a bounded record, at most
 * REJECTED_ENTRIES_PER_PUSH entries per push request (the rest summarised in the last one).
 * A row nested too deep or too large is refused alone, before it reaches the domain.
 */
import type { z } from 'zod';
import { blankRecord, COLLECTIONS, type CollectionName } from '../../shared/collections.js';
import { visibleTo } from '../../shared/permissions.js';
import { mergeFields, sameJsonValue } from '../../shared/merge.js';
import { creatableFields, mergeableFields, type PushRow, type SyncDocument } from '../../shared/sync.js';
import { excerpt, listAudit, writeAudit, type AuditAction } from './audit.js';
import type { Ctx } from './context.js';
import { DomainError, type ErrorCode } from './errors.js';
import type { WriteScope } from './records/scope.js';
import type { Services } from './services.js';
import type { Db } from '../store/database.js';
import { findStored, type AnyRecord, type StoredRecord } from '../store/records.js';

export function toSyncDocument(record: AnyRecord, deleted: boolean): SyncDocument {
  return { ...record, _deleted: deleted };
}

/**
 * A stored record as `userId`'s client receives it: as it is, or — a record kept to another user
 * (shared/permissions.ts `visibleTo`: someone's personal saved view) — as a tombstone without its
 * content, so a client that held it while it was shared drops it, and others learn nothing of it.
 */
export function syncDocumentFor(collection: CollectionName, stored: StoredRecord, userId: string | null): SyncDocument {
  if (visibleTo(collection, stored.record, userId)) return toSyncDocument(stored.record, stored.deleted);
  const own = COLLECTIONS[collection].ownership!;
  const { id, workspaceId, createdAt, updatedAt, version } = stored.record;
  const hidden = { ...blankRecord(collection), id, workspaceId, createdAt, updatedAt, version, [own.owner]: stored.record[own.owner], [own.shared]: false } as AnyRecord;
  return toSyncDocument(hidden, true);
}

/** A client document without RxDB's bookkeeping fields (nor a `__proto__` key, which is never a field). */
function clean(doc: Record<string, unknown> | null | undefined): Record<string, unknown> | null {
  if (!doc) return null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if ((!k.startsWith('_') || k === '_deleted') && k !== '__proto__') out[k] = v;
  return out;
}

// ------------------------------------------------------------------ limits of one row

/** Levels of nesting a pushed document may have (the document itself is level 1). */
export const ROW_MAX_DEPTH = 32;
/** Characters of JSON a pushed document (and its assumed master state) may take: 256 KiB. */
export const ROW_MAX_CHARS = 256 * 1024;
/** `rejected` audit entries one push request may write; further refusals share one summary entry. */
export const REJECTED_ENTRIES_PER_PUSH = 20;
/** Ids listed in a summary entry. */
const SUMMARY_IDS = 50;
const REASON_MAX_CHARS = 500;
const ERRORS_MAX = 10;
const FIELDS_MAX = 50;

/** True when `value` has more than `max` levels of nesting; iterative, stops at the first too-deep branch. */
function deeperThan(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as object)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

function size(chars: number): string {
  return chars >= 1024 * 1024 ? `${(chars / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(chars / 1024)} KiB`;
}

/**
 * Why a document cannot even be looked at (null when it can): nested deeper than ROW_MAX_DEPTH or
 * larger than ROW_MAX_CHARS of JSON. `fields` names the top-level fields at fault.
 */
function documentShapeProblem(doc: unknown, what: string): { status: number; message: string; fields: string[] } | null {
  if (doc === null || doc === undefined) return null;
  if (typeof doc !== 'object' || Array.isArray(doc)) return { status: 422, message: `${what}: must be a document (an object) or null`, fields: [] };
  const entries = Object.entries(doc as Record<string, unknown>);
  const deep = entries.filter(([, v]) => deeperThan(v, ROW_MAX_DEPTH - 1)).map(([k]) => k);
  if (deep.length > 0) {
    return {
      status: 422,
      message: `${what}: ${deep.slice(0, 5).join(', ')} ${deep.length === 1 ? 'is' : 'are'} nested more than ${ROW_MAX_DEPTH} levels deep; at most ${ROW_MAX_DEPTH} levels of nesting are accepted`,
      fields: deep,
    };
  }
  const total = JSON.stringify(doc).length;
  if (total <= ROW_MAX_CHARS) return null;
  // the largest fields, as many as it takes to bring the rest under the limit
  const sized = entries.map(([k, v]) => [k, JSON.stringify(v)?.length ?? 0] as const).sort((a, b) => b[1] - a[1]);
  const fields: string[] = [];
  let rest = total;
  for (const [k, n] of sized) {
    if (rest <= ROW_MAX_CHARS) break;
    fields.push(k);
    rest -= n;
  }
  return { status: 413, message: `${what} is ${size(total)} of JSON (largest: ${fields.slice(0, 5).join(', ')}); at most ${size(ROW_MAX_CHARS)} per document are accepted`, fields };
}

/** The refusal of a row too deep, too large or with a malformed assumed state; null when it may be applied. */
function rowShapeRefusal(row: PushRow): Rejection | null {
  const errors = (fields: string[], prefix: string, status: number) => fields.slice(0, ERRORS_MAX).map((f) => ({ path: prefix + f, message: status === 413 ? 'too large' : 'nested too deep' }));
  const doc = documentShapeProblem(row.newDocumentState, 'the document');
  if (doc) return new Rejection(doc.status, doc.message, errors(doc.fields, '', doc.status), doc.fields, true);
  const assumed = documentShapeProblem(row.assumedMasterState, 'assumedMasterState');
  if (assumed)
    return new Rejection(
      assumed.status,
      assumed.message,
      assumed.fields.length ? errors(assumed.fields, 'assumedMasterState.', assumed.status) : [{ path: 'assumedMasterState', message: 'must be a document or null' }],
      [],
      true,
    );
  return null;
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
    /** Top-level fields of the document that cannot be looked at (too deep, too large). */
    readonly unreadable: string[] = [],
    /** Refused for its shape (depth, size) before reaching the domain: its values are not compared. */
    readonly shape = false,
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
  const stored = ctx.clientId ? { ...detail, client: ctx.clientId } : detail; // as writeAudit stores it
  if (last && typeof last.detail === 'string' && sameJsonValue(JSON.parse(last.detail), JSON.parse(JSON.stringify(stored)))) return;
  await writeAudit(tx, ctx, { entityType, entityId, action, before, after: null, detail });
}

/**
 * Rows per write transaction of a push: a whole 500-row push in one transaction holds the write lock
 * about a second on PostgreSQL; chunks let other writers in between (SPEC §7).
 */
const PUSH_CHUNK_ROWS = 100;

export async function applyPush(services: Services, ctx: Ctx, collection: CollectionName, rows: PushRow[]): Promise<PushOutcome> {
  const shapes = rows.map(rowShapeRefusal);
  const log = new RefusalLog(services, ctx, collection);
  const batchable = COLLECTIONS[collection].pushable && shapes.every((r) => r === null);
  const results: RowResult[] = [];
  let logged = false;
  for (let start = 0; start < rows.length; start += PUSH_CHUNK_ROWS) {
    const end = Math.min(rows.length, start + PUSH_CHUNK_ROWS);
    let chunk: RowResult[] | null = null;
    if (batchable && end - start > 1) {
      // The common case: a chunk of the batch in one transaction (one commit, one change notice).
      try {
        chunk = await services.records.transaction(ctx, async (s) => {
          const out: RowResult[] = [];
          for (let i = start; i < end; i++) out.push(await writeRow(services, ctx, collection, rows[i], s));
          return out;
        });
      } catch (error) {
        if (!toRefusal(error)) throw error;
        chunk = null; // a row was refused and the chunk rolled back: apply its rows one by one
      }
    }
    if (!chunk) {
      logged = true;
      chunk = [];
      for (let i = start; i < end; i++) chunk.push(await pushRow(services, ctx, collection, rows[i], log, shapes[i]));
    }
    results.push(...chunk);
  }
  if (logged) await log.finish();
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
  const localValues = normalized(info.update!, fields, local);
  const merged = mergeFields(fields, effectiveBase, localValues, server);
  const { patch } = merged;
  let { conflicts } = merged;
  // A field "changed on the server" only by this same client's earlier pushes (whose answers it
  // never got: a cut connection, a server killed after the commit) is this client's older edit:
  // this state is its newer one. Both when it changed the field again (otherwise a conflict) and
  // when it set it back to the base value (otherwise "unchanged here", and the server would keep
  // the older edit).
  if (ctx.clientId && effectiveBase) {
    const revertedHere = fields.filter((f) => f in localValues && sameJsonValue(localValues[f], effectiveBase[f]) && !sameJsonValue(server[f], effectiveBase[f]));
    const candidates = [...conflicts.map((c) => c.field), ...revertedHere];
    if (candidates.length > 0) {
      const own = await changedOnlyBy(s.tx, ctx, info.entityType, id, effectiveBase.version, ctx.clientId, candidates);
      for (const c of conflicts) if (own.has(c.field)) patch[c.field] = c.local;
      for (const f of revertedHere) if (own.has(f)) patch[f] = localValues[f];
      conflicts = conflicts.filter((c) => !own.has(c.field));
    }
  }
  let final = server;
  if (Object.keys(patch).length > 0) final = await records.update(ctx, collection, id, patch, {}, tracked);
  const localArchived = local.archivedAt != null;
  const baseArchived = effectiveBase ? effectiveBase.archivedAt != null : server.archivedAt != null;
  let archiveChanged = localArchived !== baseArchived;
  // archived or restored on the server after the base only by this client's own earlier push (its
  // answer lost), then changed back here: the client's newer state stands, as for fields
  if (!archiveChanged && localArchived !== (server.archivedAt != null) && ctx.clientId && effectiveBase) {
    archiveChanged = (await changedOnlyBy(s.tx, ctx, info.entityType, id, effectiveBase.version, ctx.clientId, ['archivedAt'])).has('archivedAt');
  }
  if (archiveChanged && localArchived !== (final.archivedAt != null)) {
    final = await records.setArchived(ctx, collection, id, localArchived, tracked);
  }
  if (conflicts.length > 0) {
    await auditOnce(
      s.tx,
      ctx,
      info.entityType,
      id,
      'conflict',
      {
        collection,
        reason: 'the same field was changed on the server and by this client; the server value was kept',
        fields: Object.fromEntries(conflicts.map((c) => [c.field, { lost: c.local ?? null, kept: c.server ?? null, base: c.base ?? null }])),
      },
      server,
    );
  }
  const doc = toSyncDocument(final, false);
  const returnIt = differs(doc, local);
  return { kind: conflicts.length > 0 ? 'merged' : wrote.any ? 'written' : 'noop', conflict: returnIt ? doc : null } as RowResult;
}

/**
 * One row in its own transaction; a refusal is recorded (within the push's budget) and answered
 * with the server state, or a tombstone when the server never had the document.
 */
async function pushRow(services: Services, ctx: Ctx, collection: CollectionName, row: PushRow, log: RefusalLog, shape: Rejection | null): Promise<RowResult> {
  const local = clean(row.newDocumentState)!;
  try {
    if (shape) throw shape;
    return await services.records.transaction(ctx, (s) => writeRow(services, ctx, collection, row, s));
  } catch (error) {
    const refusal = toRefusal(error);
    if (!refusal) throw error;
    // Not stored: record why, and hand the client the server's state so it reverts.
    const current = await log.refuse(row, local, refusal);
    const conflict: SyncDocument = current ? syncDocumentFor(collection, current, ctx.userId) : tombstoneFor(local, refusal.unreadable);
    return { kind: 'rejected', conflict };
  }
}

/** null, [] or {}: a field a create leaves at its default. */
function isEmpty(value: unknown): boolean {
  return value == null || (typeof value === 'object' && Object.keys(value as object).length === 0);
}

function capText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}… [truncated: ${text.length} characters]` : text;
}

/** The audit entity id of a refused document (a client can send any string as an id). */
function auditId(id: string): string {
  return id.length > 128 ? capText(id, 128) : id;
}

/**
 * The fields a refused row tried to set: `_deleted` for a delete, the fields it changed against
 * its assumed state (or the server's) for an update, the fields it gave for a create, and the
 * fields named by the refusal. Never more than FIELDS_MAX names.
 */
function refusedFields(collection: CollectionName, row: PushRow, local: Record<string, unknown>, stored: AnyRecord | null, refusal: Rejection): string[] {
  const names = new Set<string>(refusal.unreadable);
  if (!refusal.shape) {
    if (local._deleted === true) names.add('_deleted');
    else if (COLLECTIONS[collection].pushable) {
      const base = clean(row.assumedMasterState) ?? stored;
      const fields = [...(stored ? mergeableFields(collection) : creatableFields(collection)), 'archivedAt'];
      for (const f of fields) {
        if (!(f in local)) continue;
        if (base ? !sameJsonValue(local[f], base[f]) : !isEmpty(local[f])) names.add(f);
      }
    }
  }
  for (const e of refusal.errors) {
    const top = String(e.path ?? '').split(/[./[]/)[0];
    if (top && top in local) names.add(top);
  }
  return [...names].slice(0, FIELDS_MAX).map((n) => capText(n, 64));
}

/**
 * The refusals of one push request. The first REJECTED_ENTRIES_PER_PUSH - 1 are audited one by
 * one as they happen; the rest wait for `finish`, which audits a single further refusal as usual
 * or, when there are several, writes one summary entry (count, reasons, the first ids). So a push
 * writes at most REJECTED_ENTRIES_PER_PUSH `rejected` entries, each a few KiB at most — never a
 * copy of the pushed body. Every refused row is still answered with the server's state.
 */
class RefusalLog {
  private recorded = 0;
  private readonly deferred: { row: PushRow; local: Record<string, unknown>; refusal: Rejection; visible: { record: AnyRecord; deleted: boolean } | null }[] = [];

  constructor(
    private readonly services: Services,
    private readonly ctx: Ctx,
    private readonly collection: CollectionName,
  ) {}

  /** Records a refusal (or defers it) and returns the server's document for the row, if it has one the caller may see. */
  async refuse(row: PushRow, local: Record<string, unknown>, refusal: Rejection): Promise<{ record: AnyRecord; deleted: boolean } | null> {
    if (this.recorded < REJECTED_ENTRIES_PER_PUSH - 1) {
      this.recorded++;
      return this.services.records.transaction(this.ctx, async (s) => {
        const visible = await this.visible(s.tx, String(local.id));
        await this.audit(s.tx, row, local, refusal, visible);
        return visible;
      });
    }
    const visible = await this.visible(this.services.store.db, String(local.id));
    this.deferred.push({ row, local, refusal, visible });
    return visible;
  }

  /** Audits what `refuse` deferred: one more entry, or one summary of all of them. */
  async finish(): Promise<void> {
    const { deferred, ctx, collection } = this;
    if (deferred.length === 0) return;
    if (deferred.length === 1) {
      const [d] = deferred;
      await this.services.records.transaction(ctx, (s) => this.audit(s.tx, d.row, d.local, d.refusal, d.visible));
      return;
    }
    const reasons = new Map<string, number>();
    const fields = new Set<string>();
    for (const d of deferred) {
      const reason = capText(d.refusal.message, 200);
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      for (const f of refusedFields(collection, d.row, d.local, d.visible?.record ?? null, d.refusal)) if (fields.size < FIELDS_MAX) fields.add(f);
    }
    const top = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 5);
    const ids = deferred.map((d) => auditId(String(d.local.id)));
    const first = deferred[0];
    await this.services.records.transaction(ctx, (s) =>
      auditOnce(
        s.tx,
        ctx,
        COLLECTIONS[collection].entityType,
        ids[0],
        'rejected',
        {
          collection,
          reason: capText(
            `${deferred.length} more rows of this push were refused (only the first ${REJECTED_ENTRIES_PER_PUSH - 1} are recorded one by one): ${top.map(([r, n]) => `${r} (${n}×)`).join('; ')}`,
            REASON_MAX_CHARS,
          ),
          status: first.refusal.status,
          errors: [],
          fields: [...fields],
          attempted: null,
          summary: { count: deferred.length, documentIds: ids.slice(0, SUMMARY_IDS), reasons: top.map(([reason, count]) => ({ reason, count })) },
        },
        null,
      ),
    );
  }

  private async visible(db: Db, id: string): Promise<{ record: AnyRecord; deleted: boolean } | null> {
    const stored = await findStored(db, this.collection, id);
    // someone's personal view is no more the pusher's to see in a refusal than in a pull
    return stored && stored.record.workspaceId === this.ctx.workspaceId && visibleTo(this.collection, stored.record, this.ctx.userId) ? stored : null;
  }

  private async audit(tx: Db, row: PushRow, local: Record<string, unknown>, refusal: Rejection, visible: { record: AnyRecord; deleted: boolean } | null): Promise<void> {
    const { ctx, collection } = this;
    const attempted = excerpt(local);
    await auditOnce(
      tx,
      ctx,
      COLLECTIONS[collection].entityType,
      auditId(String(local.id)),
      'rejected',
      {
        collection,
        reason: capText(refusal.message, REASON_MAX_CHARS),
        status: refusal.status,
        errors: refusal.errors.slice(0, ERRORS_MAX).map((e) => ({ path: capText(String(e.path ?? ''), 200), message: capText(String(e.message ?? ''), 300) })),
        fields: refusedFields(collection, row, local, visible?.record ?? null, refusal),
        attempted: attempted.value,
        ...(attempted.truncated ? { truncated: true } : {}),
      },
      visible && !visible.deleted ? visible.record : null,
    );
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
 * A version with no audit entry is a computed change (server/domain/records/computed.ts, migration
 * 0013), which changes only the computed fields: the record's own fields are those of the newest
 * snapshot before it.
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
      if (version !== 0 && typeof after.version === 'number' && after.version < version) return version <= server.version ? after : null;
    }
    cursor = page.nextCursor;
  } while (cursor);
  return null;
}

/**
 * Of `fields`, those that every write of the record after version `baseVersion` left alone or
 * changed on behalf of client `clientId` (its audit entries carry `detail.client`).
 */
async function changedOnlyBy(tx: Db, ctx: Ctx, entityType: string, id: string, baseVersion: unknown, clientId: string, fields: string[]): Promise<Set<string>> {
  const own = new Set(fields);
  if (typeof baseVersion !== 'number') return new Set();
  let cursor: string | null = null;
  do {
    const page: Awaited<ReturnType<typeof listAudit>> = await listAudit(tx, ctx, { entityType, entityId: id, limit: 200, ...(cursor ? { cursor } : {}) });
    for (const entry of page.data) {
      const after = entry.after as Record<string, unknown> | null;
      if (!after || typeof after.version !== 'number') continue;
      if (after.version <= baseVersion) return own;
      const byClient = (entry.detail as { client?: unknown } | null)?.client === clientId;
      if (!byClient) for (const f of entry.changedFields) own.delete(f);
      if (own.size === 0) return own;
    }
    cursor = page.nextCursor;
  } while (cursor);
  return own;
}

/**
 * What the client gets for a refused document the server never had: a tombstone of it (without
 * the fields too deep or too large to send back).
 */
function tombstoneFor(local: Record<string, unknown>, unreadable: string[] = []): SyncDocument {
  const out: Record<string, unknown> = { ...local };
  for (const f of unreadable) if (f !== 'id') delete out[f];
  return { ...out, id: String(local.id), _deleted: true };
}

/**
 * The status a `rejected` audit entry records for a domain error: the one the REST API answers it
 * with (server/http/problem.ts; test/unit/errors.test.ts checks they agree).
 */
export const REFUSAL_STATUS: Record<ErrorCode, number> = {
  invalid: 422,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  role_forbidden: 403,
  not_a_member: 403,
  key_workspace_restriction: 403,
  workspace_required: 400,
  server_only: 405,
  usage: 400,
};

function toRefusal(error: unknown): Rejection | null {
  if (error instanceof Rejection) return error;
  if (error instanceof DomainError) return new Rejection(REFUSAL_STATUS[error.code], error.message, error.errors);
  return null;
}
