/**
 * Bulk selection and actions, and CSV export, in the record tables (SPEC §3 "Bulk operations",
 * §6; issue 13 items 2 and 4), in a real Chromium against a real server: rows are selected by
 * click, shift-click and space, Escape clears; a bulk archive shows the dry run's count, runs,
 * the rows leave the table and Undo brings them back (checked over REST too); "select all
 * matching" on a filtered table beyond the rows the virtualized table renders changes exactly the
 * matching records; "Export CSV" downloads the filtered, sorted rows with the visible columns.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { eventually, launchBrowser, navigate, newPage, screenshot, signIn, startAppServer, apiGet, apiPost } from './helpers.js';

let server: TestServer;
let browser: Browser;
let page: Page;
const ids: Record<string, string> = {};
/** "Lead 01" … "Lead 60": more than the virtualized table renders at once */
const leads: { id: string; name: string }[] = [];

const post = (path: string, body: unknown) => apiPost(server, path, body);
const get = (path: string) => apiGet(server, path);

const rowCount = async () => Number(await page.getByTestId('people-table').getAttribute('data-row-count'));

async function waitForRowCount(n: number): Promise<void> {
  await eventually(async () => (await rowCount()) === n, { message: `the people table to list ${n} rows (lists ${await rowCount()})` });
}

async function search(text: string): Promise<void> {
  await page.getByTestId('people-search').fill(text);
}

beforeAll(async () => {
  server = await startAppServer();
  await post('/crm/fields', {
    entity: 'people',
    key: 'tier',
    label: 'Tier',
    type: 'select',
    options: [
      { value: 'gold', label: 'Gold' },
      { value: 'silver', label: 'Silver' },
    ],
  });
  ids.ada = (await post('/crm/people', { name: 'Ada Lovelace', email: 'ada@example.org', labels: ['vip'] })).id;
  ids.grace = (await post('/crm/people', { name: 'Grace Hopper', email: 'grace@example.org' })).id;
  ids.alan = (await post('/crm/people', { name: 'Alan Turing', email: 'alan@example.org' })).id;
  ids.edsger = (await post('/crm/people', { name: 'Edsger Dijkstra', email: 'edsger@example.org' })).id;
  for (let i = 1; i <= 60; i++) {
    const name = `Lead ${String(i).padStart(2, '0')}`;
    const person = await post('/crm/people', { name, email: `lead${i}@leads.example`, title: i % 2 ? 'Buyer, "senior"' : null, custom: { tier: i % 3 ? 'silver' : 'gold' } });
    leads.push({ id: person.id, name });
  }
  for (let i = 1; i <= 15; i++) await post('/crm/people', { name: `Other ${i}`, email: `other${i}@others.example` });

  browser = await launchBrowser();
  ({ page } = await newPage(browser));
  page.setDefaultTimeout(20_000);
  await signIn(page, server.url, server.key);
  await navigate(page, '/people');
  await waitForRowCount(79);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('bulk selection and actions', () => {
  test('click, shift-click and space select rows; Escape clears', async () => {
    await search('example.org');
    await waitForRowCount(4);
    // sorted by name: Ada, Alan, Edsger, Grace
    await page.getByTestId(`select-${ids.ada}`).click();
    await page.getByTestId(`select-${ids.edsger}`).click({ modifiers: ['Shift'] });
    await page.getByTestId('bulk-count').filter({ hasText: '3 people selected' }).waitFor();
    assert.equal(await page.getByTestId(`select-${ids.alan}`).isChecked(), true, 'the range includes Alan');
    assert.equal(await page.getByTestId(`select-${ids.grace}`).isChecked(), false);
    // space on the focused box toggles its row; the row does not open
    await page.getByTestId(`select-${ids.grace}`).focus();
    await page.keyboard.press('Space');
    await page.getByTestId('bulk-count').filter({ hasText: '4 people selected' }).waitFor();
    assert.match(page.url(), /\/people$/);
    await page.getByTestId(`select-${ids.grace}`).focus();
    await page.keyboard.press('Escape');
    await page.getByTestId('bulk-bar').waitFor({ state: 'detached' });
  });

  test('a bulk archive shows the dry run count, archives, and Undo brings the rows back', async () => {
    await search('example.org');
    await waitForRowCount(4);
    await page.getByTestId(`select-${ids.ada}`).click();
    await page.getByTestId(`select-${ids.grace}`).click();
    await page.getByTestId('bulk-count').filter({ hasText: '2 people selected' }).waitFor();
    await page.getByTestId('bulk-archive').click();
    await page.getByTestId('bulk-dry-run').filter({ hasText: 'This will change 2 people.' }).waitFor();
    // the dry run changed nothing
    assert.equal((await get(`/crm/people/${ids.ada}`)).archivedAt, null);
    await screenshot(page, 'bulk-archive-dry-run');
    await page.getByTestId('bulk-confirm').filter({ hasText: 'Archive 2 people' }).click();

    await page.getByTestId('bulk-result').filter({ hasText: 'Archived 2 people.' }).waitFor();
    await page.getByTestId(`people-row-${ids.ada}`).waitFor({ state: 'detached' });
    await page.getByTestId(`people-row-${ids.grace}`).waitFor({ state: 'detached' });
    await waitForRowCount(2);
    assert.ok((await get(`/crm/people/${ids.ada}`)).archivedAt, 'Ada archived on the server');
    assert.ok((await get(`/crm/people/${ids.grace}`)).archivedAt, 'Grace archived on the server');
    const audit = await get(`/crm/audit?operationId=${encodeURIComponent((await lastOperation()) ?? '')}`);
    assert.equal(audit.data.length, 2, 'one audit entry per record, under one operation');
    await screenshot(page, 'bulk-archive-done');

    await page.getByTestId('bulk-undo').click();
    await page.getByTestId('bulk-result').filter({ hasText: 'Undone: 2 people changed back.' }).waitFor();
    await page.getByTestId(`people-row-${ids.ada}`).waitFor();
    await page.getByTestId(`people-row-${ids.grace}`).waitFor();
    await waitForRowCount(4);
    assert.equal((await get(`/crm/people/${ids.ada}`)).archivedAt, null);
    assert.equal((await get(`/crm/people/${ids.grace}`)).archivedAt, null);
    await page.getByTestId('bulk-result').getByRole('button', { name: 'Dismiss' }).click();
  });

  test('select all matching on a filtered table changes exactly the matching rows, beyond those rendered', async () => {
    await search('leads.example');
    await waitForRowCount(60);
    const rendered = await page.locator('[data-testid^="people-row-"]').count();
    assert.ok(rendered < 60, `the virtualized table renders fewer rows than match (${rendered})`);
    await page.getByTestId('select-all').click();
    await page.getByTestId('bulk-count').filter({ hasText: '60 people selected' }).waitFor();
    await page.getByTestId('bulk-more').click();
    await page.getByTestId('bulk-add-label').click();
    await page.getByTestId('bulk-label-input').fill('hot');
    await page.getByTestId('bulk-dry-run').filter({ hasText: 'This will change 60 people.' }).waitFor();
    await screenshot(page, 'bulk-add-label-dry-run');
    await page.getByTestId('bulk-confirm').click();
    await page.getByTestId('bulk-result').filter({ hasText: 'Labelled 60 people.' }).waitFor();

    const labelled = await get('/crm/people?label=hot&limit=200');
    assert.deepEqual(labelled.data.map((p: { id: string }) => p.id).sort(), leads.map((l) => l.id).sort(), 'exactly the matching people');
    await page.getByTestId('bulk-result').getByRole('button', { name: 'Dismiss' }).click();
  });
});

describe('export', () => {
  test('Export CSV downloads the filtered, sorted rows with the visible columns, custom ones included', async () => {
    await page.getByTestId('people-columns').click();
    await page.getByTestId('people-column-tier').click();
    await page.keyboard.press('Escape');
    await search('leads.example');
    await waitForRowCount(60);
    await page.getByTestId('sort-name').click(); // descending
    await eventually(async () => (await page.locator('[data-testid^="people-row-"] [data-row-name]').first().textContent()) === 'Lead 60', { message: 'Lead 60 first' });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('people-export').click()]);
    assert.match(download.suggestedFilename(), /^people-\d{4}-\d{2}-\d{2}\.csv$/);
    const text = fs.readFileSync((await download.path())!, 'utf8');
    const [header, ...rows] = parse(text, { bom: true }) as string[][];
    assert.deepEqual(header, ['ID', 'Name', 'Email', 'Title', 'Organization', 'Labels', 'Updated', 'Tier']);
    const expected = [...leads].reverse();
    assert.deepEqual(
      rows.map((r) => r[0]),
      expected.map((l) => l.id),
      'the rows the table shows, in its order',
    );
    const lead3 = rows.find((r) => r[1] === 'Lead 03')!;
    assert.deepEqual(lead3.slice(1, 6), ['Lead 03', 'lead3@leads.example', 'Buyer, "senior"', '', 'hot']);
    assert.equal(lead3[7], 'Gold');
    assert.equal(rows.find((r) => r[1] === 'Lead 04')![7], 'Silver');
    await screenshot(page, 'people-export');
  });
});

describe('deals, custom objects, offline', () => {
  test('deals: move the selected deals to a stage, by name, after the dry run', async () => {
    const a = await post('/crm/deals', { title: 'Bulk deal A', amount: 100 });
    const b = await post('/crm/deals', { title: 'Bulk deal B', amount: 200 });
    await navigate(page, '/deals');
    await page.getByTestId(`deals-row-${a.id}`).waitFor();
    await page.getByTestId(`select-${a.id}`).click();
    await page.getByTestId(`select-${b.id}`).click();
    await page.getByTestId('bulk-more').click();
    await page.getByTestId('bulk-move-stage').click();
    await page.getByTestId('bulk-stage-input').click();
    await page.getByRole('option', { name: 'Proposal' }).click();
    await page.getByTestId('bulk-dry-run').filter({ hasText: 'This will change 2 deals.' }).waitFor();
    await page.getByTestId('bulk-confirm').click();
    await page.getByTestId('bulk-result').filter({ hasText: 'Moved 2 deals.' }).waitFor();
    const stages = (await get(`/crm/pipelines/${a.pipelineId}/stages`)).data as { id: string; name: string }[];
    const proposal = stages.find((s) => s.name === 'Proposal')!;
    assert.equal((await get(`/crm/deals/${a.id}`)).stageId, proposal.id);
    assert.equal((await get(`/crm/deals/${b.id}`)).stageId, proposal.id);
    await page.getByTestId(`deals-row-${a.id}`).getByText('Proposal').waitFor();
    await screenshot(page, 'bulk-deals-moved');
    await page.getByTestId('bulk-result').getByRole('button', { name: 'Dismiss' }).click();
  });

  test('deals: marking the selected deals lost keeps the reason typed on each of them', async () => {
    const a = await post('/crm/deals', { title: 'Lost deal A', amount: 100 });
    const b = await post('/crm/deals', { title: 'Lost deal B', amount: 200 });
    await navigate(page, '/deals');
    await page.getByTestId(`deals-row-${a.id}`).waitFor();
    await page.getByTestId(`select-${a.id}`).click();
    await page.getByTestId(`select-${b.id}`).click();
    await page.getByTestId('bulk-more').click();
    await page.getByTestId('bulk-status').click();
    await page.getByTestId('bulk-status-input').click();
    await page.getByRole('option', { name: 'Lost' }).click();
    await page.getByTestId('bulk-lost-reason').fill('Went with a competitor');
    await page.getByTestId('bulk-dry-run').filter({ hasText: 'This will change 2 deals.' }).waitFor();
    await page.getByTestId('bulk-confirm').click();
    await page.getByTestId('bulk-result').filter({ hasText: 'Changed the status of 2 deals.' }).waitFor();
    for (const deal of [a, b]) {
      const stored = await get(`/crm/deals/${deal.id}`);
      assert.equal(stored.status, 'lost');
      assert.equal(stored.lostReason, 'Went with a competitor');
    }
    await page.getByTestId('bulk-result').getByRole('button', { name: 'Dismiss' }).click();
  });

  test("a custom object type's table: select all and archive through its bulk route", async () => {
    await post('/crm/objects', { key: 'project', singular: 'Project', plural: 'Projects' });
    const projects: string[] = [];
    for (const name of ['Apollo', 'Gemini']) projects.push((await post('/crm/objects/project/records', { name })).id);
    await navigate(page, '/objects/project');
    await page.getByTestId(`objects-project-row-${projects[1]}`).waitFor();
    await page.getByTestId('select-all').click();
    await page.getByTestId('bulk-archive').click();
    await page.getByTestId('bulk-dry-run').filter({ hasText: 'This will change 2 projects.' }).waitFor();
    await page.getByTestId('bulk-confirm').click();
    await page.getByTestId('bulk-result').filter({ hasText: 'Archived 2 projects.' }).waitFor();
    for (const id of projects) assert.ok((await get(`/crm/objects/project/records/${id}`)).archivedAt, 'archived on the server');
    await page.getByTestId(`objects-project-row-${projects[0]}`).waitFor({ state: 'detached' });
    await page.getByTestId('bulk-result').getByRole('button', { name: 'Dismiss' }).click();
  });

  test('offline, the actions are disabled saying why; export still works', async () => {
    await navigate(page, '/people');
    await search('example.org');
    await waitForRowCount(4);
    await page.context().setOffline(true);
    await eventually(async () => (await page.getByTestId('sync-indicator').getAttribute('data-state')) === 'offline', { message: 'offline indicator' });
    await page.getByTestId(`select-${ids.alan}`).click();
    const archive = page.getByTestId('bulk-archive');
    assert.equal(await archive.getAttribute('aria-disabled'), 'true');
    assert.equal(await archive.getAttribute('aria-description'), 'Bulk actions run on the server, and you are offline');
    await archive.click({ force: true });
    assert.equal(await page.getByTestId('bulk-dialog').count(), 0, 'no dialog offline');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('bulk-export').click()]);
    const [, ...rows] = parse(fs.readFileSync((await download.path())!, 'utf8'), { bom: true }) as string[][];
    assert.deepEqual(
      rows.map((r) => r[1]),
      ['Alan Turing'],
    );
    await screenshot(page, 'bulk-offline');
    await page.context().setOffline(false);
    await page.keyboard.press('Escape');
  });
});

/** The newest bulk operation's id, from the audit trail of Ada. */
async function lastOperation(): Promise<string | null> {
  const audit = await get(`/crm/audit?entityId=${ids.ada}&limit=5`);
  return audit.data.find((e: { detail?: { operationId?: string } }) => e.detail?.operationId)?.detail.operationId ?? null;
}
