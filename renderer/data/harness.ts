/**
 * Browser harness for tests and benchmarks: exposes the data layer on `window.kithData` so
 * headless Chromium can drive the real store on the real Dexie (IndexedDB) storage. Bundled by
 * the e2e tests and bench/sync.ts; not part of the app bundle.
 */
import { createRxDatabase } from 'rxdb';
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';
import { COLLECTION_NAMES } from '../../shared/collections.js';
import { collectionCreators } from './schemas.js';
import { openKithStore, type KithStore, type SyncStatus, type RejectedChange } from './index.js';

interface HarnessState {
  store: KithStore | null;
  status: SyncStatus | null;
  rejected: RejectedChange[];
}

const state: HarnessState = { store: null, status: null, rejected: [] };

async function dump(): Promise<Record<string, Record<string, unknown>[]>> {
  const store = state.store!;
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const c of COLLECTION_NAMES) {
    const docs = await store.db.collections[c].find().exec();
    out[c] = docs
      .map((d) => {
        const json = d.toJSON() as Record<string, unknown>;
        return Object.fromEntries(Object.keys(json).filter((k) => !k.startsWith('_')).sort().map((k) => [k, json[k]]));
      })
      .sort((a, b) => String(a.id).localeCompare(String(b.id)));
  }
  return out;
}

const api = {
  state,
  async open(apiKey: string, workspace?: string, options: { pullBatchSize?: number } = {}) {
    state.store = await openKithStore({ serverUrl: location.origin, apiKey, workspace: workspace ?? null }, options);
    state.store.status$.subscribe((s) => (state.status = s));
    state.store.rejected$.subscribe((r) => (state.rejected = r));
    return state.store.info;
  },
  async counts() {
    const out: Record<string, number> = {};
    for (const c of COLLECTION_NAMES) out[c] = await state.store!.db.collections[c].count().exec();
    return out;
  },
  dump,
  /** Resolves when the store says online with nothing unsent. */
  waitSynced(): Promise<void> {
    return new Promise<void>((resolve) => {
      const sub = state.store!.status$.subscribe((s) => {
        if (s.state === 'online' && s.pending === 0) {
          queueMicrotask(() => sub.unsubscribe());
          resolve();
        }
      });
    });
  },
  /** Every document of every collection through the pull endpoint (live ones, without `_deleted`). */
  async pullAll(apiKey: string, limit: number): Promise<Record<string, Record<string, unknown>[]>> {
    const docs: Record<string, Record<string, unknown>[]> = {};
    for (const c of COLLECTION_NAMES) {
      docs[c] = [];
      let checkpoint = 0;
      for (;;) {
        const res = await fetch(`/sync/${c}/pull?checkpoint=${checkpoint}&limit=${limit}`, { headers: { authorization: `Bearer ${apiKey}` } });
        const body = (await res.json()) as { documents: Record<string, unknown>[]; checkpoint: { sequence: number } };
        for (const d of body.documents) {
          if (d._deleted) continue;
          delete d._deleted;
          docs[c].push(d);
        }
        checkpoint = body.checkpoint.sequence;
        if (body.documents.length < limit) break;
      }
    }
    return docs;
  },
  async close() {
    await state.store?.close();
    state.store = null;
  },
  /** bulkInsert straight into a fresh RxDB-Dexie database (the client-side limit for the bench). */
  async bulkInsertFresh(docsByCollection: Record<string, Record<string, unknown>[]>): Promise<number> {
    const db = await createRxDatabase({ name: `bench-${Date.now()}`, storage: getRxStorageDexie(), multiInstance: false, eventReduce: true });
    await db.addCollections(collectionCreators());
    const started = performance.now();
    for (const [c, docs] of Object.entries(docsByCollection)) {
      for (let i = 0; i < docs.length; i += 5000) await db.collections[c].bulkInsert(docs.slice(i, i + 5000));
    }
    const ms = performance.now() - started;
    await db.remove();
    return ms;
  },
};

(window as unknown as { kithData: typeof api }).kithData = api;
export type KithDataHarness = typeof api;
