/**
 * People table at scale, measured in headless Chromium: 100,000 people (and 5,000 organizations)
 * seeded on a real server, replicated into the browser's RxDB (IndexedDB), then the /people page.
 *
 *   npm run build:web && node --import tsx bench/ui-people.ts [--people 100000] [--organizations 5000]
 *
 * Prints: the initial replication time (informational), time to first rendered rows (navigating
 * inside the app, and after a full page reload that reads everything back from IndexedDB), time
 * to filter by a search term (from the keystroke to the updated table, including the 120 ms input
 * debounce), to filter by a label, to re-sort, to export every row as CSV, to select all rows, to
 * jump to the end of the list, and the longest
 * main-thread block seen during each step (what a user would feel as a freeze).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Download, Page } from 'playwright-core';
import { startTestServer } from '../test/helpers/server.js';
import { assertWebBuilt, launchBrowser, navigate, newPage, waitForSynced, WEB_DIR } from '../test/e2e/helpers.js';
import { tempDataDir } from '../test/helpers/server.js';
import { seedDataDir } from './seed.js';
import { arg, longestTask, ms, startLongTasks, timed as timedAt } from './lib/pageTiming.js';

const timed = (label: string, page: Page, action: () => Promise<void>, done: () => Promise<unknown>) => timedAt(label, page, action, done, 44);

const PEOPLE = arg('people', 100_000);
const ORGANIZATIONS = arg('organizations', 5_000);

async function firstRowName(page: Page): Promise<string> {
  return page.$eval('[data-testid^="people-row-"] [data-row-name]', (el) => el.textContent ?? '').catch(() => '');
}

async function countText(page: Page): Promise<string> {
  return (await page.getByTestId('people-count').textContent()) ?? '';
}

async function main(): Promise<void> {
  assertWebBuilt();
  const dataDir = tempDataDir('kith-bench-ui-');
  console.log(`Seeding ${PEOPLE.toLocaleString('en-US')} people and ${ORGANIZATIONS.toLocaleString('en-US')} organizations…`);
  const seeded = await seedDataDir(dataDir, { organizations: ORGANIZATIONS, people: PEOPLE, deals: 0, audit: false, sample: 10 });
  console.log(`  seeded in ${seeded.seconds.toFixed(1)} s`);
  const server = await startTestServer({ dataDir, uiDir: WEB_DIR });
  const browser = await launchBrowser();
  try {
    const { page } = await newPage(browser, { width: 1400, height: 900 });
    page.setDefaultTimeout(300_000);

    // ---- sign in and replicate everything into IndexedDB
    const tSync = performance.now();
    await page.goto(server.url + '/');
    await page.getByTestId('signin-key').fill(seeded.key);
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('app-shell').waitFor();
    await waitForSynced(page, 900_000);
    console.log(`${'Initial replication into the browser'.padEnd(44)} ${ms(performance.now() - tSync).padStart(10)}   (not the table: for context)`);
    console.log('');

    const fullCount = PEOPLE.toLocaleString('en-US');
    const rowsVisible = () =>
      page.waitForFunction((n) => document.querySelector('[data-testid="people-count"]')?.textContent === n && !!document.querySelector('[data-testid^="people-row-"]'), fullCount, { polling: 'raf' });

    const anyRow = () => page.waitForSelector('[data-testid^="people-row-"]', { state: 'attached' });

    // ---- first render, in-app navigation: first rows (preview by name), then all searchable
    await startLongTasks(page);
    let t0 = performance.now();
    await navigate(page, '/people');
    await anyRow();
    const firstRows = performance.now() - t0;
    await rowsVisible();
    const allRows = performance.now() - t0;
    await page.waitForTimeout(50);
    console.log(`${'First rows, navigating to People'.padEnd(44)} ${ms(firstRows).padStart(10)}`);
    console.log(`${`All ${fullCount} loaded, searchable and counted`.padEnd(44)} ${ms(allRows).padStart(10)}   longest main-thread block ${ms(await longestTask(page))}`);

    // ---- the same after a full page reload (app start, store open, read back from IndexedDB)
    await navigate(page, '/');
    await page.getByTestId('app-shell').waitFor();
    t0 = performance.now();
    await page.goto(server.url + '/people');
    await anyRow();
    const reloadFirst = performance.now() - t0;
    await startLongTasks(page);
    await rowsVisible();
    const reloadAll = performance.now() - t0;
    await page.waitForTimeout(50);
    console.log(`${'After a full page reload: first rows'.padEnd(44)} ${ms(reloadFirst).padStart(10)}   (includes app start and opening the store)`);
    console.log(`${`After a full page reload: all ${fullCount}`.padEnd(44)} ${ms(reloadAll).padStart(10)}   longest main-thread block after first rows ${ms(await longestTask(page))}`);

    // ---- back to the table within the session: the in-memory copy is kept
    await navigate(page, '/');
    await page.getByTestId('app-shell').waitFor();
    await timed('Back to People (kept in memory)', page, () => navigate(page, '/people'), rowsVisible);

    // ---- search
    const search = page.getByTestId('people-search');
    await search.click();
    await timed(
      'Search "ada lov" (incl. 120 ms debounce)',
      page,
      () => search.pressSequentially('ada lov', { delay: 0 }),
      () =>
        page.waitForFunction(
          (n) => {
            const t = document.querySelector('[data-testid="people-count"]')?.textContent ?? '';
            return t.endsWith(`of ${n}`);
          },
          fullCount,
          { polling: 'raf' },
        ),
    );
    console.log(`  → ${await countText(page)} shown`);
    await timed('Clear the search', page, () => search.fill(''), rowsVisible);

    // ---- label filter
    await page.getByTestId('people-label-filter').click();
    const option = page.getByRole('option').first();
    const optionText = `'${(await option.locator('span').first().textContent()) ?? ''}'`;
    await timed(
      `Filter by label ${optionText}`,
      page,
      () => option.click(),
      () => page.waitForFunction(() => (document.querySelector('[data-testid="people-count"]')?.textContent ?? '').includes(' of '), undefined, { polling: 'raf' }),
    );
    console.log(`  → ${await countText(page)} shown`);
    await page.keyboard.press('Escape');
    await timed('Clear filters', page, () => page.getByTestId('people-clear-filters').click(), rowsVisible);

    // ---- sort
    const before = await firstRowName(page);
    await timed(
      'Sort by name, descending',
      page,
      () => page.getByTestId('sort-name').click(),
      () => page.waitForFunction((b) => (document.querySelector('[data-testid^="people-row-"] [data-row-name]')?.textContent ?? '') !== b, before, { polling: 'raf' }),
    );
    const beforeEmail = await firstRowName(page);
    await timed(
      'Sort by email',
      page,
      () => page.getByTestId('sort-email').click(),
      () => page.waitForFunction((b) => (document.querySelector('[data-testid^="people-row-"] [data-row-name]')?.textContent ?? '') !== b, beforeEmail, { polling: 'raf' }),
    );

    // ---- export every row as CSV, and select all of them (issue 13)
    let download: Promise<Download> | null = null;
    await timed(
      `Export CSV of all ${fullCount}`,
      page,
      async () => {
        download = page.waitForEvent('download');
        await page.getByTestId('people-export').click();
      },
      () => download!,
    );
    const csv = fs.readFileSync((await (await download!).path())!, 'utf8');
    console.log(`  → ${(csv.length / 1e6).toFixed(1)} MB, ${(csv.match(/\n/g) ?? []).length - 1} rows`);
    await timed(
      `Select all ${fullCount} matching`,
      page,
      () => page.getByTestId('select-all').click(),
      () =>
        page
          .getByTestId('bulk-count')
          .filter({ hasText: `${fullCount} people selected` })
          .waitFor(),
    );
    await page.keyboard.press('Escape');

    // ---- scroll to the end
    await timed(
      'Jump to the last row',
      page,
      () => page.$eval('[data-testid="people-table"]', (el) => el.scrollTo({ top: el.scrollHeight })),
      () =>
        page.waitForFunction(
          () => {
            const el = document.querySelector('[data-testid="people-table"]')!;
            return el.scrollTop > 0 && el.querySelectorAll('[data-testid^="people-row-"]').length > 0 && el.scrollTop + el.clientHeight >= el.scrollHeight - 2;
          },
          undefined,
          { polling: 'raf' },
        ),
    );
    const domRows = await page.$$eval('[data-testid^="people-row-"]', (r) => r.length);
    console.log(`  → ${domRows} rows in the DOM for ${fullCount} people (virtualized)`);

    fs.mkdirSync(path.resolve('test-results/screenshots'), { recursive: true });
    await page.screenshot({ path: path.resolve('test-results/screenshots/bench-people-100k.png') });
  } finally {
    await browser.close();
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
