/**
 * The client data layer on its real storage (RxDB + Dexie/IndexedDB) in headless Chromium,
 * against a real server: fresh pull, offline edits that arrive after reconnecting, pending
 * writes that survive a reload, and live changes from REST.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { dumpServer, waitFor } from '../integration/sync-helpers.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './helpers.js';
import { buildHarness } from './sync-harness.js';

type Status = { state: string; pending: number; error: string | null };

async function openPage(browser: Browser, server: TestServer, key: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[browser pageerror] ${error.message}`));
  await page.goto(server.url + '/');
  await page.waitForFunction(() => 'kithData' in window);
  await page.evaluate((k) => (window as any).kithData.open(k), key);
  return { context, page };
}

const status = (page: Page) => page.evaluate(() => (window as any).kithData.state.status as Status);
const pageDump = (page: Page) => page.evaluate(() => (window as any).kithData.dump());

async function waitPageSynced(page: Page, timeout = 20_000) {
  await page.waitForFunction(
    () => {
      const s = (window as any).kithData.state.status;
      return s && s.state === 'online' && s.pending === 0;
    },
    undefined,
    { timeout },
  );
}

async function waitSameAsServer(page: Page, server: TestServer, workspaceId: string) {
  let last = '';
  await waitFor(async () => {
    const [c, s] = await Promise.all([pageDump(page), dumpServer(server.services, workspaceId)]);
    last = `client ${Object.entries(c)
      .map(([k, v]) => `${k}=${(v as unknown[]).length}`)
      .join(',')} server ${Object.entries(s)
      .map(([k, v]) => `${k}=${v.length}`)
      .join(',')}`;
    return JSON.stringify(c) === JSON.stringify(s);
  }, 'browser store equal to the server').catch((e) => {
    throw new Error(`${(e as Error).message} (${last})`);
  });
}

describe('sync in headless Chromium on Dexie (IndexedDB)', () => {
  let server: TestServer;
  let browser: Browser;
  let uiDir: string;
  let workspaceId: string;
  let dealId: string;

  beforeAll(async () => {
    uiDir = await buildHarness();
    server = await startTestServer({ uiDir });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
    workspaceId = (await server.api('GET', '/crm')).body.workspace.id;
    const org = (await server.api('POST', '/crm/organizations', { name: 'Globex', website: 'globex.example', labels: ['enterprise'] })).body;
    const person = (await server.api('POST', '/crm/people', { name: 'Hank Scorpio', organizationId: org.id })).body;
    for (let i = 0; i < 40; i++) await server.api('POST', '/crm/organizations', { name: `Org ${i}` });
    dealId = (await server.api('POST', '/crm/deals', { title: 'Globex hammock order', amount: 99999.99, organizationId: org.id, primaryPersonId: person.id })).body.id;
    await server.api('POST', '/crm/activities', { type: 'meeting', subject: 'Volcano visit', dealId });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    fs.rmSync(uiDir, { recursive: true, force: true });
  });

  test('a fresh browser client pulls everything into IndexedDB', async () => {
    const { context, page } = await openPage(browser, server, server.key);
    try {
      await waitPageSynced(page);
      await waitSameAsServer(page, server, workspaceId);
      const counts = await page.evaluate(() => (window as any).kithData.counts());
      assert.equal(counts.organizations, 41);
      assert.equal(counts.stages, 4);
      assert.equal(counts.stageChanges, 1);
      const storage = await page.evaluate(() => (window as any).kithData.state.store.db.storage.name);
      assert.equal(storage, 'dexie');
    } finally {
      await context.close();
    }
  });

  test('offline in the browser: edits wait, survive a reload, and reach the server when the network returns', async () => {
    const { context, page } = await openPage(browser, server, server.key);
    try {
      await waitPageSynced(page);
      await context.setOffline(true);
      await page.waitForFunction(() => (window as any).kithData.state.status?.state === 'offline');
      const created = await page.evaluate(async (id) => {
        const store = (window as any).kithData.state.store;
        const org = await store.create('organizations', { name: 'Offline Browser Org' });
        await store.create('people', { name: 'Browser Person', organizationId: org.id });
        await store.update('deals', id, { title: 'Hammocks (edited offline)', status: 'won' });
        return org.id as string;
      }, dealId);
      assert.equal((await status(page)).pending, 3);
      assert.equal((await status(page)).state, 'offline');

      // reload: the writes are in IndexedDB and still counted as pending while /sync stays unreachable
      await page.evaluate(() => (window as any).kithData.close());
      await context.setOffline(false);
      await page.route('**/sync/**', (route) => route.abort('internetdisconnected'));
      await page.reload();
      await page.waitForFunction(() => 'kithData' in window);
      await page.evaluate((k) => (window as any).kithData.open(k), server.key);
      await page.waitForFunction(() => (window as any).kithData.state.status?.state === 'offline');
      assert.equal((await status(page)).pending, 3, 'the pending count survives the reload');
      assert.equal((await server.api('GET', `/crm/deals/${dealId}`)).body.title, 'Globex hammock order');
      await page.unroute('**/sync/**');
      await page.evaluate(() => (window as any).kithData.state.store.reconnect());
      await waitPageSynced(page);
      await waitSameAsServer(page, server, workspaceId);
      const deal = (await server.api('GET', `/crm/deals/${dealId}`)).body;
      assert.equal(deal.title, 'Hammocks (edited offline)');
      assert.equal(deal.status, 'won');
      assert.notEqual(deal.wonAt, null);
      assert.equal((await server.api('GET', `/crm/organizations/${created}`)).body.name, 'Offline Browser Org');
    } finally {
      await context.close();
    }
  });

  test('a first load cut off by a reload resumes at the page it reached, on IndexedDB', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(`${r.method()} ${new URL(r.url()).pathname}${new URL(r.url()).search}`));
    const orgPulls = () => requests.filter((r) => r.startsWith('GET /sync/organizations/pull'));
    try {
      // slow organization pages, so the reload lands in the middle of them
      await page.route('**/sync/organizations/pull**', async (route) => {
        await new Promise((r) => setTimeout(r, 200));
        await route.continue().catch(() => undefined);
      });
      await page.goto(server.url + '/');
      await page.waitForFunction(() => 'kithData' in window);
      await page.evaluate((k) => (window as any).kithData.open(k, undefined, { pullBatchSize: 10 }), server.key);
      await waitFor(() => orgPulls().length >= 3, 'three pages of organizations requested');
      await page.unroute('**/sync/organizations/pull**');
      requests.length = 0;
      await page.reload();
      await page.waitForFunction(() => 'kithData' in window);
      await page.evaluate((k) => (window as any).kithData.open(k, undefined, { pullBatchSize: 10 }), server.key);
      await waitPageSynced(page);
      await waitSameAsServer(page, server, workspaceId);
      const first = new URL(orgPulls()[0].split(' ')[1], server.url);
      assert.ok(Number(first.searchParams.get('checkpoint')) > 0, `the load went on from a saved page: ${orgPulls()[0]}`);
      assert.deepEqual(
        requests.filter((r) => r.startsWith('POST /sync/')),
        [],
        'nothing loaded was pushed back',
      );
    } finally {
      await context.close();
    }
  });

  test('a write over REST appears in the browser client live', async () => {
    const { context, page } = await openPage(browser, server, server.key);
    try {
      await waitPageSynced(page);
      await server.api('PATCH', `/crm/deals/${dealId}`, { notes: 'pushed from REST' });
      await page.waitForFunction(
        async (id) => {
          const doc = await (window as any).kithData.state.store.db.collections.deals.findOne(id).exec();
          return doc?.get('notes') === 'pushed from REST';
        },
        dealId,
        { timeout: 5000 },
      );
    } finally {
      await context.close();
    }
  });
});
