/**
 * The audit trail: append-only entries written in the same transaction as the change they
 * describe, with before/after snapshots, the changed fields, the actor and the source.
 */
import { z } from 'zod';
import { newId } from '../../shared/ids.js';
import type { AuditEntryRecord } from '../../shared/schemas.js';
import type { Db } from '../store/database.js';
import { insertValues, type Row } from '../store/records.js';
import type { Ctx } from './context.js';
import { nowIso } from './context.js';
import { badCursor, parseInput } from './errors.js';
import { enqueueAutomationRuns } from './automations/queue.js';
import { enqueueEvents } from './webhooks/outbox.js';

export type AuditAction = AuditEntryRecord['action'];

export interface AuditInput {
  entityType: string;
  entityId: string;
  action: AuditAction;
  before?: Row | null;
  after?: Row | null;
  changedFields?: string[];
  detail?: Row | null;
}

export async function writeAudit(tx: Db, ctx: Ctx, entry: AuditInput): Promise<void> {
  // a write by an automation names it and its run
  let detail = ctx.automation ? { ...entry.detail, automationId: ctx.automation.automationId, runId: ctx.automation.runId } : entry.detail;
  // a write of an operation (merge, bulk, undo) names it
  if (ctx.operationId) detail = { ...detail, operationId: ctx.operationId };
  await insertValues(tx, 'auditEntries', {
    id: newId(),
    workspaceId: ctx.workspaceId,
    entityType: entry.entityType,
    entityId: entry.entityId,
    action: entry.action,
    before: entry.before ? JSON.stringify(entry.before) : null,
    after: entry.after ? JSON.stringify(entry.after) : null,
    changedFields: JSON.stringify(entry.changedFields ?? []),
    detail: ctx.clientId ? JSON.stringify({ ...detail, client: ctx.clientId }) : detail ? JSON.stringify(detail) : null,
    actorUserId: ctx.userId,
    actorKeyId: ctx.keyId,
    source: ctx.source,
    at: nowIso(),
    ...(ctx.operationId ? { operationId: ctx.operationId } : {}),
  });
  await enqueueEvents(tx, ctx, entry); // the webhook deliveries it causes, in the same transaction
  await enqueueAutomationRuns(tx, ctx, entry); // and the automation runs it triggers
}

function toEntry(row: Row): AuditEntryRecord {
  const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : null);
  const { operationId: _operationId, ...rest } = row; // the index column; detail.operationId says it
  return {
    ...(rest as AuditEntryRecord),
    seq: Number(row.seq),
    before: parse(row.before),
    after: parse(row.after),
    changedFields: parse(row.changedFields) ?? [],
    detail: parse(row.detail),
  };
}

export const AuditQuery = z.strictObject({
  entityType: z.string().optional(),
  entityId: z.string().optional(),
  action: z.enum(['create', 'update', 'archive', 'restore', 'delete', 'merge', 'conflict', 'rejected']).optional(),
  operationId: z.string().optional().describe('Only the entries of this merge, bulk operation or undo'),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().optional().describe('nextCursor of the previous page, unchanged; anything else is refused with 400'),
  workspace: z.string().optional(),
});

/**
 * Newest first; `cursor` is the seq of the last entry of the previous page. Refused changes
 * (`rejected`) are the acting user's own business: members and viewers see only the ones they
 * made; owners see all of them.
 */
export async function listAudit(db: Db, ctx: Ctx, input: unknown): Promise<{ data: AuditEntryRecord[]; nextCursor: string | null }> {
  const query = parseInput(AuditQuery, input);
  const limit = query.limit ?? 50;
  let q = db.selectFrom('auditEntries').selectAll().where('workspaceId', '=', ctx.workspaceId);
  if (ctx.role !== 'OWNER') {
    const userId = ctx.userId;
    q = q.where((eb) => eb.or([eb('action', '!=', 'rejected'), userId ? eb('actorUserId', '=', userId) : eb.val(false)]));
  }
  if (query.entityType) q = q.where('entityType', '=', query.entityType);
  if (query.entityId) q = q.where('entityId', '=', query.entityId);
  if (query.action) q = q.where('action', '=', query.action);
  if (query.operationId) q = q.where('operationId', '=', query.operationId);
  if (query.cursor !== undefined) {
    const seq = /^\d{1,15}$/.test(query.cursor) ? Number(query.cursor) : NaN;
    if (!Number.isSafeInteger(seq)) throw badCursor();
    q = q.where('seq', '<', seq);
  }
  const rows = await q
    .orderBy('seq', 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit).map(toEntry);
  return { data: page, nextCursor: rows.length > limit ? String(page[page.length - 1].seq) : null };
}

// ------------------------------------------------------------------ bounded excerpts

/** Limits of an excerpt: what an audit entry keeps of a document it did not store. */
export const EXCERPT_MAX_CHARS = 2048;
const EXCERPT_STRING_MAX = 200;
const EXCERPT_ITEMS_MAX = 10;
const EXCERPT_DEPTH_MAX = 3;

/**
 * A size-capped excerpt of a client document: at most `maxChars` characters of JSON, whatever
 * the input's size or depth (the work is bounded too: at most a few hundred values are looked
 * at). Long strings are cut and say so (`… [truncated: N characters]`), long arrays and objects
 * keep their first items and say how many more there were, values nested deeper than 3 levels are
 * replaced by a note, and fields that no longer fit are left out behind a `"…"` key saying how
 * many. `id` and `_deleted` come first so they survive. `truncated` is true when anything was cut.
 */
export function excerpt(doc: Record<string, unknown>, maxChars = EXCERPT_MAX_CHARS): { value: Record<string, unknown>; truncated: boolean } {
  for (let budget = maxChars; ; budget = Math.floor(budget * 0.7)) {
    const state = { budget, truncated: false };
    const value = excerptObject(doc, 0, state, ['id', '_deleted']);
    if (JSON.stringify(value).length <= maxChars || budget < 64) return { value, truncated: state.truncated };
  }
}

interface ExcerptState {
  budget: number;
  truncated: boolean;
}

function spend(state: ExcerptState, value: unknown): boolean {
  const cost = JSON.stringify(value).length + 1;
  if (cost > state.budget) return false;
  state.budget -= cost;
  return true;
}

function excerptValue(value: unknown, depth: number, state: ExcerptState): unknown {
  if (typeof value === 'string') {
    const room = Math.max(0, Math.min(EXCERPT_STRING_MAX, state.budget - 40));
    if (value.length <= room) return spend(state, value) ? value : cut(state, value);
    return cut(state, value, room);
  }
  if (value === null || typeof value !== 'object') {
    const plain = value === undefined || typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint' ? null : value;
    return spend(state, plain) ? plain : note(state, '[truncated]');
  }
  if (depth >= EXCERPT_DEPTH_MAX) return note(state, Array.isArray(value) ? `[truncated: an array of ${value.length} items]` : '[truncated: a nested object]');
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    state.budget -= 2;
    for (let i = 0; i < value.length; i++) {
      if (i >= EXCERPT_ITEMS_MAX || state.budget < 48) {
        out.push(note(state, `… [truncated: ${value.length - i} more items]`));
        break;
      }
      out.push(excerptValue(value[i], depth + 1, state));
    }
    return out;
  }
  return excerptObject(value as Record<string, unknown>, depth + 1, state, []);
}

function excerptObject(obj: Record<string, unknown>, depth: number, state: ExcerptState, first: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  state.budget -= 2;
  const keys = Object.keys(obj);
  const ordered = [...first.filter((k) => Object.hasOwn(obj, k)), ...keys.filter((k) => !first.includes(k))];
  for (let i = 0; i < ordered.length; i++) {
    const key = ordered[i];
    const shownKey = key.length > 64 ? `${key.slice(0, 64)}…` : key;
    if (i >= EXCERPT_ITEMS_MAX * 3 || state.budget < shownKey.length + 48) {
      out['…'] = note(state, `[truncated: ${ordered.length - i} more fields]`);
      break;
    }
    if (shownKey !== key) state.truncated = true;
    state.budget -= JSON.stringify(shownKey).length + 1;
    Object.defineProperty(out, shownKey, { value: excerptValue(obj[key], depth, state), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function cut(state: ExcerptState, value: string, room = 0): string {
  state.truncated = true;
  let text = `${value.slice(0, room)}… [truncated: ${value.length} characters]`;
  // escapes (quotes, control characters) make JSON longer than the text: shorten until it fits
  while (room > 0 && JSON.stringify(text).length + 1 > state.budget) {
    room = Math.floor(room / 2);
    text = `${value.slice(0, room)}… [truncated: ${value.length} characters]`;
  }
  state.budget -= JSON.stringify(text).length + 1;
  return text;
}

function note(state: ExcerptState, text: string): string {
  state.truncated = true;
  state.budget -= text.length + 3;
  return text;
}
