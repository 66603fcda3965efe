/**
 * Settings → Automations (issue 16, item 4) in a real Chromium against a real server and a real
 * HTTP receiver standing in for a project tool: an owner saves a step secret, builds the deal-won
 * bridge from the template gallery (pointing it at the receiver), is told precisely what is wrong
 * with a bad URL, saves it, and a deal marked won gets proj_42 in linkedProjectId and a kickoff
 * follow-up; the run history shows the run; a run on a chosen deal ("Run now") shows up too; and
 * a condition is built with the field and operator pickers. Screenshot: settings-automations.png.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { eventually, launchBrowser, navigate, newPage, screenshot, signIn, startAppServer } from './helpers.js';

let server: TestServer;
let browser: Browser;
let page: Page;
let receiver: http.Server;
const received: { auth: string | undefined; body: any }[] = [];

beforeAll(async () => {
  process.env.KITH_WEBHOOK_ALLOW_PRIVATE = '1'; // the project tool is on loopback
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ auth: req.headers.authorization, body: JSON.parse(body || 'null') });
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'proj_42' }));
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  server = await startAppServer();
  browser = await launchBrowser();
  ({ page } = await newPage(browser));
  await signIn(page, server.url, server.key);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  receiver?.close();
  delete process.env.KITH_WEBHOOK_ALLOW_PRIVATE;
});

describe('Settings → Automations', () => {
  test('the deal-won bridge from the template gallery: a bad URL is refused by path, then a won deal gets its project id and kickoff', async () => {
    const projects = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/projects`;
    const org = (await server.api('POST', '/crm/organizations', { name: 'Initech' })).body;
    const deal = (await server.api('POST', '/crm/deals', { title: 'Initech rollout', organizationId: org.id, amount: 5000 })).body;
    await navigate(page, '/settings');
    const section = page.getByTestId('settings-automations');

    // a secret for the step, never shown again
    await section.getByTestId('secret-name').fill('projects_token');
    await section.getByTestId('secret-value').fill('Bearer s3cret');
    await section.getByTestId('secret-save').click();
    await section.getByText('projects_token', { exact: true }).waitFor();

    // the template fills the builder; a URL that is not http(s) is refused, naming the step's field
    await section.getByTestId('template-Won → project').getByRole('button', { name: 'Use this template' }).click();
    const editor = page.getByTestId('automation-editor');
    const url = editor.getByTestId('step-0').getByTestId('step-url');
    await url.fill('ftp://projects.example/api');
    await editor.getByTestId('automation-save').click();
    assert.match((await editor.getByTestId('automation-error').textContent())!, /steps\.0\.url/);

    await url.fill(projects);
    await screenshot(page, 'settings-automations-builder');
    await editor.getByTestId('automation-save').click();
    await editor.waitFor({ state: 'detached' });
    await section.getByTestId('automation-Won → project').waitFor();

    // the deal is won: the project tool is called with the secret and the deal's names; the id comes back onto the deal
    assert.equal((await server.api('PATCH', `/crm/deals/${deal.id}`, { status: 'won' })).status, 200);
    const updated = await eventually(
      async () => {
        const d = (await server.api('GET', `/crm/deals/${deal.id}`)).body;
        return d.linkedProjectId === 'proj_42' ? d : null;
      },
      { message: 'linkedProjectId set by the automation' },
    );
    assert.equal(updated.linkedProjectId, 'proj_42');
    assert.deepEqual(received[0], { auth: 'Bearer s3cret', body: { name: 'Initech rollout', client: 'Initech' } });
    const followUps = (await server.api('GET', `/crm/activities?dealId=${deal.id}&type=follow_up`)).body.data;
    assert.deepEqual(
      followUps.map((a: any) => a.subject),
      ['Kickoff'],
    );

    // the run history shows it; a run on a chosen deal is added
    await section.getByTestId('automation-Won → project').getByTestId('automation-runs').click();
    await page.getByTestId('runs-table').getByTestId('run-succeeded').first().waitFor();
    await page.getByTestId('run-record').click();
    await page.getByRole('option', { name: 'Initech rollout' }).click();
    await page.getByTestId('run-now').click();
    await eventually(async () => (await page.getByTestId('runs-table').getByTestId('run-succeeded').count()) === 2, { message: 'the manual run in the history' });
    await screenshot(page, 'settings-automations');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
  });

  test('a condition from the field and operator pickers is saved as the server expects', async () => {
    const section = page.getByTestId('settings-automations');
    await section.getByTestId('automation-new').click();
    const editor = page.getByTestId('automation-editor');
    await editor.getByTestId('automation-name').fill('Big deals');
    await editor.getByTestId('automation-event').click();
    await page.getByRole('option', { name: 'deal.created', exact: true }).click();
    await editor.getByTestId('add-condition').click();
    const condition = editor.getByTestId('condition');
    await condition.getByLabel('Field').click();
    await page.getByRole('option', { name: 'amount', exact: true }).click();
    await condition.getByLabel('Operator').click();
    await page.getByRole('option', { name: 'on or after / at least' }).click();
    await condition.getByLabel('Value').fill('10000');
    await editor.getByTestId('add-step').click();
    await page.getByRole('option', { name: 'Add a label' }).click();
    await editor.getByTestId('step-label').fill('big');
    await editor.getByTestId('automation-save').click();
    await editor.waitFor({ state: 'detached' });
    const saved = (await server.api('GET', '/crm/automations')).body.data.find((a: any) => a.name === 'Big deals');
    assert.deepEqual(saved.conditions, [{ field: 'amount', op: 'gte', value: 10000 }]);
    assert.deepEqual(saved.steps, [{ type: 'add_label', label: 'big' }]);

    // it works: a deal of 12,000 gets the label, one of 500 does not
    const big = (await server.api('POST', '/crm/deals', { title: 'Big one', amount: 12000 })).body;
    const small = (await server.api('POST', '/crm/deals', { title: 'Small one', amount: 500 })).body;
    await eventually(async () => ((await server.api('GET', `/crm/deals/${big.id}`)).body.labels ?? []).includes('big'), { message: 'the big deal labelled' });
    assert.deepEqual((await server.api('GET', `/crm/deals/${small.id}`)).body.labels ?? [], []);
  });
});
