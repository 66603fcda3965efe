/**
 * Sync benchmark (prints figures; asserts nothing):
 *   1. a fresh client pulling 100,000 records (mixed collections) into RxDB-Dexie in headless
 *      Chromium, through /sync;
 *   2. the same documents bulkInserted straight into a fresh RxDB-Dexie database (the client-side
 *      limit), in the same browser;
 *   3. the raw cost of serving the pulls (HTTP + server + JSON, no client storage);
 *   4. a 1,000-edit offline backlog pushing once the network returns;
 *   5. the self-check's digest comparison of the whole workspace (server side: the digest routes;
 *      client side: the local scan and comparison in the page);
 *   6. a burst of 1,000 server writes while the client is connected: how many pulls the stream's
 *      RESYNC pokes cause (before the dropped-RESYNC fix, stream events carried the documents and
 *      caused no pull).
 *
 * Run: npx tsx bench/sync.ts   (KITH_BENCH_RECORDS=20000 for a quicker run)
 */
import fs from 'node:fs';
import { chromium } from 'playwright-core';
import { COLLECTION_NAMES } from '../shared/collections.js';
import { PULL_MAX_LIMIT } from '../shared/sync.js';
import { startTestServer, tempDataDir } from '../test/helpers/server.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/e2e/helpers.js';
import { buildHarness } from '../test/e2e/sync-harness.js';
import { seedDataDir } from './seed.js';

const TOTAL = Number(process.env.KITH_BENCH_RECORDS ?? 100_000);
const BACKLOG = 1000;
const ms = (n: number) => `${(n / 1000).toFixed(2)} s`;
const line = (label: string, value: string, note = '') => console.log(`${label.padEnd(58)} ${value.padStart(10)}   ${note}`);

const dataDir = tempDataDir('kith-bench-sync-');
const counts = { organizations: Math.round(TOTAL * 0.3), people: Math.round(TOTAL * 0.4), deals: TOTAL - Math.round(TOTAL * 0.3) - Math.round(TOTAL * 0.4) };
const seeded = await seedDataDir(dataDir, { ...counts, audit: false });
const uiDir = await buildHarness();
const server = await startTestServer({ dataDir, uiDir });
const key = seeded.key;
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
console.log(
  `Kith sync bench: ${TOTAL.toLocaleString('en')} records (${Object.entries(counts)
    .map(([k, v]) => `${v.toLocaleString('en')} ${k}`)
    .join(', ')}) seeded in ${seeded.seconds.toFixed(1)} s`,
);

try {
  // ---- 3. server side alone: every pull page over HTTP, parsed
  let serverMs = 0;
  let docsServed = 0;
  {
    const started = performance.now();
    for (const c of COLLECTION_NAMES) {
      let checkpoint = 0;
      for (;;) {
        const res = await fetch(`${server.url}/sync/${c}/pull?checkpoint=${checkpoint}&limit=${PULL_MAX_LIMIT}`, { headers: { authorization: `Bearer ${key}` } });
        const body = (await res.json()) as { documents: unknown[]; checkpoint: { sequence: number } };
        docsServed += body.documents.length;
        checkpoint = body.checkpoint.sequence;
        if (body.documents.length < PULL_MAX_LIMIT) break;
      }
    }
    serverMs = performance.now() - started;
  }

  // ---- 1. fresh client pull into Dexie
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[browser] ${e.message}`));
  await page.goto(server.url + '/');
  await page.waitForFunction(() => 'kithData' in window);
  const pullMs = await page.evaluate(async (k) => {
    const h = (window as any).kithData;
    const started = performance.now();
    await h.open(k);
    await h.waitSynced();
    return performance.now() - started;
  }, key);
  const pulled = await page.evaluate(() => (window as any).kithData.counts());
  const pulledTotal = Object.values(pulled as Record<string, number>).reduce((a, b) => a + b, 0);

  // ---- 5. the self-check over the whole workspace
  let digestServerMs = 0;
  for (const c of COLLECTION_NAMES) {
    const started = performance.now();
    const res = await fetch(`${server.url}/sync/${c}/digest`, { headers: { authorization: `Bearer ${key}` } });
    await res.json();
    digestServerMs += performance.now() - started;
  }
  const verify = await page.evaluate(async () => {
    const store = (window as any).kithData.state.store;
    const started = performance.now();
    const results = await store.verify();
    return { ms: performance.now() - started, outcomes: Object.values(results).map((r: any) => r.outcome) };
  });

  // ---- 6. a burst of 1,000 server writes: pulls caused by the stream's pokes
  const BURST = 1000;
  let pulls = 0;
  const countPulls = (req: { url(): string }) => {
    if (/\/sync\/[a-zA-Z]+\/pull/.test(req.url())) pulls++;
  };
  page.on('request', countPulls);
  const burstDeals = (await server.api('GET', `/crm/deals?limit=500`, undefined, { key })).body.data as { id: string }[];
  const burstStarted = performance.now();
  for (let i = 0; i < BURST; i += 10) {
    await Promise.all(Array.from({ length: 10 }, (_, j) => server.api('PATCH', `/crm/deals/${burstDeals[(i + j) % burstDeals.length].id}`, { notes: `burst ${i + j}` }, { key })));
  }
  const restMs = performance.now() - burstStarted;
  const lastNote = `burst ${BURST - 1}`;
  const lastId = burstDeals[(BURST - 1) % burstDeals.length].id;
  await page.waitForFunction(
    async ({ id, note }) => (await (window as any).kithData.state.store.db.collections.deals.findOne(id).exec())?.get('notes') === note,
    { id: lastId, note: lastNote },
    { timeout: 120_000, polling: 50 },
  );
  const burstMs = performance.now() - burstStarted;
  page.off('request', countPulls);

  // ---- 2. the same documents bulkInserted straight into a fresh RxDB-Dexie database
  const insertContext = await browser.newContext();
  const insertPage = await insertContext.newPage();
  await insertPage.goto(server.url + '/');
  await insertPage.waitForFunction(() => 'kithData' in window);
  const insertMs = await insertPage.evaluate(
    async ({ k, limit }) => {
      const h = (window as any).kithData;
      return h.bulkInsertFresh(await h.pullAll(k, limit));
    },
    { k: key, limit: PULL_MAX_LIMIT },
  );
  await insertContext.close();

  // ---- 4. offline backlog of 1,000 edits, pushed when the network returns
  await context.setOffline(true);
  await page.waitForFunction(() => (window as any).kithData.state.status?.state === 'offline');
  const editMs = await page.evaluate(
    async ({ n }) => {
      const store = (window as any).kithData.state.store;
      const deals = await store.db.collections.deals.find({ limit: n }).exec();
      const started = performance.now();
      for (const d of deals) await store.update('deals', d.get('id'), { notes: `offline edit ${Date.now()}` });
      return performance.now() - started;
    },
    { n: BACKLOG },
  );
  const pendingBefore = await page.evaluate(() => (window as any).kithData.state.status.pending);
  const pushStarted = Date.now();
  await context.setOffline(false);
  await page.waitForFunction(
    () => {
      const s = (window as any).kithData.state.status;
      return s.state === 'online' && s.pending === 0;
    },
    undefined,
    { timeout: 300_000, polling: 20 },
  );
  const pushMs = Date.now() - pushStarted;
  const onServer = (await server.api('GET', '/crm/deals?limit=1&sort=-updatedAt', undefined, { key })).body.data[0];
  await page.evaluate(() => (window as any).kithData.close());
  await context.close();

  console.log('');
  line(
    'serve every pull page over HTTP (server + JSON, no client)',
    ms(serverMs),
    `${docsServed.toLocaleString('en')} docs, ${Math.round(docsServed / (serverMs / 1000)).toLocaleString('en')} docs/s`,
  );
  line(`fresh client pull into RxDB-Dexie (Chromium)`, ms(pullMs), `${pulledTotal.toLocaleString('en')} docs, ${Math.round(pulledTotal / (pullMs / 1000)).toLocaleString('en')} docs/s`);
  line(`bulkInsert the same docs into a fresh RxDB-Dexie db`, ms(insertMs), `client-side limit`);
  line(`pull ÷ straight insert`, `${(pullMs / insertMs).toFixed(2)}×`, `aim ≤ 1.3×`);
  line(`${BACKLOG} offline edits written locally`, ms(editMs), `pending ${pendingBefore}`);
  line(`${BACKLOG}-edit backlog pushed after reconnect (until pending 0)`, ms(pushMs), `server has "${String(onServer?.notes).slice(0, 30)}…"`);
  line(`self-check, server side: digest of every collection`, ms(digestServerMs), `${TOTAL.toLocaleString('en')} records`);
  line(`self-check, client side: verify() in the page`, ms(verify.ms), `${verify.outcomes.join(', ')} (includes the server digests)`);
  line(`${BURST} server writes over REST (10 at a time)`, ms(restMs), `the writes alone`);
  line(`… until the client has the last one`, ms(burstMs), `${pulls} pulls (${(pulls / BURST).toFixed(2)} per write; 0 before the fix)`);
} finally {
  await browser.close();
  await server.stop();
  fs.rmSync(uiDir, { recursive: true, force: true });
}
