/**
 * The people table with thousands of people in a real Chromium: the local copy is read in chunks
 * straight from IndexedDB (with a name-ordered preview first), so this checks that nothing is
 * lost or doubled across chunks, that only a window of rows is in the DOM, that search and sort
 * cover every person, and that a write from the API reaches the open table.
 * (Timing at 100,000 people is in bench/ui-people.ts, not asserted here.)
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { seedDataDir } from '../../bench/seed.js';
import { startTestServer, tempDataDir, type TestServer } from '../helpers/server.js';
import { assertWebBuilt, eventually, launchBrowser, navigate, newPage, screenshot, tableCopyStored, waitForSynced, WEB_DIR } from './helpers.js';

const PEOPLE = 6_000; // more than one read chunk (4,000), so the name-ordered preview is used too

let server: TestServer;
let browser: Browser;
let page: Page;
let key: string;

beforeAll(async () => {
  assertWebBuilt();
  const dataDir = tempDataDir();
  const seeded = await seedDataDir(dataDir, { organizations: 200, people: PEOPLE, deals: 0, audit: false, sample: 10 });
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

/** The seeded server's owner key (the data dir was bootstrapped by the seed, not the server). */
const api = (method: string, path: string, body?: unknown) => server.api(method, path, body, { key });

async function emailsShown(): Promise<string[]> {
  return page.$$eval('[data-testid^="people-row-"]', (rows) => rows.map((r) => (r.querySelector('td[data-col="email"]')?.textContent ?? '').trim()));
}

/** Every person's email from the REST API, page by page. */
async function allEmails(): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await api('GET', `/crm/people?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(...res.body.data.map((p: { email: string }) => p.email));
    cursor = res.body.nextCursor;
  } while (cursor);
  return out;
}

test('every person is in the table, with only a window of rows in the DOM', async () => {
  // the first sync stored the table's copy, so even this first open reads it (data/firstLoad.ts)
  assert.ok(await page.evaluate(tableCopyStored, 'people'), 'the first sync stored the people table copy');
  await navigate(page, '/people');
  await eventually(async () => (await page.getByTestId('people-count').textContent()) === PEOPLE.toLocaleString('en-US'), { timeout: 60_000, message: `the count to read ${PEOPLE}` });
  const rendered = await page.locator('[data-testid^="people-row-"]').count();
  assert.ok(rendered > 5 && rendered < 80, `a window of rows is rendered, not ${PEOPLE} (got ${rendered})`);
  await screenshot(page, 'records-people-9000');
});

test('sorting by email covers every person: first and last rows match the server data', async () => {
  const emails = (await allEmails()).map((e) => e.toLowerCase()).sort();
  assert.equal(emails.length, PEOPLE);
  assert.equal(new Set(emails).size, PEOPLE);
  await page.getByTestId('sort-email').click();
  await eventually(async () => (await emailsShown())[0] === emails[0], { message: `first row ${emails[0]}` });
  await page.$eval('[data-testid="people-table"]', (el) => el.scrollTo({ top: el.scrollHeight }));
  await eventually(async () => (await emailsShown()).at(-1) === emails.at(-1), { message: `last row ${emails.at(-1)}` });
  await page.getByTestId('sort-email').click(); // descending
  await page.$eval('[data-testid="people-table"]', (el) => el.scrollTo({ top: 0 }));
  await eventually(async () => (await emailsShown())[0] === emails.at(-1), { message: `first row ${emails.at(-1)} when descending` });
  await page.getByTestId('sort-name').click();
});

test('search finds one person among thousands, and a new person from the API shows up live', async () => {
  const target = (await api('GET', '/crm/people?limit=1&sort=-email')).body.data[0];
  await page.getByTestId('people-search').fill(target.email);
  await eventually(async () => JSON.stringify(await emailsShown()) === JSON.stringify([target.email]), { message: `only ${target.email}` });
  assert.equal(await page.getByTestId('people-count').textContent(), `1 of ${PEOPLE.toLocaleString('en-US')}`);

  const created = await api('POST', '/crm/people', { name: 'Zelda Newcomer', email: 'zelda.newcomer@example.com' });
  assert.equal(created.status, 201);
  await page.getByTestId('people-search').fill('zelda newcomer');
  await eventually(async () => JSON.stringify(await emailsShown()) === JSON.stringify(['zelda.newcomer@example.com']), { message: 'the new person in the table' });
  assert.equal(await page.getByTestId('people-count').textContent(), `1 of ${(PEOPLE + 1).toLocaleString('en-US')}`);
});

test('after a restart the table opens from its stored copy, with what changed meanwhile elsewhere', async () => {
  // the table's copy, stored by the first sync (and again after the writes above)
  await page.waitForFunction(tableCopyStored, 'people', { timeout: 60_000 });
  const warnings: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'warning' || m.type() === 'error') warnings.push(m.text());
  });
  // the app restarts away from the tables; other clients change people meanwhile
  await page.goto(server.url + '/settings');
  await page.getByTestId('app-shell').waitFor();
  const [renamed, removed] = (await api('GET', '/crm/people?limit=2&sort=email')).body.data;
  assert.equal((await api('PATCH', `/crm/people/${renamed.id}`, { name: 'Quentin Renamed' })).status, 200);
  assert.ok([200, 204].includes((await api('DELETE', `/crm/people/${removed.id}`)).status));
  assert.equal((await api('POST', '/crm/people', { name: 'Yuri Latecomer', email: 'yuri.latecomer@example.com' })).status, 201);
  await waitForSynced(page, 60_000);

  await navigate(page, '/people');
  const total = PEOPLE + 1; // zelda and yuri in, one removed
  await eventually(async () => (await page.getByTestId('people-count').textContent()) === total.toLocaleString('en-US'), { timeout: 60_000, message: `the count to read ${total}` });
  await page.getByTestId('people-search').fill('quentin renamed');
  await eventually(async () => JSON.stringify(await emailsShown()) === JSON.stringify([renamed.email]), { message: 'the renamed person' });
  await page.getByTestId('people-search').fill(removed.email);
  await page.getByTestId('people-no-match').waitFor();
  await page.getByTestId('people-search').fill('yuri latecomer');
  await eventually(async () => JSON.stringify(await emailsShown()) === JSON.stringify(['yuri.latecomer@example.com']), { message: 'the new person' });
  // the copy and its catch-up were right: nothing made the table read the whole collection again
  assert.deepEqual(
    warnings.filter((w) => /stored copy|table copy/.test(w)),
    [],
  );
});
