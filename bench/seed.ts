/**
 * Seeds a Kith data directory with many CRM records, fast, for benchmarks.
 *
 *   const seeded = await seedDataDir(dir, { organizations: 20_000, people: 40_000, deals: 40_000 });
 *   seeded.key            // owner API key (created by the first-start bootstrap)
 *   seeded.ids.deals      // a sample of ids per collection, for GET-by-id load
 *
 * The first start (owner, `default` workspace, "Sales" pipeline, owner key) goes through the
 * domain services like a real server start. The bulk records are then inserted in one
 * transaction with prepared statements: the same row mapping as the store (server/store/records.ts),
 * one change-sequence value per record, and a `create` audit entry per record unless
 * `audit: false` — so the database looks like one that grew through the API, minus the time.
 */
import { createServices } from '../server/domain/services.js';
import { recordToRow } from '../server/store/records.js';
import { openStore } from '../server/store/store.js';
import type { CollectionName } from '../shared/collections.js';
import { newId } from '../shared/ids.js';

export interface SeedOptions {
  organizations?: number;
  people?: number;
  deals?: number;
  /** Write a `create` audit entry per record (default true). */
  audit?: boolean;
  /** How many ids per collection to return (default 1000). */
  sample?: number;
  /** Extra fields of each deal (custom values, computed fields as the server would store them), from the seeded PRNG. */
  dealExtra?: (rand: () => number, createdAt: string) => Record<string, unknown>;
}

export interface Seeded {
  key: string;
  workspaceId: string;
  pipelineId: string;
  stageIds: string[];
  counts: { organizations: number; people: number; deals: number };
  ids: { organizations: string[]; people: string[]; deals: string[] };
  seconds: number;
}

const WORDS = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Vandelay', 'Stark', 'Wayne', 'Tyrell', 'Cyberdyne', 'Soylent', 'Wonka', 'Oscorp', 'Aperture', 'Massive', 'Dynamic'];
const SUFFIX = ['Labs', 'Systems', 'Group', 'Partners', 'Holdings', 'Works', 'Industries', 'Studio'];
const FIRST = ['Ada', 'Grace', 'Alan', 'Linus', 'Margaret', 'Barbara', 'Ken', 'Dennis', 'Radia', 'Frances', 'Edsger', 'Donald', 'Tim', 'Vint'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Torvalds', 'Hamilton', 'Liskov', 'Thompson', 'Ritchie', 'Perlman', 'Allen', 'Dijkstra', 'Knuth', 'Berners-Lee', 'Cerf'];
const LABELS = ['vip', 'partner', 'churn-risk', 'enterprise', 'smb', 'eu', 'us', 'apac'];
const CURRENCIES = ['USD', 'USD', 'USD', 'EUR', 'GBP'];

/** Small deterministic PRNG so two runs seed the same shapes. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function seedDataDir(dataDir: string, options: SeedOptions = {}): Promise<Seeded> {
  const started = Date.now();
  const counts = { organizations: options.organizations ?? 20_000, people: options.people ?? 40_000, deals: options.deals ?? 40_000 };
  const sample = options.sample ?? 1000;
  const audit = options.audit ?? true;
  const rand = prng(42);
  const pick = <T>(list: T[]): T => list[Math.floor(rand() * list.length)];

  const store = await openStore(dataDir);
  try {
    const services = createServices(store);
    const first = await services.accounts.bootstrap();
    if (!first) throw new Error(`${dataDir} is not empty: seed a fresh data directory`);
    const workspaceId = first.workspace.id;
    const pipeline = store.raw.prepare(`select id from pipelines where workspaceId = ? and isDefault = 1`).get(workspaceId) as { id: string };
    const stageIds = (store.raw.prepare(`select id from stages where pipelineId = ? and deleted = 0 order by position`).all(pipeline.id) as { id: string }[]).map((s) => s.id);
    const ownerId = first.user.id;
    const keyId = (store.raw.prepare(`select id from apiKeys where userId = ?`).get(ownerId) as { id: string }).id;

    const raw = store.raw;
    const inserts = new Map<CollectionName, { run(row: Record<string, unknown>): unknown }>();
    const insert = (collection: CollectionName, record: Record<string, unknown>) => {
      const row = recordToRow(collection, record);
      let statement = inserts.get(collection);
      if (!statement) {
        const columns = Object.keys(row);
        statement = raw.prepare(`insert into "${collection}" (${columns.map((c) => `"${c}"`).join(', ')}) values (${columns.map((c) => `@${c}`).join(', ')})`);
        inserts.set(collection, statement);
      }
      statement.run(row);
    };
    const auditInsert = raw.prepare(
      `insert into auditEntries (id, workspaceId, entityType, entityId, action, before, after, changedFields, detail, actorUserId, actorKeyId, source, at)
       values (?, ?, ?, ?, 'create', null, ?, '[]', null, ?, ?, 'rest', ?)`,
    );
    let version = (raw.prepare(`select value from changeSequence`).get() as { value: number }).value;
    const base = Date.now() - 365 * 24 * 3600 * 1000;
    const stamp = (i: number, total: number) => new Date(base + Math.floor((i / total) * 364 * 24 * 3600 * 1000)).toISOString();
    const ids = { organizations: [] as string[], people: [] as string[], deals: [] as string[] };
    const keep = (list: string[], id: string, i: number, total: number) => {
      if (list.length < sample && i % Math.max(1, Math.floor(total / sample)) === 0) list.push(id);
    };
    const write = (collection: CollectionName, entityType: string, record: Record<string, unknown>) => {
      insert(collection, record);
      if (audit) auditInsert.run(newId(), workspaceId, entityType, record.id, JSON.stringify(record), ownerId, keyId, record.createdAt);
    };
    const common = (at: string) => ({ workspaceId, createdAt: at, updatedAt: at, version: ++version, archivedAt: null, custom: {} });

    const orgIds: string[] = [];
    const personIds: string[] = [];
    raw.transaction(() => {
      for (let i = 0; i < counts.organizations; i++) {
        const id = newId();
        const name = `${pick(WORDS)} ${pick(SUFFIX)} ${i}`;
        const domain = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.example`;
        write('organizations', 'organization', {
          id,
          ...common(stamp(i, counts.organizations)),
          name,
          website: `https://www.${domain}`,
          domain,
          notes: rand() < 0.3 ? 'Met at a conference; follow up next quarter.' : null,
          labels: rand() < 0.4 ? [pick(LABELS)] : [],
          ownerId,
        });
        orgIds.push(id);
        keep(ids.organizations, id, i, counts.organizations);
      }
      for (let i = 0; i < counts.people; i++) {
        const id = newId();
        const first = pick(FIRST);
        const last = pick(LAST);
        write('people', 'person', {
          id,
          ...common(stamp(i, counts.people)),
          name: `${first} ${last}`,
          email: `${first}.${last}.${i}@example.com`.toLowerCase(),
          phone: rand() < 0.5 ? `+1 555 ${String(i).padStart(7, '0')}` : null,
          title: rand() < 0.6 ? pick(['CEO', 'CTO', 'Head of Sales', 'Engineer', 'Buyer']) : null,
          organizationId: orgIds.length ? pick(orgIds) : null,
          notes: null,
          labels: rand() < 0.3 ? [pick(LABELS)] : [],
          ownerId,
        });
        personIds.push(id);
        keep(ids.people, id, i, counts.people);
      }
      for (let i = 0; i < counts.deals; i++) {
        const id = newId();
        const at = stamp(i, counts.deals);
        const status = rand() < 0.7 ? 'open' : rand() < 0.5 ? 'won' : 'lost';
        const stageId = pick(stageIds);
        const amount = Math.round(rand() * 10_000_000) / 100;
        const currency = pick(CURRENCIES);
        const deal = {
          id,
          ...common(at),
          title: `${pick(WORDS)} ${pick(['renewal', 'expansion', 'pilot', 'license', 'services'])} ${i}`,
          organizationId: orgIds.length ? pick(orgIds) : null,
          primaryPersonId: personIds.length ? pick(personIds) : null,
          pipelineId: pipeline.id,
          stageId,
          amount,
          currency,
          valuePeriod: pick(['one_time', 'one_time', 'monthly', 'annual']),
          probability: rand() < 0.2 ? Math.round(rand() * 100) / 100 : null,
          expectedCloseDate: rand() < 0.5 ? at.slice(0, 10) : null,
          status,
          wonAt: status === 'won' ? at : null,
          lostAt: status === 'lost' ? at : null,
          lostReason: status === 'lost' ? 'price' : null,
          linkedProjectId: null,
          notes: null,
          labels: rand() < 0.3 ? [pick(LABELS)] : [],
          ownerId,
          stageEnteredAt: at,
          ...options.dealExtra?.(rand, at),
        };
        write('deals', 'deal', deal);
        // the stage change the server would have written for the deal's first stage
        insert('stageChanges', {
          id: newId(),
          ...common(at),
          dealId: id,
          pipelineId: pipeline.id,
          fromStageId: null,
          toStageId: stageId,
          amount,
          currency,
          changedAt: at,
          actorId: ownerId,
          source: 'rest',
        });
        keep(ids.deals, id, i, counts.deals);
      }
      raw.prepare(`update changeSequence set value = ?`).run(version);
    })();
    raw.pragma('optimize');
    return { key: first.key, workspaceId, pipelineId: pipeline.id, stageIds, counts, ids, seconds: (Date.now() - started) / 1000 };
  } finally {
    await store.close();
  }
}
