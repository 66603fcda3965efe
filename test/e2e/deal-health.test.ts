/**
 * Deal health on the board (issue 15, item 4) in a real Chromium: each open card shows its days in
 * the stage and its next step — an overdue follow-up in red, the next one's date, or "no next
 * step" — and the navigation counts the overdue follow-ups; completing the follow-up clears both
 * (synced from the server). Cards keep their fixed height. Screenshot: deal-health.png.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { eventually, launchBrowser, newPage, screenshot, signIn, startAppServer } from './helpers.js';

let server: TestServer;
let browser: Browser;
let page: Page;
const ids: Record<string, string> = {};
let overdueFollowUp: string;

beforeAll(async () => {
  server = await startAppServer();
  for (const title of ['Overdue deal', 'Planned deal', 'Idle deal']) ids[title] = (await server.api('POST', '/crm/deals', { title, amount: 1000 })).body.id;
  const day = 86_400_000;
  overdueFollowUp = (await server.api('POST', '/crm/activities', { type: 'follow_up', subject: 'Send the quote', dealId: ids['Overdue deal'], dueAt: new Date(Date.now() - day).toISOString() })).body
    .id;
  await server.api('POST', '/crm/activities', { type: 'follow_up', subject: 'Demo', dealId: ids['Planned deal'], dueAt: new Date(Date.now() + 3 * day).toISOString() });
  // a completed follow-up is no next step
  await server.api('POST', '/crm/activities', {
    type: 'follow_up',
    subject: 'Old call',
    dealId: ids['Idle deal'],
    dueAt: new Date(Date.now() - 2 * day).toISOString(),
    completedAt: new Date().toISOString(),
  });
  browser = await launchBrowser();
  ({ page } = await newPage(browser));
  await signIn(page, server.url, server.key);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const card = (title: string) => page.getByTestId(`deal-card-${ids[title]}`);
const nextStep = async (title: string) => card(title).locator('[data-next-step]').getAttribute('data-next-step');

describe('deal health', () => {
  test('cards show days in stage and the next step; the navigation counts overdue follow-ups', async () => {
    await eventually(async () => (await nextStep('Overdue deal')) === 'overdue', { message: 'the overdue follow-up on its card' });
    assert.equal(await nextStep('Planned deal'), 'scheduled');
    assert.match((await card('Planned deal').locator('[data-next-step]').textContent())!, /\w{3} \d+/, 'the date of the next follow-up');
    assert.equal(await nextStep('Idle deal'), 'none');
    assert.match((await card('Idle deal').textContent())!, /no next step/);
    for (const title of Object.keys(ids)) assert.equal(await card(title).locator('[data-days-in-stage]').getAttribute('data-days-in-stage'), '0', `${title}: entered its stage today`);
    assert.equal((await page.getByTestId('nav-overdue').textContent())?.trim(), '1');
    const heights = await page.locator('[data-testid^="deal-card-"]').evaluateAll((cards) => cards.map((c) => c.getBoundingClientRect().height));
    assert.ok(
      heights.every((h) => h === heights[0]),
      `cards keep one height (${heights.join(', ')})`,
    );
    await screenshot(page, 'deal-health');
  });

  test('completing the overdue follow-up clears the mark and the count', async () => {
    assert.equal((await server.api('PATCH', `/crm/activities/${overdueFollowUp}`, { completedAt: new Date().toISOString() })).status, 200);
    await eventually(async () => (await nextStep('Overdue deal')) === 'none', { message: 'no next step once done' });
    await page.getByTestId('nav-overdue').waitFor({ state: 'detached' });
  });
});
