/**
 * The audit trail: append-only entries written in the same transaction as the change they
 * describe, with before/after snapshots, the changed fields, the actor and the source.
 */
import { z } from 'zod';
import { newId } from '../../shared/ids.js';
import type { AuditEntryRecord } from '../../shared/schemas.js';
import type { Db } from '../store/database.js';
import type { Row } from '../store/records.js';
import type { Ctx } from './context.js';
import { nowIso } from './context.js';
import { parseInput } from './errors.js';

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
  await tx
    .insertInto('auditEntries')
    .values({
      id: newId(),
      workspaceId: ctx.workspaceId,
      entityType: entry.entityType,
      entityId: entry.entityId,
      action: entry.action,
      before: entry.before ? JSON.stringify(entry.before) : null,
      after: entry.after ? JSON.stringify(entry.after) : null,
      changedFields: JSON.stringify(entry.changedFields ?? []),
      detail: entry.detail ? JSON.stringify(entry.detail) : null,
      actorUserId: ctx.userId,
      actorKeyId: ctx.keyId,
      source: ctx.source,
      at: nowIso(),
    })
    .execute();
}

function toEntry(row: Row): AuditEntryRecord {
  const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : null);
  return {
    ...(row as AuditEntryRecord),
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
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().regex(/^\d+$/, { error: 'must be a cursor returned by a previous page' }).optional(),
  workspace: z.string().optional(),
});

/** Newest first; `cursor` is the seq of the last entry of the previous page. */
export async function listAudit(db: Db, ctx: Ctx, input: unknown): Promise<{ data: AuditEntryRecord[]; nextCursor: string | null }> {
  const query = parseInput(AuditQuery, input);
  const limit = query.limit ?? 50;
  let q = db.selectFrom('auditEntries').selectAll().where('workspaceId', '=', ctx.workspaceId);
  if (query.entityType) q = q.where('entityType', '=', query.entityType);
  if (query.entityId) q = q.where('entityId', '=', query.entityId);
  if (query.action) q = q.where('action', '=', query.action);
  if (query.cursor) q = q.where('seq', '<', Number(query.cursor));
  const rows = await q.orderBy('seq', 'desc').limit(limit + 1).execute();
  const page = rows.slice(0, limit).map(toEntry);
  return { data: page, nextCursor: rows.length > limit ? String(page[page.length - 1].seq) : null };
}
