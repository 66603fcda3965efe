/**
 * The core web app in a real Chromium against a real server serving dist/web (as `npm start`
 * does): sign in with the owner key; create an organization, a person and a deal; drag the deal
 * to the next stage and find the stage change on the server; work offline (edit + create, unsent
 * count) and catch up; a second browser sees the first one's changes live. Screenshots go to
 * test-results/screenshots/.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { dragTo, eventually, launchBrowser, navigate, newPage, pendingCount, screenshot, signIn, startAppServer, waitForSynced } from './helpers.js';

let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const ids: Record<string, string> = {};
const stages: Record<string, string> = {};

async function get(path: string): Promise<any> {
  const res = await server.api('GET', path);
  assert.equal(res.status, 200, `${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Picks `option` in a Mantine Select/Combobox after typing `search` into it. */
async function choose(p: Page, testId: string, search: string, option: string): Promise<void> {
  const input = p.getByTestId(testId);
  await input.click();
  await input.fill(search);
  await p.getByRole('option', { name: option }).first().click();
}

async function columnOf(p: Page, dealId: string): Promise<string | null> {
  return p.evaluate((id) => {
    const card = document.querySelector(`[data-testid="deal-card-${id}"]`);
    const column = card?.closest('[data-testid^="board-column-"]');
    return column ? column.getAttribute('data-testid')!.replace('board-column-', '') : null;
  }, dealId);
}

beforeAll(async () => {
  server = await startAppServer();
  const pipelines = await get('/crm/pipelines');
  const sales = pipelines.data.find((p: any) => p.name === 'Sales');
  for (const s of (await get(`/crm/pipelines/${sales.id}/stages`)).data) stages[s.name] = s.id;
  browser = await launchBrowser();
  ({ context, page } = await newPage(browser));
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('web app', () => {
  test('the first visit asks for a key; a wrong key is refused, the owner key signs in', async () => {
    await page.goto(server.url + '/');
    await page.getByTestId('signin-key').fill('kith_' + 'x'.repeat(32));
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('signin-error').waitFor();
    assert.match((await page.getByTestId('signin-error').textContent()) ?? '', /not accepted/);
    await screenshot(page, 'signin');
    assert.equal(await page.getByTestId('app-shell').count(), 0);

    await signIn(page, server.url, server.key, { open: false });
    assert.equal(await page.getByTestId('workspace-name').textContent(), 'Default workspace');
    // the board shows the default pipeline's stages
    for (const name of ['Lead', 'Qualified', 'Proposal', 'Negotiation']) await page.getByTestId(`board-column-${name}`).waitFor();
  });

  test('create an organization and a person from the command palette', async () => {
    await page.keyboard.press('Control+k');
    await page.getByTestId('palette-input').fill('Acme Rockets');
    await page.getByText('New organization “Acme Rockets”').click();
    assert.equal(await page.getByTestId('organization-field-name').inputValue(), 'Acme Rockets');
    await page.getByTestId('organization-field-website').fill('https://www.acme-rockets.example/home');
    await page.getByTestId('organization-form-submit').click();
    await page.waitForURL(/\/organizations\/[0-9a-f-]{36}$/);
    ids.org = page.url().split('/').pop()!;
    const org = await eventually(async () => (await server.api('GET', `/crm/organizations/${ids.org}`)).body?.domain && (await get(`/crm/organizations/${ids.org}`)), {
      message: 'organization on the server',
    });
    assert.equal(org.name, 'Acme Rockets');
    assert.equal(org.domain, 'acme-rockets.example');

    await page.keyboard.press('Control+k');
    await page.getByTestId('palette-input').fill('Wile Coyote');
    await page.getByText('New person “Wile Coyote”').click();
    await page.getByTestId('person-field-email').fill('not-an-email');
    await page.getByTestId('person-form-submit').click();
    await page.getByText('must be an email address').waitFor();
    await page.getByTestId('person-field-email').fill('wile@acme-rockets.example');
    await choose(page, 'person-field-organization', 'Acme', 'Acme Rockets');
    await page.getByTestId('person-form-submit').click();
    await page.waitForURL(/\/people\/[0-9a-f-]{36}$/);
    ids.person = page.url().split('/').pop()!;
    const person = await eventually(async () => (await server.api('GET', `/crm/people/${ids.person}`)).status === 200 && get(`/crm/people/${ids.person}`), { message: 'person on the server' });
    assert.equal(person.organizationId, ids.org);
    assert.equal(person.email, 'wile@acme-rockets.example');
  });

  test('create a deal from the board; it shows in the first stage with its value', async () => {
    await navigate(page, '/');
    await page.getByTestId('new-deal').click();
    await page.getByTestId('deal-field-title').fill('Rocket skates');
    await choose(page, 'deal-field-organization', 'Acme', 'Acme Rockets');
    await choose(page, 'deal-field-person', 'Wile', 'Wile Coyote');
    await page.getByTestId('deal-field-amount').fill('12500.50');
    await page.getByTestId('deal-form-submit').click();
    await page.waitForURL(/\/deals\/[0-9a-f-]{36}$/);
    ids.deal = page.url().split('/').pop()!;
    const deal = await eventually(async () => (await server.api('GET', `/crm/deals/${ids.deal}`)).status === 200 && get(`/crm/deals/${ids.deal}`), { message: 'deal on the server' });
    assert.equal(deal.title, 'Rocket skates');
    assert.equal(deal.amount, 12500.5);
    assert.equal(deal.stageId, stages.Lead);
    assert.equal(deal.organizationId, ids.org);
    assert.equal(deal.primaryPersonId, ids.person);
    await page.getByTestId('deal-detail').waitFor();

    await page.keyboard.press('g');
    await page.keyboard.press('b');
    await page.getByTestId(`deal-card-${ids.deal}`).waitFor();
    assert.equal(await columnOf(page, ids.deal), 'Lead');
    const lead = page.getByTestId('board-column-Lead');
    assert.equal(await lead.getByTestId('column-count').textContent(), '1');
    // $12,500.5 total; weighted at the Lead stage's 10 %
    assert.match((await lead.getByTestId('column-totals').textContent()) ?? '', /12,500\.50.*weighted.*1,250\.05/);
    assert.match((await page.getByTestId(`deal-card-${ids.deal}`).textContent()) ?? '', /Acme Rockets/);
  });

  test('dragging the deal to the next stage records a stage change on the server', async () => {
    await dragTo(page, `[data-testid="deal-card-${ids.deal}"]`, '[data-testid="board-column-Qualified"]');
    await eventually(async () => (await columnOf(page, ids.deal)) === 'Qualified', { message: 'card in Qualified' });
    const changes = await eventually(
      async () => {
        const body = (await server.api('GET', `/crm/deals/${ids.deal}/stage-changes`)).body;
        return body?.data?.some((c: any) => c.toStageId === stages.Qualified) && body.data;
      },
      { message: 'stage change Lead → Qualified on the server' },
    );
    const move = changes.find((c: any) => c.toStageId === stages.Qualified);
    assert.equal(move.fromStageId, stages.Lead);
    assert.equal(move.amount, 12500.5);
    assert.equal((await get(`/crm/deals/${ids.deal}`)).stageId, stages.Qualified);
    await waitForSynced(page);
    await screenshot(page, 'board');
  });

  test('a second browser sees changes from the first live', async () => {
    const second = await newPage(browser);
    try {
      await signIn(second.page, server.url, server.key);
      await second.page.getByTestId(`deal-card-${ids.deal}`).waitFor();
      assert.equal(await columnOf(second.page, ids.deal), 'Qualified');

      // move with the card menu (the keyboard/menu way) in the first browser
      await page.getByTestId(`deal-menu-${ids.deal}`).click();
      await page.getByTestId('move-to-Proposal').click();
      await eventually(async () => (await columnOf(second.page, ids.deal)) === 'Proposal', { message: 'second browser shows the deal in Proposal' });

      // a REST write shows up live too
      const res = await server.api('PATCH', `/crm/deals/${ids.deal}`, { labels: ['rockets'] });
      assert.equal(res.status, 200);
      await eventually(async () => /rockets/.test((await second.page.getByTestId(`deal-card-${ids.deal}`).textContent()) ?? ''), { message: 'label from REST in the second browser' });
      await eventually(async () => /rockets/.test((await page.getByTestId(`deal-card-${ids.deal}`).textContent()) ?? ''), { message: 'label from REST in the first browser' });
    } finally {
      await second.context.close();
    }
  });

  test('the deal page validates with the shared schema messages, manages contacts and records won/lost', async () => {
    await page.getByTestId(`deal-card-${ids.deal}`).click();
    await page.waitForURL(new RegExp(`/deals/${ids.deal}$`));
    await page.getByTestId('deal-detail').waitFor();
    // invalid probability (entered in percent; stored as 0–1)
    await page.getByTestId('deal-field-probability').fill('150');
    await page.getByTestId('deal-form-submit').click();
    await page.getByText('must be between 0% and 100%').first().waitFor();
    await page.getByTestId('deal-field-probability').fill('60');
    await page.getByTestId('deal-field-title').fill('Rocket skates (pair)');
    await page.getByTestId('deal-form-submit').click();
    await eventually(
      async () => {
        const d = await get(`/crm/deals/${ids.deal}`);
        return d.probability === 0.6 && d.title === 'Rocket skates (pair)';
      },
      { message: 'edited fields on the server' },
    );

    // a contact with a role
    await choose(page, 'contact-person', 'Wile', 'Wile Coyote');
    await page.getByTestId('contact-new-role').fill('champion');
    await page.getByTestId('contact-add').click();
    await page.getByTestId(`contact-${ids.person}`).waitFor();
    const contacts = await eventually(
      async () => {
        const body = (await server.api('GET', `/crm/deals/${ids.deal}/contacts`)).body;
        return body?.data?.length === 1 && body.data;
      },
      { message: 'deal contact on the server' },
    );
    assert.equal(contacts[0].role, 'champion');

    // stage history lists the moves
    await eventually(async () => (await page.getByTestId('stage-change').count()) >= 2, { message: 'stage history entries' });
    assert.match((await page.getByTestId('stage-history').textContent()) ?? '', /Lead → Qualified/);
    await waitForSynced(page);
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'deal');

    // lost, with a reason
    await page.getByTestId('deal-lost').click();
    await page.getByTestId('lost-submit').click();
    await page.getByText('Say why the deal was lost').waitFor();
    await page.getByTestId('lost-reason').fill('Chose a competitor');
    await page.getByTestId('lost-submit').click();
    await eventually(
      async () => {
        const d = await get(`/crm/deals/${ids.deal}`);
        return d.status === 'lost' && d.lostReason === 'Chose a competitor' && d.lostAt;
      },
      { message: 'lost deal on the server' },
    );
    await page.getByTestId('deal-reopen').click();
    await eventually(async () => (await get(`/crm/deals/${ids.deal}`)).status === 'open', { message: 'reopened deal on the server' });
  });

  test('offline: edits and creates are kept locally, counted as unsent, and reach the server when back online', async () => {
    await waitForSynced(page);
    await context.setOffline(true);
    await eventually(async () => (await page.getByTestId('sync-indicator').getAttribute('data-state')) === 'offline', { message: 'offline indicator' });

    await page.getByTestId('deal-field-amount').fill('20000');
    await page.getByTestId('deal-field-notes').fill('Wants the turbo model. Call back on Monday.');
    await page.getByTestId('deal-form-submit').click();
    await page.keyboard.press('Control+k');
    await page.getByTestId('palette-input').fill('Roadrunner Inc');
    await page.getByText('New organization “Roadrunner Inc”').click();
    await page.getByTestId('organization-form-submit').click();
    await page.waitForURL(/\/organizations\/[0-9a-f-]{36}$/);
    const offlineOrgId = page.url().split('/').pop()!;

    await eventually(async () => (await pendingCount(page)) >= 2, { message: 'two unsent changes' });
    assert.match((await page.getByTestId('pending-count').textContent()) ?? '', /[2-9] unsent/);
    // nothing reached the server
    assert.equal((await get(`/crm/deals/${ids.deal}`)).amount, 12500.5);
    assert.equal((await server.api('GET', `/crm/organizations/${offlineOrgId}`)).status, 404);
    await navigate(page, `/deals/${ids.deal}`);
    await page.getByTestId('deal-detail').waitFor();
    assert.equal(await page.getByTestId('deal-field-amount').inputValue(), '20,000');
    await screenshot(page, 'offline');

    await context.setOffline(false);
    await waitForSynced(page, 30_000);
    const deal = await get(`/crm/deals/${ids.deal}`);
    assert.equal(deal.amount, 20000);
    assert.equal(deal.notes, 'Wants the turbo model. Call back on Monday.');
    assert.equal((await get(`/crm/organizations/${offlineOrgId}`)).name, 'Roadrunner Inc');
  });

  test('the people table renders (screenshot)', async () => {
    await page.keyboard.press('g');
    await page.keyboard.press('p');
    await page.waitForURL(/\/people$/);
    await page.getByText('Wile Coyote').first().waitFor();
    await screenshot(page, 'people');
  });
});
