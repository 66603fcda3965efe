/**
 * Reads every document a collection stores (tombstones included), chunk by chunk, as fast as the
 * storage allows. With Dexie: straight from its IndexedDB object store with `getAll` in
 * primary-key chunks (Dexie's own ranged reads walk a cursor, one event-loop turn per record:
 * ~1 s for 6,000 documents), yielding to the event loop between chunks so the page stays
 * responsive. With any other storage (memory in Node tests): RxDB's changed-documents pages.
 */
import { getChangedDocumentsSince, type RxCollection } from 'rxdb';

export type StoredDoc = Record<string, unknown> & { id: string; _deleted?: unknown; _meta?: { lwt?: number } };

/** Documents per read: small enough that decoding one chunk never blocks the page for long. */
export const STORED_CHUNK = 4000;
/**
 * …and per background read (the self-check's scan, which may run while someone sorts or scrolls a
 * table): a quarter of that, so each chunk's decoding and digest stay a short task.
 */
const BACKGROUND_CHUNK = 1000;

interface DexieInternals {
  dexieDb?: { backendDB(): IDBDatabase };
  dexieTable?: { name: string };
}

export function idbRequest<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** The collection's IndexedDB object store, when it is stored by Dexie in a browser. */
export async function dexieObjectStore(collection: Pick<RxCollection<any>, 'internalStorageInstance'>): Promise<(() => IDBObjectStore) | null> {
  const internals = (collection.internalStorageInstance as { internals?: unknown } | undefined)?.internals;
  if (!internals || typeof (internals as Promise<unknown>).then !== 'function') return null;
  const state = (await internals) as DexieInternals | undefined;
  const idb = typeof state?.dexieDb?.backendDB === 'function' ? state.dexieDb.backendDB() : null;
  const storeName = state?.dexieTable?.name;
  if (!idb || !storeName || !idb.objectStoreNames.contains(storeName)) return null;
  return () => idb.transaction(storeName, 'readonly').objectStore(storeName);
}

/**
 * Reads someone is waiting on (a table opening: components/records/useCollectionRows.ts) go
 * first: a background reader (the self-check's full scan) waits before each chunk while one runs,
 * instead of sharing Chromium's IndexedDB backend with it (a full scan of 100,000 deals during a
 * table's open made the open several times slower).
 */
let foregroundReads = 0;
const foregroundWaiters = new Set<() => void>();

/** Runs `read` as a foreground read: background readers pause until it (and every other) ends. */
export async function foregroundRead<T>(read: () => Promise<T>): Promise<T> {
  foregroundReads++;
  try {
    return await read();
  } finally {
    if (--foregroundReads === 0) {
      for (const wake of [...foregroundWaiters]) wake();
      foregroundWaiters.clear();
    }
  }
}

/** Resolves when no foreground read runs. */
export function foregroundIdle(): Promise<void> {
  return foregroundReads === 0 ? Promise.resolve() : new Promise((resolve) => foregroundWaiters.add(resolve));
}

/** Dexie stores the deleted flag as '1'/'0'. */
export const isStoredDeleted = (doc: StoredDoc) => doc._deleted === true || doc._deleted === '1';

/** With `background`, each chunk waits for foreground reads to end (`foregroundRead`). */
export async function* storedDocuments(collection: RxCollection<any>, options: { background?: boolean } = {}): AsyncGenerator<StoredDoc[]> {
  const objectStore = await dexieObjectStore(collection);
  if (objectStore) {
    let after: string | null = null;
    for (;;) {
      if (options.background) await foregroundIdle();
      const size = options.background ? BACKGROUND_CHUNK : STORED_CHUNK;
      const chunk: StoredDoc[] = await idbRequest(objectStore().getAll(after === null ? undefined : IDBKeyRange.lowerBound(after, true), size));
      if (chunk.length > 0) yield chunk;
      if (chunk.length < size) return;
      after = chunk[chunk.length - 1].id;
      await new Promise((r) => setTimeout(r, 0));
    }
  }
  let checkpoint: any = undefined;
  for (;;) {
    const page = await getChangedDocumentsSince(collection.storageInstance, STORED_CHUNK, checkpoint);
    if (page.documents.length > 0) yield page.documents as StoredDoc[];
    if (page.documents.length < STORED_CHUNK) return;
    checkpoint = page.checkpoint;
  }
}
