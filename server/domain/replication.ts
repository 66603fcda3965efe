/**
 * What the sync adapter reads that is not a business operation, scoped to the caller's workspace:
 * the records changed after a checkpoint (pulls, the live stream), the current change sequence,
 * and the self-check's digests. Writes go through `applyPush` (syncPush.ts) and the record
 * services like every other path.
 */
import type { CollectionName } from '../../shared/collections.js';
import type { DigestResponse } from '../../shared/digest.js';
import type { SyncDocument } from '../../shared/sync.js';
import { collectionDigest } from '../store/digest.js';
import { changedSince, currentSequence } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { Ctx } from './context.js';
import { syncDocumentFor } from './syncPush.js';

export interface Change {
  document: SyncDocument;
  version: number;
}

/** Documents of the workspace changed after `checkpoint`, in sequence order (tombstones as `_deleted`). */
export async function changesSince(store: Store, ctx: Pick<Ctx, 'workspaceId' | 'userId'>, collection: CollectionName, checkpoint: number, limit: number): Promise<Change[]> {
  const rows = await changedSince(store.db, collection, ctx.workspaceId, checkpoint, limit);
  return rows.map((r) => ({ document: syncDocumentFor(collection, r, ctx.userId), version: r.record.version }));
}

/** The global change sequence now. */
export function changeSequence(store: Store): Promise<number> {
  return currentSequence(store.db);
}

/** The digest of the workspace's live records of `collection` with from < version ≤ to (to: the head). */
export function digest(store: Store, ctx: Pick<Ctx, 'workspaceId' | 'userId'>, collection: CollectionName, from: number, to: number | null): Promise<DigestResponse> {
  return collectionDigest(store.db, collection, ctx.workspaceId, from, to, ctx.userId);
}
