/**
 * The client side of the randomized fault test (see sync-soak-lib.ts): the seeded PRNG and the op
 * engine a client runs — creates, edits, archives and deletes through the real store, with its
 * own network cuts and stream reconnects — recording what it did so the run can check the end
 * state. Shared by the Node worker (sync-soak-worker.ts) and the Chromium client
 * (test/e2e/sync-soak-browser.ts); no Node-only imports.
 */
import type { CollectionName } from '../../shared/collections.js';
import type { Dump } from './sync-helpers.js';

// ------------------------------------------------------------------ randomness

/** mulberry32: a small, fast, seedable 32-bit PRNG. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed for one actor of a run (a client, the server's faults, the REST writer), derived from the run's seed. */
export function deriveSeed(seed: number, label: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return (mulberry32(h)() * 4294967296) >>> 0;
}

export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)];
  }
  weighted<K extends string>(weights: Record<K, number>): K {
    const entries = Object.entries(weights) as [K, number][];
    let r = this.next() * entries.reduce((n, [, w]) => n + w, 0);
    for (const [k, w] of entries) {
      r -= w;
      if (r < 0) return k;
    }
    return entries[entries.length - 1][0];
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ------------------------------------------------------------------ what a client does

export type Rec = Record<string, unknown> & { id: string };

/** What the op engine needs from a client: the store's write API, its local records and its network. */
export interface ClientAdapter {
  create(collection: CollectionName, fields: Record<string, unknown>): Promise<Rec>;
  update(collection: CollectionName, id: string, patch: Record<string, unknown>): Promise<unknown>;
  archive(collection: CollectionName, id: string): Promise<void>;
  restore(collection: CollectionName, id: string): Promise<void>;
  remove(collection: CollectionName, id: string): Promise<void>;
  /** The live local records of a collection. */
  list(collection: CollectionName): Promise<Rec[]>;
  /**
   * Cuts (false) or restores (true) the client's network; `reconnect`: call the store's
   * reconnect() on return (like the browser's `online` event); `mode`: a hint for clients that can
   * cut in more than one way (the browser: offline emulation or aborted requests).
   */
  network(online: boolean, options: { reconnect: boolean; mode: 'offline' | 'block' }): Promise<void>;
  /** The store's reconnect(): drops and reopens the stream, re-syncs every collection. */
  reconnect(): Promise<void>;
  /** A slow network: requests (with `uploadOnly`, only pushes) wait this long before they go out (0: normal). */
  latency(ms: number, options: { uploadOnly: boolean }): Promise<void>;
}

export interface PrivateRecord {
  collection: CollectionName;
  /** The fields as this client last wrote them (only this client ever writes the record). */
  fields: Record<string, unknown>;
  archived: boolean;
  deleted: boolean;
  /** What this client did to it: "#<op> <what>" (for failure messages). */
  trail: string[];
}

export interface ClientReport {
  label: string;
  index: number;
  ops: number;
  /** Records this client created (the store resolved the create). */
  created: { collection: CollectionName; id: string }[];
  /** Records this client deleted. */
  deleted: { collection: CollectionName; id: string }[];
  /** The last value this client wrote to a field of a shared record: "collection|id|field" → value (unique per write). */
  lastValues: Record<string, unknown>;
  /** Records only this client writes ("P<i>.…"): their expected final state. */
  privates: Record<string, PrivateRecord>;
  counts: Record<string, number>;
  failures: string[];
  cuts: number;
  reconnects: number;
  slowSpells: number;
  ms: number;
  /** Network cuts and reconnects by op number, with their time since the start (for failure messages). */
  events: string[];
}

const OP_WEIGHTS = {
  createPrivateOrg: 8,
  createPrivatePerson: 6,
  createSharedOrg: 6,
  createSharedPerson: 5,
  createDeal: 6,
  createActivity: 6,
  editPrivate: 12,
  editShared: 22,
  moveDeal: 6,
  archivePrivate: 4,
  archiveShared: 3,
  deletePrivate: 3,
  deleteShared: 2,
};
type Op = keyof typeof OP_WEIGHTS;

/** Shared records: every client and the REST writer may edit or delete them. */
export const isSharedOrg = (r: Rec) => /^[SR]/.test(String(r.name));
export const isSharedPerson = (r: Rec) => /^Q/.test(String(r.name));
/** Records the run writes in bursts around server kills and nobody touches again ("B.…"). */
export const isBurst = (r: Rec) => /^B\./.test(String(r.name ?? r.title));

/**
 * One client's share of a run: `ops` random operations through its store, with its own network
 * cuts and stream reconnects in between. Resolves when every op has resolved locally (the network
 * is back on by then); acknowledged by the server or not is checked later.
 */
export async function runClientOps(a: ClientAdapter, params: { seed: number; index: number; label: string; ops: number; log?: (line: string) => void }): Promise<ClientReport> {
  const started = Date.now();
  const rng = new Rng(deriveSeed(params.seed, `client:${params.index}`));
  const me = params.index;
  const report: ClientReport = {
    label: params.label,
    index: me,
    ops: params.ops,
    created: [],
    deleted: [],
    lastValues: {},
    privates: {},
    counts: {},
    failures: [],
    cuts: 0,
    reconnects: 0,
    slowSpells: 0,
    ms: 0,
    events: [],
  };
  const stages = (await a.list('stages')).map((s) => s.id).sort();
  let online = true;
  let restoring: Promise<void> = Promise.resolve();
  let slow = false;
  let speeding: Promise<void> = Promise.resolve();
  // this client's temperament: how often its network drops, whether it reconnects at once when the
  // network returns (the browser's `online` event) and how often its stream is reconnected by hand.
  // Every extra RESYNC also repairs what a dropped one missed, so some clients make few.
  const cutRate = rng.pick([0.04, 0.08]);
  const reconnectOnReturn = rng.pick([0, 0.5]);
  const reconnectRate = rng.pick([0, 0.01, 0.05]);

  const livePrivates = (collection: CollectionName) =>
    Object.entries(report.privates)
      .filter(([, p]) => p.collection === collection && !p.deleted)
      .map(([id]) => id)
      .sort();
  const created = (collection: CollectionName, rec: Rec) => report.created.push({ collection, id: rec.id });
  const forget = (collection: CollectionName, id: string) => {
    for (const k of Object.keys(report.lastValues)) if (k.startsWith(`${collection}|${id}|`)) delete report.lastValues[k];
  };
  const sharedOrgs = async () => (await a.list('organizations')).filter(isSharedOrg).sort(byId);
  const sharedPeople = async () => (await a.list('people')).filter(isSharedPerson).sort(byId);
  const deals = async () => (await a.list('deals')).filter((d) => !isBurst(d)).sort(byId);

  const ops: Record<Op, (n: number) => Promise<boolean>> = {
    async createPrivateOrg(n) {
      const fields: Record<string, unknown> = { name: `P${me}.${n}`, notes: rng.chance(0.5) ? `note c${me}.${n}` : null, labels: rng.chance(0.3) ? ['soak'] : [] };
      const rec = await a.create('organizations', fields);
      report.privates[rec.id] = { collection: 'organizations', fields, archived: false, deleted: false, trail: [`#${n} create`] };
      created('organizations', rec);
      return true;
    },
    async createPrivatePerson(n) {
      const orgs = livePrivates('organizations');
      const fields: Record<string, unknown> = { name: `P${me}.${n}`, organizationId: orgs.length > 0 && rng.chance(0.7) ? rng.pick(orgs) : null };
      const rec = await a.create('people', fields);
      report.privates[rec.id] = { collection: 'people', fields, archived: false, deleted: false, trail: [`#${n} create`] };
      created('people', rec);
      return true;
    },
    async createSharedOrg(n) {
      const rec = await a.create('organizations', { name: `S${me}.${n}`, website: rng.chance(0.5) ? `s${me}-${n}.example.com` : null });
      created('organizations', rec);
      return true;
    },
    async createSharedPerson(n) {
      const orgs = await sharedOrgs();
      const rec = await a.create('people', { name: `Q${me}.${n}`, organizationId: orgs.length > 0 && rng.chance(0.7) ? rng.pick(orgs).id : null });
      created('people', rec);
      return true;
    },
    async createDeal(n) {
      const orgs = await sharedOrgs();
      const people = await sharedPeople();
      const rec = await a.create('deals', {
        title: `D${me}.${n}`,
        amount: rng.int(1, 500) * 10,
        organizationId: orgs.length > 0 && rng.chance(0.6) ? rng.pick(orgs).id : null,
        primaryPersonId: people.length > 0 && rng.chance(0.3) ? rng.pick(people).id : null,
      });
      created('deals', rec);
      return true;
    },
    async createActivity(n) {
      const list = await deals();
      const orgs = await sharedOrgs();
      const fields: Record<string, unknown> = { type: 'note', body: `A${me}.${n}` };
      if (list.length > 0 && rng.chance(0.6)) fields.dealId = rng.pick(list).id;
      else if (orgs.length > 0) fields.organizationId = rng.pick(orgs).id;
      const rec = await a.create('activities', fields);
      created('activities', rec);
      return true;
    },
    async editPrivate(n) {
      const ids = [...livePrivates('organizations'), ...livePrivates('people')];
      if (ids.length === 0) return false;
      const id = rng.pick(ids);
      const p = report.privates[id];
      const field = p.collection === 'organizations' ? rng.pick(['name', 'notes', 'website', 'labels']) : rng.pick(['name', 'notes', 'title']);
      const value = field === 'name' ? `P${me}.${n}` : field === 'website' ? `p${me}-${n}.example.com` : field === 'labels' ? (rng.chance(0.5) ? ['soak', `l${n}`] : []) : `${field} c${me}.${n}`;
      await a.update(p.collection, id, { [field]: value });
      p.fields[field] = value;
      p.trail.push(`#${n} ${field}=${JSON.stringify(value)}`);
      return true;
    },
    async editShared(n) {
      const kind = rng.pick(['organizations', 'people', 'deals'] as const);
      const list = kind === 'organizations' ? await sharedOrgs() : kind === 'people' ? await sharedPeople() : await deals();
      if (list.length === 0) return false;
      const rec = rng.pick(list);
      const field = kind === 'organizations' ? rng.pick(['notes', 'website']) : kind === 'people' ? rng.pick(['notes', 'title']) : rng.pick(['notes', 'title', 'amount']);
      // unique values, so each write can be found again in the audit log
      const value = field === 'amount' ? (me + 1) * 100_000 + n : field === 'website' ? `w${me}-${n}.example.com` : field === 'title' && kind === 'deals' ? `D${me}.${n}t` : `${field} c${me}.${n}`;
      await a.update(kind, rec.id, { [field]: value });
      report.lastValues[`${kind}|${rec.id}|${field}`] = value;
      return true;
    },
    async moveDeal() {
      const list = await deals();
      if (list.length === 0 || stages.length === 0) return false;
      await a.update('deals', rng.pick(list).id, { stageId: rng.pick(stages) });
      return true;
    },
    async archivePrivate(n) {
      const ids = [...livePrivates('organizations'), ...livePrivates('people')];
      if (ids.length === 0) return false;
      const id = rng.pick(ids);
      const p = report.privates[id];
      if (p.archived) await a.restore(p.collection, id);
      else await a.archive(p.collection, id);
      p.archived = !p.archived;
      p.trail.push(`#${n} ${p.archived ? 'archive' : 'restore'}`);
      return true;
    },
    async archiveShared() {
      const kind = rng.pick(['organizations', 'deals'] as const);
      const list = kind === 'organizations' ? await sharedOrgs() : await deals();
      if (list.length === 0) return false;
      const rec = rng.pick(list);
      if (rec.archivedAt != null) await a.restore(kind, rec.id);
      else await a.archive(kind, rec.id);
      return true;
    },
    async deletePrivate(n) {
      // an organization a live private person works for stays (the person's push would be refused)
      const referenced = new Set(
        Object.values(report.privates)
          .filter((p) => p.collection === 'people' && !p.deleted)
          .map((p) => p.fields.organizationId),
      );
      const ids = [...livePrivates('organizations').filter((id) => !referenced.has(id)), ...livePrivates('people')];
      if (ids.length === 0) return false;
      const id = rng.pick(ids);
      const p = report.privates[id];
      await a.remove(p.collection, id);
      p.deleted = true;
      p.trail.push(`#${n} delete`);
      report.deleted.push({ collection: p.collection, id });
      return true;
    },
    async deleteShared() {
      const kind = rng.pick(['organizations', 'people', 'deals', 'activities'] as const);
      const list = kind === 'organizations' ? await sharedOrgs() : kind === 'people' ? await sharedPeople() : kind === 'deals' ? await deals() : (await a.list('activities')).sort(byId);
      if (list.length === 0) return false;
      const rec = rng.pick(list);
      await a.remove(kind, rec.id);
      forget(kind, rec.id);
      report.deleted.push({ collection: kind, id: rec.id });
      return true;
    },
  };

  for (let n = 0; n < params.ops; n++) {
    // faults on this client: a cut network (ops go on offline), or a stream reconnect + re-sync
    if (online && rng.chance(cutRate)) {
      const ms = rng.int(50, 1500);
      const options = { reconnect: rng.chance(reconnectOnReturn), mode: rng.chance(0.5) ? ('offline' as const) : ('block' as const) };
      online = false;
      report.cuts++;
      report.events.push(`#${n} +${Date.now() - started}ms cut ${ms}ms ${options.mode}${options.reconnect ? ' reconnect' : ''}`);
      await a.network(false, options);
      params.log?.(`${params.label}: network off for ${ms} ms`);
      restoring = sleep(ms).then(async () => {
        await a.network(true, options);
        online = true;
      });
    } else if (online && rng.chance(reconnectRate)) {
      // the stream dropped and reopened, every collection re-synced, while pushes may be in flight
      report.reconnects++;
      report.events.push(`#${n} +${Date.now() - started}ms reconnect`);
      await a.reconnect();
    }
    if (!slow && rng.chance(0.1)) {
      // a slow network for a while: pushes stay in flight longer, stream events arrive during them
      // (a slow uplink: only pushes are slow, the stream keeps delivering and reconnects at once)
      const ms = rng.int(300, 2500);
      const uploadOnly = rng.chance(0.5);
      const latency = uploadOnly ? rng.int(100, 800) : rng.int(30, 300);
      slow = true;
      report.slowSpells++;
      report.events.push(`#${n} +${Date.now() - started}ms slow ${uploadOnly ? 'pushes' : 'requests'} ${latency}ms for ${ms}ms`);
      await a.latency(latency, { uploadOnly });
      speeding = sleep(ms).then(async () => {
        await a.latency(0, { uploadOnly: false });
        slow = false;
      });
    }
    let op = rng.weighted(OP_WEIGHTS);
    try {
      if (!(await ops[op](n))) {
        op = 'createSharedOrg';
        await ops[op](n);
      }
      report.counts[op] = (report.counts[op] ?? 0) + 1;
    } catch (error) {
      // e.g. a record deleted (by someone else) under our feet: the write was not made, nothing to check
      report.failures.push(`${op} #${n}: ${error instanceof Error ? error.message : String(error)}`);
    }
    // bursts of writes, short pauses, and now and then an idle moment: a client that writes
    // without pause keeps its push side busy for good, and RxDB holds every stream event meanwhile
    const r = rng.float();
    const pause = r < 0.35 ? 0 : r < 0.9 ? rng.int(5, 200) : rng.int(400, 2000);
    if (pause > 0) await sleep(pause);
  }
  await Promise.all([restoring, speeding]);
  report.ms = Date.now() - started;
  return report;
}

export function byId(a: Rec, b: Rec): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export interface ClientStatus {
  state: string;
  pending: number;
  error: string | null;
  healed?: number;
}

export interface ClientSnapshot {
  dump: Dump;
  status: ClientStatus;
  /** Ids of the entries in the client's rejected$ list. */
  rejected: string[];
  /** The highest `status.healed` the client ever reported. */
  maxHealed: number;
}
