/**
 * Helpers for the sync tests: real clients (the renderer/data store on RxDB memory storage)
 * against a real server, a network switch that cuts a client off like a lost connection, and
 * full dumps of a client and of the server for comparison.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { COLLECTION_NAMES } from '../../shared/collections.js';
import { openKithStore, type KithStore, type SyncStatus } from '../../renderer/data/index.js';
import { changedSince } from '../../server/store/records.js';
import type { Services } from '../../server/domain/services.js';

/** A fetch that can be switched off: while off, every request (and open stream) fails like a dropped network. */
export class NetworkSwitch {
  online = true;
  /** Every request made through this switch: "METHOD path". */
  readonly log: string[] = [];
  /** The same requests with their query strings: "METHOD path?query". */
  readonly urls: string[] = [];
  /** Milliseconds each request waits before it goes out (a slow network). */
  delay = 0;
  private readonly inflight = new Set<AbortController>();

  readonly fetch: typeof fetch = async (input, init = {}) => {
    if (!this.online) throw new TypeError('fetch failed (network is off)');
    const url = new URL(String(input instanceof Request ? input.url : input));
    this.log.push(`${init.method ?? 'GET'} ${url.pathname}`);
    this.urls.push(`${init.method ?? 'GET'} ${url.pathname}${url.search}`);
    if (this.delay > 0) {
      await new Promise((r) => setTimeout(r, this.delay));
      if (!this.online) throw new TypeError('fetch failed (network is off)');
    }
    const controller = new AbortController();
    const outer = init.signal;
    if (outer) {
      if (outer.aborted) controller.abort();
      outer.addEventListener('abort', () => controller.abort(), { once: true });
    }
    this.inflight.add(controller);
    try {
      const res = await fetch(input, { ...init, signal: controller.signal });
      if (!res.body) {
        this.inflight.delete(controller);
        return res;
      }
      // keep the controller until the body is consumed (streams stay cut-able)
      const body = res.body.pipeThrough(
        new TransformStream({
          flush: () => void this.inflight.delete(controller),
        }),
      );
      return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    } catch (error) {
      this.inflight.delete(controller);
      if (!this.online) throw new TypeError('fetch failed (network is off)', { cause: error });
      throw error;
    }
  };

  off(): void {
    this.online = false;
    for (const c of this.inflight) c.abort();
    this.inflight.clear();
  }

  on(): void {
    this.online = true;
  }
}

export interface TestClient {
  store: KithStore;
  net: NetworkSwitch;
  status(): SyncStatus;
}

export async function openClient(serverUrl: string, apiKey: string, databaseName: string, options: { retryTime?: number; pullBatchSize?: number; net?: NetworkSwitch } = {}): Promise<TestClient> {
  const net = options.net ?? new NetworkSwitch();
  const store = await openKithStore(
    { serverUrl, apiKey },
    { storage: getRxStorageMemory(), fetch: net.fetch, retryTime: options.retryTime ?? 300, databaseName, pullBatchSize: options.pullBatchSize },
  );
  let current: SyncStatus = { state: 'syncing', pending: 0, error: null, lastSyncedAt: null, loaded: null, healed: 0 };
  store.status$.subscribe((s) => (current = s));
  return { store, net, status: () => current };
}

export async function waitFor<T>(fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, message: string, timeout = 20_000): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${message}${last ? `: ${String(last)}` : ''}`);
}

/** Until the client says online with nothing unsent. */
export function waitSynced(client: TestClient, timeout = 20_000): Promise<true> {
  return waitFor(() => client.status().state === 'online' && client.status().pending === 0, `client synced (status ${JSON.stringify(client.status())})`, timeout);
}

export type Dump = Record<string, Record<string, unknown>[]>;

/** Same keys in the same order, so dumps compare by content. */
function sortedKeys(doc: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(doc)
      .sort()
      .map((k) => [k, doc[k]]),
  );
}

export async function dumpClient(store: KithStore): Promise<Dump> {
  const out: Dump = {};
  for (const c of COLLECTION_NAMES) {
    const docs = await store.db.collections[c].find().exec();
    out[c] = docs
      .map((d) => {
        const json = d.toJSON() as Record<string, unknown>;
        return sortedKeys(Object.fromEntries(Object.entries(json).filter(([k]) => !k.startsWith('_'))));
      })
      .sort((a, b) => String(a.id).localeCompare(String(b.id)));
  }
  return out;
}

export async function dumpServer(services: Services, workspaceId: string): Promise<Dump> {
  const out: Dump = {};
  for (const c of COLLECTION_NAMES) {
    const rows = await changedSince(services.store.db, c, workspaceId, 0, 1_000_000);
    out[c] = rows
      .filter((r) => !r.deleted)
      .map((r) => sortedKeys(r.record as Record<string, unknown>))
      .sort((a, b) => String(a.id).localeCompare(String(b.id)));
  }
  return out;
}

/** Waits until the client's full dump equals the server's. */
export async function waitSameAsServer(store: KithStore, services: Services, timeout = 20_000): Promise<Dump> {
  let last = '';
  return waitFor(
    async () => {
      const [c, s] = await Promise.all([dumpClient(store), dumpServer(services, store.info.workspaceId)]);
      const cs = JSON.stringify(c);
      last = diffSummary(c, s);
      return cs === JSON.stringify(s) ? s : null;
    },
    `client state equal to the server's (${last})`,
    timeout,
  ).catch((e) => {
    throw new Error(`${(e as Error).message}; last difference: ${last}`);
  });
}

export function diffSummary(a: Dump, b: Dump): string {
  const parts: string[] = [];
  for (const c of COLLECTION_NAMES) {
    const am = new Map(a[c].map((d) => [d.id, JSON.stringify(d)]));
    const bm = new Map(b[c].map((d) => [d.id, JSON.stringify(d)]));
    let missing = 0;
    let extra = 0;
    let differ = 0;
    let example = '';
    for (const [id, v] of bm) {
      if (!am.has(id)) missing++;
      else if (am.get(id) !== v) {
        differ++;
        example ||= `${c} ${String(id)}: client ${am.get(id)} server ${v}`;
      }
    }
    for (const id of am.keys()) if (!bm.has(id)) extra++;
    if (missing || extra || differ) parts.push(`${c}: ${missing} missing, ${extra} extra, ${differ} differ`);
    if (example) parts.push(example.slice(0, 1400));
  }
  return parts.join('; ') || 'none';
}

/** A sync client in a process of its own (./sync-worker.ts), driven over IPC. */
export interface SyncWorker {
  child: ChildProcess;
  /** The next message from the worker, which must be of this type. */
  next(type: string): Promise<any>;
}

export function startSyncWorker(): SyncWorker {
  const child = fork(path.resolve('test/integration/sync-worker.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const queue: any[] = [];
  const waiters: ((m: any) => void)[] = [];
  child.on('message', (m: any) => {
    if (m.type === 'error') console.error(`[worker] ${m.message}`);
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  return {
    child,
    next(type) {
      return new Promise((resolve, reject) => {
        const take = (m: any) => (m.type === type ? resolve(m) : reject(new Error(`worker sent ${m.type} (expected ${type}): ${m.message ?? ''}`)));
        const m = queue.shift();
        if (m) take(m);
        else waiters.push(take);
      });
    },
  };
}
