/**
 * The pipeline board at scale, measured in headless Chromium: 2,000 deals (plus organizations and
 * people) seeded on a real server, replicated into the browser's RxDB (IndexedDB), then the board.
 *
 *   npm run build:web && node --import tsx bench/ui.ts [--deals 2000]
 *
 * Prints the initial replication time (context only), time to the first rendered board (in-app
 * navigation and after a full reload that reads everything back from IndexedDB), time to show all
 * statuses, to filter by title and by label, to move a deal by drag and drop, and the longest
 * main-thread block during each step (what a user would feel as a freeze).
 */
import type { Page } from 'playwright-core';
import { startTestServer, tempDataDir } from '../test/helpers/server.js';
import { assertWebBuilt, dragTo, launchBrowser, navigate, newPage, screenshot, waitForSynced, WEB_DIR } from '../test/e2e/helpers.js';
import { seedDataDir } from './seed.js';
import { arg, line, timed } from './lib/pageTiming.js';

const DEALS = arg('deals', 2_000);
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

async function main(): Promise<void> {
  assertWebBuilt();
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
    const firstCard = await page.$eval(`[data-testid="${columns[0]}"] [data-testid^="deal-card-"]`, (el) => el.getAttribute('data-testid')!);
    const target = columns[1]!;
    await timed(
      'Drag a deal to the next stage (drop → re-render)',
      page,
      () => dragTo(page, `[data-testid="${firstCard}"]`, `[data-testid="${target}"]`),
      () => page.waitForFunction(([card, col]) => !!document.querySelector(`[data-testid="${col}"] [data-testid="${card}"]`), [firstCard, target] as const, { polling: 'raf' }),
    );

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

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
