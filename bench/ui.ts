/**
 * The pipeline board and the deals table at scale, measured in headless Chromium: deals (plus
 * organizations and people) seeded on a real server, replicated into the browser's RxDB
 * (IndexedDB), then the pages.
 *
 *   npm run build:web && node --import tsx bench/ui.ts [--deals 2000] [--table-deals 100000] [--runs 5]
 *
 * The board (2,000 deals): the initial replication time (context only), time to the first
 * rendered board (in-app navigation and after a full reload that reads everything back from
 * IndexedDB), time to show all statuses, to filter by title and by label, the re-render after a
 * drop (from the pointer's release to the card painted in its new column, measured in the page,
 * median of `--runs` drops), and the longest main-thread block during each step (what a user
 * would feel as a freeze).
 *
 * The deals table (100,000 deals; `--table-deals 0` skips it): the very first open on the device
 * (reading the table's copy the first sync stored: renderer/data/rowCache.ts), then the
 * first render of /deals (to the first rows, and to every deal loaded, sorted and counted), in-app
 * after an app start and after a full reload, then sorts by each column (from the click to the new
 * first row painted, measured in the page; the whole click from Playwright for context), medians
 * of `--runs`.
 */
import os from 'node:os';
import type { Page } from 'playwright-core';
import { startTestServer, tempDataDir } from '../test/helpers/server.js';
import { assertWebBuilt, dragTo, launchBrowser, navigate, newPage, screenshot, tableCopyStored, waitForSynced, WEB_DIR } from '../test/e2e/helpers.js';
import { seedDataDir } from './seed.js';
import { arg, line, longestTask, median, startLongTasks, timed } from './lib/pageTiming.js';

const DEALS = arg('deals', 2_000);
const TABLE_DEALS = arg('table-deals', 100_000);
const RUNS = arg('runs', 5);
const dealCount = (page: Page) => page.evaluate(() => Number(document.querySelector('[data-testid="board-deal-count"]')?.textContent ?? 'NaN'));
const waitForCount = (page: Page, predicate: string, arg: number) =>
  page.waitForFunction(
    ([p, n]) => {
      const count = Number(document.querySelector('[data-testid="board-deal-count"]')?.textContent ?? 'NaN');
      const cards = document.querySelectorAll('[data-testid^="deal-card-"]').length;
      const ok = p === 'eq' ? count === n : p === 'lt' ? count < n : count !== n;
      return ok && (count === 0 || cards > 0);
    },
    [predicate, arg] as const,
    { polling: 'raf' },
  );

async function board(): Promise<void> {
  const dataDir = tempDataDir('kith-bench-board-');
  console.log(`Seeding ${DEALS.toLocaleString('en-US')} deals (with 500 organizations, 1,000 people)…`);
  const seeded = await seedDataDir(dataDir, { organizations: 500, people: 1_000, deals: DEALS, audit: false, sample: 10 });
  console.log(`  seeded in ${seeded.seconds.toFixed(1)} s`);
  const server = await startTestServer({ dataDir, uiDir: WEB_DIR });
  const openDeals = (await server.api('GET', `/crm/deals?pipelineId=${seeded.pipelineId}&status=open&limit=1`)).body;
  const browser = await launchBrowser();
  try {
    const { page } = await newPage(browser, { width: 1600, height: 1000 });
    page.setDefaultTimeout(60_000);

    const tSync = performance.now();
    await page.goto(server.url + '/');
    await page.getByTestId('signin-key').fill(seeded.key);
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('app-shell').waitFor();
    await waitForSynced(page, 600_000);
    line('Initial replication into the browser', performance.now() - tSync, null, '(context, not the board)');
    console.log('');
    await page.getByTestId('board').waitFor();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="board-deal-count"]')?.textContent) > 0);
    await page.waitForTimeout(500);
    const expectedOpen = await dealCount(page);
    void openDeals;

    await navigate(page, '/settings');
    await page.getByTestId('settings').waitFor();
    await timed(
      `First board render, in-app navigation`,
      page,
      () => navigate(page, '/'),
      () => waitForCount(page, 'eq', expectedOpen),
    );

    const tReload = performance.now();
    await page.goto(server.url + '/');
    await waitForCount(page, 'eq', expectedOpen);
    line('First board render after a full page reload', performance.now() - tReload, null, '(app start + opening the store + query)');
    console.log(`  → ${expectedOpen.toLocaleString('en-US')} open deals on the board`);

    await timed(
      'Show all statuses (Open → All)',
      page,
      () => page.getByText('All', { exact: true }).click(),
      () => waitForCount(page, 'eq', DEALS),
    );
    const cardsInDom = await page.$$eval('[data-testid^="deal-card-"]', (c) => c.length);
    console.log(`  → ${DEALS.toLocaleString('en-US')} deals, ${cardsInDom} cards in the DOM (columns are virtualized)`);

    const search = page.getByTestId('board-search');
    await timed(
      'Filter by title "acme"',
      page,
      () => search.fill('acme'),
      () => waitForCount(page, 'lt', DEALS),
    );
    console.log(`  → ${await dealCount(page)} deals match`);
    await timed(
      'Clear the title filter',
      page,
      () => search.fill(''),
      () => waitForCount(page, 'eq', DEALS),
    );

    await page.getByTestId('label-filter').click();
    const option = page.getByRole('option').first();
    const label = (await option.textContent()) ?? '';
    await timed(
      `Filter by label "${label}"`,
      page,
      () => option.click(),
      () => waitForCount(page, 'lt', DEALS),
    );
    console.log(`  → ${await dealCount(page)} deals match`);
    await page.keyboard.press('Escape');
    await timed(
      'Reset filters',
      page,
      () => page.getByRole('button', { name: 'Reset' }).click(),
      () => waitForCount(page, 'eq', expectedOpen),
    );

    const columns = await page.$$eval('[data-testid^="board-column-"]', (els) => els.map((e) => e.getAttribute('data-testid')!));
    const target = columns[1]!;
    await dropTimes(page, columns[0]!, target);

    await timed(
      'Scroll a column to its last card',
      page,
      () => page.$eval(`[data-testid="${target}"] [data-testid="column-scroll"]`, (el) => el.scrollTo({ top: el.scrollHeight })),
      () =>
        page.waitForFunction(
          (col) => {
            const el = document.querySelector(`[data-testid="${col}"] [data-testid="column-scroll"]`)!;
            return el.scrollTop > 0 && el.scrollTop + el.clientHeight >= el.scrollHeight - 2 && el.querySelectorAll('[data-testid^="deal-card-"]').length > 0;
          },
          target,
          { polling: 'raf' },
        ),
    );
    await page.$eval(`[data-testid="${target}"] [data-testid="column-scroll"]`, (el) => el.scrollTo({ top: 0 }));
    console.log(`\nScreenshot: ${await screenshot(page, 'bench-board-2000')}`);
  } finally {
    await browser.close();
    await server.stop();
  }
}

/**
 * Drags the first card of `from` onto `to` (then the first of `to` back, alternating) `RUNS` times
 * and prints the median time from releasing the pointer to the card painted in its new column
 * (measured in the page: the drag gesture itself is not counted), with the whole gesture for
 * context.
 */
async function dropTimes(page: Page, from: string, to: string): Promise<void> {
  const drops: number[] = [];
  const gestures: number[] = [];
  let longest = 0;
  for (let i = 0; i < RUNS; i++) {
    const [source, target] = i % 2 === 0 ? [from, to] : [to, from];
    const card = await page.$eval(`[data-testid="${source}"] [data-testid^="deal-card-"]`, (el) => el.getAttribute('data-testid')!);
    // a string, not a function: the page must not see the bundler's helpers
    await page.evaluate(`(() => {
      const w = window;
      w.__drop = { released: 0, painted: 0 };
      document.addEventListener('pointerup', () => {
        w.__drop.released = performance.now();
        const moved = () => !!document.querySelector('[data-testid=${JSON.stringify(target)}] [data-testid=${JSON.stringify(card)}]');
        const observer = new MutationObserver(() => {
          if (!moved()) return;
          observer.disconnect();
          requestAnimationFrame(() => setTimeout(() => (w.__drop.painted = performance.now()), 0));
        });
        observer.observe(document.body, { childList: true, subtree: true });
      }, { capture: true, once: true });
    })()`);
    await startLongTasks(page);
    const t0 = performance.now();
    await dragTo(page, `[data-testid="${card}"]`, `[data-testid="${target}"]`);
    await page.waitForFunction(() => (window as unknown as { __drop: { painted: number } }).__drop.painted > 0, undefined, { polling: 'raf' });
    gestures.push(performance.now() - t0);
    const { released, painted } = await page.evaluate(() => (window as unknown as { __drop: { released: number; painted: number } }).__drop);
    drops.push(painted - released);
    await page.waitForTimeout(50);
    longest = Math.max(longest, await longestTask(page));
    await page.waitForTimeout(1_000); // the write reaches the server and comes back before the next drop
  }
  line('Drop on the next stage → card painted there', median(drops), longest, `(median of ${RUNS}: ${drops.map((d) => Math.round(d)).join(', ')} ms)`);
  line('  the whole drag gesture, for context', median(gestures), null, '(pointer down, 15 moves, 100 ms hover, release)');
}

/** The deals table with TABLE_DEALS deals: first render and sorts. */
async function table(): Promise<void> {
  const dataDir = tempDataDir('kith-bench-table-');
  const organizations = Math.max(500, Math.round(TABLE_DEALS / 20));
  const people = organizations * 2;
  console.log(`\nSeeding ${TABLE_DEALS.toLocaleString('en-US')} deals (with ${organizations.toLocaleString('en-US')} organizations, ${people.toLocaleString('en-US')} people)…`);
  const seeded = await seedDataDir(dataDir, { organizations, people, deals: TABLE_DEALS, audit: false, sample: 10 });
  console.log(`  seeded in ${seeded.seconds.toFixed(1)} s`);
  const server = await startTestServer({ dataDir, uiDir: WEB_DIR });
  const browser = await launchBrowser();
  try {
    const { page } = await newPage(browser, { width: 1600, height: 1000 });
    page.setDefaultTimeout(600_000);
    const tSync = performance.now();
    await page.goto(server.url + '/');
    await page.getByTestId('signin-key').fill(seeded.key);
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('app-shell').waitFor();
    await navigate(page, '/settings'); // not the board: this is about the table
    await waitForSynced(page, 1_800_000);
    line('Initial replication into the browser', performance.now() - tSync, null, '(context, not the table)');
    console.log('');

    const firstRow = () => page.waitForSelector('[data-testid^="deals-row-"]', { state: 'attached' });
    const allLoaded = () =>
      page.waitForFunction(() => !!document.querySelector('[data-testid="deals-count"]') && !!document.querySelector('[data-testid^="deals-row-"]'), undefined, { polling: 'raf' });
    /** Times the first rows and every deal loaded after `open`, `RUNS` times after a fresh start of the app on `start`. */
    const firstRender = async (label: string, start: string, open: () => Promise<unknown>) => {
      const first: number[] = [];
      const all: number[] = [];
      let longest = 0;
      for (let i = 0; i < Math.min(RUNS, 3); i++) {
        await page.goto(server.url + start);
        await page.getByTestId('app-shell').waitFor();
        await page.waitForTimeout(1_000);
        await startLongTasks(page);
        const t0 = performance.now();
        await open();
        await firstRow();
        first.push(performance.now() - t0);
        await allLoaded();
        all.push(performance.now() - t0);
        await page.waitForTimeout(50);
        longest = Math.max(longest, await longestTask(page));
      }
      line(`${label}: first rows`, median(first), null, `(median of ${first.length})`, 54);
      line(`${label}: all deals loaded and sorted`, median(all), longest, '', 54);
    };
    // the first sync stored the table's copy (firstLoad.ts, rowCache.ts): even the very first open
    // reads it and what was written since (without it, every document one by one, then stores it)
    {
      await page.goto(server.url + '/settings');
      await page.getByTestId('app-shell').waitFor();
      await startLongTasks(page);
      const t0 = performance.now();
      await navigate(page, '/deals');
      await firstRow();
      await allLoaded();
      line('First open on this device (copy from the first sync)', performance.now() - t0, await longestTask(page), '', 54);
      const tCopy = performance.now();
      await page.waitForFunction(tableCopyStored, 'deals', { polling: 500 });
      line('  its copy stored, in the background', performance.now() - tCopy, null, '(context)', 54);
    }
    await firstRender('First table render, in-app navigation', '/settings', () => navigate(page, '/deals'));
    await firstRender('First table render, full page load of /deals', '/settings', () => page.goto(server.url + '/deals'));
    const count = await page.getByTestId('deals-count').textContent();
    console.log(`  → ${count} open deals in the table (${await page.$$eval('[data-testid^="deals-row-"]', (r) => r.length)} rows in the DOM)`);

    const firstRowId = () => page.$eval('[data-testid^="deals-row-"]', (el) => el.getAttribute('data-testid') ?? '');
    /**
     * From the click on the column's header to the new first row painted, measured in the page
     * (Playwright's own round trips under load are not counted), and the whole click for context.
     */
    const sortBy = async (key: string) => {
      const before = await firstRowId();
      // a string, not a function: the page must not see the bundler's helpers
      await page.evaluate(`(() => {
        const w = window;
        w.__sort = { clicked: 0, painted: 0 };
        document.addEventListener('click', () => {
          w.__sort.clicked = performance.now();
          const first = () => document.querySelector('[data-testid^="deals-row-"]')?.getAttribute('data-testid');
          const observer = new MutationObserver(() => {
            if (first() === ${JSON.stringify(before)}) return;
            observer.disconnect();
            requestAnimationFrame(() => setTimeout(() => (w.__sort.painted = performance.now()), 0));
          });
          observer.observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-testid'] });
        }, { capture: true, once: true });
      })()`);
      await startLongTasks(page);
      const t0 = performance.now();
      await page.getByTestId(`sort-${key}`).click();
      await page.waitForFunction(() => (window as unknown as { __sort: { painted: number } }).__sort.painted > 0, undefined, { polling: 'raf' });
      const whole = performance.now() - t0;
      const { clicked, painted } = await page.evaluate(() => (window as unknown as { __sort: { clicked: number; painted: number } }).__sort);
      await page.waitForTimeout(50);
      return { elapsed: painted - clicked, whole, longest: await longestTask(page) };
    };
    // the first sort by a column computes its keys over every deal; later ones reuse them
    const keys = ['title', 'amount', 'organization', 'stage', 'expectedCloseDate'];
    const firstSorts: number[] = [];
    const firstWhole: number[] = [];
    const again: number[] = [];
    const againWhole: number[] = [];
    let longest = 0;
    for (const key of keys) {
      const r = await sortBy(key);
      firstSorts.push(r.elapsed);
      firstWhole.push(r.whole);
      longest = Math.max(longest, r.longest);
    }
    line('Sort by a column (first time for the column)', median(firstSorts), longest, `(median over ${keys.join(', ')}: ${firstSorts.map((d) => Math.round(d)).join(', ')} ms)`, 54);
    line('  the whole click, for context', median(firstWhole), null, "(Playwright's click and polling included)", 54);
    longest = 0;
    for (let i = 0; i < RUNS; i++) {
      const r = await sortBy('amount'); // toggles ascending / descending
      again.push(r.elapsed);
      againWhole.push(r.whole);
      longest = Math.max(longest, r.longest);
    }
    line('Sort again (reverse the direction)', median(again), longest, `(median of ${RUNS}: ${again.map((d) => Math.round(d)).join(', ')} ms)`, 54);
    line('  the whole click, for context', median(againWhole), null, '', 54);
    console.log(`\nScreenshot: ${await screenshot(page, 'bench-deals-table')}`);
  } finally {
    await browser.close();
    await server.stop();
  }
}

async function main(): Promise<void> {
  assertWebBuilt();
  console.log(
    `Load: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${os.cpus().length} cores`,
  );
  if (DEALS > 0) await board();
  if (TABLE_DEALS > 0) await table();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
