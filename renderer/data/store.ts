/**
 * The client store: one RxDB database per server + workspace, replicated collection by
 * collection to the server's /sync endpoints, with live pulls from one SSE stream, and the
 * small observable API the UI uses (records via `db`, sync status, rejected changes).
 */
import { BehaviorSubject, combineLatest, type Observable, type Subscription } from 'rxjs';
import { addRxPlugin, createRxDatabase, deepEqual, type RxCollection, type RxDatabase, type RxStorage } from 'rxdb';
import { RxDBMigrationSchemaPlugin } from 'rxdb/plugins/migration-schema';
import { RxDBLeaderElectionPlugin } from 'rxdb/plugins/leader-election';
import { replicateRxCollection, type RxReplicationState } from 'rxdb/plugins/replication';
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';
import { COLLECTIONS, COLLECTION_NAMES, type CollectionName } from '../../shared/collections.js';
import { newId } from '../../shared/ids.js';
import { PULL_MAX_LIMIT, type PullResponse, type PushRow, type RejectedChange, type SyncCheckpoint } from '../../shared/sync.js';
import { collectionCreators } from './schemas.js';
import { prepareCreate, prepareUpdate, localNow, type LocalContext } from './rules.js';
import { SyncStream, problemText } from './stream.js';
import { firstLoad } from './firstLoad.js';
import { REPLICATED_PUSH_CHECKPOINT } from './marks.js';
import { selfCheck, type SelfCheckResult } from './selfCheck.js';

addRxPlugin(RxDBMigrationSchemaPlugin);
addRxPlugin(RxDBLeaderElectionPlugin);

export interface Connection {
  serverUrl: string;
  apiKey: string;
  workspace?: string | null;
}
export interface SyncStatus {
  state: 'online' | 'offline' | 'syncing' | 'error';
  pending: number;
  error: string | null;
  lastSyncedAt: string | null;
  /** While a first load runs: the records it has written so far; otherwise null. */
  loaded: number | null;
  /** Divergences from the server (a local copy missing or holding a wrong version of server rows) found by the self-check and healed in this session. */
  healed: number;
}
export interface WorkspaceInfo {
  workspaceId: string;
  workspaceSlug: string;
  workspaceName: string;
  defaultCurrency: string;
  role: 'OWNER' | 'MEMBER' | 'VIEWER';
  readOnly: boolean;
  /** The user the API key belongs to (null when an older server did not say). */
  userId: string | null;
}
export type { RejectedChange, CollectionName };

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
export type { SelfCheckResult };

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

/** The server could not be reached, or refused the key/workspace. */
export class KithConnectionError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'KithConnectionError';
  }
}

/** Thrown from pull/push handlers so RxDB retries; carries what the status should say. */
class SyncHttpError extends Error {
  constructor(
    message: string,
    readonly kind: 'offline' | 'error',
  ) {
    super(message);
  }
}

/** Short stable hash for database names (RxDB names: [a-z][a-z0-9_$-]*). */
function nameHash(text: string): string {
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

/** Reference fields and the collection they point into. */
const REFERENCE_FIELDS: [string, CollectionName][] = [
  ['organizationId', 'organizations'],
  ['personId', 'people'],
  ['primaryPersonId', 'people'],
  ['dealId', 'deals'],
  ['pipelineId', 'pipelines'],
  ['stageId', 'stages'],
];

const SERVER_FIELDS = new Set(['workspaceId', 'createdAt', 'updatedAt', 'version']);

/** True when the server's answer differs from the pushed document in more than server-managed fields. */
function changedBeyondServerFields(answer: Record<string, unknown>, pushed: Record<string, unknown> | undefined): boolean {
  if (!pushed) return true;
  if (Boolean(answer._deleted) !== Boolean(pushed._deleted)) return true;
  for (const [k, v] of Object.entries(answer)) {
    if (k.startsWith('_') || SERVER_FIELDS.has(k)) continue;
    if (!deepEqual(v, pushed[k])) return true;
  }
  return false;
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

/**
 * Resolves once a replication's push side runs (bounded). RxDB 17.6 starts it asynchronously when
 * it has an initial checkpoint and, if cancelled in between, fails with an unhandled EmptyError
 * ("no elements in sequence"); closing waits for it first.
 */
async function pushStarted(replication: RxReplicationState<any, any>): Promise<void> {
  const deadline = Date.now() + 2000;
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  await Promise.race([replication.startPromise.catch(() => undefined), pause(2000)]);
  while (Date.now() < deadline && replication.internalReplicationState?.stats.up.upstreamInitialSync === 0) await pause(5);
}

/** Collections in the order a first load fetches them: the board's pipelines, stages and deals first. */
const FIRST_LOAD_ORDER: CollectionName[] = [...new Set<CollectionName>(['pipelines', 'stages', 'deals', ...COLLECTION_NAMES])];

/** After catching up or reconnecting, the self-check waits this long for the replications to settle. */
const SELF_CHECK_SETTLE_MS = 2000;

const isBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';

/** Where the workspace info of the last successful start is kept, to open offline next time. */
export interface InfoCache {
  get(key: string): WorkspaceInfo | null;
  set(key: string, info: WorkspaceInfo): void;
  delete(key: string): void;
}

function browserInfoCache(): InfoCache | null {
  const storage = (globalThis as { localStorage?: Storage }).localStorage;
  if (!storage) return null;
  return {
    get(key) {
      try {
        const text = storage.getItem(key);
        return text ? (JSON.parse(text) as WorkspaceInfo) : null;
      } catch {
        return null;
      }
    },
    set: (key, info) => storage.setItem(key, JSON.stringify(info)),
    delete: (key) => storage.removeItem(key),
  };
}

function stripMeta(doc: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (!k.startsWith('_')) out[k] = v;
  return out;
}

export async function openKithStore(conn: Connection, options: OpenOptions = {}): Promise<KithStore> {
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const base = conn.serverUrl.trim().replace(/\/+$/, '');
  if (!/^https?:\/\//i.test(base)) throw new KithConnectionError(`the server URL must start with http:// or https:// (got '${conn.serverUrl}')`, null);
  const headers: Record<string, string> = { authorization: `Bearer ${conn.apiKey.trim()}` };
  if (conn.workspace) headers['x-kith-workspace'] = conn.workspace;

  // ---- validate the key and learn the workspace; with the server unreachable, open the local
  // copy from the last successful start (offline-first), but never after the key was refused
  const infoKey = `kith-info:${nameHash(`${base}|${conn.workspace ?? ''}|${conn.apiKey.trim()}`)}`;
  const remembered = options.infoCache ?? browserInfoCache();
  let info!: WorkspaceInfo;
  let gateRes: Response | null = null;
  try {
    gateRes = await doFetch(`${base}/crm`, { headers });
  } catch (error) {
    const cached = remembered?.get(infoKey);
    if (!cached) throw new KithConnectionError(`cannot reach the Kith server at ${base}: ${error instanceof Error ? error.message : String(error)}`, null);
    info = cached;
  }
  if (gateRes) {
    if (!gateRes.ok) {
      const detail = await problemText(gateRes);
      remembered?.delete(infoKey);
      if (gateRes.status === 401) throw new KithConnectionError(`the server refused the API key: ${detail}`, 401);
      if (gateRes.status === 403) throw new KithConnectionError(`access denied: ${detail}`, 403);
      throw new KithConnectionError(`the server answered ${gateRes.status}: ${detail}`, gateRes.status);
    }
    const gate = (await gateRes.json()) as {
      workspace: { id: string; slug: string; name: string; defaultCurrency: string };
      role: WorkspaceInfo['role'];
      readOnly: boolean;
      user?: { id: string };
    };
    info = {
      workspaceId: gate.workspace.id,
      workspaceSlug: gate.workspace.slug,
      workspaceName: gate.workspace.name,
      defaultCurrency: gate.workspace.defaultCurrency,
      role: gate.role,
      readOnly: gate.readOnly === true,
      userId: gate.user?.id ?? null,
    };
    remembered?.set(infoKey, info);
  }
  // later requests name the workspace by id so a renamed slug cannot switch it
  headers['x-kith-workspace'] = info.workspaceId;

  // ---- local database
  const db = await createRxDatabase({
    name: options.databaseName ?? databaseName(base, info.workspaceId),
    storage: withStaleGuard(options.storage ?? getRxStorageDexie()),
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
  const local: LocalContext = { db, workspaceId: info.workspaceId, defaultCurrency: info.defaultCurrency };
  // this local database's id, sent with every sync request: the server tells this client's own
  // earlier writes from others' when it merges (a push whose answer was lost is not a conflict)
  const clientDoc =
    (await db.getLocal<{ id: string }>('kith-client')) ??
    (await db.insertLocal('kith-client', { id: newId() }).catch(async () => (await db.getLocal<{ id: string }>('kith-client'))!)); // another tab made it first
  headers['x-kith-client'] = clientDoc.get('id');

  // ---- status
  const status = new BehaviorSubject<SyncStatus>({ state: 'syncing', pending: 0, error: null, lastSyncedAt: null, loaded: null, healed: 0 });
  const rejected = new BehaviorSubject<RejectedChange[]>([]);
  let network: 'unknown' | 'up' | 'down' = 'unknown';
  let failure: string | null = null;
  let networkError: string | null = null;
  let active = false;
  let initialDone = false;
  let lastSyncedAt: string | null = null;
  let closed = false;
  /** Records written by first loads in this session (shown while any load is still running). */
  let firstLoadWritten = 0;
  /** Collections whose first-load step has not finished yet. */
  let loadsLeft = COLLECTION_NAMES.length;
  /** Divergences the self-check found and healed in this session. */
  let healed = 0;
  /** Per collection, the sequence the pulls have reached (the replication's checkpoint). */
  const pulledTo = new Map<CollectionName, number>();
  const browserOffline = () => isBrowser && typeof navigator !== 'undefined' && navigator.onLine === false;

  // pending: local writes not yet acknowledged by the server, by collection and id
  const pending = new Map<string, Record<string, unknown>>();
  const pendingKey = (c: string, id: string) => `${c}\u0000${id}`;
  const pendingWaiters = new Set<() => void>();

  const emit = () => {
    if (closed) return;
    const offline = network === 'down' || browserOffline();
    const state: SyncStatus['state'] = failure ? 'error' : offline ? 'offline' : active || !initialDone || network === 'unknown' ? 'syncing' : 'online';
    const prev = status.getValue();
    if (state === 'online' && pending.size === 0 && !(prev.state === 'online' && prev.pending === 0 && lastSyncedAt)) lastSyncedAt = new Date().toISOString();
    const next: SyncStatus = { state, pending: pending.size, error: failure ?? (offline ? networkError : null), lastSyncedAt, loaded: loadsLeft > 0 && firstLoadWritten > 0 ? firstLoadWritten : null, healed };
    if (prev.state !== next.state || prev.pending !== next.pending || prev.error !== next.error || prev.lastSyncedAt !== next.lastSyncedAt || prev.loaded !== next.loaded || prev.healed !== next.healed) status.next(next);
  };

  let persistTimer: ReturnType<typeof setTimeout> | null = null;
  const pendingChanged = () => {
    for (const w of [...pendingWaiters]) w();
    emit();
    if (persistTimer) return;
    persistTimer = setTimeout(() => {
      persistTimer = null;
      if (closed) return;
      void db.upsertLocal('kith-pending', { entries: [...pending.entries()] }).catch(() => undefined);
    }, 100);
  };
  // pending writes survive a reload
  try {
    const saved = await db.getLocal<{ entries: [string, Record<string, unknown>][] }>('kith-pending');
    for (const [k, v] of saved?.get('entries') ?? []) pending.set(k, v);
  } catch {
    // nothing saved
  }

  const noteResponse = (res: Response) => {
    network = 'up';
    networkError = null;
    if (res.ok && failure) failure = null;
    emit();
  };
  const request = async (path: string, init: RequestInit = {}): Promise<Response> => {
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string> | undefined) } });
    } catch (error) {
      network = 'down';
      networkError = `cannot reach the server: ${error instanceof Error ? error.message : String(error)}`;
      emit();
      throw new SyncHttpError(networkError, 'offline');
    }
    noteResponse(res);
    if (!res.ok) {
      const detail = await problemText(res);
      const message = res.status === 401 ? `the server refused the API key: ${detail}` : res.status === 403 ? `access denied: ${detail}` : `the server answered ${res.status}: ${detail}`;
      failure = message;
      emit();
      throw new SyncHttpError(message, 'error');
    }
    return res;
  };

  let rejectedRefresh: Promise<void> | null = null;
  let rejectedAgain = false;
  /** Re-reads the rejected changes (coalesced: at most one request in flight, one queued). */
  const refreshRejected = (): void => {
    if (rejectedRefresh) {
      rejectedAgain = true;
      return;
    }
    rejectedRefresh = loadRejected().finally(() => {
      rejectedRefresh = null;
      if (rejectedAgain && !closed) {
        rejectedAgain = false;
        refreshRejected();
      }
    });
  };
  const loadRejected = async () => {
    try {
      const res = await request('/sync/rejections?limit=200');
      const body = (await res.json()) as { data: RejectedChange[] };
      if (!deepEqual(body.data, rejected.getValue())) rejected.next(body.data);
    } catch {
      // shown through the status; retried after the next push or reconnect
    }
  };

  // ---- live stream
  const stream = new SyncStream({
    url: `${base}/sync/stream`,
    headers,
    fetch: doFetch,
    onState(state, detail) {
      if (state === 'connected') {
        network = 'up';
        networkError = null;
        refreshRejected();
        scheduleSelfCheck(SELF_CHECK_SETTLE_MS);
      } else if (state === 'refused') {
        failure = detail ?? 'access denied';
      } else {
        network = 'down';
        networkError = detail ?? 'the sync stream is disconnected';
      }
      emit();
    },
  });

  // ---- replication per collection
  const replications = new Map<CollectionName, RxReplicationState<any, SyncCheckpoint>>();
  const subs: Subscription[] = [];
  const retryTime = options.retryTime ?? 3000;
  const pullBatchSize = Math.min(options.pullBatchSize ?? PULL_MAX_LIMIT, PULL_MAX_LIMIT);

  /**
   * Before pushing documents, waits (bounded) until the local records they reference (an
   * organization made offline before the person who works there) have reached the server, so
   * the server does not refuse the child for a missing parent.
   */
  const waitForReferences = async (docs: Record<string, unknown>[]) => {
    const keys: string[] = [];
    for (const doc of docs) {
      for (const [field, target] of REFERENCE_FIELDS) {
        const id = doc[field];
        if (typeof id === 'string' && pending.has(pendingKey(target, id))) keys.push(pendingKey(target, id));
      }
    }
    // Pending entries clear when the server acknowledges or replaces them; the bound only guards
    // against an entry that can never clear (then the server's answer decides).
    const deadline = Date.now() + 120_000;
    while (!closed && Date.now() < deadline && keys.some((k) => pending.has(k))) {
      await new Promise<void>((resolve) => {
        const done = () => {
          pendingWaiters.delete(done);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(done, 250);
        pendingWaiters.add(done);
      });
    }
  };

  const identifierOf = (name: CollectionName) => `kith-sync|${base}|${info.workspaceId}|${name}`;
  const pullHandler = (name: CollectionName) => async (checkpoint: SyncCheckpoint | undefined, batchSize: number) => {
    const res = await request(`/sync/${name}/pull?checkpoint=${checkpoint?.sequence ?? 0}&limit=${Math.min(batchSize, PULL_MAX_LIMIT)}`);
    const body = (await res.json()) as PullResponse;
    const reached = body.checkpoint?.sequence ?? checkpoint?.sequence ?? 0;
    if (reached > (pulledTo.get(name) ?? 0)) pulledTo.set(name, reached);
    return { documents: body.documents as any[], checkpoint: body.checkpoint ?? checkpoint };
  };
  /** First loads run one collection at a time (IndexedDB does not write faster in parallel). */
  let firstLoads: Promise<unknown> = Promise.resolve();
  /** First loads waiting to fetch a page again; reconnect() (and close()) wakes them. */
  const reconnectWaiters = new Set<() => void>();
  /** The retry time, cut short by reconnect() or close(). */
  const waitToRetry = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        reconnectWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, retryTime);
      reconnectWaiters.add(done);
    });
  const startCollection = async (name: CollectionName) => {
    const collection = db.collections[name] as RxCollection<any>;
    if (closed) return;
    // only the leader tab replicates (and so first-loads)
    if (db.multiInstance) await db.waitForLeadership();
    if (closed) return;
    const loading = firstLoads.then(async () => {
      if (closed) return { pullCheckpoint: undefined };
      const result = await firstLoad({
        db,
        name,
        identifier: identifierOf(name),
        pageSize: pullBatchSize,
        fetchPage: (sequence) => pullHandler(name)({ sequence }, pullBatchSize),
        retryWait: waitToRetry,
        isClosed: () => closed,
        onProgress(written) {
          firstLoadWritten += written;
          emit();
        },
      });
      loadsLeft--;
      emit();
      return result;
    });
    firstLoads = loading.catch(() => undefined);
    const { pullCheckpoint } = await loading;
    if (closed) return;
    if (pullCheckpoint && pullCheckpoint.sequence > (pulledTo.get(name) ?? 0)) pulledTo.set(name, pullCheckpoint.sequence);

    const replication = replicateRxCollection<any, SyncCheckpoint>({
      collection,
      replicationIdentifier: identifierOf(name),
      deletedField: '_deleted',
      live: true,
      retryTime,
      waitForLeadership: true,
      autoStart: true,
      pull: {
        batchSize: pullBatchSize,
        initialCheckpoint: pullCheckpoint,
        stream$: stream.streams[name].asObservable(),
        handler: pullHandler(name),
      },
      // Every collection pushes, the pull-only one (stage changes) too: RxDB scans the local
      // documents for changes only when a push is set, from its initial checkpoint, which keeps
      // first-loaded documents out of the scan. Nothing writes stage changes locally; if anything
      // did, the server would refuse it and the client revert, like any refused push.
      push: {
        batchSize: options.pushBatchSize ?? 200,
        initialCheckpoint: REPLICATED_PUSH_CHECKPOINT,
        handler: async (rows) => {
          await waitForReferences(rows.map((r) => r.newDocumentState as Record<string, unknown>));
          const res = await request(`/sync/${name}/push`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(rows.map((r): PushRow => ({ assumedMasterState: r.assumedMasterState ?? null, newDocumentState: r.newDocumentState }))),
          });
          const conflicts = (await res.json()) as Record<string, unknown>[];
          // answers that only carry the server's bookkeeping are routine; others may be refusals
          const pushed = new Map(rows.map((r) => [(r.newDocumentState as { id: string }).id, r.newDocumentState as Record<string, unknown>]));
          if (conflicts.some((doc) => changedBeyondServerFields(doc, pushed.get(doc.id as string)))) refreshRejected();
          return conflicts as any[];
        },
      },
    });
    replications.set(name, replication);

    // acknowledged pushes (and server answers that replaced the local state) are no longer pending
    subs.push(
      replication.sent$.subscribe((doc) => {
        const key = pendingKey(name, (doc as { id: string }).id);
        const mine = pending.get(key);
        if (mine && deepEqual(stripMeta(doc as Record<string, unknown>), stripMeta(mine)) && Boolean((doc as { _deleted?: boolean })._deleted) === Boolean(mine._deleted)) {
          pending.delete(key);
          pendingChanged();
        }
      }),
      replication.conflict$.subscribe((c) => {
        // the server's answer replaced the pushed state — unless the user changed the record again meanwhile
        const pushed = c.input.newDocumentState as Record<string, unknown>;
        const key = pendingKey(name, pushed.id as string);
        const mine = pending.get(key);
        if (mine && deepEqual(stripMeta(pushed), stripMeta(mine))) {
          pending.delete(key);
          pendingChanged();
        }
      }),
      replication.error$.subscribe(() => emit()),
    );
  };

  for (const name of COLLECTION_NAMES) {
    const collection = db.collections[name] as RxCollection<any>;
    const pushable = COLLECTIONS[name].pushable;
    // count local (non-replication) writes as pending
    subs.push(
      collection.eventBulks$.subscribe((bulk) => {
        const fromReplication = bulk.context.startsWith('replication-');
        let changed = false;
        for (const ev of bulk.events) {
          const key = pendingKey(name, ev.documentId);
          if (fromReplication) {
            if (pending.delete(key)) changed = true;
          } else if (pushable) {
            const doc = stripMeta(ev.documentData as Record<string, unknown>);
            pending.set(key, { ...doc, _deleted: ev.operation === 'DELETE' || (ev.documentData as { _deleted?: boolean })._deleted === true });
            changed = true;
          }
        }
        if (changed) pendingChanged();
      }),
    );
  }

  stream.start();
  /** Resolves once every collection's replication runs. */
  const started = Promise.all(FIRST_LOAD_ORDER.map((name) => startCollection(name))).then(() => {
    if (closed) return;
    subs.push(
      combineLatest([...replications.values()].map((r) => r.active$)).subscribe((flags) => {
        active = flags.some(Boolean);
        emit();
      }),
    );
    return Promise.all([...replications.values()].map((r) => r.awaitInitialReplication())).then(() => {
      initialDone = true;
      emit();
      scheduleSelfCheck(SELF_CHECK_SETTLE_MS);
      const every = options.selfCheckInterval ?? 10 * 60_000;
      if (every > 0) selfCheckTimer = setInterval(() => scheduleSelfCheck(0), every);
    });
  });
  started.catch((error) => {
    failure = `sync could not start: ${error instanceof Error ? error.message : String(error)}`;
    emit();
  });

  // ---- self-check: the local store against the server's digests (selfCheck.ts)
  let selfCheckTimer: ReturnType<typeof setInterval> | null = null;
  let selfCheckDelay: ReturnType<typeof setTimeout> | null = null;
  let selfCheckRun: Promise<Record<CollectionName, SelfCheckResult>> | null = null;
  const getJson = async <T,>(path: string): Promise<T> => (await request(path)).json() as Promise<T>;
  const pendingIn = (name: CollectionName) => {
    const prefix = pendingKey(name, '');
    for (const key of pending.keys()) if (key.startsWith(prefix)) return true;
    return false;
  };
  /** Waits until the collection's replication is idle (bounded); false when it did not settle. */
  const settled = async (replication: RxReplicationState<any, SyncCheckpoint>) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 10_000)));
    try {
      return await Promise.race([replication.awaitInSync().then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  const checkCollection = async (name: CollectionName): Promise<SelfCheckResult> => {
    const replication = replications.get(name);
    if (!replication) return { outcome: 'inconclusive', reason: 'not replicating (another tab is the leader, or sync has not started)' };
    let result: SelfCheckResult = { outcome: 'inconclusive', reason: 'not settled' };
    // behind or busy: let the replication catch up and look again (a few times)
    for (let attempt = 0; attempt < 3 && !closed; attempt++) {
      if (!(await settled(replication))) continue;
      result = await selfCheck({
        db,
        name,
        identifier: identifierOf(name),
        checkpoint: () => pulledTo.get(name) ?? 0,
        hasPending: () => pendingIn(name),
        isPending: (id) => pending.has(pendingKey(name, id)),
        get: getJson,
        writeContext: () => replication.internalReplicationState!.downstreamBulkWriteFlag,
      });
      if (result.outcome !== 'inconclusive') break;
      replication.reSync();
      await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
    }
    if (result.outcome === "healed") {
      healed++;
      emit();
    } else if (result.outcome === 'diverged') {
      console.error(`kith sync self-check: ${name} ${result.reason}`);
    }
    return result;
  };
  const runSelfCheck = (): Promise<Record<CollectionName, SelfCheckResult>> => {
    if (selfCheckRun) return selfCheckRun;
    selfCheckRun = (async () => {
      const results = {} as Record<CollectionName, SelfCheckResult>;
      for (const name of COLLECTION_NAMES) results[name] = closed ? { outcome: 'inconclusive', reason: 'closed' } : await checkCollection(name);
      return results;
    })().finally(() => (selfCheckRun = null));
    return selfCheckRun;
  };
  function scheduleSelfCheck(delay: number): void {
    if (closed || !initialDone || selfCheckDelay) return;
    selfCheckDelay = setTimeout(() => {
      selfCheckDelay = null;
      void runSelfCheck().catch((error) => console.error('kith sync self-check failed', error));
    }, delay);
  }

  const onOnline = () => reconnect();
  const onOffline = () => emit();
  if (isBrowser) {
    window.addEventListener('online', onOnline);
    window.addEventListener('offline', onOffline);
  }

  function reconnect(): void {
    if (closed) return;
    failure = null;
    for (const wake of [...reconnectWaiters]) wake();
    stream.reconnect();
    for (const r of replications.values()) r.reSync();
    emit();
  }

  const getDoc = async (collection: CollectionName, id: string) => {
    const doc = await db.collections[collection].findOne(id).exec();
    if (!doc) throw new Error(`${COLLECTIONS[collection].entityType} ${id} not found`);
    return doc;
  };

  return {
    db,
    info,
    status$: status.asObservable(),
    rejected$: rejected.asObservable(),
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
      if (doc.get('archivedAt') == null) await doc.incrementalPatch({ archivedAt: localNow(), updatedAt: localNow() });
    },
    async restore(collection, id) {
      const doc = await getDoc(collection, id);
      if (doc.get('archivedAt') != null) await doc.incrementalPatch({ archivedAt: null, updatedAt: localNow() });
    },
    async remove(collection, id) {
      if (collection === 'stageChanges') throw new Error('stage changes are recorded by the server; they cannot be deleted');
      const doc = await getDoc(collection, id);
      await doc.incrementalRemove();
    },
    reconnect,
    // a check already running may have looked before the caller's moment: run a fresh one after it
    verify: async () => {
      await selfCheckRun?.catch(() => undefined);
      return runSelfCheck();
    },
    async close() {
      if (closed) return;
      closed = true;
      if (isBrowser) {
        window.removeEventListener('online', onOnline);
        window.removeEventListener('offline', onOffline);
      }
      if (persistTimer) clearTimeout(persistTimer);
      if (selfCheckTimer) clearInterval(selfCheckTimer);
      if (selfCheckDelay) clearTimeout(selfCheckDelay);
      // a running self-check stops at its next step (bounded wait; its errors end as 'inconclusive')
      if (selfCheckRun) await Promise.race([selfCheckRun.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1000))]);
      await db.upsertLocal('kith-pending', { entries: [...pending.entries()] }).catch(() => undefined);
      stream.close();
      for (const wake of [...reconnectWaiters]) wake();
      await firstLoads;
      for (const s of subs) s.unsubscribe();
      await Promise.all([...replications.values()].map(async (r) => (await pushStarted(r), r.cancel())));
      await db.close();
      status.complete();
      rejected.complete();
    },
  };
}
