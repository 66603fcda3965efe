/**
 * The local database: one RxDB database per server + workspace (`kith-<hash>`), on Dexie storage
 * by default (memory storage in Node tests), its storage wrapped so the replication cannot put a
 * stale server state over a newer one, and the id this database sends with every sync request.
 */
import { addRxPlugin, createRxDatabase, type RxDatabase, type RxStorage } from 'rxdb';
import { RxDBLeaderElectionPlugin } from 'rxdb/plugins/leader-election';
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';
import { COLLECTION_NAMES } from '../../shared/collections.js';
import { newId } from '../../shared/ids.js';
import { collectionCreators } from './schemas.js';

addRxPlugin(RxDBLeaderElectionPlugin);

export const isBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';

/** Short stable hash for database names (RxDB names: [a-z][a-z0-9_$-]*). */
export function nameHash(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 16777619) >>> 0;
    h2 = Math.imul(h2 ^ c, 2246822519) >>> 0;
  }
  return h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0');
}

export function databaseName(serverUrl: string, workspaceId: string): string {
  return `kith-${nameHash(serverUrl.replace(/\/+$/, '') + '|' + workspaceId)}`;
}

/**
 * Storage wrapper that refuses stale server states: RxDB queues stream events while a push is in
 * flight, so an event computed before the push can arrive after the push's answer has put a newer
 * server version in place. `version` is the server's change sequence, so a pulled document older
 * than the local one is outdated; its write is answered as a conflict (409), which the
 * replication ignores, and the newer state stays.
 */
export function withStaleGuard<S extends RxStorage<any, any>>(storage: S): S {
  const replicated = new Set<string>(COLLECTION_NAMES);
  return {
    ...storage,
    async createStorageInstance(params: Parameters<S['createStorageInstance']>[0]) {
      const instance = await storage.createStorageInstance(params);
      if (!replicated.has(params.collectionName)) return instance;
      const bulkWrite = instance.bulkWrite.bind(instance);
      instance.bulkWrite = async (rows, context) => {
        if (!context.startsWith('replication-downstream')) return bulkWrite(rows, context);
        const keep: typeof rows = [];
        const stale: typeof rows = [];
        for (const row of rows) {
          const before = row.previous as { version?: unknown } | undefined;
          const next = row.document as { version?: unknown };
          if (before && typeof before.version === 'number' && typeof next.version === 'number' && next.version < before.version) stale.push(row);
          else keep.push(row);
        }
        if (stale.length === 0) return bulkWrite(rows, context);
        const result = keep.length > 0 ? await bulkWrite(keep, context) : { error: [] };
        for (const row of stale) {
          result.error.push({ status: 409, isError: true, documentId: (row.document as unknown as { id: string }).id, writeRow: row, documentInDb: row.previous! } as (typeof result.error)[number]);
        }
        return result;
      };
      return instance;
    },
  } as S;
}

/** Opens (or creates) the database with every collection; closes it again if the collections cannot be added. */
export async function openDatabase(name: string, storage: RxStorage<any, any> | undefined): Promise<RxDatabase> {
  const db = await createRxDatabase({
    name,
    storage: withStaleGuard(storage ?? getRxStorageDexie()),
    multiInstance: isBrowser,
    eventReduce: true,
    closeDuplicates: true,
    allowSlowCount: true,
    localDocuments: true,
  });
  try {
    await db.addCollections(collectionCreators());
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

/**
 * This local database's id, sent with every sync request: the server tells this client's own
 * earlier writes from others' when it merges (a push whose answer was lost is not a conflict).
 */
export async function clientId(db: RxDatabase): Promise<string> {
  const clientDoc =
    (await db.getLocal<{ id: string }>('kith-client')) ??
    (await db.insertLocal('kith-client', { id: newId() }).catch(async () => (await db.getLocal<{ id: string }>('kith-client'))!)); // another tab made it first
  return clientDoc.get('id');
}
