/**
 * Every live record of a collection as plain objects, kept in memory and updated from the
 * collection's change events — for the big tables (100,000 people) and for related-record
 * lookups on fields the local store has no index for (organizationId, personId, …).
 *
 * Why not `find().$`: RxDB's Dexie storage answers a query by walking an IndexedDB cursor one
 * record per event-loop turn (~5 s for 20,000 records, ~25 s for 100,000), and a live query
 * re-runs over the whole result on every change. Even IndexedDB `getAll` pays per record (46 s for
 * 100,000 deals on the loaded 2-core machine), so the rows come from the collection's stored copy
 * (data/rowCache.ts: a few values, ~7× faster) plus the documents written since, the live count
 * checked against the store in the background; without a copy (the first open on a device), from
 * `getAll` chunks, after which the copy is stored. Each later write is applied to the in-memory
 * rows from the change stream, newest write wins (by the document's last-write time), and the copy
 * is written again after 500 changes. One snapshot per collection is shared by every component and
 * kept while the store is open, so going back to a table is instant. Stores other than Dexie fall
 * back to one plain read.
 */
import { useMemo, useSyncExternalStore } from 'react';
import type { Observable } from 'rxjs';
import { useKith } from '../../app/KithContext.js';
import type { CollectionName } from '../../data/index.js';
import { rowCacheOf, type RowCache } from '../../data/rowCache.js';
import { dexieObjectStore, idbRequest, isStoredDeleted, STORED_CHUNK, storedDocuments, type StoredDoc } from '../../data/storedDocuments.js';

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
  /** while loading a big collection: its first records in name order (null otherwise) */
  preview: Row[] | null;
  error: string | null;
  listeners: Set<() => void>;
  subscribe: (listener: () => void) => () => void;
}

const snapshots = new WeakMap<object, Snapshot>();
const EMPTY: Row[] = [];

/** A record without RxDB's meta fields (_rev, _meta, _deleted, _attachments). */
function plain(doc: Doc): Row {
  const out: Record<string, unknown> = {};
  for (const key in doc) if (key.charCodeAt(0) !== 95 /* _ */) out[key] = doc[key];
  return out as Row;
}

/** Index used for the quick preview: live documents ('0') in [name, id] order. */
const NAME_INDEX = '[_deleted+name+id]';
const PREVIEW_SIZE = 300;

/**
 * Reads every stored document, handing the live ones to `onChunk` as they come (storedDocuments:
 * IndexedDB `getAll` chunks with Dexie). With Dexie, for a big collection first the top of the
 * name index (to `onPreview`, so the table shows its first rows at once).
 */
async function loadAll(collection: CollectionLike, onPreview: (docs: Doc[]) => void, onChunk: (docs: Doc[]) => void): Promise<void> {
  const objectStore = await dexieObjectStore(collection as Parameters<typeof dexieObjectStore>[0]);
  if (objectStore) {
    const store = objectStore();
    if (store.indexNames.contains(NAME_INDEX) && (await idbRequest(store.count())) > STORED_CHUNK) {
      // arrays sort after strings in IndexedDB, so ['0', []] is past every ['0', name, id]
      onPreview(
        await idbRequest(
          objectStore()
            .index(NAME_INDEX)
            .getAll(IDBKeyRange.bound(['0'], ['0', []]), PREVIEW_SIZE),
        ),
      );
    }
  }
  for await (const chunk of storedDocuments(collection as Parameters<typeof storedDocuments>[0])) onChunk(chunk.filter((d) => !isStoredDeleted(d)));
}

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
    else rows.set(doc.id, plain(doc));
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
    else byId.set(id, plain(doc));
  };
  /** Every stored document, read one by one (slow for a big collection: the stored copy is the fast way). */
  const readAll = async (withPreview: boolean) => {
    // into new maps, swapped in when complete: a re-read never shows half a collection
    const rows = new Map<string, Row>();
    const times = new Map<string, number>();
    newest = 0;
    await loadAll(
      collection,
      (first) => {
        if (!withPreview) return;
        snapshot.preview = first.filter((d) => !isStoredDeleted(d)).map(plain);
        for (const l of snapshot.listeners) l();
      },
      (docs) => {
        for (const d of docs) put(d, rows, times);
      },
    );
    byId = rows;
    writtenAt = times;
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
    for (let attempt = 0; attempt < 2; attempt++) {
      const stored = await cache!.liveCount();
      if (stored === null || stored === byId.size) return;
      await new Promise((r) => setTimeout(r, 3000)); // writes in flight: look again before reading it all
    }
    console.warn(`kith: the stored copy of ${collection.name} is out of date; reading the collection again`);
    loaded = false;
    await readAll(false);
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
    const fromCopy = cache ? await readCopy().catch((e) => (console.warn('reading the table copy failed', e), false)) : false;
    if (!fromCopy) await readAll(true);
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
 * first read is done. Meanwhile `preview` may hold the first few thousand records by name.
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
