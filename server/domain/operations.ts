/**
 * Operations (SPEC §3): a merge, a bulk operation or an undo is one operation. Every audit entry it
 * writes carries its id (Ctx.operationId, written by writeAudit), and a row in `operations` says
 * what it was and whether it was undone. `undoOperation` reverts one, in one transaction, through
 * the record service: updates are patched back field by field (a field changed since is left as
 * it is and reported), archives restored, restores archived, deletes (a merge's sources, a bulk
 * delete, a merge's duplicate deal contacts) brought back.
 */
import { COLLECTION_NAMES, COLLECTIONS, type CollectionName } from '../../shared/collections.js';
import { newId } from '../../shared/ids.js';
import { writable } from '../../shared/rules.js';
import type { Db } from '../store/database.js';
import { jsonArrayContains } from '../store/dialect.js';
import type { Row } from '../store/records.js';
import { nowIso, requireWrite, type Ctx } from './context.js';
import { conflict, notFound } from './errors.js';
import type { RecordService } from './records.js';
import { sameValue } from './records/scope.js';
import type { WriteScope } from './records/scope.js';

export interface OperationRow {
  id: string;
  kind: 'merge' | 'bulk' | 'undo';
  collection: CollectionName;
  action: string;
  undoOf: string | null;
  undoneBy: string | null;
}

/** What an undo did: the new operation's id, how many records it changed, and the fields it left because they changed since. */
export interface UndoResult {
  operationId: string;
  undid: string;
  changed: number;
  skipped: { id: string; field: string; message: string }[];
}

/** Records an operation (in its transaction) and returns the context its writes run with. */
export async function beginOperation(scope: WriteScope, kind: OperationRow['kind'], collection: CollectionName, action: string, undoOf: string | null = null): Promise<Ctx> {
  const { ctx } = scope;
  const id = newId();
  await scope.tx
    .insertInto('operations')
    .values({ id, workspaceId: ctx.workspaceId, kind, collection, action, actorUserId: ctx.userId, source: ctx.source, undoOf, undoneBy: null, createdAt: nowIso() })
    .execute();
  return { ...ctx, operationId: id };
}

export async function findOperation(scope: WriteScope | { tx: RecordService['store']['db']; ctx: Ctx }, id: string): Promise<OperationRow | null> {
  const row = await scope.tx.selectFrom('operations').selectAll().where('id', '=', id).where('workspaceId', '=', scope.ctx.workspaceId).executeTakeFirst();
  return (row as OperationRow | undefined) ?? null;
}

const collectionOfEntity = (entityType: string): CollectionName | null => COLLECTION_NAMES.find((c) => COLLECTIONS[c].entityType === entityType) ?? null;

/**
 * The patch that puts back what an update changed (`before` → `after`), for the fields still at
 * the value it left them with; the others are reported. Only fields a client may write (derived
 * ones follow: a domain from its website).
 */
function revertPatch(collection: CollectionName, current: Row, entry: { before: Row; after: Row; changedFields: string[] }, skipped: UndoResult['skipped']): Row {
  const shape = writable(collection)?.update.shape ?? {};
  const patch: Row = {};
  for (const field of entry.changedFields) {
    if (field === 'custom') {
      const before = (entry.before.custom ?? {}) as Row;
      const after = (entry.after.custom ?? {}) as Row;
      const now = (current.custom ?? {}) as Row;
      const custom: Row = {};
      for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
        if (sameValue(before[key], after[key])) continue;
        if (!sameValue(now[key], after[key])) skipped.push({ id: String(current.id), field: `custom.${key}`, message: 'changed since; left as it is' });
        else custom[key] = before[key] ?? null;
      }
      if (Object.keys(custom).length > 0) patch.custom = custom;
      continue;
    }
    if (!(field in shape)) continue;
    if (!sameValue(current[field], entry.after[field])) {
      skipped.push({ id: String(current.id), field, message: 'changed since; left as it is' });
      continue;
    }
    patch[field] = entry.before[field] ?? null;
  }
  return patch;
}

/**
 * Reverts operation `id` as a new operation (kind `undo`), in one transaction: every entry newest
 * first. Refused (409) when it was undone already, or is itself an undo; 404 when there is no
 * such operation in the workspace. A failure reverts nothing.
 */
export async function undoOperation(records: RecordService, ctx: Ctx, id: string, expectKind?: OperationRow['kind']): Promise<UndoResult> {
  requireWrite(ctx, 'MEMBER', 'undo operations');
  return records.transaction(ctx, async (scope) => {
    const operation = await findOperation(scope, id);
    if (!operation || (expectKind && operation.kind !== expectKind)) throw notFound(expectKind === 'merge' ? 'merge' : 'operation', id);
    if (operation.kind === 'undo') throw conflict(`operation ${id} is an undo; it cannot be undone`, { operationId: id });
    if (operation.undoneBy) throw conflict(`operation ${id} was undone already (by operation ${operation.undoneBy})`, { operationId: id, undoneBy: operation.undoneBy });
    const opCtx = await beginOperation(scope, 'undo', operation.collection, operation.action, id);
    const s: WriteScope = { ...scope, ctx: opCtx };
    const entries = await scope.tx.selectFrom('auditEntries').selectAll().where('workspaceId', '=', ctx.workspaceId).where('operationId', '=', id).orderBy('seq', 'desc').execute();
    const skipped: UndoResult['skipped'] = [];
    const touched = new Set<string>();
    const parse = (v: unknown) => (typeof v === 'string' ? (JSON.parse(v) as Row) : null);
    for (const row of entries) {
      const collection = collectionOfEntity(String(row.entityType));
      if (!collection) continue;
      const before = parse(row.before);
      const after = parse(row.after);
      const detail = parse(row.detail) ?? {};
      const entityId = String(row.entityId);
      const action = String(row.action);
      if (action === 'update' || action === 'merge') {
        if (action === 'merge') {
          // the sources come back first, so the references moved to the target can point at them again
          for (const source of (detail.sources ?? []) as Row[]) {
            await records.undelete(opCtx, collection, source, s, 'MEMBER');
            touched.add(String(source.id));
          }
        }
        if (!before || !after) continue;
        const current = await records.find(scope.tx, opCtx, collection, entityId);
        if (!current) {
          skipped.push({ id: entityId, field: '*', message: 'deleted since; left as it is' });
          continue;
        }
        const patch = revertPatch(collection, current, { before, after, changedFields: JSON.parse(String(row.changedFields)) as string[] }, skipped);
        if (Object.keys(patch).length === 0) continue;
        await records.update(opCtx, collection, entityId, patch, {}, s);
        touched.add(entityId);
      } else if (action === 'archive' || action === 'restore') {
        const current = await records.find(scope.tx, opCtx, collection, entityId);
        const archived = action === 'restore';
        if (!current || (current.archivedAt !== null) === archived) continue;
        await records.setArchived(opCtx, collection, entityId, archived, s);
        touched.add(entityId);
      } else if (action === 'create' && after) {
        // a deal contact a merge made for the target
        if (await records.find(scope.tx, opCtx, collection, entityId)) {
          await records.remove(opCtx, collection, entityId, s, 'MEMBER');
          touched.add(entityId);
        }
      } else if (action === 'delete' && before) {
        // a merge's duplicate deal contacts come back with the merge (members may merge)
        await records.undelete(opCtx, collection, before, s, operation.kind === 'merge' ? 'MEMBER' : undefined);
        touched.add(entityId);
      }
    }
    await scope.tx.updateTable('operations').set({ undoneBy: opCtx.operationId }).where('id', '=', id).execute();
    return { operationId: opCtx.operationId!, undid: id, changed: touched.size, skipped };
  });
}

/** The collections whose records reference `target` (people, organizations) by a standard field. */
export function referencingFields(target: CollectionName): [CollectionName, string][] {
  const out: [CollectionName, string][] = [];
  for (const [name, info] of Object.entries(COLLECTIONS) as [CollectionName, (typeof COLLECTIONS)[CollectionName]][]) {
    if (!writable(name)) continue;
    for (const [field, to] of Object.entries(info.references)) if (to === target) out.push([name, field]);
  }
  return out;
}

/**
 * The record a deleted person or organization was merged into (following later merges of that
 * one), or null: it was not merged, or the merge was undone.
 */
export async function mergedInto(db: Db, workspaceId: string, entityType: string, id: string): Promise<string | null> {
  let current = id;
  for (let hop = 0; hop < 5; hop++) {
    const entry = await db
      .selectFrom('auditEntries')
      .select(['entityId', 'operationId'])
      .where('workspaceId', '=', workspaceId)
      .where('action', '=', 'merge')
      .where('entityType', '=', entityType)
      .where(jsonArrayContains(db, 'detail', '$.sourceIds', current))
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!entry) break;
    const operation = await db.selectFrom('operations').select('undoneBy').where('id', '=', String(entry.operationId)).executeTakeFirst();
    if (!operation || operation.undoneBy) break;
    current = String(entry.entityId);
  }
  return current === id ? null : current;
}
