/**
 * Board, palette, settings and sync details in a real Chromium against a real server: filters by
 * owner, label and title; pipeline switcher; won by dropping on "Won" and lost with a reason from
 * the card menu; the command palette and shortcuts; settings (agent access blocks, rejected changes
 * from a member demoted to viewer, workspace switch).
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { eventually, launchBrowser, navigate, newPage, screenshot, signIn, startAppServer, waitForSynced } from './helpers.js';

let server: TestServer;
let browser: Browser;
let page: Page;
const ids: Record<string, string> = {};

async function post(path: string, body: unknown, key?: string): Promise<any> {
  const res = await server.api('POST', path, body, key ? { key } : {});
  assert.ok(res.status === 201 || res.status === 200, `${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function get(path: string): Promise<any> {
  const res = await server.api('GET', path);
  assert.equal(res.status, 200, `${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const visibleTitles = (p: Page) => p.$$eval('[data-testid^="deal-card-"]', (cards) => cards.map((c) => c.getAttribute('data-deal-title')!).sort());
const boardCount = async (p: Page) => Number(await p.getByTestId('board-deal-count').textContent());

beforeAll(async () => {
  server = await startAppServer();
  const workspace = (await get('/crm')).workspace;
  ids.workspace = workspace.id;
  const bob = await server.services.accounts.createUser({ email: 'bob@example.com', name: 'Bob Builder' });
  await server.services.accounts.setMembership(workspace.id, bob.id, 'MEMBER');
  ids.bob = bob.id;
  ids.bobKey = (await server.services.accounts.createApiKey({ userId: bob.id, name: 'Bob laptop' })).key;

  const globex = await post('/crm/organizations', { name: 'Globex' });
  ids.globex = globex.id;
  ids.d1 = (await post('/crm/deals', { title: 'Globex renewal', organizationId: globex.id, amount: 1000, labels: ['renewal', 'vip'] })).id;
  ids.d2 = (await post('/crm/deals', { title: 'Initech pilot', amount: 250.25, labels: ['pilot'], ownerId: bob.id })).id;
  ids.d3 = (await post('/crm/deals', { title: 'Hooli expansion', amount: 900, currency: 'EUR', labels: ['vip'], ownerId: bob.id })).id;
  const partnerships = await post('/crm/pipelines', { name: 'Partnerships', stages: [{ name: 'Intro' }, { name: 'Pilot' }, { name: 'Signed' }] });
  ids.partnerships = partnerships.id;
  ids.d4 = (await post('/crm/deals', { title: 'Reseller agreement', pipelineId: partnerships.id, amount: 5000 })).id;

  browser = await launchBrowser();
  ({ page } = await newPage(browser, { serviceWorkers: 'allow' }));
  await signIn(page, server.url, server.key);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('board', () => {
  test('filters by label, owner and title; totals follow the filters and never mix currencies', async () => {
    await page.getByTestId(`deal-card-${ids.d3}`).waitFor();
    assert.deepEqual(await visibleTitles(page), ['Globex renewal', 'Hooli expansion', 'Initech pilot']);
    const summary = (await page.getByTestId('board-summary').textContent()) ?? '';
    assert.match(summary, /\$1,250\.25/);
    assert.match(summary, /€900/);

    await page.getByTestId('label-filter').click();
    await page.getByRole('option', { name: 'vip' }).click();
    await page.keyboard.press('Escape');
    await eventually(async () => (await boardCount(page)) === 2, { message: 'two vip deals' });
    assert.deepEqual(await visibleTitles(page), ['Globex renewal', 'Hooli expansion']);

    await page.getByTestId('owner-filter').click();
    await page.getByRole('option', { name: 'Bob Builder' }).click();
    await eventually(async () => (await boardCount(page)) === 1, { message: "Bob's vip deal" });
    assert.deepEqual(await visibleTitles(page), ['Hooli expansion']);

    await page.getByRole('button', { name: 'Reset' }).click();
    await eventually(async () => (await boardCount(page)) === 3, { message: 'filters reset' });
    // `/` focuses the title filter
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    await page.keyboard.press('/');
    await page.keyboard.type('initech');
    await eventually(async () => (await boardCount(page)) === 1, { message: 'title filter' });
    assert.deepEqual(await visibleTitles(page), ['Initech pilot']);
    await page.getByTestId('board-search').fill('');
  });

  test('the pipeline switcher shows the other pipeline with its own stages', async () => {
    await page.getByTestId('pipeline-switcher').click();
    await page.getByRole('option', { name: 'Partnerships' }).click();
    for (const name of ['Intro', 'Pilot', 'Signed']) await page.getByTestId(`board-column-${name}`).waitFor();
    assert.deepEqual(await visibleTitles(page), ['Reseller agreement']);
    assert.equal(await page.getByTestId('board-column-Lead').count(), 0);
    await page.getByTestId('pipeline-switcher').click();
    await page.getByRole('option', { name: 'Sales' }).click();
    await page.getByTestId('board-column-Lead').waitFor();
  });

  test('dropping a deal on "Won" wins it; "Mark lost…" asks for a reason', async () => {
    await waitForSynced(page);
    // the Won/Lost targets appear while dragging
    const card = await page.getByTestId(`deal-card-${ids.d1}`).boundingBox();
    assert.ok(card);
    await page.mouse.move(card.x + 40, card.y + 20);
    await page.mouse.down();
    await page.mouse.move(card.x + 60, card.y + 40, { steps: 3 });
    const won = await page.getByTestId('drop-won').boundingBox();
    assert.ok(won, 'the Won drop target shows while dragging');
    await page.mouse.move(won.x + won.width / 2, won.y + won.height / 2, { steps: 10 });
    await page.mouse.up();
    await eventually(
      async () => {
        const d = await get(`/crm/deals/${ids.d1}`);
        return d.status === 'won' && d.wonAt;
      },
      { message: 'won on the server' },
    );
    await page.getByTestId(`deal-card-${ids.d1}`).waitFor({ state: 'detached' });

    await page.getByTestId(`deal-menu-${ids.d2}`).click();
    await page.getByTestId('mark-lost').click();
    await page.getByTestId('lost-reason').fill('No budget this year');
    await page.getByTestId('lost-submit').click();
    await eventually(
      async () => {
        const d = await get(`/crm/deals/${ids.d2}`);
        return d.status === 'lost' && d.lostReason === 'No budget this year';
      },
      { message: 'lost with reason on the server' },
    );

    await page.getByTestId('status-filter').getByText('Won').click();
    await eventually(async () => JSON.stringify(await visibleTitles(page)) === JSON.stringify(['Globex renewal']), { message: 'won filter' });
    await page.getByTestId('status-filter').getByText('Open').click();
  });

  test('keyboard: the card menu moves a deal; Ctrl+K finds records and creates; g-shortcuts and ? help', async () => {
    await page.getByTestId(`deal-menu-${ids.d3}`).click();
    await page.getByTestId('move-to-Negotiation').click();
    await eventually(async () => (await get(`/crm/deals/${ids.d3}`)).stageId === (await page.getByTestId('board-column-Negotiation').getAttribute('data-stage-id')), { message: 'moved by menu' });

    // keyboard drag: space picks the card up, → moves one stage right, space drops it
    const qualified = await page.getByTestId('board-column-Qualified').getAttribute('data-stage-id');
    await page.getByTestId(`deal-card-${ids.d3}`).focus();
    // (each step waits for the screen-reader announcement, as a user waits to see the card move)
    const announced = (text: string) => page.getByText(text, { exact: true }).waitFor({ state: 'attached' });
    await page.keyboard.press('Space');
    await announced('Hooli expansion is over Negotiation.');
    await page.keyboard.press('ArrowLeft');
    await announced('Hooli expansion is over Proposal.');
    await page.keyboard.press('ArrowLeft');
    await announced('Hooli expansion is over Qualified.');
    await page.keyboard.press('Space');
    await eventually(async () => (await get(`/crm/deals/${ids.d3}`)).stageId === qualified, { message: 'moved two stages left with the keyboard' });

    // `n` on the board opens "New deal"
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    await page.keyboard.press('n');
    await page.getByTestId('deal-field-title').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('deal-field-title').waitFor({ state: 'detached' });

    await page.keyboard.press('Control+k');
    await page.getByTestId('palette-input').fill('globex');
    const action = (text: string) => page.locator('.mantine-Spotlight-action', { hasText: text });
    await action('Globex renewal').waitFor();
    await eventually(async () => (await page.locator('.mantine-Spotlight-action').allTextContents()).some((t) => t.trim() === 'GlobexOrganization'), { message: 'the organization in the palette' });
    await action('New deal “globex”').waitFor();
    await screenshot(page, 'palette');
    await action('Globex renewal').click();
    await page.waitForURL(new RegExp(`/deals/${ids.d1}$`));
    await page.getByTestId('deal-detail').waitFor();

    await page.getByTestId('deal-title-heading').click(); // out of any input
    await page.keyboard.press('Shift+?');
    await page.getByText('Keyboard shortcuts').last().waitFor();
    await page.keyboard.press('Escape');
    await page.keyboard.press('g');
    await page.keyboard.press('s');
    await page.waitForURL(/\/settings$/);
  });
});

describe('settings', () => {
  test('agent access shows filled-in MCP configuration blocks; the key is masked until revealed', async () => {
    await navigate(page, '/settings');
    const http = page.getByTestId('mcp-http-config');
    await http.waitFor();
    const masked = (await http.textContent()) ?? '';
    assert.ok(masked.includes(`${server.url}/mcp`), masked);
    assert.ok(!masked.includes(server.key), 'key hidden by default');
    const reveal = page.getByRole('switch', { name: 'Show the API key in the blocks' });
    await eventually(
      async () => {
        if (!(await reveal.isChecked())) await reveal.check({ force: true, timeout: 2000 });
        return ((await http.textContent()) ?? '').includes(server.key);
      },
      { message: 'key revealed' },
    );
    const shown = JSON.parse((await http.textContent()) ?? '{}');
    assert.deepEqual(shown, { mcpServers: { kith: { type: 'http', url: `${server.url}/mcp`, headers: { Authorization: `Bearer ${server.key}` } } } });
    const stdio = JSON.parse((await page.getByTestId('mcp-stdio-config').textContent()) ?? '{}');
    assert.deepEqual(stdio.mcpServers.kith, { command: 'kith-mcp', env: { KITH_URL: server.url, KITH_API_KEY: server.key } });
    assert.equal(await page.getByTestId('rejected-empty').count(), 1);
    await screenshot(page, 'settings');
  });

  test('a change the server refuses is reverted and listed with its reason', async () => {
    const bob = await newPage(browser);
    try {
      await signIn(bob.page, server.url, ids.bobKey);
      // Bob is demoted to viewer while his app still thinks he may edit
      await server.services.accounts.setMembership(ids.workspace, ids.bob, 'VIEWER');
      await navigate(bob.page, `/deals/${ids.d3}`);
      await bob.page.getByTestId('deal-field-title').fill('Hooli expansion (Bob)');
      await bob.page.getByTestId('deal-form-submit').click();
      await eventually(async () => (await bob.page.getByTestId('rejected-count').count()) === 1, { message: 'rejected badge', timeout: 20_000 });
      // reverted locally to the server's value
      await eventually(async () => (await bob.page.getByTestId('deal-title-heading').textContent()) === 'Hooli expansion', { message: 'title reverted' });
      assert.equal((await get(`/crm/deals/${ids.d3}`)).title, 'Hooli expansion');
      await navigate(bob.page, '/settings#rejected');
      const row = bob.page.getByTestId('rejected-row').first();
      await row.waitFor();
      const text = (await row.textContent()) ?? '';
      assert.match(text, /deals/);
      assert.match(text, /read-only|viewer|permission|not allowed|forbidden/i);
      await screenshot(bob.page, 'rejected-changes');
    } finally {
      await bob.context.close();
    }
  });

  test('switching workspace opens the other workspace', async () => {
    const owner = (await server.services.accounts.listUsers())[0]!;
    const other = await server.services.accounts.createWorkspace({ slug: 'acme-eu', name: 'Acme Europe', defaultCurrency: 'EUR' }, owner.id);
    const ctx = await server.services.accounts.ownerContext('acme-eu', 'system');
    await server.services.records.create(ctx, 'deals', { title: 'Euro deal', amount: 42 });
    await navigate(page, '/settings');
    await page.getByTestId('workspace-switch').fill('acme-eu');
    await page.getByRole('button', { name: 'Switch' }).click();
    await eventually(async () => (await page.getByTestId('workspace-name').textContent()) === 'Acme Europe', { message: 'workspace switched' });
    await navigate(page, '/');
    await eventually(async () => JSON.stringify(await visibleTitles(page)) === JSON.stringify(['Euro deal']), { message: 'deals of the other workspace' });
    assert.ok(other.id);
  });

  test('when the server cannot be reached at start, a workspace opened before opens from the local copy', async () => {
    await page.route('**/crm', (route) => route.abort('connectionrefused'));
    await page.route('**/sync/**', (route) => route.abort('connectionrefused'));
    try {
      await page.reload();
      await page.getByTestId('app-shell').waitFor({ timeout: 20_000 });
      assert.equal(await page.getByTestId('unreachable').count(), 0);
      assert.equal(await page.getByTestId('workspace-name').textContent(), 'Acme Europe');
      await eventually(async () => (await page.getByTestId('sync-indicator').getAttribute('data-state')) === 'offline', { message: 'offline state shown' });
      await eventually(async () => JSON.stringify(await visibleTitles(page)) === JSON.stringify(['Euro deal']), { message: 'local deals shown offline' });
    } finally {
      await page.unroute('**/crm');
      await page.unroute('**/sync/**');
    }
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    await eventually(async () => (await page.getByTestId('sync-indicator').getAttribute('data-state')) === 'online', { message: 'back online', timeout: 20_000 });
  });

  test('when the server cannot be reached at the first start of a connection, the app says so, keeps the key and opens once it answers', async () => {
    // forget what the last successful start learned, as on a machine that never reached this server
    await page.evaluate(() =>
      Object.keys(localStorage)
        .filter((k) => k.startsWith('kith-info:'))
        .forEach((k) => localStorage.removeItem(k)),
    );
    await page.route('**/crm', (route) => route.abort('connectionrefused'));
    await page.reload();
    await page.getByTestId('unreachable').waitFor();
    assert.equal(await page.getByTestId('signin-key').count(), 0);
    await page.unroute('**/crm');
    await page.getByTestId('app-shell').waitFor({ timeout: 20_000 });
    assert.equal(await page.getByTestId('workspace-name').textContent(), 'Acme Europe');
  });
});
