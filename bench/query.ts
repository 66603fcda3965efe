/**
 * List query benchmark (issue 12): p50/p99 latency of filtered deal lists over 100,000 deals,
 * through a real server on loopback, one request at a time (latency, not throughput).
 *
 *   npx tsx bench/query.ts [--deals 100000] [--requests 300]
 *
 * The data directory is seeded fast (bench/seed.ts) with 100,000 deals: amounts, currencies,
 * statuses, stages, a custom `tier` value on each and the computed lastActivityAt /
 * nextFollowUpAt / stageEnteredAt as the server stores them (the activities behind them are not
 * seeded: the lists read the stored columns). The `tier` select field is then defined over REST,
 * which creates its expression index on the existing rows (server/store/customIndexes.ts).
 * Aim: p99 under 50 ms for each list.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startServer } from '../server/server.js';
import { seedDataDir } from './seed.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const DEALS = arg('deals', 100_000);
const REQUESTS = arg('requests', 300);
const TIERS = ['gold', 'silver', 'bronze', 'lead', 'partner', 'strategic', 'standard', 'trial'];
const DAY = 24 * 3600 * 1000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kith-bench-query-'));
  try {
    const now = Date.now();
    const seeded = await seedDataDir(dir, {
      organizations: 10_000,
      people: 20_000,
      deals: DEALS,
      audit: false,
      dealExtra: (rand, createdAt) => ({
        custom: { tier: TIERS[Math.floor(rand() * TIERS.length)] },
        lastActivityAt: rand() < 0.8 ? new Date(Date.parse(createdAt) + rand() * (now - Date.parse(createdAt))).toISOString() : null,
        nextFollowUpAt: rand() < 0.3 ? new Date(now + (rand() - 0.3) * 30 * DAY).toISOString() : null,
      }),
    });
    console.log(`seeded ${DEALS} deals in ${seeded.seconds.toFixed(1)} s`);
    const server = await startServer({ dataDir: dir, port: 0, host: '127.0.0.1', uiDir: null, log: null });
    const call = async (url: string, init: RequestInit = {}) => {
      const res = await fetch(`${server.url}${url}`, { ...init, headers: { authorization: `Bearer ${seeded.key}`, 'content-type': 'application/json' } });
      const body = (await res.json()) as Record<string, unknown>;
      if (res.status >= 300) throw new Error(`${url} → ${res.status} ${JSON.stringify(body)}`);
      return body;
    };
    try {
      const t0 = performance.now();
      await call('/crm/fields', {
        method: 'POST',
        body: JSON.stringify({ entity: 'deals', key: 'tier', label: 'Tier', type: 'select', options: TIERS.map((value) => ({ value })) }),
      });
      console.log(`defined custom field tier (its index built over ${DEALS} rows) in ${(performance.now() - t0).toFixed(0)} ms`);

      const fortnight = new Date(now - 14 * DAY).toISOString().slice(0, 10);
      const lists: [string, string][] = [
        ['standard: open, USD, amount ≥ 50,000, by amount', '/crm/deals?status=open&currency=USD&amount[gte]=50000&sort=-amount'],
        ['standard: one stage, by expected close', `/crm/deals?stageId=${seeded.stageIds[2]}&sort=expectedCloseDate`],
        ['computed: lastActivityAt < 14 days ago, latest first', `/crm/deals?lastActivityAt[lt]=${fortnight}&sort=-lastActivityAt`],
        ['computed: open follow-up due, soonest first', `/crm/deals?nextFollowUpAt[empty]=false&sort=nextFollowUpAt`],
        ['computed: sort by stageEnteredAt', '/crm/deals?sort=stageEnteredAt'],
        ['custom: tier = gold', '/crm/deals?custom.tier=gold'],
        ['custom + standard: tier = gold, open', '/crm/deals?custom.tier=gold&status=open'],
        ['count=true: open deals', '/crm/deals?status=open&count=true'],
        ['count=true: tier = gold', '/crm/deals?custom.tier=gold&count=true'],
        ['count=true: lastActivityAt < 14 days ago', `/crm/deals?lastActivityAt[lt]=${fortnight}&count=true`],
      ];
      console.log(`\n${REQUESTS} requests each (limit 50), one at a time\n`);
      console.log(`${'list'.padEnd(54)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'rows'.padStart(6)} ${'total'.padStart(7)}`);
      for (const [name, url] of lists) {
        let body = await call(url); // warm up
        for (let i = 0; i < 5; i++) body = await call(url);
        const times: number[] = [];
        for (let i = 0; i < REQUESTS; i++) {
          const t = performance.now();
          body = await call(url);
          times.push(performance.now() - t);
        }
        times.sort((a, b) => a - b);
        const rows = (body.data as unknown[]).length;
        const p99 = percentile(times, 99);
        console.log(
          `${name.padEnd(54)} ${percentile(times, 50).toFixed(1).padStart(8)} ${p99.toFixed(1).padStart(8)} ${String(rows).padStart(6)} ${String(body.total ?? '').padStart(7)}${p99 >= 50 ? '  (over 50 ms)' : ''}`,
        );
      }
    } finally {
      await server.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
