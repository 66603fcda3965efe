/**
 * The deals table (issue 15, item 2) in a real Chromium with 2,000 seeded deals: it lists them all
 * (a window of rows in the DOM), sorts by amount across every deal, filters by status and search,
 * and edits a cell in place (amount, stage) — the change is saved locally, synced and on the
 * server; Esc leaves a cell unchanged. Screenshot: deals-table.png.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { seedDataDir } from '../../bench/seed.js';
import { startTestServer, tempDataDir, type TestServer } from '../helpers/server.js';
import { assertWebBuilt, eventually, launchBrowser, newPage, screenshot, waitForSynced, WEB_DIR } from './helpers.js';

const DEALS = 2_000;

let server: TestServer;
let browser: Browser;
let page: Page;
let key: string;

beforeAll(async () => {
  assertWebBuilt();
  const dataDir = tempDataDir();
  const seeded = await seedDataDir(dataDir, { organizations: 100, people: 200, deals: DEALS, audit: false, sample: 10 });
  key = seeded.key;
  server = await startTestServer({ dataDir, uiDir: WEB_DIR });
  browser = await launchBrowser();
  ({ page } = await newPage(browser));
  page.setDefaultTimeout(30_000);
  await page.goto(server.url + '/');
  await page.getByTestId('signin-key').fill(key);
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('app-shell').waitFor();
  await waitForSynced(page, 120_000);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const api = (method: string, path: string, body?: unknown) => server.api(method, path, body, { key });

/** Every deal of a status from the REST API. */
async function allDeals(status: string): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  do {
    const res = await api('GET', `/crm/deals?status=${status}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(...res.body.data);
    cursor = res.body.nextCursor;
  } while (cursor);
  return out;
}

const firstRowName = async () => (await page.locator('[data-testid^="deals-row-"]').first().locator('[data-row-name]').textContent())?.trim();

describe('the deals table', () => {
  test('lists every open deal with a window of rows in the DOM, and sorts by amount over all of them', async () => {
    const open = await allDeals('open');
    await page.getByTestId('deals-table-link').click();
    await page.waitForURL(/\/deals$/);
    await eventually(async () => (await page.getByTestId('deals-count').textContent()) === open.length.toLocaleString('en-US'), { timeout: 60_000, message: `${open.length} open deals counted` });
    const rendered = await page.locator('[data-testid^="deals-row-"]').count();
    assert.ok(rendered > 5 && rendered < 80, `a window of rows, not ${open.length} (got ${rendered})`);

    const sameCurrency = open.filter((d) => d.currency === open[0].currency && d.amount != null);
    assert.ok(sameCurrency.length > 10);
    await page.getByRole('button', { name: 'Amount', exact: true }).click(); // ascending
    await page.getByRole('button', { name: 'Amount', exact: true }).click(); // descending
    const top = [...open].filter((d) => d.amount != null).sort((a, b) => (a.currency === b.currency ? b.amount - a.amount : a.currency < b.currency ? 1 : -1))[0];
    await eventually(async () => (await firstRowName()) === top.title, { message: `the largest amount (${top.title}) first` });
    await screenshot(page, 'deals-table');
  });

  test('filters by status and search', async () => {
    const won = await allDeals('won');
    await page.getByTestId('deals-status').getByText('Won', { exact: true }).click();
    await eventually(async () => (await page.getByTestId('deals-count').textContent()) === won.length.toLocaleString('en-US'), { message: `${won.length} won deals` });
    await page.getByTestId('deals-status').getByText('Open', { exact: true }).click();
    const open = await allDeals('open');
    const target = open[Math.floor(open.length / 2)];
    await page.getByTestId('deals-search').fill(target.title);
    await eventually(async () => (await firstRowName()) === target.title, { message: 'the searched deal shown' });
  });

  test('edits the amount and the stage in place; Esc keeps the value', async () => {
    const target = (await allDeals('open')).find((d) => d.amount != null)!;
    await page.getByTestId('deals-search').fill(target.title);
    await eventually(async () => (await firstRowName()) === target.title, { message: 'the deal in view' });
    const row = page.locator('[data-testid^="deals-row-"]').first();

    await row.getByTestId(`edit-amount of ${target.title}`).click();
    const input = page.getByLabel(`Amount of ${target.title}`);
    await input.fill('4321');
    await input.press('Escape');
    assert.equal((await api('GET', `/crm/deals/${target.id}`)).body.amount, target.amount, 'Esc saves nothing');

    await row.getByTestId(`edit-amount of ${target.title}`).click();
    await page.getByLabel(`Amount of ${target.title}`).fill('4321');
    await page.getByLabel(`Amount of ${target.title}`).press('Enter');
    await eventually(async () => (await api('GET', `/crm/deals/${target.id}`)).body.amount === 4321, { message: 'the amount on the server' });

    const stages = (await api('GET', `/crm/pipelines/${target.pipelineId}/stages`)).body.data as { id: string; name: string }[];
    const next = stages.find((s) => s.id !== target.stageId)!;
    await row.getByTestId(`edit-stage of ${target.title}`).click();
    await page.getByRole('option', { name: next.name, exact: true }).click();
    await eventually(async () => (await api('GET', `/crm/deals/${target.id}`)).body.stageId === next.id, { message: `moved to ${next.name} on the server` });
    await eventually(async () => new RegExp(next.name).test((await row.textContent()) ?? ''), { message: `the row shows ${next.name}` });
  });
});
