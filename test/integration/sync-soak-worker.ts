/**
 * One client of the randomized fault test (sync-soak-lib.ts) in its own process: the real client
 * store on RxDB memory storage behind a NetworkSwitch. Driven over IPC by WorkerClient: `open`,
 * `run` (its seeded ops, network cuts and reconnects), `settle` (network on, reconnect, wait until
 * online with nothing pending), `reconnect`, `snapshot` (full dump, status, rejected list, the
 * highest `healed` seen), `close`. Each request is answered `{id, ok, result | error}`.
 */
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { openKithStore, type SyncStatus } from '../../renderer/data/index.js';
import type { CollectionName } from '../../shared/collections.js';
import { dumpClient, NetworkSwitch, waitSynced, type TestClient } from './sync-helpers.js';
import { runClientOps, type ClientAdapter, type ClientSnapshot, type Rec } from './sync-soak-ops.js';

const label = process.env.KITH_SOAK_LABEL ?? `worker-${process.pid}`;
let client: TestClient | null = null;
let rejected: string[] = [];
let maxHealed = 0;
/** Extra wait of pushes only (a slow uplink), on top of the switch's delay for every request. */
let pushDelay = 0;

const need = () => {
  if (!client) throw new Error('no client open');
  return client;
};

function adapter(c: TestClient): ClientAdapter {
  const { store, net } = c;
  return {
    create: (collection, fields) => store.create(collection, fields) as Promise<Rec>,
    update: (collection, id, patch) => store.update(collection, id, patch),
    archive: (collection, id) => store.archive(collection, id),
    restore: (collection, id) => store.restore(collection, id),
    remove: (collection, id) => store.remove(collection, id),
    async list(collection: CollectionName) {
      return (await store.db.collections[collection].find().exec()).map((d) => d.toJSON() as Rec);
    },
    async network(online, { reconnect }) {
      if (!online) return net.off();
      net.on();
      if (reconnect) store.reconnect();
    },
    async reconnect() {
      store.reconnect();
    },
    async latency(ms, { uploadOnly }) {
      net.delay = uploadOnly ? 0 : ms;
      pushDelay = uploadOnly ? ms : 0;
    },
  };
}

const handlers: Record<string, (msg: any) => Promise<unknown>> = {
  async open(msg: { url: string; key: string; databaseName: string; retryTime: number }) {
    // like openClient (sync-helpers), with pushes that can be slowed down on their own
    const net = new NetworkSwitch();
    const fetchThrough: typeof fetch = async (input, init) => {
      if (pushDelay > 0 && init?.method === 'POST' && /\/sync\/[^/]+\/push$/.test(String(input))) await new Promise((r) => setTimeout(r, pushDelay));
      return net.fetch(input, init);
    };
    const store = await openKithStore({ serverUrl: msg.url, apiKey: msg.key }, { storage: getRxStorageMemory(), fetch: fetchThrough, retryTime: msg.retryTime, databaseName: msg.databaseName });
    let current: SyncStatus = { state: 'syncing', pending: 0, error: null, lastSyncedAt: null, loaded: null, healed: 0 };
    store.status$.subscribe((s) => (current = s));
    client = { store, net, status: () => current };
    client.store.status$.subscribe((s) => (maxHealed = Math.max(maxHealed, (s as { healed?: number }).healed ?? 0)));
    client.store.rejected$.subscribe((list) => (rejected = list.map((r) => r.id)));
    await waitSynced(client, 30_000);
  },
  async run(msg: { seed: number; index: number; ops: number }) {
    const log = process.env.KITH_SOAK_TRACE ? (line: string) => console.error(`[${label}] ${line}`) : undefined;
    return runClientOps(adapter(need()), { ...msg, label, log });
  },
  async settle(msg: { timeout: number }) {
    const c = need();
    c.net.delay = 0;
    pushDelay = 0;
    c.net.on();
    c.store.reconnect();
    await waitSynced(c, msg.timeout);
    return c.status();
  },
  async reconnect() {
    need().store.reconnect();
  },
  async snapshot(): Promise<ClientSnapshot> {
    const c = need();
    return { dump: await dumpClient(c.store), status: c.status(), rejected, maxHealed };
  },
  async close() {
    if (client) await client.store.close();
    client = null;
  },
};

process.on('message', (msg: { id: number; type: string }) => {
  const handler = handlers[msg.type];
  const reply = (body: Record<string, unknown>) => process.send!({ id: msg.id, ...body });
  if (!handler) return reply({ ok: false, error: `unknown request ${msg.type}` });
  handler(msg).then(
    (result) => {
      reply({ ok: true, result: result ?? null });
      if (msg.type === 'close') process.exit(0);
    },
    (error) => reply({ ok: false, error: String(error?.stack ?? error) }),
  );
});
process.on('disconnect', () => process.exit(0));
