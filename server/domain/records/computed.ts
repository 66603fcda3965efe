/**
 * Keeping the computed fields current (SPEC §2; which activities count and how: server/store/
 * computed.ts). Every record write goes through RecordService.put, which calls `beforePut` and
 * `afterPut` in the write's transaction, so a reader never sees an activity without its effect on
 * the records it counts for:
 * - a write of an organization, person or deal never sets computed values from its input (a sync
 *   push or an undo snapshot carrying stale ones): it keeps the stored ones; a deal's
 *   stageEnteredAt is its creation time, then the time of each stage move;
 * - after a write of an activity (create, update, complete, archive, restore, delete, moved to
 *   another record), of a deal whose organization or primary person changes (or that is deleted
 *   or comes back), of a deal contact added or removed, the records it counts for are recomputed,
 *   and those whose values changed are stored with a new version (so sync clients receive them).
 *
 * A computed change is not an edit: it writes no audit entry, so it sends no webhook and triggers
 * no automation, and it leaves updatedAt as it was (the record's own fields did not change).
 */
import { ACTIVITY_COMPUTED, hasComputed, readComputed, writeComputed, type ComputedCollection } from '../../store/computed.js';
import { findStored, nextVersion, type AnyRecord, type Row, type StoredRecord } from '../../store/records.js';
import type { CollectionName } from '../../../shared/collections.js';
import type { WriteScope } from './scope.js';

/** Collections whose writes change computed values (their own or other records'). */
const SOURCES = new Set<CollectionName>(['activities', 'deals', 'dealContacts', 'organizations', 'people']);
/** Activity fields that decide what it counts for and how. */
const ACTIVITY_FIELDS = ['type', 'occurredAt', 'dueAt', 'completedAt', 'archivedAt', 'organizationId', 'personId', 'dealId'];

/**
 * Before a record is stored: reads the stored row (null for a new record or a collection without
 * computed effects) and sets the record's computed fields as the server keeps them.
 */
export async function beforePut(scope: WriteScope, collection: CollectionName, record: Row, isNew: boolean): Promise<StoredRecord | null> {
  if (!SOURCES.has(collection)) return null;
  const stored = isNew ? null : await findStored(scope.tx, collection, String(record.id));
  if (!hasComputed(collection)) return stored;
  const kept = stored?.record ?? null;
  for (const f of ACTIVITY_COMPUTED) record[f] = kept?.[f] ?? null;
  if (collection === 'deals') record.stageEnteredAt = kept && kept.stageId === record.stageId && kept.stageEnteredAt ? kept.stageEnteredAt : record.updatedAt;
  return stored;
}

type Targets = Map<ComputedCollection, Set<string>>;

function add(targets: Targets, collection: ComputedCollection, id: unknown): void {
  if (typeof id !== 'string' || !id) return;
  let set = targets.get(collection);
  if (!set) targets.set(collection, (set = new Set()));
  set.add(id);
}

/** A deal's organization and people (primary and contacts): the records its activities count for. */
async function dealLinks(scope: WriteScope, dealId: string, targets: Targets): Promise<void> {
  const deal = await scope.tx.selectFrom('deals').select(['organizationId', 'primaryPersonId']).where('id', '=', dealId).where('deleted', '=', 0).executeTakeFirst();
  if (!deal) return;
  add(targets, 'organizations', deal.organizationId);
  add(targets, 'people', deal.primaryPersonId);
  const contacts = await scope.tx.selectFrom('dealContacts').select('personId').where('workspaceId', '=', scope.ctx.workspaceId).where('dealId', '=', dealId).where('deleted', '=', 0).execute();
  for (const c of contacts) add(targets, 'people', c.personId);
}

/** The records whose computed values the write of `collection` from `before` to `after` may have changed. */
async function targetsOf(scope: WriteScope, collection: CollectionName, before: AnyRecord | null, after: AnyRecord | null): Promise<Targets> {
  const targets: Targets = new Map();
  const states = [before, after].filter((r): r is AnyRecord => r !== null);
  if (collection === 'activities') {
    if (before && after && ACTIVITY_FIELDS.every((f) => before[f] === after[f])) return targets;
    for (const a of states) {
      add(targets, 'organizations', a.organizationId);
      add(targets, 'people', a.personId);
      add(targets, 'deals', a.dealId);
      if (typeof a.dealId === 'string') await dealLinks(scope, a.dealId, targets);
    }
  } else if (collection === 'deals') {
    if (before && after && before.organizationId === after.organizationId && before.primaryPersonId === after.primaryPersonId) return targets;
    for (const d of states) {
      add(targets, 'organizations', d.organizationId);
      add(targets, 'people', d.primaryPersonId);
    }
    // deleted or back: its contacts too, and itself when it comes back
    if (!before || !after) {
      const contacts = await scope.tx
        .selectFrom('dealContacts')
        .select('personId')
        .where('workspaceId', '=', scope.ctx.workspaceId)
        .where('dealId', '=', states[0].id)
        .where('deleted', '=', 0)
        .execute();
      for (const c of contacts) add(targets, 'people', c.personId);
      if (after) add(targets, 'deals', after.id);
    }
  } else if (collection === 'dealContacts') {
    if (!before !== !after) add(targets, 'people', states[0].personId);
  } else if (hasComputed(collection) && !before && after) {
    add(targets, collection, after.id); // a deleted record comes back
  }
  return targets;
}

/**
 * After a record is stored (`stored`: what beforePut read; `deleted`: the write left a tombstone):
 * recomputes the records it counts for and stores the changed ones with a new version each.
 */
export async function afterPut(scope: WriteScope, collection: CollectionName, stored: StoredRecord | null, record: AnyRecord, isNew: boolean, deleted: boolean): Promise<void> {
  if (!SOURCES.has(collection)) return;
  const before = stored && !stored.deleted ? stored.record : null;
  const after = deleted ? null : record;
  // a new organization, person, deal or deal contact has no activities yet
  if (isNew && collection !== 'activities') return;
  if (!before && !after) return;
  const targets = await targetsOf(scope, collection, before, after);
  for (const [table, ids] of targets) {
    for (const row of await readComputed(scope.tx, table, scope.ctx.workspaceId, [...ids])) {
      if (ACTIVITY_COMPUTED.every((f) => row.stored[f] === row.current[f])) continue;
      const version = await nextVersion(scope.tx);
      await writeComputed(scope.tx, table, row.id, row.current, version);
      scope.touch(table, version);
    }
  }
}
