/**
 * A copy of a collection's live records in a handful of IndexedDB values, so a big table opens
 * without reading its documents one by one (components/records/useCollectionRows.ts).
 *
 * Why: Chromium's IndexedDB pays per record. Reading 100,000 deals (~1 KB each) from RxDB's Dexie
 * store with `getAll` took 46–50 s on the shared 2-core machine under load, the same 100,000 as one
 * value 7 s. So the rows are kept, besides RxDB's store, in values of 2,500 rows each (a database
 * `kith-rowcache-<database name>`, one entry per collection and schema version) with the newest
 * last-write time (`_meta.lwt`) they include. Opening a table reads those values, then the
 * documents written since (RxDB's `[_meta.lwt+id]` index, with a margin), and checks the number
 * of live documents against the store in the background.
 *
 * Writers that put documents in with the minimum last-write time (the first load, the self-check's
 * heal: marks.ts) are not found by that catch-up, so they call `invalidateRowCache` first; a copy
 * being written meanwhile is then not kept. A first load from scratch stores the copy itself once
 * it is done (firstLoad.ts: the rows it wrote, with the minimum last-write time, so the catch-up
 * reads every later write), so even the first open of a table on a device reads a copy.
 */
import { RX_META_LWT_MINIMUM, type RxCollection } from 'rxdb';
import { dexieObjectStore, idbRequest, type StoredDoc } from './storedDocuments.js';

type Row = Record<string, unknown> & { id: string };

/** A stored (or pulled) document as a table row: without RxDB's fields (_rev, _meta, _deleted, _attachments). */
export function plainRow(doc: Record<string, unknown> & { id: string }): Row {
  const out: Record<string, unknown> = {};
  for (const key in doc) if (key.charCodeAt(0) !== 95 /* _ */) out[key] = doc[key];
  return out as Row;
}
/** What the cache needs of a collection (an RxCollection has it). */
export interface CachedCollection {
  name: string;
  database: { name: string };
  schema: { version: number };
  internalStorageInstance?: unknown;
}
const storeOf = (collection: CachedCollection) => dexieObjectStore(collection as Pick<RxCollection<any>, 'internalStorageInstance'>);

/** Bumped when what is stored changes shape. */
const FORMAT = 1;
/** Rows per stored value: a value's (de)serialization blocks the page for tens of milliseconds at most. */
const CHUNK = 2500;
/** Documents written this long before the copy's newest write are read again (writes of other tabs reach this one late). */
const CATCH_UP_MARGIN_MS = 2 * 60_000;
const STORE = 'rows';

interface Meta {
  format: number;
  generation: string;
  chunks: number;
  count: number;
  /** the newest last-write time among the documents the copy includes */
  lwt: number;
}

export interface RowCache {
  /** The stored copy (null when there is none or it is incomplete). */
  read(): Promise<{ chunks: Row[][]; lwt: number } | null>;
  /** Replaces the copy, a value at a time (yielding between), unless it is invalidated meanwhile. */
  write(rows: readonly Row[], lwt: number): Promise<void>;
  /** Stored documents (tombstones included) written since `lwt` (minus the margin); null without the index. */
  changedSince(lwt: number): Promise<StoredDoc[] | null>;
  /** How many live documents the collection stores; null when it cannot be counted cheaply. */
  liveCount(): Promise<number | null>;
}

const databases = new Map<string, Promise<IDBDatabase>>();

function cacheDatabase(name: string): Promise<IDBDatabase> {
  let db = databases.get(name);
  if (!db) {
    db = new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(`kith-rowcache-${name}`, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => {
        // another tab upgrading (a later format): let it, and open again next time
        request.result.onversionchange = () => {
          request.result.close();
          databases.delete(name);
        };
        resolve(request.result);
      };
      request.onerror = () => reject(request.error);
    });
    db.catch(() => databases.delete(name));
    databases.set(name, db);
  }
  return db;
}

/** Runs `body` in one transaction and resolves when it commits. */
function transaction<T>(db: IDBDatabase, mode: IDBTransactionMode, body: (store: IDBObjectStore, result: (value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    let value: T;
    body(tx.objectStore(STORE), (v) => (value = v));
    tx.oncomplete = () => resolve(value);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('row cache transaction aborted'));
  });
}

const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
const keyOf = (collection: CachedCollection) => `${collection.name}@${collection.schema.version}`;
const chunkRange = (key: string, generation?: string) => IDBKeyRange.bound(`${key}#${generation ?? ''}`, `${key}#${generation ?? ''}\uffff`);
const invalidatedKey = (key: string) => `${key}!invalidated`;

/** The collection's row cache, when it is stored by Dexie in a browser (null otherwise: memory storage in Node). */
export async function rowCacheOf(collection: CachedCollection): Promise<RowCache | null> {
  if (typeof indexedDB === 'undefined') return null;
  const objectStore = await storeOf(collection);
  if (!objectStore) return null;
  const name = collection.database.name;
  const key = keyOf(collection);
  return {
    async read() {
      const db = await cacheDatabase(name);
      return transaction<{ chunks: Row[][]; lwt: number } | null>(db, 'readonly', (store, result) => {
        result(null);
        const metaRequest = store.get(key);
        metaRequest.onsuccess = () => {
          const meta = metaRequest.result as Meta | undefined;
          if (!meta || meta.format !== FORMAT) return;
          // a request per value, not one getAll: each value is deserialized in its own task, so
          // the page keeps painting (one getAll of 100,000 rows blocked it for seconds)
          if (meta.chunks === 0 && meta.count === 0) return result({ chunks: [], lwt: meta.lwt });
          const chunks: Row[][] = new Array(meta.chunks);
          let got = 0;
          for (let i = 0; i < meta.chunks; i++) {
            const chunkRequest = store.get(`${key}#${meta.generation}#${i}`);
            chunkRequest.onsuccess = () => {
              chunks[i] = chunkRequest.result as Row[];
              if (++got < meta.chunks) return;
              if (chunks.every(Array.isArray) && chunks.reduce((n, c) => n + c.length, 0) === meta.count) result({ chunks, lwt: meta.lwt });
            };
          }
        };
      });
    },

    async write(rows, lwt) {
      const db = await cacheDatabase(name);
      const before = await transaction<unknown>(db, 'readonly', (store, result) => {
        const r = store.get(invalidatedKey(key));
        r.onsuccess = () => result(r.result);
      });
      const generation = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
      const chunks = Math.ceil(rows.length / CHUNK);
      for (let i = 0; i < chunks; i++) {
        const slice = rows.slice(i * CHUNK, (i + 1) * CHUNK);
        await transaction<void>(db, 'readwrite', (store) => store.put(slice, `${key}#${generation}#${i}`));
        await pause();
      }
      await transaction<void>(db, 'readwrite', (store) => {
        const invalidated = store.get(invalidatedKey(key));
        invalidated.onsuccess = () => {
          if (invalidated.result !== before) {
            store.delete(chunkRange(key, `${generation}#`)); // documents went in that the catch-up cannot see
            return;
          }
          // every other generation's values: the previous copy's, and any left by a write cut off
          store.delete(IDBKeyRange.bound(`${key}#`, `${key}#${generation}#`, false, true));
          store.delete(IDBKeyRange.bound(`${key}#${generation}#\uffff`, `${key}#\uffff`, true, false));
          store.put({ format: FORMAT, generation, chunks, count: rows.length, lwt } satisfies Meta, key);
        };
      });
    },

    async changedSince(lwt) {
      const store = objectStore();
      if (!store.indexNames.contains('[_meta.lwt+id]')) return null;
      // never the documents with the minimum last-write time (first-loaded or healed: those invalidate the copy);
      // arrays sort after strings, so [minimum, []] is past every [minimum, id]
      const from = lwt - CATCH_UP_MARGIN_MS;
      const range = from > RX_META_LWT_MINIMUM ? IDBKeyRange.lowerBound([from, '']) : IDBKeyRange.lowerBound([RX_META_LWT_MINIMUM, []], true);
      return idbRequest(store.index('[_meta.lwt+id]').getAll(range));
    },

    async liveCount() {
      const store = objectStore();
      if (!store.indexNames.contains('[_deleted+id]')) return null;
      // Dexie stores the deleted flag as '0'/'1'; arrays sort after strings, so ['0', []] ends the live range
      return idbRequest(store.index('[_deleted+id]').count(IDBKeyRange.bound(['0'], ['0', []])));
    },
  };
}

/**
 * Drops the collection's stored copy (and any being written): called before writing documents
 * whose last-write time the catch-up does not find (the first load, the self-check's heal).
 */
export async function invalidateRowCache(collection: CachedCollection): Promise<void> {
  if (typeof indexedDB === 'undefined' || !(await storeOf(collection))) return;
  const key = keyOf(collection);
  const db = await cacheDatabase(collection.database.name);
  await transaction<void>(db, 'readwrite', (store) => {
    store.delete(key);
    store.delete(chunkRange(key));
    store.put(`${Date.now()}-${Math.random()}`, invalidatedKey(key));
  });
}
