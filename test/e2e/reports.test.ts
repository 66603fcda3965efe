/**
 * Reports (issue 15, item 3) in a real Chromium against a real server: seeded deals, stage moves,
 * wins and losses and activities render as four charts computed from the local store; the
 * forecast's table view holds, per month and currency, the weighted totals the test computes
 * itself, and per currency their total; the page keeps working offline. Screenshots: reports.png, reports-forecast-table.png.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { eventually, launchBrowser, navigate, newPage, screenshot, signIn, startAppServer, waitForSynced } from './helpers.js';

let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;

/** Open deals with an expected close date, as [amount, currency, probability, months from now]. */
const OPEN: [number, string, number, number][] = [
  [1000, 'USD', 0.25, 1],
  [2000, 'USD', 0.5, 1],
  [400, 'USD', 0.1, 2],
  [3000, 'EUR', 0.2, 1],
  [750, 'USD', 0.8, 3],
];

const monthFromNow = (n: number) => {
  const d = new Date();
  d.setUTCDate(15);
  d.setUTCMonth(d.getUTCMonth() + n);
  return d.toISOString().slice(0, 10);
};

beforeAll(async () => {
  server = await startAppServer();
  for (const [amount, currency, probability, months] of OPEN) {
    const r = await server.api('POST', '/crm/deals', { title: `Deal ${amount} ${currency}`, amount, currency, probability, expectedCloseDate: monthFromNow(months) });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  // closed deals and a stage move for the win-rate and pipeline charts, activities for the last one
  const won = (await server.api('POST', '/crm/deals', { title: 'Won one', amount: 500 })).body;
  await server.api('PATCH', `/crm/deals/${won.id}`, { stage: 'Qualified' });
  await server.api('PATCH', `/crm/deals/${won.id}`, { status: 'won' });
  const lost = (await server.api('POST', '/crm/deals', { title: 'Lost one', amount: 800 })).body;
  await server.api('PATCH', `/crm/deals/${lost.id}`, { status: 'lost', lostReason: 'price' });
  for (const type of ['call', 'note', 'meeting']) await server.api('POST', '/crm/activities', { type, subject: `A ${type}`, dealId: won.id });
  browser = await launchBrowser();
  ({ context, page } = await newPage(browser, { serviceWorkers: 'allow' }));
  await signIn(page, server.url, server.key);
  await waitForSynced(page);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('reports', () => {
  test('four charts from the local data; the forecast table holds the weighted sums per month and currency, and their total per currency', async () => {
    await navigate(page, '/reports');
    for (const id of ['pipeline', 'win-rate', 'forecast', 'activities']) {
      await page.getByTestId(`report-${id}`).locator('.recharts-surface').first().waitFor();
    }
    await screenshot(page, 'reports');

    const forecast = page.getByTestId('report-forecast');
    await forecast.getByText('Table', { exact: true }).click();
    const expected = new Map<string, number>();
    for (const [amount, currency, probability, months] of OPEN) {
      const key = `${monthFromNow(months).slice(0, 7)}-${currency}`;
      expected.set(key, (expected.get(key) ?? 0) + amount * probability);
    }
    for (const [key, weighted] of expected) {
      const cell = forecast.getByTestId(`forecast-${key}`).locator('[data-weighted]');
      assert.equal(Number(await cell.getAttribute('data-weighted')), weighted, `weighted forecast of ${key}`);
    }
    const rows = await forecast.locator('[data-testid^="forecast-"]').count();
    assert.equal(rows, expected.size, 'one row per month and currency, nothing else');
    // the total per currency: the sum the test computes (to the money scale, 4 decimals)
    const totals = new Map<string, number>();
    for (const [amount, currency, probability] of OPEN) totals.set(currency, (totals.get(currency) ?? 0) + amount * probability);
    for (const [currency, total] of totals) {
      const cell = forecast.getByTestId(`total-forecast-${currency}`).locator('[data-weighted]');
      assert.equal(Number(await cell.getAttribute('data-weighted')).toFixed(4), total.toFixed(4), `forecast total in ${currency}`);
    }
    assert.equal(await forecast.locator('[data-testid^="total-forecast-"]').count(), totals.size, 'one total per currency');
    await screenshot(page, 'reports-forecast-table');

    // the win-rate table: one won and one lost this month
    const winRate = page.getByTestId('report-win-rate');
    await winRate.getByText('Table', { exact: true }).click();
    const thisMonth = new Date().toISOString().slice(0, 7);
    const row = winRate.getByRole('row', { name: new RegExp(`^${thisMonth}`) });
    assert.match((await row.textContent())!, /1\s*1\s*50%/);
  });

  test('offline, the reports still come from the local store', async () => {
    await context.setOffline(true);
    try {
      await page.reload();
      await page.getByTestId('report-forecast').locator('.recharts-surface').first().waitFor();
      await eventually(async () => (await page.getByTestId('report-activities').locator('.recharts-surface').count()) > 0, { message: 'activities chart offline' });
    } finally {
      await context.setOffline(false);
    }
  });
});
