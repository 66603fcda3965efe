/**
 * One sync client in its own process (free RxDB allows 13 open collections per process; a
 * client has 8). Driven by test/integration/sync-parallel.test.ts over IPC: `start` → makes its
 * share of writes through the client store, reports `done` once the server acknowledged them all;
 * `dump` → its full local state; `close`.
 */
import { dumpClient, openClient, waitSynced, type TestClient } from './sync-helpers.js';

interface StartMessage {
  type: 'start';
  url: string;
  key: string;
  name: string;
  writes: number;
  index: number;
  sharedDeals: string[];
}

let client: TestClient | null = null;
const send = (msg: unknown) => process.send!(msg);

function pick<T>(list: T[], n: number): T {
  return list[n % list.length];
}

async function run(msg: StartMessage): Promise<void> {
  client = await openClient(msg.url, msg.key, msg.name, { retryTime: 300 });
  const { store } = client;
  await waitSynced(client, 30_000);
  const t0 = Date.now();
  const stages = (await store.db.collections.stages.find().exec()).map((d) => d.get('id') as string);
  const orgs: string[] = [];
  const deals: string[] = [];
  const spare: string[] = []; // never referenced, so they can be deleted
  const deleted = new Set<string>();
  const counts = { organizations: 0, people: 0, deals: 0, activities: 0, updates: 0, deletes: 0, shared: 0 };
  const field = ['amount', 'title', 'probability', 'expectedCloseDate'][msg.index % 4];
  for (let i = 0; i < msg.writes; i++) {
    const op = i % 10;
    const live = orgs;
    if (op <= 2 || live.length === 0) {
      const org = await store.create('organizations', { name: `W${msg.index} org ${i}`, labels: i % 7 === 0 ? ['vip'] : [] });
      (op === 2 ? spare : orgs).push(String(org.id));
      counts.organizations++;
    } else if (op === 3) {
      await store.create('people', { name: `W${msg.index} person ${i}`, organizationId: pick(live, i) });
      counts.people++;
    } else if (op === 4 || op === 5) {
      await store.update('organizations', pick(live, i * 7), { notes: `note ${i} by worker ${msg.index}` });
      counts.updates++;
    } else if (op === 6) {
      const deal = await store.create('deals', { title: `W${msg.index} deal ${i}`, amount: i + 0.5, organizationId: pick(live, i) });
      deals.push(String(deal.id));
      counts.deals++;
    } else if (op === 7) {
      // shared deals: each worker edits its own field (merged), and all of them the notes (conflicts)
      const k = Math.floor(i / 10);
      const id = pick(msg.sharedDeals, k);
      const patch: Record<string, unknown> =
        k % 5 === 0
          ? { notes: `worker ${msg.index} says ${i}` }
          : field === 'amount'
            ? { amount: i }
            : field === 'title'
              ? { title: `Shared deal (worker ${msg.index}, ${i})` }
              : field === 'probability'
                ? { probability: (i % 100) / 100 }
                : { expectedCloseDate: `2027-01-${String((i % 28) + 1).padStart(2, '0')}` };
      await store.update('deals', id, patch);
      counts.shared++;
    } else if (op === 8 && deals.length > 0) {
      await store.update('deals', pick(deals, i), { stageId: pick(stages, i) });
      counts.updates++;
    } else if (op === 9 && i % 30 === 9 && spare.some((o) => !deleted.has(o))) {
      const victim = spare.find((o) => !deleted.has(o))!;
      deleted.add(victim);
      await store.remove('organizations', victim);
      counts.deletes++;
    } else {
      await store.create('activities', { type: 'note', body: `activity ${i}`, organizationId: pick(live, i) });
      counts.activities++;
    }
    if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    if (process.env.KITH_SYNC_TRACE && i % 500 === 0) console.error(`[worker ${msg.index}] ${i} writes, ${Date.now() - t0} ms, ${JSON.stringify(client.status())}`);
  }
  if (process.env.KITH_SYNC_TRACE) console.error(`[worker ${msg.index}] writes made after ${Date.now() - t0} ms, ${JSON.stringify(client.status())}`);
  await waitSynced(client, 120_000);
  if (process.env.KITH_SYNC_TRACE) console.error(`[worker ${msg.index}] synced after ${Date.now() - t0} ms`);
  send({ type: 'done', counts });
}

process.on('message', (msg: { type: string } & Partial<StartMessage>) => {
  if (msg.type === 'start') {
    run(msg as StartMessage).catch((error) => {
      send({ type: 'error', message: String(error?.stack ?? error) });
    });
  } else if (msg.type === 'dump') {
    void dumpClient(client!.store).then((dump) => send({ type: 'dump', dump, status: client!.status() }));
  } else if (msg.type === 'close') {
    void (client ? client.store.close() : Promise.resolve()).finally(() => process.exit(0));
  }
});
send({ type: 'ready' });
