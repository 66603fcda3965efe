/**
 * Settings → Data model (issue 12, item 6) in a real Chromium against a real server: an owner adds
 * a select field with colored options to deals (Enter submits), reorders two fields by keyboard drag,
 * archives and restores one; a type change the values can't take is refused with the server's
 * message at the Type field; creates the object type "Project"; adds a stage "Pilot" to the default
 * pipeline, drags it after Lead, sets its probability, and the board shows the column there; a stage
 * a deal uses cannot be deleted (the refusal says why), an unused one can. A viewer sees the model
 * with nothing to change. A member then fills the new Tier field on a deal, filters the board by it
 * and shows it on cards, where the new stage is a column. Every result is checked through the API as
 * well as the page.
 * Screenshots: settings-datamodel-*.png.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { eventually, launchBrowser, navigate, newPage, screenshot, signIn, startAppServer, waitForSynced } from './helpers.js';

let server: TestServer;
let browser: Browser;
let page: Page;
let dealId: string;

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await server.api(method, path, body);
  assert.ok(res.status < 300, `${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const dealFields = async () => ((await api('GET', '/crm/fields?entity=deals&archived=all&sort=position')).data as any[]).sort((a, b) => a.position - b.position);

async function defaultStages(): Promise<any[]> {
  const pipeline = ((await api('GET', '/crm/pipelines')).data as any[]).find((p) => p.isDefault);
  return ((await api('GET', `/crm/pipelines/${pipeline.id}/stages`)).data as any[]).filter((s) => !s.archivedAt).sort((a, b) => a.position - b.position);
}

/** The test ids of the rows in a list, in page order, without their prefix. */
async function rowOrder(list: Locator, prefix: string): Promise<string[]> {
  return list.evaluate((el, p) => [...el.querySelectorAll(`[data-testid^="${p}"]`)].map((n) => n.getAttribute('data-testid')!.slice(p.length)), prefix);
}

async function choose(select: Locator, option: string): Promise<void> {
  await select.click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

beforeAll(async () => {
  server = await startAppServer();
  // a deals field holding a value that is not a number, on a deal in the default pipeline's first stage
  await api('POST', '/crm/fields', { entity: 'deals', key: 'code', label: 'Code', type: 'text' });
  dealId = (await api('POST', '/crm/deals', { title: 'Acme rollout', custom: { code: 'A-17' } })).id;
  browser = await launchBrowser();
  ({ page } = await newPage(browser));
  await signIn(page, server.url, server.key);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('Settings → Data model', () => {
  test('custom fields: add a select field, reorder by keyboard, archive and restore, a refused type change', async () => {
    await navigate(page, '/settings');
    const section = page.getByTestId('settings-fields');
    await section.getByTestId('field-code').waitFor();

    // a select field with two options, one colored; Enter in the label submits
    await section.getByTestId('field-new').click();
    const form = page.getByTestId('field-form');
    await choose(form.getByTestId('field-type'), 'Select (one option)');
    await form.getByTestId('field-option-add').click();
    await form.getByLabel('Option 1 label').fill('Gold');
    await choose(form.getByLabel('Option 1 color'), 'yellow');
    await form.getByTestId('field-option-add').click();
    await form.getByLabel('Option 2 label').fill('Silver');
    await form.getByTestId('field-label').fill('Tier');
    assert.equal(await form.getByTestId('field-key').inputValue(), 'tier', 'the key is made from the label');
    await screenshot(page, 'settings-datamodel-field-form');
    await form.getByTestId('field-label').press('Enter');
    await form.waitFor({ state: 'detached' });
    const list = section.getByTestId('fields-list');
    await list.getByTestId('field-tier').waitFor();
    const tier = await eventually(async () => (await dealFields()).find((f) => f.key === 'tier'), { message: 'the tier field on the server' });
    assert.equal(tier.type, 'select');
    assert.deepEqual(tier.options, [
      { value: 'gold', label: 'Gold', color: 'yellow' },
      { value: 'silver', label: 'Silver', color: null },
    ]);
    assert.deepEqual(await rowOrder(list, 'field-'), ['code', 'tier']);

    // keyboard drag: Tier above Code
    const handle = list.getByLabel('Move Tier');
    await handle.focus();
    await page.keyboard.press('Space');
    await list.locator('[aria-label="Move Tier"][aria-pressed="true"]').waitFor();
    await page.keyboard.press('ArrowUp');
    // what a screen reader hears (dnd-kit's live region, our announcements)
    await page.getByText('Tier moved to position 1 of 2.').waitFor({ state: 'attached' });
    await page.keyboard.press('Space');
    await eventually(async () => (await rowOrder(list, 'field-')).join() === 'tier,code', { message: 'Tier above Code on the page' });
    await eventually(async () => (await dealFields()).map((f) => f.key).join() === 'tier,code', { message: 'the new positions on the server' });

    // archive Code: listed apart, archived on the server; restore it
    await list.getByRole('button', { name: 'Archive Code' }).click();
    await section.getByTestId('archived-field-code').waitFor();
    assert.deepEqual(await rowOrder(list, 'field-'), ['tier']);
    await eventually(async () => (await dealFields()).find((f) => f.key === 'code')?.archivedAt, { message: 'code archived on the server' });
    await screenshot(page, 'settings-datamodel-fields');
    await section.getByRole('button', { name: 'Restore Code' }).click();
    await list.getByTestId('field-code').waitFor();
    await eventually(async () => (await dealFields()).find((f) => f.key === 'code')?.archivedAt === null, { message: 'code restored on the server' });

    // Code holds 'A-17' on a deal: a change to number is refused, with the server's message at Type
    await list.getByRole('button', { name: 'Edit Code' }).click();
    await choose(form.getByTestId('field-type'), 'Number');
    await form.getByTestId('field-save').click();
    const typeError = form.locator('.mantine-Select-error');
    await typeError.waitFor();
    const message = (await typeError.textContent())!;
    assert.match(message, /1 deal has a value of 'code' that would not convert to number/);
    assert.ok(message.includes(dealId), 'it names the deal');
    await screenshot(page, 'settings-datamodel-type-refused');
    assert.equal((await dealFields()).find((f) => f.key === 'code').type, 'text', 'the type is unchanged');
    await form.getByRole('button', { name: 'Cancel' }).click();
    await form.waitFor({ state: 'detached' });
  });

  test('object types: create "Project" with an icon, then open its fields', async () => {
    const section = page.getByTestId('settings-object-types');
    await section.getByTestId('object-type-new').click();
    const form = page.getByTestId('object-type-form');
    await form.getByTestId('object-type-singular').fill('Project');
    assert.equal(await form.getByTestId('object-type-plural').inputValue(), 'Projects');
    assert.equal(await form.getByTestId('object-type-key').inputValue(), 'project');
    await choose(form.getByTestId('object-type-icon'), 'rocket');
    await form.getByTestId('object-type-singular').press('Enter');
    await form.waitFor({ state: 'detached' });
    await section.getByTestId('object-type-project').waitFor();
    const type = await eventually(async () => ((await api('GET', '/crm/objects')).data as any[]).find((t) => t.key === 'project'), { message: 'the project type on the server' });
    assert.deepEqual([type.singular, type.plural, type.icon], ['Project', 'Projects', 'rocket']);

    // its fields are edited in the fields section
    await section.getByRole('button', { name: 'Fields of Projects' }).click();
    await eventually(async () => (await page.getByTestId('fields-entity').inputValue()) === 'Projects', { message: 'the fields section shows Projects' });
    await page.getByTestId('settings-fields').getByTestId('fields-empty').waitFor();
    await screenshot(page, 'settings-datamodel-object-types');
  });

  test('pipelines: add "Pilot", drag it after Lead, set its probability; the board follows; a used stage stays', async () => {
    const section = page.getByTestId('settings-pipelines');
    await section.scrollIntoViewIfNeeded();
    const list = section.getByTestId('stages-list');
    await list.getByTestId('stage-Negotiation').waitFor();
    await section.getByTestId('stage-add-name').fill('Pilot');
    await section.getByTestId('stage-add-probability').fill('30');
    await section.getByTestId('stage-add-name').press('Enter');
    await list.getByTestId('stage-Pilot').waitFor();
    assert.deepEqual(await rowOrder(list, 'sortable-'), ['Lead', 'Qualified', 'Proposal', 'Negotiation', 'Pilot']);

    // pointer drag onto Qualified: Pilot takes its place, after Lead
    const handle = await list.getByLabel('Move Pilot').boundingBox();
    const target = await list.getByTestId('sortable-Qualified').boundingBox();
    await page.mouse.move(handle!.x + handle!.width / 2, handle!.y + handle!.height / 2);
    await page.mouse.down();
    await page.mouse.move(handle!.x + handle!.width / 2, handle!.y - 10, { steps: 4 });
    await page.mouse.move(handle!.x + handle!.width / 2, target!.y + target!.height / 2 - 4, { steps: 15 });
    await page.mouse.up();
    await eventually(async () => (await rowOrder(list, 'sortable-')).join() === 'Lead,Pilot,Qualified,Proposal,Negotiation', { message: 'Pilot after Lead on the page' });

    // its probability, in percent (stored 0–1); Enter saves
    const probability = list.getByTestId('stage-Pilot').getByTestId('stage-probability');
    await probability.fill('45');
    await probability.press('Enter');
    await waitForSynced(page);
    const stages = await eventually(
      async () => {
        const all = await defaultStages();
        return all.map((s) => s.name).join() === 'Lead,Pilot,Qualified,Proposal,Negotiation' && all[1].probability === 0.45 && all;
      },
      { message: 'the order and probability on the server' },
    );
    assert.deepEqual(
      stages.map((s: any) => s.position),
      [0, 1, 2, 3, 4],
    );
    await screenshot(page, 'settings-datamodel-pipelines');

    // a stage a deal is in cannot be deleted, and the row says why; an unused one can
    await list.getByTestId('stage-Lead').getByTestId('stage-delete').click();
    const refusal = list.getByTestId('stage-Lead').getByTestId('stage-error');
    await refusal.waitFor();
    assert.match((await refusal.textContent())!, /used by 1 deal/);
    assert.ok(
      (await defaultStages()).some((s) => s.name === 'Lead'),
      'Lead is still there',
    );

    // the board: the new column in its place, with the probability in its weighted value
    await navigate(page, '/');
    await page.getByTestId('board-column-Pilot').waitFor();
    const columns = await page.evaluate(() => [...document.querySelectorAll('[data-testid^="board-column-"]')].map((n) => n.getAttribute('data-testid')!.replace('board-column-', '')));
    assert.deepEqual(columns, ['Lead', 'Pilot', 'Qualified', 'Proposal', 'Negotiation']);
    await screenshot(page, 'settings-datamodel-board');

    // delete Proposal (no deal in it): gone from settings, the server and the board
    await navigate(page, '/settings');
    await list.getByTestId('stage-Proposal').getByTestId('stage-delete').click();
    await list.getByTestId('stage-Proposal').waitFor({ state: 'detached' });
    await eventually(async () => (await defaultStages()).map((s) => s.name).join() === 'Lead,Pilot,Qualified,Negotiation', { message: 'Proposal deleted on the server' });
  });

  test('a member fills the owner’s new Tier field on a deal, filters the board by it and shows it on cards; the new stage is on the board', async () => {
    const { accounts } = server.services;
    const workspace = (await accounts.findWorkspace('default'))!;
    const member = await accounts.createUser({ email: 'mo@datamodel.test', name: 'Mo Member' });
    await accounts.setMembership(workspace.id, member.id, 'MEMBER');
    const memberKey = (await accounts.createApiKey({ userId: member.id, name: 'member key' })).key;
    const otherId = (await api('POST', '/crm/deals', { title: 'Globex trial' })).id;
    const { context, page: memberPage } = await newPage(browser);
    try {
      await signIn(memberPage, server.url, memberKey);
      // the deal's page has the field the owner made in settings, with its option labels
      await navigate(memberPage, `/deals/${dealId}`);
      const tier = memberPage.getByTestId('custom-field-tier');
      await tier.waitFor();
      await tier.getByText('Gold', { exact: true }).click();
      await memberPage.getByTestId('deal-form-submit').click();
      await eventually(async () => (await api('GET', `/crm/deals/${dealId}`)).custom?.tier === 'gold', { message: 'the member’s tier on the server' });

      // the board: the owner's Pilot stage is a column; filtered by Tier = Gold only the member's deal is left
      await navigate(memberPage, '/');
      await memberPage.getByTestId('board-column-Pilot').waitFor();
      await memberPage.getByTestId(`deal-card-${otherId}`).waitFor();
      await memberPage.getByTestId('board-custom-filter-field').click();
      await memberPage.getByRole('option', { name: 'Tier', exact: true }).click();
      await memberPage.getByTestId('board-custom-filter-value').click();
      await memberPage.getByRole('option', { name: 'Gold', exact: true }).click();
      await memberPage.keyboard.press('Escape');
      await memberPage.getByTestId(`deal-card-${otherId}`).waitFor({ state: 'detached' });
      const card = memberPage.getByTestId(`deal-card-${dealId}`);
      await card.waitFor();
      assert.equal(await memberPage.getByTestId('board-deal-count').textContent(), '1');

      // Tier chosen as a card field shows on the card
      await memberPage.getByTestId('card-fields').click();
      await memberPage.getByTestId('card-field-tier').click();
      await memberPage.keyboard.press('Escape');
      await card.locator('[data-card-field="tier"]').waitFor();
      assert.equal(await card.locator('[data-card-field="tier"]').textContent(), 'Gold');
      await screenshot(memberPage, 'settings-datamodel-member-board');
    } finally {
      await context.close();
    }
  });

  test('a viewer sees the data model with nothing to change', async () => {
    const workspace = (await api('GET', '/crm')).workspace;
    const accounts = server.services.accounts;
    const user = await accounts.createUser({ email: 'viewer@datamodel.test', name: 'Vera Viewer' });
    await accounts.setMembership(workspace.id, user.id, 'VIEWER');
    const key = (await accounts.createApiKey({ userId: user.id, name: 'viewer key' })).key;
    const { context, page: viewer } = await newPage(browser);
    try {
      await signIn(viewer, server.url, key);
      await navigate(viewer, '/settings');
      const fields = viewer.getByTestId('settings-fields');
      await fields.getByTestId('field-tier').waitFor();
      assert.equal(await fields.getByTestId('field-new').count(), 0, 'no New field');
      assert.equal(await fields.getByRole('button', { name: /^(Move|Edit|Archive) / }).count(), 0, 'no handles, edits or archive');
      const pipelines = viewer.getByTestId('settings-pipelines');
      await pipelines.getByTestId('stage-Pilot').waitFor();
      assert.equal(await pipelines.locator('input:not([type="hidden"]):not([data-testid="pipelines-select"])').count(), 0, 'no stage inputs');
      assert.equal(await pipelines.getByRole('button', { name: /Delete|Add stage|New pipeline|Rename/ }).count(), 0);
      assert.equal(await viewer.getByTestId('object-type-new').count(), 0);
      await fields.scrollIntoViewIfNeeded();
      await screenshot(viewer, 'settings-datamodel-viewer');
    } finally {
      await context.close();
    }
  });
  test('pipelines: create one (its four default stages, once), rename it, make it the default', async () => {
    const section = page.getByTestId('settings-pipelines');
    await section.getByTestId('pipeline-new').click();
    const form = page.getByTestId('pipeline-form');
    await form.getByTestId('pipeline-name').fill('Partners');
    await form.getByTestId('pipeline-name').press('Enter');
    await form.waitFor({ state: 'detached' });
    await section.getByTestId('stages-list').getByTestId('stage-Lead').waitFor();
    await section.getByTestId('pipeline-rename').click();
    await form.getByTestId('pipeline-name').fill('Partner deals');
    await form.getByTestId('pipeline-name').press('Enter');
    await form.waitFor({ state: 'detached' });
    await section.getByTestId('pipeline-make-default').click();
    await section.getByTestId('pipeline-default').waitFor();
    await waitForSynced(page);
    const pipelines = await eventually(
      async () => {
        const all = (await api('GET', '/crm/pipelines')).data as any[];
        return all.find((p) => p.name === 'Partner deals')?.isDefault && all;
      },
      { message: 'Partner deals is the default on the server' },
    );
    assert.deepEqual(
      pipelines.filter((p: any) => p.isDefault).map((p: any) => p.name),
      ['Partner deals'],
      'one default',
    );
    assert.deepEqual(
      (await defaultStages()).map((s) => s.name),
      ['Lead', 'Qualified', 'Proposal', 'Negotiation'],
      'the stages made with it in the browser, not a second set from the server',
    );
    assert.equal(await section.getByTestId('pipelines-select').inputValue(), 'Partner deals (default)');

    // a stage moved down by keyboard (the stages after it move up: several position writes, in order)
    const list = section.getByTestId('stages-list');
    await list.getByLabel('Move Lead').focus();
    await page.keyboard.press('Space');
    await list.locator('[aria-label="Move Lead"][aria-pressed="true"]').waitFor();
    await page.keyboard.press('ArrowDown');
    await page.getByText('Lead moved to position 2 of 4.').waitFor({ state: 'attached' });
    await page.keyboard.press('ArrowDown');
    await page.getByText('Lead moved to position 3 of 4.').waitFor({ state: 'attached' });
    await page.keyboard.press('Space');
    await eventually(async () => (await rowOrder(list, 'sortable-')).join() === 'Qualified,Proposal,Lead,Negotiation', { message: 'Lead third on the page' });
    await waitForSynced(page);
    await eventually(async () => (await defaultStages()).map((s) => `${s.position}:${s.name}`).join() === '0:Qualified,1:Proposal,2:Lead,3:Negotiation', {
      message: 'Lead third on the server',
    });

    // on a phone
    await page.setViewportSize({ width: 390, height: 844 });
    await section.scrollIntoViewIfNeeded();
    await screenshot(page, 'settings-datamodel-phone-pipelines');
    await page.getByTestId('settings-fields').scrollIntoViewIfNeeded();
    await screenshot(page, 'settings-datamodel-phone-fields');
    await page.setViewportSize({ width: 1400, height: 900 });
  });
});
