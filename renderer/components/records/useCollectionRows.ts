/**
 * Every live record of a collection as plain objects, kept in memory and updated from the
 * collection's change events — for the big tables (100,000 people) and for related-record
 * lookups on fields the local store has no index for (organizationId, personId, …).
 *
 * Why not `find().$`: RxDB's Dexie storage answers a query by walking an IndexedDB cursor one
 * record per event-loop turn (~5 s for 20,000 records, ~25 s for 100,000), and a live query
 * re-runs over the whole result on every change. Even IndexedDB `getAll` pays per record (46 s for
 * 100,000 deals on the loaded 2-core machine), so the rows come from the collection's stored copy
 * (data/rowCache.ts: a few values, ~7× faster; the first sync stores it, data/firstLoad.ts) plus
 * the documents written since, the live count checked against the store in the background;
 * without a copy, from `getAll` chunks, after which the copy is stored. Before either, a big
 * collection's first few hundred rows in the table's default order come from an index (`preview`),
 * so the table shows rows at once; and the read is a foreground read, which the self-check's scan
 * of the store waits for (data/storedDocuments.ts). Each later write is applied to the in-memory
 * rows from the change stream, newest write wins (by the document's last-write time), and the copy
 * is written again after 500 changes. One snapshot per collection is shared by every component and
 * kept while the store is open, so going back to a table is instant. Stores other than Dexie fall
 * back to one plain read.
 */
import { useMemo, useSyncExternalStore } from 'react';
import type { Observable } from 'rxjs';
import { useKith } from '../../app/KithContext.js';
import type { CollectionName } from '../../data/index.js';
import { plainRow, rowCacheOf, type RowCache } from '../../data/rowCache.js';
import { dexieObjectStore, foregroundIdle, foregroundRead, idbRequest, isStoredDeleted, STORED_CHUNK, storedDocuments, type StoredDoc } from '../../data/storedDocuments.js';

type Doc = StoredDoc;
type Row = Record<string, unknown> & { id: string };

interface ChangeEvent {
  operation: 'INSERT' | 'UPDATE' | 'DELETE';
  documentId: string;
  documentData: Doc;
}

interface CollectionLike {
  eventBulks$: Observable<{ events: ChangeEvent[] }>;
  internalStorageInstance?: unknown;
  name: string;
  database: { name: string };
  schema: { version: number };
}

interface Snapshot {
  rows: Row[] | null;
  /** while loading a big collection: its first records in the table's default order (null otherwise) */
  preview: Row[] | null;
  error: string | null;
  listeners: Set<() => void>;
  subscribe: (listener: () => void) => () => void;
}

const snapshots = new WeakMap<object, Snapshot>();
const EMPTY: Row[] = [];

/**
 * The indexes a quick preview is read from, in the tables' default orders: live documents ('0')
 * by name (people, organizations, objects), else by last update, newest first (deals).
 */
const PREVIEW_INDEXES: { index: string; direction: IDBCursorDirection }[] = [
  { index: '[_deleted+name+id]', direction: 'next' },
  { index: '[_deleted+updatedAt+id]', direction: 'prev' },
];
const PREVIEW_SIZE = 300;

/**
 * With Dexie, for a big collection: its first live documents in the table's default order (a
 * short walk of an index), so the table shows its first rows before the whole collection is in
 * memory; null otherwise.
 */
async function readPreview(collection: CollectionLike): Promise<Doc[] | null> {
  const objectStore = await dexieObjectStore(collection as Parameters<typeof dexieObjectStore>[0]);
  if (!objectStore) return null;
  const store = objectStore();
  const preview = PREVIEW_INDEXES.find(({ index }) => store.indexNames.contains(index));
  if (!preview) return null;
  // arrays sort after strings in IndexedDB, so ['0', []] is past every ['0', key, id]
  const range = IDBKeyRange.bound(['0'], ['0', []]);
  // "big" from a bounded read of the index's keys (small entries): the store's count() or keys walk
  // the records themselves (seconds at 100,000 deals)
  if ((await idbRequest(store.index(preview.index).getAllKeys(range, STORED_CHUNK + 1))).length <= STORED_CHUNK) return null;
  const index = objectStore().index(preview.index);
  if (preview.direction === 'next') return idbRequest(index.getAll(range, PREVIEW_SIZE));
  // newest first in one request where getAll takes a direction (Chromium 141+), else a cursor
  if ('getAllRecords' in index) return idbRequest((index.getAll as (options: object) => IDBRequest<Doc[]>)({ query: range, count: PREVIEW_SIZE, direction: preview.direction }));
  return new Promise<Doc[]>((resolve, reject) => {
    const docs: Doc[] = [];
    const request = index.openCursor(range, preview.direction);
    request.onsuccess = () => {
      const cursor = request.result;
      if (!cursor || docs.length >= PREVIEW_SIZE) return resolve(docs);
      docs.push(cursor.value as Doc);
      cursor.continue();
    };
    request.onerror = () => reject(request.error);
  });
}

/** The stored copy's count is checked this long after the table's reads end. */
const VERIFY_DELAY_MS = 2000;
/** After this many changes since the stored copy (rowCache.ts), it is written again. */
const RESAVE_AFTER = 500;
/** …this long after the last of them, so a burst of writes (a sync) is saved once. */
const RESAVE_DELAY_MS = 10_000;

function createSnapshot(collection: CollectionLike): Snapshot {
  let byId = new Map<string, Row>();
  let writtenAt = new Map<string, number>();
  /** the newest last-write time seen: the stored copy's catch-up starts there */
  let newest = 0;
  let loaded = false;
  let buffered: ChangeEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  let cache: RowCache | null = null;
  let unsaved = 0;
  let saveTimer: ReturnType<typeof setTimeout> | null = null;

  const snapshot: Snapshot = {
    rows: null,
    preview: null,
    error: null,
    listeners: new Set(),
    subscribe(listener) {
      snapshot.listeners.add(listener);
      return () => snapshot.listeners.delete(listener);
    },
  };
  const publish = () => {
    timer = null;
    snapshot.rows = Array.from(byId.values());
    snapshot.preview = null;
    for (const l of snapshot.listeners) l();
  };
  const save = () => {
    saveTimer = null;
    if (!cache || !loaded) return;
    unsaved = 0;
    cache.write(Array.from(byId.values()), newest).catch((e) => console.warn('saving the table copy failed', e));
  };
  const changed = (count: number) => {
    unsaved += count;
    if (cache && unsaved >= RESAVE_AFTER && !saveTimer) saveTimer = setTimeout(save, RESAVE_DELAY_MS);
  };
  /** A stored document (from a full read or the catch-up) into the maps. */
  const put = (doc: Doc, rows = byId, times = writtenAt) => {
    const at = doc._meta?.lwt ?? 0;
    if (at > newest) newest = at;
    times.set(doc.id, at);
    if (isStoredDeleted(doc)) rows.delete(doc.id);
    else rows.set(doc.id, plainRow(doc));
  };
  const apply = (event: ChangeEvent) => {
    const doc = event.documentData;
    const id = event.documentId ?? doc?.id;
    if (!id || !doc) return;
    const at = doc._meta?.lwt;
    if (typeof at === 'number') {
      const known = writtenAt.get(id);
      if (known !== undefined && at < known) return; // older than what we already have
      writtenAt.set(id, at);
      if (at > newest) newest = at;
    }
    if (event.operation === 'DELETE' || isStoredDeleted(doc)) byId.delete(id);
    else byId.set(id, plainRow(doc));
  };
  /** Every stored document, read one by one (slow for a big collection: the stored copy is the fast way). */
  const readAll = async () => {
    // into new maps, swapped in when complete: a re-read never shows half a collection
    const rows = new Map<string, Row>();
    const times = new Map<string, number>();
    newest = 0;
    for await (const chunk of storedDocuments(collection as Parameters<typeof storedDocuments>[0])) for (const d of chunk) put(d, rows, times);
    byId = rows;
    writtenAt = times;
  };
  /** The first rows in the table's order, shown while the rest loads. */
  const preview = async () => {
    const first = await readPreview(collection).catch(() => null);
    if (!first || loaded) return;
    snapshot.preview = first.filter((d) => !isStoredDeleted(d)).map(plainRow);
    for (const l of snapshot.listeners) l();
  };
  /** The stored copy and what was written since; false when there is no usable copy. */
  const readCopy = async (): Promise<boolean> => {
    const copy = await cache!.read();
    if (!copy) return false;
    const since = await cache!.changedSince(copy.lwt);
    if (!since) return false;
    byId = new Map();
    writtenAt = new Map();
    for (const chunk of copy.chunks) for (const row of chunk) byId.set(row.id, row);
    newest = copy.lwt;
    for (const d of since) put(d);
    unsaved = since.length;
    return true;
  };
  const finishLoad = () => {
    for (const e of buffered) apply(e);
    buffered = [];
    loaded = true;
    publish();
  };
  /**
   * The copy's live count against the store's, in the background: a write the catch-up cannot see
   * (e.g. a tombstone purged) makes them differ, and then everything is read again.
   */
  const verify = async () => {
    // after the other tables' reads (a count walks an index of the whole store, and IndexedDB
    // serves one request at a time: the people table must not wait for the deals' count)
    await foregroundIdle();
    await new Promise((r) => setTimeout(r, VERIFY_DELAY_MS));
    for (let attempt = 0; attempt < 2; attempt++) {
      const stored = await cache!.liveCount();
      if (stored === null || stored === byId.size) return;
      await new Promise((r) => setTimeout(r, 3000)); // writes in flight: look again before reading it all
    }
    console.warn(`kith: the stored copy of ${collection.name} is out of date; reading the collection again`);
    loaded = false;
    await readAll();
    finishLoad();
    save();
  };

  // Listen first, load second: writes that land during the load are applied on top of it.
  collection.eventBulks$.subscribe({
    next: (bulk) => {
      if (!loaded) {
        buffered.push(...bulk.events);
        return;
      }
      for (const e of bulk.events) apply(e);
      changed(bulk.events.length);
      // a burst of writes (e.g. the first sync) → one update per 80 ms, not one per write
      if (!timer) timer = setTimeout(publish, 80);
    },
    error: (e) => console.error('collection change stream failed', e),
  });
  (async () => {
    cache = await rowCacheOf(collection).catch(() => null);
    // a foreground read: the self-check's background scan waits while it runs (storedDocuments.ts)
    const fromCopy = await foregroundRead(async () => {
      await preview();
      const copied = cache ? await readCopy().catch((e) => (console.warn('reading the table copy failed', e), false)) : false;
      if (!copied) await readAll();
      return copied;
    });
    finishLoad();
    if (!cache) return;
    if (!fromCopy || unsaved >= RESAVE_AFTER) save();
    else await verify();
  })().catch((e) => {
    console.error('loading the collection failed', e);
    snapshot.error = e instanceof Error ? e.message : String(e);
    loaded = true;
    publish();
  });
  return snapshot;
}

function snapshotOf(collection: CollectionLike): Snapshot {
  let s = snapshots.get(collection);
  if (!s) {
    s = createSnapshot(collection);
    snapshots.set(collection, s);
  }
  return s;
}

/**
 * Every live (not deleted) record of `collection`, archived ones included; `loading` until the
 * first read is done. Meanwhile `preview` may hold its first few hundred records in the table's default order.
 */
export function useCollectionRows<T>(collection: CollectionName): { data: T[]; loading: boolean; preview: T[] | null } {
  const { db } = useKith();
  const snapshot = snapshotOf((db.collections as Record<string, unknown>)[collection] as CollectionLike);
  const rows = useSyncExternalStore(snapshot.subscribe, () => snapshot.rows);
  const preview = useSyncExternalStore(snapshot.subscribe, () => snapshot.preview);
  return { data: (rows ?? EMPTY) as unknown as T[], loading: rows === null, preview: preview as unknown as T[] | null };
}

/** The records of `collection` whose `field` equals `value` (none while `value` is empty). */
export function useRowsWhere<T>(collection: CollectionName, field: string, value: string | null | undefined): { data: T[]; loading: boolean } {
  const { data, loading } = useCollectionRows<Record<string, unknown>>(collection);
  const matching = useMemo(() => (value ? data.filter((r) => r[field] === value) : (EMPTY as Record<string, unknown>[])), [data, field, value]);
  return { data: matching as unknown as T[], loading };
}
