/**
 * First load: how a client that has never pulled a collection gets it fast.
 *
 * RxDB's downstream replication writes every pulled document twice: into the collection and,
 * as the "assumed master state", into the replication's meta instance. For a fresh client that
 * doubles the cost of the biggest write it will ever do. Instead, the first load fetches the pull
 * pages itself and writes each page once, straight into the collection's storage, with two marks:
 *
 * - the RxDB origin mark (`_meta.o`: written by this replication, at this revision height), so
 *   the downstream treats an unmodified first-loaded document as in sync and overwrites it with
 *   newer server states later (its meta row is written then, as usual);
 * - the minimum last-write time (`_meta.lwt` = 1), below the push's initial checkpoint
 *   (`REPLICATED_PUSH_CHECKPOINT`, marks.ts), so first-loaded documents are never pushed back while
 *   every real local write (RxDB stamps the current time) is — also one made during the load.
 *
 * A local edit of a first-loaded document has no assumed master state; it is pushed with the
 * server `version` it carries and the server merges it against that version's state (SPEC §5,
 * server/domain/syncPush.ts `baseFromVersion`), exactly as with a stored assumed state.
 *
 * Progress is kept per collection in a local document, so a load cut off by a reload resumes
 * where it stopped; a page that cannot be fetched (offline, server down) is tried again until it
 * comes; should the local storage fail, the normal replication takes over from the last page
 * written. Documents already present are only replaced when they are unmodified
 * first-load copies of an older version; locally edited ones are left to the push's merge.
 *
 * A load from scratch also stores the tables' copy of the collection when it is done
 * (rowCache.ts), from the rows it wrote, so a big table's first open reads a few values instead of
 * every document.
 */
import { getChangedDocumentsSince, RX_META_LWT_MINIMUM, type RxCollection, type RxDatabase, type RxStorageWriteErrorConflict } from 'rxdb';
import type { CollectionName } from '../../shared/collections.js';
import type { SyncCheckpoint, SyncDocument } from '../../shared/sync.js';
import { replicatedMarks } from './marks.js';
import { invalidateRowCache, plainRow, rowCacheOf } from './rowCache.js';

interface Page {
  documents: SyncDocument[];
  checkpoint?: SyncCheckpoint | null;
}

/** One local document per collection: the server sequence its first load reached. */
const progressDoc = (name: CollectionName) => `kith-first-load-${name}`;
interface Progress {
  sequence: number;
  done: boolean;
}

export interface FirstLoadInput {
  db: RxDatabase;
  name: CollectionName;
  /** The replication identifier (its hash is the origin mark RxDB checks). */
  identifier: string;
  pageSize: number;
  fetchPage(sequence: number): Promise<Page>;
  /** Resolves when a failed page fetch should be tried again (after a pause, or on reconnect). */
  retryWait(): Promise<void>;
  isClosed(): boolean;
  /** Called after each page with the documents it wrote. */
  onProgress?(written: number): void;
}

/** A first load keeps at most this many rows in memory for the tables' copy (beyond, the first table open stores it). */
const COPY_MAX_ROWS = 300_000;

export interface FirstLoadResult {
  /** Where the replication's pull starts when it has no checkpoint of its own yet. */
  pullCheckpoint: SyncCheckpoint | undefined;
}


/**
 * Loads a collection the fast way if this client never pulled it (or was cut off doing so),
 * and says where the replication's pull should start.
 */
export async function firstLoad(input: FirstLoadInput): Promise<FirstLoadResult> {
  const { db, name } = input;
  const collection = db.collections[name] as RxCollection<any>;
  const saved = (await db.getLocal<Progress>(progressDoc(name)))?.toJSON().data;
  if (saved?.done) return { pullCheckpoint: { sequence: saved.sequence } };
  if (!saved) {
    // only an empty collection is first-loaded; anything else is the replication's business
    const any = await getChangedDocumentsSince(collection.storageInstance, 1);
    if (any.documents.length > 0) return { pullCheckpoint: undefined };
  }

  const instance = collection.internalStorageInstance;
  const marks = await replicatedMarks(db, input.identifier);
  let sequence = saved?.sequence ?? 0;
  // A load from scratch keeps the live rows it writes and stores them as the tables' copy at the
  // end (rowCache.ts), so the first open of a big table does not read every document one by one.
  const cache = saved ? null : await rowCacheOf(collection).catch(() => null);
  let copy: Map<string, Record<string, unknown> & { id: string }> | null = cache ? new Map() : null;
  let complete = false;

  try {
    /** A page, fetched again after each failure (offline, server down) until the store closes. */
    const fetchPage = async (from: number): Promise<Page | null> => {
      for (;;) {
        try {
          return await input.fetchPage(from);
        } catch {
          if (input.isClosed()) return null;
          await input.retryWait();
          if (input.isClosed()) return null;
        }
      }
    };
    let next: Promise<Page | null> | null = fetchPage(sequence);
    while (next && !input.isClosed()) {
      const page: Page | null = await next;
      if (!page) break;
      const full: boolean = page.documents.length >= input.pageSize;
      // fetch the next page while this one is written
      next = full && page.checkpoint ? fetchPage(page.checkpoint.sequence) : null;
      let written = 0;
      if (page.documents.length > 0) {
        const rows = page.documents.map((doc) => ({ document: marks.document(doc) }));
        const result = await instance.bulkWrite(rows as any, 'replication-first-load');
        // already present: replace unmodified older first-load copies; leave local edits to the push
        const failed = result.error.find((e) => e.status !== 409);
        if (failed) throw new Error(`local storage refused ${failed.documentId} (status ${failed.status})`);
        const conflicts = result.error.filter((e): e is RxStorageWriteErrorConflict<any> => e.status === 409);
        const replace = conflicts
          .filter((e) => e.documentInDb && marks.isUnmodifiedCopy(e.documentInDb) && Number((e.documentInDb as any).version) < Number((e.writeRow.document as any).version))
          .map((e) => ({ previous: e.documentInDb, document: marks.document(e.writeRow.document as SyncDocument, e.documentInDb) }));
        if (replace.length > 0) await instance.bulkWrite(replace as any, 'replication-first-load');
        if (copy) {
          const kept = new Map(conflicts.map((e) => [e.documentId, e.documentInDb]));
          for (const r of replace) kept.delete(r.document.id as string);
          for (const doc of page.documents) {
            // what the store holds now: the page's state, or the one it kept (a local edit)
            const stored = (kept.get(doc.id) ?? doc) as SyncDocument | undefined;
            if (!stored || stored._deleted === true || (stored._deleted as unknown) === '1') copy.delete(doc.id);
            else copy.set(doc.id, plainRow(stored));
          }
          if (copy.size > COPY_MAX_ROWS) copy = null;
        }
        // first-loaded documents carry the minimum last-write time: a stored table copy cannot catch up on them
        await invalidateRowCache(collection).catch(() => undefined);
        written = rows.length - result.error.length + replace.length;
      }
      if (page.checkpoint) sequence = page.checkpoint.sequence;
      await db.upsertLocal<Progress>(progressDoc(name), { sequence, done: !next });
      complete = !next;
      input.onProgress?.(written);
    }
    // written with the minimum last-write time like the documents: the copy's catch-up reads every later write
    if (complete && copy && copy.size > 0 && !input.isClosed()) await cache!.write([...copy.values()], RX_META_LWT_MINIMUM).catch((e) => console.warn(`storing the table copy of ${name} failed`, e));
  } catch (error) {
    // local storage failed: the replication goes on from the last page written, and shows why
    console.error(`first load of ${name} stopped`, error);
  }
  return { pullCheckpoint: sequence > 0 ? { sequence } : undefined };
}
