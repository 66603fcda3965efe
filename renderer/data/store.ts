/**
 * The client store: one RxDB database per server + workspace, replicated collection by
 * collection to the server's /sync endpoints, with live pulls from one SSE stream, and the
 * small observable API the UI uses (records via `db`, sync status, rejected changes).
 *
 * This file wires the parts and holds the write API; each part keeps its own state:
 * connection.ts (the gate and requests), database.ts (the local database), status.ts (the sync
 * status), pending.ts (unacknowledged local writes), rejections.ts (refused changes),
 * stream.ts (the live stream), replication.ts (first loads and RxDB replication per collection)
 * and selfCheckSchedule.ts (when the self-check runs). The one flag they share is `closed`.
 */
import type { Observable, Subscription } from 'rxjs';
import { deepEqual, type RxDatabase, type RxStorage } from 'rxdb';
import { COLLECTIONS, COLLECTION_NAMES, type CollectionName } from '../../shared/collections.js';
import { PULL_MAX_LIMIT, type RejectedChange } from '../../shared/sync.js';
import { openConnection, requester, type Connection, type InfoCache, type WorkspaceInfo } from './connection.js';
import { clientId, databaseName, isBrowser, openDatabase } from './database.js';
import { localPendingStore, PendingWrites, stripMeta, trackLocalWrites } from './pending.js';
import { Rejections } from './rejections.js';
import { Replications } from './replication.js';
import { prepareArchive, prepareCreate, prepareRemove, prepareUpdate, localNow, type LocalContext } from './rules.js';
import type { SelfCheckResult } from './selfCheck.js';
import { SELF_CHECK_SETTLE_MS, SelfCheckSchedule } from './selfCheckSchedule.js';
import { StatusState, type SyncStatus } from './status.js';
import { SyncStream } from './stream.js';

export interface KithStore {
  db: RxDatabase;
  info: WorkspaceInfo;
  status$: Observable<SyncStatus>;
  rejected$: Observable<RejectedChange[]>;
  create(collection: CollectionName, fields: Record<string, unknown>): Promise<Record<string, unknown>>;
  update(collection: CollectionName, id: string, patch: Record<string, unknown>): Promise<Record<string, unknown>>;
  archive(collection: CollectionName, id: string): Promise<void>;
  restore(collection: CollectionName, id: string): Promise<void>;
  remove(collection: CollectionName, id: string): Promise<void>;
  reconnect(): void;
  /**
   * Runs the self-check now on every collection (digest against the server, heal what differs);
   * also runs by itself after catching up, after each reconnect and every `selfCheckInterval`.
   */
  verify(): Promise<Record<CollectionName, SelfCheckResult>>;
  close(): Promise<void>;
}

export interface OpenOptions {
  storage?: RxStorage<any, any>;
  fetch?: typeof fetch;
  /** Milliseconds before a failed pull/push is retried (default 3000). */
  retryTime?: number;
  /** Documents per pull request (default 5000, the server's maximum). */
  pullBatchSize?: number;
  /** Rows per push request (default 200). */
  pushBatchSize?: number;
  /** Local database name (default: derived from the server URL and workspace id). */
  databaseName?: string;
  /** Where to remember the workspace info for offline starts (default: localStorage in browsers). */
  infoCache?: InfoCache | null;
  /** Milliseconds between periodic self-checks (default 10 minutes; 0 = only after catching up and reconnecting). */
  selfCheckInterval?: number;
}

export async function openKithStore(conn: Connection, options: OpenOptions = {}): Promise<KithStore> {
  // ---- validate the key and learn the workspace; with the server unreachable, open the local
  // copy from the last successful start (offline-first), but never after the key was refused
  const server = await openConnection(conn, options);
  const { info, headers } = server;

  // ---- local database
  const db = await openDatabase(options.databaseName ?? databaseName(server.base, info.workspaceId), options.storage);
  const local: LocalContext = { db, workspaceId: info.workspaceId, defaultCurrency: info.defaultCurrency, userId: info.userId };
  headers['x-kith-client'] = await clientId(db);

  // ---- state: every part stops when the store closes
  let closed = false;
  const isClosed = () => closed;
  const browserOffline = () => isBrowser && typeof navigator !== 'undefined' && navigator.onLine === false;
  const status = new StatusState({ collections: COLLECTION_NAMES.length, pending: () => pending.size, browserOffline, isClosed });
  const pending = new PendingWrites({ store: localPendingStore(db), isClosed, onChange: () => status.emit() });
  // pending writes survive a reload
  await pending.restore();
  const request = requester(server, status);
  const rejections = new Rejections({
    fetch: async () => ((await (await request('/sync/rejections?limit=200')).json()) as { data: RejectedChange[] }).data,
    isClosed,
  });

  // ---- live stream
  const stream = new SyncStream({
    url: `${server.base}/sync/stream`,
    headers,
    fetch: server.fetch,
    onState(state, detail) {
      if (state === 'connected') {
        status.networkUp();
        rejections.refresh();
        selfChecks.schedule(SELF_CHECK_SETTLE_MS);
      } else if (state === 'refused') {
        status.fail(detail ?? 'access denied');
      } else {
        status.networkDown(detail ?? 'the sync stream is disconnected');
      }
      status.emit();
    },
  });

  // ---- replication per collection, and the local writes it has to push
  const replications = new Replications({
    db,
    base: server.base,
    workspaceId: info.workspaceId,
    request,
    streams: stream.streams,
    pending,
    rejections,
    status,
    isClosed,
    retryTime: options.retryTime ?? 3000,
    pullBatchSize: Math.min(options.pullBatchSize ?? PULL_MAX_LIMIT, PULL_MAX_LIMIT),
    pushBatchSize: options.pushBatchSize ?? 200,
  });
  const subs: Subscription[] = trackLocalWrites(db, pending);

  // ---- self-check: the local store against the server's digests (selfCheck.ts)
  const selfChecks = new SelfCheckSchedule({ db, replications, pending, request, status, isClosed });

  stream.start();
  /** Resolves once every collection's replication runs. */
  const started = replications.startAll().then(() => {
    if (closed) return;
    replications.watchActivity();
    return replications.awaitInitialReplication().then(() => {
      status.setCaughtUp();
      status.emit();
      selfChecks.afterCatchUp(options.selfCheckInterval);
    });
  });
  started.catch((error) => {
    status.fail(`sync could not start: ${error instanceof Error ? error.message : String(error)}`);
    status.emit();
  });

  const onOnline = () => reconnect();
  const onOffline = () => status.emit();
  if (isBrowser) {
    window.addEventListener('online', onOnline);
    window.addEventListener('offline', onOffline);
  }

  function reconnect(): void {
    if (closed) return;
    status.clearFailure();
    replications.wakeRetries();
    stream.reconnect();
    replications.reSyncAll();
    status.emit();
  }

  // ---- the write API: local writes, validated and completed like the server would (rules.ts)
  const getDoc = async (collection: CollectionName, id: string) => {
    const doc = await db.collections[collection].findOne(id).exec();
    if (!doc) throw new Error(`${COLLECTIONS[collection].entityType} ${id} not found`);
    return doc;
  };

  return {
    db,
    info,
    status$: status.status$,
    rejected$: rejections.rejected$,
    async create(collection, fields) {
      const { record, extra } = await prepareCreate(local, collection, fields);
      await db.collections[collection].insert(record);
      for (const e of extra) await db.collections[e.collection].insert(e.record);
      return record;
    },
    async update(collection, id, patch) {
      const doc = await getDoc(collection, id);
      const next = await prepareUpdate(local, collection, stripMeta(doc.toJSON() as Record<string, unknown>), patch);
      const changes: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(next)) if (!deepEqual(v, (doc as any).get(k))) changes[k] = v;
      if (Object.keys(changes).length > 1 || (Object.keys(changes).length === 1 && !('updatedAt' in changes))) await doc.incrementalPatch(changes);
      return stripMeta((await getDoc(collection, id)).toJSON() as Record<string, unknown>);
    },
    async archive(collection, id) {
      const doc = await getDoc(collection, id);
      // refuse what the server would (the default pipeline), with its message
      await prepareArchive(local, collection, stripMeta(doc.toJSON() as Record<string, unknown>));
      if (doc.get('archivedAt') == null) await doc.incrementalPatch({ archivedAt: localNow(), updatedAt: localNow() });
    },
    async restore(collection, id) {
      const doc = await getDoc(collection, id);
      if (doc.get('archivedAt') != null) await doc.incrementalPatch({ archivedAt: null, updatedAt: localNow() });
    },
    async remove(collection, id) {
      if (collection === 'stageChanges') throw new Error('stage changes are recorded by the server; they cannot be deleted');
      const doc = await getDoc(collection, id);
      // refuse what the server would (a stage deals use, the default pipeline), with its message
      await prepareRemove(local, collection, stripMeta(doc.toJSON() as Record<string, unknown>));
      await doc.incrementalRemove();
    },
    reconnect,
    verify: () => selfChecks.verify(),
    async close() {
      if (closed) return;
      closed = true;
      if (isBrowser) {
        window.removeEventListener('online', onOnline);
        window.removeEventListener('offline', onOffline);
      }
      pending.stopSaving();
      await selfChecks.stop();
      await pending.save();
      stream.close();
      replications.wakeRetries();
      await replications.firstLoadsSettled();
      for (const s of subs) s.unsubscribe();
      replications.unsubscribe();
      await replications.cancel();
      await db.close();
      status.complete();
      rejections.complete();
    },
  };
}
