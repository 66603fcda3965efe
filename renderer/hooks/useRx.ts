/**
 * React hooks over the local RxDB store: live queries, live documents and the sync status.
 * Results are plain JSON records (the shapes of shared/schemas.ts *Record).
 */
import { useEffect, useMemo, useState } from 'react';
import type { MangoQuery } from 'rxdb';
import { map, type Observable } from 'rxjs';
import { useKith } from '../app/KithContext.js';
import type { CollectionName, RejectedChange, SyncStatus } from '../data/index.js';

export interface RxQueryResult<T> {
  data: T[];
  loading: boolean;
}

/**
 * Plain JSON per RxDocument instance. RxDB keeps one instance per document revision, so unchanged
 * documents keep the same object across emissions and memoized rows/cards do not re-render.
 */
const jsonCache = new WeakMap<object, unknown>();
function toPlain<T>(doc: { toJSON(): unknown }): T {
  let json = jsonCache.get(doc);
  if (json === undefined) {
    json = doc.toJSON();
    jsonCache.set(doc, json);
  }
  return json as T;
}

function collectionOf(db: { collections: Record<string, unknown> }, name: CollectionName): any {
  const collection = db.collections[name];
  if (!collection) throw new Error(`Unknown collection ${name}`);
  return collection;
}

/**
 * The latest value of a live RxDB result for `query` (compared by value; null: skip, `empty`):
 * `observe` turns the collection and the parsed query into the observable. While the query changed
 * but its first value has not arrived, it reports loading with the old value.
 */
function useLiveResult<V>(
  collection: CollectionName,
  query: MangoQuery | null,
  empty: V,
  observe: (collection: any, query: MangoQuery) => Observable<V>,
  deps: unknown[] = [],
): { value: V; loading: boolean } {
  const { db } = useKith();
  const key = query === null ? null : JSON.stringify(query);
  const [state, setState] = useState<{ value: V; loading: boolean; key: string | null }>({ value: empty, loading: query !== null, key });
  useEffect(() => {
    if (key === null) {
      setState({ value: empty, loading: false, key });
      return;
    }
    const sub = observe(collectionOf(db as any, collection), JSON.parse(key)).subscribe({
      next: (value) => setState({ value, loading: false, key }),
      error: (error) => {
        console.error(`live ${collection} query failed`, error);
        setState({ value: empty, loading: false, key });
      },
    });
    return () => sub.unsubscribe();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [db, collection, key, ...deps]);
  return { value: state.value, loading: state.key === key ? state.loading : true };
}

const NO_DOCS: never[] = [];

/**
 * Live query: re-renders with fresh results whenever a matching document changes locally or arrives
 * from the server. Pass `null` to skip (e.g. while an id is unknown). The query is compared by value.
 */
export function useRxQuery<T = Record<string, unknown>>(collection: CollectionName, query: MangoQuery | null, deps: unknown[] = []): RxQueryResult<T> {
  const { value, loading } = useLiveResult<T[]>(collection, query, NO_DOCS, (c, q) => (c.find(q).$ as Observable<any[]>).pipe(map((docs) => docs.map((d) => toPlain<T>(d)))), deps);
  return { data: value, loading };
}

/**
 * Live count of the documents matching `query` (null: skip). The query must be answerable from an
 * index of the collection (RxDB refuses a count that would read every document): the store counts
 * index entries, nothing is read into the page — 100,000 deals count without loading one.
 */
export function useRxCount(collection: CollectionName, query: MangoQuery | null): { count: number; loading: boolean } {
  const { value, loading } = useLiveResult<number>(collection, query, 0, (c, q) => c.count(q).$ as Observable<number>);
  return { count: value, loading };
}

/** Live single document by id (null while loading, when missing or when `id` is null). */
export function useRxDoc<T = Record<string, unknown>>(collection: CollectionName, id: string | null | undefined): { doc: T | null; loading: boolean } {
  const { db } = useKith();
  const [state, setState] = useState<{ doc: T | null; loading: boolean; id: string | null }>({ doc: null, loading: !!id, id: id ?? null });
  useEffect(() => {
    if (!id) {
      setState({ doc: null, loading: false, id: null });
      return;
    }
    const sub = (collectionOf(db as any, collection).findOne(id).$ as Observable<any>).subscribe({
      next: (doc) => setState({ doc: doc ? toPlain<T>(doc) : null, loading: false, id }),
      error: (error) => {
        console.error(`useRxDoc(${collection}, ${id}) failed`, error);
        setState({ doc: null, loading: false, id });
      },
    });
    return () => sub.unsubscribe();
  }, [db, collection, id]);
  return state.id === (id ?? null) ? { doc: state.doc, loading: state.loading } : { doc: null, loading: true };
}

/** Subscribe to any observable; returns the latest value (or `initial`). */
export function useObservable<T>(observable: Observable<T> | null | undefined, initial: T): T {
  const [value, setValue] = useState<T>(initial);
  useEffect(() => {
    if (!observable) return;
    const sub = observable.subscribe({ next: setValue, error: (e) => console.error('observable failed', e) });
    return () => sub.unsubscribe();
  }, [observable]);
  return value;
}

const INITIAL_STATUS: SyncStatus = { state: 'syncing', pending: 0, error: null, lastSyncedAt: null, loaded: null, healed: 0 };

/** The live sync status (online/offline/syncing/error, unsent local changes). */
export function useSyncStatus(): SyncStatus {
  const store = useKith();
  return useObservable(store.status$, INITIAL_STATUS);
}

/** Pushes the server refused (reverted locally), newest first. */
export function useRejectedChanges(): RejectedChange[] {
  const store = useKith();
  const list = useObservable(store.rejected$, [] as RejectedChange[]);
  return useMemo(() => [...list].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)), [list]);
}
