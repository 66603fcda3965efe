/**
 * Writing server states straight into a collection's storage as if RxDB's replication had written
 * them (used by the first load and by the self-check's heal): each document carries
 *
 * - RxDB's origin mark (`_meta.o`: written by this replication, at this revision height), so the
 *   downstream treats the unmodified document as in sync and replaces it with newer server states;
 * - the minimum last-write time (`_meta.lwt` = 1), below the push's initial checkpoint
 *   ({@link REPLICATED_PUSH_CHECKPOINT}), so such documents are never pushed back while every real
 *   local write (RxDB stamps the current time) is.
 */
import { getHeightOfRevision, RX_META_LWT_MINIMUM, type RxDatabase } from 'rxdb';
import type { SyncDocument } from '../../shared/sync.js';

/** Last-write time of documents written this way (RxDB's minimum). */
const REPLICATED_LWT = RX_META_LWT_MINIMUM;
/** The push starts above the documents written this way: every later local write is pushed. */
export const REPLICATED_PUSH_CHECKPOINT = { id: '', lwt: REPLICATED_LWT + 0.5 } as const;

export interface ReplicatedMarks {
  /** A storage document for a server state; `previous` is the stored document it replaces, if any. */
  document(doc: SyncDocument, previous?: { _rev: string } | null): Record<string, unknown>;
  /** True for a stored document last written by the replication (not edited locally since). */
  isUnmodifiedCopy(doc: any): boolean;
}

export async function replicatedMarks(db: RxDatabase, identifier: string): Promise<ReplicatedMarks> {
  // the hash RxDB's downstream compares the origin mark with (its identifier has this prefix)
  const hash = await db.hashFunction(`rxdbreplication${identifier}`);
  const token = db.token;
  return {
    document(doc, previous) {
      const height = previous ? getHeightOfRevision(previous._rev) + 1 : 1;
      return { ...doc, _deleted: doc._deleted === true, _attachments: {}, _meta: { lwt: REPLICATED_LWT, o: { _rev: height, hash } }, _rev: `${height}-${token}` };
    },
    isUnmodifiedCopy: (doc) => doc?._meta?.o?.hash === hash && doc._meta.o._rev === getHeightOfRevision(doc._rev),
  };
}
