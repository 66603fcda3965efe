/**
 * The UI never offers an edit the server would refuse (SPEC §1, §6): signed in with a VIEWER key
 * (and with an OWNER's read-only key) the board, a deal, a person, an organization, the tables, the
 * activities page and the command palette have no enabled control that would change data — no
 * drag, no won/lost, no "New …", no field that accepts input — and every control that is shown
 * disabled says why. Signed in as a MEMBER, the edits are there but nothing owner-only (delete).
 *
 * "Enabled control" is judged in the page: every button, input, textarea, select, contenteditable,
 * ARIA widget role and draggable inside <main> that is not disabled (itself, by a disabled fieldset,
 * or aria-disabled) and is not one of the few read-only controls a viewer needs (filters, search,
 * tabs, opening a deal, reloading the history).
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { launchBrowser, navigate, newPage, screenshot, signIn, startAppServer } from './helpers.js';

let server: TestServer;
let browser: Browser;
const ids: Record<string, string> = {};
const keys: Record<'viewer' | 'member' | 'readOnlyOwner', string> = { viewer: '', member: '', readOnlyOwner: '' };

async function post(path: string, body: unknown): Promise<any> {
  const res = await server.api('POST', path, body);
  assert.ok(res.status === 201 || res.status === 200, `${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function get(path: string): Promise<any> {
  const res = await server.api('GET', path);
  assert.equal(res.status, 200, `${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

interface Control {
  tag: string;
  type: string | null;
  role: string | null;
  /** the element's data-testid, else its nearest ancestor's */
  testId: string | null;
  name: string;
  roleDescription: string | null;
}

/** Every enabled interactive element inside <main> (see the file comment). */
async function enabledControls(page: Page): Promise<Control[]> {
  return page.evaluate(() => {
    const selector = [
      'button',
      'input',
      'textarea',
      'select',
      '[contenteditable=""]',
      '[contenteditable="true"]',
      '[role="button"]',
      '[role="checkbox"]',
      '[role="switch"]',
      '[role="combobox"]',
      '[role="textbox"]',
      '[role="menuitem"]',
      '[role="radio"]',
      '[role="slider"]',
      '[draggable="true"]',
      '[aria-roledescription]',
    ].join(',');
    const main = document.querySelector('main');
    if (!main) throw new Error('no <main>');
    const out: Control[] = [];
    for (const node of main.querySelectorAll<HTMLElement>(selector)) {
      if (node.getClientRects().length === 0) continue;
      if ((node as HTMLInputElement).type === 'hidden') continue;
      if ((node as HTMLButtonElement).disabled || node.closest('fieldset:disabled') || node.closest('[aria-disabled="true"]')) continue;
      const name = (node.getAttribute('aria-label') ?? node.getAttribute('placeholder') ?? node.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 80);
      out.push({
        tag: node.tagName.toLowerCase(),
        type: node.getAttribute('type'),
        role: node.getAttribute('role'),
        testId: node.closest('[data-testid]')?.getAttribute('data-testid') ?? null,
        name,
        roleDescription: node.getAttribute('aria-roledescription'),
      });
    }
    return out;
  });
}

/** The read-only controls a viewer is offered: filters, search, sorting, tabs, saved views and columns, opening a deal, reloading history. */
const READ_ONLY_TEST_IDS = new Set(['pipeline-switcher', 'status-filter', 'board-search', 'owner-filter', 'label-filter', 'history-refresh', 'activities-search']);
const READ_ONLY_PREFIXES = ['sort-', 'tab-', 'activities-type-'];

function isReadOnlyControl(c: Control): boolean {
  if (c.role === 'tab') return true;
  if (c.testId && READ_ONLY_TEST_IDS.has(c.testId)) return true;
  if (c.testId && READ_ONLY_PREFIXES.some((p) => c.testId!.startsWith(p))) return true;
  // exporting a table reads it; selecting rows (bulk actions) is not offered to who may change none
  if (/^(people|organizations)-(search|label-filter|archived-filter|export)$/.test(c.testId ?? '')) return true;
  // choosing a saved view or the columns shown changes nothing on the server (the Views menu offers a viewer no save)
  if (/^(people|organizations|deals|board|objects-[a-z0-9_]+)-(views|columns)$/.test(c.testId ?? '')) return true;
  if (/^(Clear (search|filter)|Load more|Show more|Show less)$/i.test(c.name)) return true;
  // a deal card opens the deal; it may not be draggable
  if (c.testId?.startsWith('deal-card-') && c.tag === 'div' && !/drag/i.test(c.roleDescription ?? '')) return true;
  return false;
}

async function assertNoEditControl(page: Page, where: string): Promise<void> {
  const offending = (await enabledControls(page)).filter((c) => !isReadOnlyControl(c));
  assert.deepEqual(offending, [], `${where}: enabled controls that would edit:\n${offending.map((c) => JSON.stringify(c)).join('\n')}`);
}

/** Every control shown disabled for lack of permission says why (aria-description, also the tooltip). */
async function assertDisabledControlsSayWhy(page: Page, where: string): Promise<void> {
  const silent = await page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('main [aria-disabled="true"], main fieldset:disabled')]
      .filter((el) => !el.closest('[data-permission-reason]') && !el.getAttribute('aria-description'))
      .map((el) => el.outerHTML.slice(0, 160)),
  );
  assert.deepEqual(silent, [], `${where}: disabled without a reason`);
}

async function paletteActions(page: Page): Promise<string[]> {
  await page.keyboard.press('Control+k');
  await page.getByTestId('palette-input').waitFor();
  const labels = await page.$$eval('.mantine-Spotlight-action', (els) => els.map((e) => (e.textContent ?? '').trim()));
  await page.keyboard.press('Escape');
  await page.getByTestId('palette-input').waitFor({ state: 'hidden' });
  return labels;
}

async function columnOf(page: Page, dealId: string): Promise<string | null> {
  return page.evaluate((id) => {
    const column = document.querySelector(`[data-testid="deal-card-${id}"]`)?.closest('[data-testid^="board-column-"]');
    return column ? column.getAttribute('data-testid')!.replace('board-column-', '') : null;
  }, dealId);
}

beforeAll(async () => {
  server = await startAppServer();
  const workspace = (await get('/crm')).workspace;
  const accounts = server.services.accounts;
  for (const [role, who] of [
    ['VIEWER', 'viewer'],
    ['MEMBER', 'member'],
  ] as const) {
    const user = await accounts.createUser({ email: `${who}@permissions.test`, name: `${who} user` });
    await accounts.setMembership(workspace.id, user.id, role);
    keys[who] = (await accounts.createApiKey({ userId: user.id, name: `${who} key` })).key;
  }
  const owner = await accounts.findUser('owner@kith.local');
  keys.readOnlyOwner = (await accounts.createApiKey({ userId: owner.id, name: 'read-only', readOnly: true })).key;

  ids.org = (await post('/crm/organizations', { name: 'Umbrella Corp', website: 'umbrella.example', labels: ['pharma'] })).id;
  ids.person = (await post('/crm/people', { name: 'Alice Abernathy', email: 'alice@umbrella.example', organizationId: ids.org, labels: ['vip'] })).id;
  const deal = await post('/crm/deals', { title: 'Umbrella antivirus', organizationId: ids.org, primaryPersonId: ids.person, amount: 4200, labels: ['q3'], notes: 'Big one' });
  ids.deal = deal.id;
  ids.stage = deal.stageId;
  ids.lostDeal = (await post('/crm/deals', { title: 'Umbrella lost deal', organizationId: ids.org, status: 'lost', lostReason: 'Timing' })).id;
  await post(`/crm/deals/${ids.deal}/contacts`, { personId: ids.person, role: 'champion' });
  await post('/crm/activities', { type: 'note', subject: 'Kickoff notes', dealId: ids.deal, personId: ids.person, organizationId: ids.org });
  await post('/crm/activities', {
    type: 'follow_up',
    subject: 'Send the contract',
    dealId: ids.deal,
    personId: ids.person,
    organizationId: ids.org,
    dueAt: new Date(Date.now() + 86_400_000).toISOString(),
  });

  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe.each([
  ['a viewer', 'viewer'],
  ['an owner with a read-only key', 'readOnlyOwner'],
] as const)('signed in as %s', (_label, who) => {
  let page: Page;
  beforeAll(async () => {
    ({ page } = await newPage(browser));
    await signIn(page, server.url, keys[who]);
  });
  afterAll(async () => page?.context().close());

  test('the board offers no drag, no won/lost/move, no new deal', async () => {
    await page.getByTestId(`deal-card-${ids.deal}`).waitFor();
    await assertNoEditControl(page, 'board');
    await assertDisabledControlsSayWhy(page, 'board');
    assert.equal(await page.getByTestId(`deal-menu-${ids.deal}`).count(), 0, 'no card menu (its only actions would edit)');

    // dragging does nothing: no Won/Lost targets appear, the deal stays where it is
    const before = await columnOf(page, ids.deal);
    const card = (await page.getByTestId(`deal-card-${ids.deal}`).boundingBox())!;
    const target = (await page.getByTestId('board-column-Proposal').boundingBox())!;
    await page.mouse.move(card.x + 20, card.y + 20);
    await page.mouse.down();
    await page.mouse.move(card.x + 40, card.y + 30, { steps: 3 });
    await page.mouse.move(target.x + target.width / 2, target.y + 80, { steps: 12 });
    await page.waitForTimeout(150);
    assert.equal(await page.getByTestId('drop-won').count(), 0, 'no Won/Lost drop targets while dragging');
    await page.mouse.up();
    await page.waitForTimeout(300);
    assert.equal(await columnOf(page, ids.deal), before);
    assert.equal((await get(`/crm/deals/${ids.deal}`)).stageId, ids.stage, 'nothing reached the server');

    // the `n` shortcut opens nothing
    await page.getByTestId('board').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('n');
    await page.waitForTimeout(200);
    assert.equal(await page.getByRole('dialog').count(), 0, 'no quick create dialog');
  });

  test('the command palette has no "New …" actions', async () => {
    const actions = await paletteActions(page);
    assert.ok(
      actions.some((a) => /Pipeline board/.test(a)),
      `palette opened: ${actions.join(' | ')}`,
    );
    assert.deepEqual(
      actions.filter((a) => /^New /.test(a)),
      [],
    );
  });

  test('no import: not in settings, not in the palette, and the import page offers nothing', async () => {
    await navigate(page, '/settings');
    await page.getByTestId('settings').waitFor();
    assert.equal(await page.getByTestId('settings-import').count(), 0);
    assert.deepEqual(
      (await paletteActions(page)).filter((a) => /import/i.test(a)),
      [],
    );
    await navigate(page, '/settings/import');
    await page.getByTestId('import-not-allowed').waitFor();
    assert.equal(await page.getByTestId('import-file').count(), 0);
  });

  test('a deal: fields read-only, no won/lost, no contacts to add or remove, no archive, no composer', async () => {
    await navigate(page, `/deals/${ids.deal}`);
    await page.getByTestId('deal-detail').waitFor();
    await page.getByTestId(`contact-${ids.person}`).waitFor();
    await page.getByText('Send the contract').first().waitFor();
    await assertNoEditControl(page, 'deal page');
    await assertDisabledControlsSayWhy(page, 'deal page');
    // the details are shown (not hidden), just not editable
    assert.equal(await page.getByTestId('deal-field-title').inputValue(), 'Umbrella antivirus');
    assert.equal(await page.getByTestId('deal-field-title').isEditable(), false);
    assert.equal(await page.getByTestId('activity-composer').count(), 0);
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, `permissions-deal-${who}`);

    await navigate(page, `/deals/${ids.lostDeal}`);
    await page.getByTestId('deal-detail').waitFor();
    await assertNoEditControl(page, 'lost deal page');
  });

  test('a person and an organization: details read-only, no archive, no composer, no add person', async () => {
    await navigate(page, `/people/${ids.person}`);
    await page.getByTestId('person-detail').waitFor();
    await page.getByText('Kickoff notes').first().waitFor();
    await assertNoEditControl(page, 'person page');
    await assertDisabledControlsSayWhy(page, 'person page');
    assert.equal(await page.getByTestId('person-field-name').isEditable(), false);

    await navigate(page, `/organizations/${ids.org}`);
    await page.getByTestId('organization-detail').waitFor();
    await page.getByText('Kickoff notes').first().waitFor();
    await assertNoEditControl(page, 'organization page');
    await assertDisabledControlsSayWhy(page, 'organization page');
    assert.equal(await page.getByTestId('organization-field-name').isEditable(), false);
    await screenshot(page, `permissions-organization-${who}`);
  });

  test('the tables and the activities page offer no "New …", no completing follow-ups', async () => {
    for (const [path, entity] of [
      ['/people', 'people'],
      ['/organizations', 'organizations'],
    ]) {
      await navigate(page, path);
      await page.getByTestId(`${entity}-table`).waitFor();
      await assertNoEditControl(page, `${entity} table`);
    }
    await navigate(page, '/activities');
    await page.getByTestId('activities-timeline').waitFor();
    await page.getByTestId('my-followups').waitFor();
    await assertNoEditControl(page, 'activities');
    await assertDisabledControlsSayWhy(page, 'activities');
  });
});

describe('signed in as a member', () => {
  let page: Page;
  beforeAll(async () => {
    ({ page } = await newPage(browser));
    await signIn(page, server.url, keys.member);
  });
  afterAll(async () => page?.context().close());

  /** Names of enabled controls and of the items of every menu in <main> (menus opened one by one). */
  async function everythingOffered(): Promise<string[]> {
    const names = (await enabledControls(page)).map((c) => c.name);
    const triggers = page.locator('main [aria-haspopup="menu"]:not([disabled]):not([aria-disabled="true"])');
    for (let i = 0; i < (await triggers.count()); i++) {
      await triggers.nth(i).click();
      const items = page.getByRole('menuitem');
      await items.first().waitFor();
      for (const item of await items.all()) if (await item.isEnabled()) names.push((await item.textContent()) ?? '');
      await page.keyboard.press('Escape');
      await items.first().waitFor({ state: 'detached' });
    }
    return names;
  }
  const OWNER_ONLY = /\bdelete\b|new pipeline|edit stages|manage (pipelines|stages)/i;

  test('the board: deals can be dragged and created; no owner-only control', async () => {
    await page.getByTestId(`deal-card-${ids.deal}`).waitFor();
    assert.equal(await page.getByTestId('new-deal').isEnabled(), true);
    assert.equal(await page.getByTestId(`deal-card-${ids.deal}`).getAttribute('aria-roledescription'), 'Draggable deal');
    const actions = await paletteActions(page);
    assert.ok(actions.includes('New deal'), actions.join(' | '));
    assert.deepEqual(
      actions.filter((a) => OWNER_ONLY.test(a)),
      [],
    );
  });

  test('a deal, a person and an organization: editable, archivable, but nothing owner-only', async () => {
    for (const [path, testId, field] of [
      [`/deals/${ids.deal}`, 'deal-detail', 'deal-field-title'],
      [`/people/${ids.person}`, 'person-detail', 'person-field-name'],
      [`/organizations/${ids.org}`, 'organization-detail', 'organization-field-name'],
    ]) {
      await navigate(page, path);
      await page.getByTestId(testId).waitFor();
      await page.getByText('Kickoff notes').first().waitFor();
      assert.equal(await page.getByTestId(field).isEditable(), true, `${path}: ${field} editable`);
      assert.equal(await page.getByTestId('record-archive').isEnabled(), true, `${path}: archive`);
      assert.equal(await page.getByTestId('activity-composer').count(), 1, `${path}: composer`);
      const offered = await everythingOffered();
      assert.deepEqual(
        offered.filter((n) => OWNER_ONLY.test(n)),
        [],
        `${path}: owner-only controls offered`,
      );
    }
  });
});
