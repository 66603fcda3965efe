/**
 * The records screens in a real Chromium against a real server: organizations and people tables
 * (create through the UI with validation, search, sort, label filter), a person page (edit,
 * log an activity, add a follow-up), "My follow-ups" (overdue marked, done toggle) and the record
 * history (updates, and a conflict showing the losing value).
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { eventually, launchBrowser, navigate, newPage, screenshot, signIn, startAppServer, waitForSynced, apiPost } from './helpers.js';

let server: TestServer;
let browser: Browser;
let page: Page;
const ids: Record<string, string> = {};

const post = (path: string, body: unknown) => apiPost(server, path, body);

/** The names in the people/organizations table, top to bottom (rows rendered by the virtualizer). */
async function tableNames(entity: 'people' | 'organizations'): Promise<string[]> {
  return page.$$eval(`[data-testid^="${entity}-row-"]`, (rows) => rows.map((r) => (r.querySelector('[data-row-name]')?.textContent ?? '').trim()));
}

async function waitForTableNames(entity: 'people' | 'organizations', expected: string[]): Promise<void> {
  await eventually(async () => JSON.stringify(await tableNames(entity)) === JSON.stringify(expected), {
    timeout: 15_000,
    message: `${entity} table to show ${expected.join(', ')} (shows ${(await tableNames(entity)).join(', ')})`,
  });
}

beforeAll(async () => {
  server = await startAppServer();
  const acme = await post('/crm/organizations', { name: 'Acme Corp', website: 'https://www.acme.example', labels: ['customer'] });
  const globex = await post('/crm/organizations', { name: 'Globex', website: 'globex.example' });
  ids.acme = acme.id;
  ids.globex = globex.id;
  ids.ada = (await post('/crm/people', { name: 'Ada Lovelace', email: 'ada@acme.example', title: 'CTO', organizationId: acme.id, labels: ['vip', 'customer'] })).id;
  ids.grace = (await post('/crm/people', { name: 'Grace Hopper', email: 'grace@globex.example', title: 'Admiral', organizationId: globex.id, labels: ['vip'] })).id;
  ids.alan = (await post('/crm/people', { name: 'Alan Turing', email: 'alan@example.org', labels: ['prospect'] })).id;
  const yesterday = new Date(Date.now() - 26 * 3600_000).toISOString();
  const nextWeek = new Date(Date.now() + 7 * 24 * 3600_000).toISOString();
  ids.overdue = (await post('/crm/activities', { type: 'follow_up', subject: 'Send the contract to Grace', personId: ids.grace, dueAt: yesterday })).id;
  ids.upcoming = (await post('/crm/activities', { type: 'follow_up', subject: 'Check in with Ada', personId: ids.ada, dueAt: nextWeek })).id;
  ids.deal = (await post('/crm/deals', { title: 'Acme platform rollout', organizationId: acme.id, primaryPersonId: ids.ada, amount: 12500, currency: 'USD' })).id;
  await post(`/crm/deals/${ids.deal}/contacts`, { personId: ids.grace, role: 'champion' });
  await post('/crm/activities', { type: 'note', subject: 'Met at the conference', body: 'Interested in the enterprise plan.', personId: ids.ada, organizationId: acme.id });

  browser = await launchBrowser();
  ({ page } = await newPage(browser));
  page.setDefaultTimeout(15_000);
  await signIn(page, server.url, server.key);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('organizations', () => {
  test('the table lists organizations; a new one is validated, created through the UI and reaches the server', async () => {
    await navigate(page, '/organizations');
    await waitForTableNames('organizations', ['Acme Corp', 'Globex']);
    assert.equal(await page.getByTestId('organizations-count').textContent(), '2');
    // website shows the derived domain
    assert.match((await page.getByTestId(`organizations-row-${ids.acme}`).textContent()) ?? '', /acme\.example/);

    await page.getByTestId('organizations-new').click();
    await page.getByTestId('organization-form-submit').click();
    await page.getByText('Must not be empty').waitFor();

    await page.getByTestId('organization-field-name').fill('Initech');
    await page.getByTestId('organization-field-website').fill('https://initech.example/about');
    await page.getByTestId('organization-field-labels').fill('partner');
    await page.keyboard.press('Enter');
    await page.getByTestId('organization-form-submit').click();
    await waitForTableNames('organizations', ['Acme Corp', 'Globex', 'Initech']);

    const created = await eventually(async () => (await server.api('GET', '/crm/organizations?q=Initech')).body.data[0], { message: 'Initech on the server' });
    assert.equal(created.domain, 'initech.example');
    assert.deepEqual(created.labels, ['partner']);
    ids.initech = created.id;
    await waitForSynced(page);
  });

  test('the organization page shows its people, deals and activity', async () => {
    await page.getByTestId(`organizations-row-${ids.acme}`).click();
    await page.getByTestId('organization-detail').waitFor();
    assert.equal(await page.getByTestId('organization-name').textContent(), 'Acme Corp');
    await page.getByTestId(`organization-person-${ids.ada}`).waitFor();
    assert.equal(await page.locator('[data-testid^="organization-person-"]').count(), 1);
    await page.getByTestId('activity-timeline').getByText('Met at the conference').waitFor();
    const deal = page.getByTestId(`related-deal-${ids.deal}`);
    await deal.waitFor();
    assert.match((await deal.textContent()) ?? '', /Acme platform rollout.*Lead.*\$12,500.*open/);
    await screenshot(page, 'records-organization-detail');
  });
});

describe('people', () => {
  test('a new person is validated against the shared schema, created with an organization and labels', async () => {
    await navigate(page, '/people');
    await waitForTableNames('people', ['Ada Lovelace', 'Alan Turing', 'Grace Hopper']);

    await page.keyboard.press('n');
    await page.getByTestId('person-field-name').waitFor();
    await page.getByTestId('person-field-name').fill('Marie Curie');
    await page.getByTestId('person-field-email').fill('not-an-email');
    await page.getByTestId('person-form-submit').click();
    await page.getByText('Must be an email address').waitFor();

    await page.getByTestId('person-field-email').fill('marie@initech.example');
    await page.getByTestId('person-field-title').fill('Head of Research');
    await page.getByTestId('person-field-organization').click();
    await page.getByTestId('person-field-organization').fill('Init');
    await page.getByRole('option', { name: 'Initech' }).click();
    await page.getByTestId('person-field-labels').fill('vip');
    await page.keyboard.press('Enter');
    await page.getByTestId('person-form-submit').click();
    await waitForTableNames('people', ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Marie Curie']);

    const marie = await eventually(async () => (await server.api('GET', '/crm/people?q=Marie')).body.data[0], { message: 'Marie on the server' });
    assert.equal(marie.email, 'marie@initech.example');
    assert.equal(marie.organizationId, ids.initech);
    assert.deepEqual(marie.labels, ['vip']);
    ids.marie = marie.id;
    // the organization column shows the organization's name
    assert.match((await page.getByTestId(`people-row-${marie.id}`).textContent()) ?? '', /Initech/);
  });

  test('the people table searches, sorts and filters by label', async () => {
    await page.getByTestId('people-search').fill('globex');
    await waitForTableNames('people', ['Grace Hopper']);
    assert.equal(await page.getByTestId('people-count').textContent(), '1 of 4');
    await page.getByTestId('people-search').fill('zzz-nobody');
    await page.getByTestId('people-no-match').waitFor();
    await page.getByTestId('people-search').fill('');
    await waitForTableNames('people', ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Marie Curie']);

    await page.getByTestId('sort-name').click();
    await waitForTableNames('people', ['Marie Curie', 'Grace Hopper', 'Alan Turing', 'Ada Lovelace']);
    await page.getByTestId('sort-organization').click();
    // by organization name, people without one last
    await waitForTableNames('people', ['Ada Lovelace', 'Grace Hopper', 'Marie Curie', 'Alan Turing']);
    await page.getByTestId('sort-name').click();

    await page.getByTestId('people-label-filter').click();
    const vip = page.getByRole('option', { name: /^vip/ });
    assert.match((await vip.textContent()) ?? '', /^vip\s*3$/); // with the number of people carrying it
    await vip.click();
    await page.keyboard.press('Escape');
    await waitForTableNames('people', ['Ada Lovelace', 'Grace Hopper', 'Marie Curie']);
    await page.getByTestId('people-search').fill('acme');
    await waitForTableNames('people', ['Ada Lovelace']);
    await page.getByTestId('people-search').fill('');
    await waitForTableNames('people', ['Ada Lovelace', 'Grace Hopper', 'Marie Curie']);
    await screenshot(page, 'records-people-table-filtered');
    await page.getByTestId('people-clear-filters').click();
    await waitForTableNames('people', ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Marie Curie']);
    await screenshot(page, 'records-people-table');
  });

  test('the computed columns (last activity, next follow-up) are chosen in the Columns menu, show overdue follow-ups and sort', async () => {
    await navigate(page, '/people');
    await waitForTableNames('people', ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Marie Curie']);
    const cell = (id: string, col: string) => page.getByTestId(`people-row-${id}`).locator(`[data-col="${col}"]`);
    // off by default: a table keeps its standard columns until they are chosen
    assert.equal(await cell(ids.ada, 'lastActivityAt').count(), 0);
    await page.getByTestId('people-columns').click();
    assert.equal(await page.getByTestId('people-column-lastActivityAt').getAttribute('aria-checked'), 'false');
    await page.getByTestId('people-column-lastActivityAt').click();
    await page.getByTestId('people-column-nextFollowUpAt').click();
    await page.keyboard.press('Escape');
    await eventually(async () => /ago/.test((await cell(ids.ada, 'lastActivityAt').textContent()) ?? ''), { message: "Ada's last activity (the note logged at seeding)" });
    assert.equal((await cell(ids.alan, 'lastActivityAt').textContent())?.trim(), '—');
    assert.match((await cell(ids.ada, 'nextFollowUpAt').textContent()) ?? '', /^in \d+ days$/);
    assert.match((await cell(ids.grace, 'nextFollowUpAt').textContent()) ?? '', /ago/);
    assert.equal(await cell(ids.grace, 'nextFollowUpAt').locator('[data-overdue="true"]').count(), 1, "Grace's overdue follow-up is marked");
    assert.equal(await cell(ids.ada, 'nextFollowUpAt').locator('[data-overdue]').count(), 0);
    await screenshot(page, 'records-people-computed-columns');
    // earliest follow-up first, people without one last
    await page.getByTestId('sort-nextFollowUpAt').click();
    await eventually(async () => (await tableNames('people')).slice(0, 2).join(',') === 'Grace Hopper,Ada Lovelace', {
      message: `sorted by next follow-up (shows ${(await tableNames('people')).join(', ')})`,
    });
    // remembered across a reload (the sort is not: back to by name), then put back as the other tests expect
    await page.reload();
    await waitForTableNames('people', ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Marie Curie']);
    await eventually(async () => /ago/.test((await cell(ids.ada, 'lastActivityAt').textContent()) ?? ''), { message: 'the chosen columns after a reload' });
    await page.getByTestId('people-columns').click();
    await page.getByTestId('people-column-lastActivityAt').click();
    await page.getByTestId('people-column-nextFollowUpAt').click();
    await page.keyboard.press('Escape');
    await eventually(async () => (await cell(ids.ada, 'lastActivityAt').count()) === 0, { message: 'the column hidden again' });
  });

  test('a person page edits fields with validation, logs a call and adds a follow-up', async () => {
    await page.getByTestId(`people-row-${ids.alan}`).click();
    await page.getByTestId('person-detail').waitFor();
    assert.equal(await page.getByTestId('person-name').textContent(), 'Alan Turing');

    // edit: invalid email refused with the schema's message, then a valid edit saved
    await page.getByTestId('person-field-email').fill('alan@');
    await page.getByTestId('person-form-submit').click();
    await page.getByText('Must be an email address').waitFor();
    await page.getByTestId('person-field-email').fill('alan@bletchley.example');
    await page.getByTestId('person-field-phone').fill('+44 20 7946 0000');
    const owner = (await server.api('GET', '/crm/workspace/members')).body.data[0];
    await page.getByTestId('person-field-owner').click();
    await page.getByRole('option', { name: owner.name || owner.email }).click();
    await page.getByTestId('person-form-submit').click();
    await eventually(
      async () => {
        const p = (await server.api('GET', `/crm/people/${ids.alan}`)).body;
        return p.email === 'alan@bletchley.example' && p.phone === '+44 20 7946 0000' && p.ownerId === owner.id;
      },
      { message: 'the edit on the server' },
    );

    // log a call
    await page.getByTestId('activity-timeline-empty').waitFor();
    await page.getByTestId('composer-type-call').click();
    await page.getByTestId('composer-subject').fill('Discussed the Enigma project');
    await page.getByTestId('composer-body').fill('Wants a follow-up demo.');
    await page.getByTestId('composer-submit').click();
    await page.getByTestId('activity-timeline').getByText('Discussed the Enigma project').waitFor();

    // add a follow-up due tomorrow
    await page.getByTestId('composer-type-follow_up').click();
    await page.getByTestId('composer-subject').fill('Send the demo recording');
    await page.getByTestId('composer-due-tomorrow').click();
    await page.getByTestId('composer-submit').click();
    await page.getByTestId('activity-timeline').getByText('Send the demo recording').waitFor();

    const activities = await eventually(
      async () => {
        const list = (await server.api('GET', `/crm/activities?personId=${ids.alan}`)).body.data as any[];
        return list.length === 2 ? list : null;
      },
      { message: 'two activities for Alan on the server' },
    );
    const call = activities.find((a) => a.type === 'call');
    const followUp = activities.find((a) => a.type === 'follow_up');
    assert.equal(call.subject, 'Discussed the Enigma project');
    assert.equal(call.body, 'Wants a follow-up demo.');
    assert.equal(followUp.subject, 'Send the demo recording');
    assert.ok(followUp.dueAt && Date.parse(followUp.dueAt) > Date.now(), 'due in the future');
    assert.equal(followUp.completedAt, null);
    await screenshot(page, 'records-person-detail');
  });

  test('the history shows updates and a sync conflict with the losing value', async () => {
    // A client that last saw Alan before the server renamed him pushes its own rename: the server
    // keeps its value and records the losing one.
    const before = (await server.api('GET', `/crm/people/${ids.alan}`)).body;
    const renamed = await server.api('PATCH', `/crm/people/${ids.alan}`, { title: 'Mathematician' });
    assert.equal(renamed.status, 200);
    const push = await server.api('POST', '/sync/people/push', [{ assumedMasterState: { ...before, _deleted: false }, newDocumentState: { ...before, title: 'Codebreaker', _deleted: false } }]);
    assert.equal(push.status, 200, JSON.stringify(push.body));
    // …and a push the server must refuse (an invalid email) is listed with its reason
    const current = (await server.api('GET', `/crm/people/${ids.alan}`)).body;
    const refused = await server.api('POST', '/sync/people/push', [{ assumedMasterState: { ...current, _deleted: false }, newDocumentState: { ...current, email: 'not an email', _deleted: false } }]);
    assert.equal(refused.status, 200, JSON.stringify(refused.body));

    await page.getByTestId('tab-history').click();
    await page.getByTestId('record-history').waitFor();
    const conflict = page.getByTestId('history-conflict');
    await conflict.waitFor();
    assert.match((await conflict.textContent()) ?? '', /Title/);
    assert.equal(await conflict.getByTestId('history-lost-value').textContent(), 'Codebreaker');
    await page.getByTestId('history-entry-update').first().waitFor();
    const updates = await page.getByTestId('history-entry-update').allTextContents();
    assert.ok(
      updates.some((t) => t.includes('alan@bletchley.example')),
      `an update shows the new email: ${updates.join(' | ')}`,
    );
    await page.getByTestId('history-entry-create').waitFor();
    const rejected = page.getByTestId('history-rejected');
    await rejected.waitFor();
    assert.match((await rejected.textContent()) ?? '', /email/i);
    await screenshot(page, 'records-person-history');
  });
});

describe('people, live and archived', () => {
  test('a person page lists their deals, as primary contact or with their role', async () => {
    await navigate(page, `/people/${ids.grace}`);
    const deal = page.getByTestId(`related-deal-${ids.deal}`);
    await deal.waitFor();
    assert.match((await deal.textContent()) ?? '', /Acme platform rollout.*champion/);
    await navigate(page, `/people/${ids.ada}`);
    await page.getByTestId(`related-deal-${ids.deal}`).getByText('primary contact').waitFor();
    // the organization link on the person page
    await page.getByTestId('person-organization-link').click();
    await page.getByTestId('organization-detail').waitFor();
    assert.equal(await page.getByTestId('organization-name').textContent(), 'Acme Corp');
  });

  test('a person added through the API shows up in the open table, live', async () => {
    await navigate(page, '/people');
    await waitForTableNames('people', ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Marie Curie']);
    ids.barbara = (await post('/crm/people', { name: 'Barbara Liskov', email: 'barbara@mit.example', organizationId: ids.acme })).id;
    await waitForTableNames('people', ['Ada Lovelace', 'Alan Turing', 'Barbara Liskov', 'Grace Hopper', 'Marie Curie']);
    assert.match((await page.getByTestId(`people-row-${ids.barbara}`).textContent()) ?? '', /Acme Corp/);
    assert.equal(await page.getByTestId('people-count').textContent(), '5');
  });

  test('archiving hides a person from the table, the Archived filter shows them, restoring brings them back', async () => {
    await page.getByTestId(`people-row-${ids.barbara}`).click();
    await page.getByTestId('person-detail').waitFor();
    await page.getByTestId('record-archive').click();
    await page.getByTestId('archived-banner').waitFor();
    await eventually(async () => (await server.api('GET', `/crm/people/${ids.barbara}`)).body.archivedAt !== null, { message: 'archived on the server' });

    await navigate(page, '/people');
    await waitForTableNames('people', ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Marie Curie']);
    await page.getByTestId('people-archived-filter').getByText('Archived').click();
    await waitForTableNames('people', ['Barbara Liskov']);
    await page.getByTestId(`people-row-${ids.barbara}`).click();
    await page.getByTestId('record-restore').click();
    await page.getByTestId('archived-banner').waitFor({ state: 'detached' });
    await eventually(async () => (await server.api('GET', `/crm/people/${ids.barbara}`)).body.archivedAt === null, { message: 'restored on the server' });
    // back on the list, still filtered to archived people: nobody is archived any more
    await navigate(page, '/people');
    await page.getByTestId('people-no-match').waitFor();
    await page.getByTestId('people-archived-filter').getByText('Active').click();
    await waitForTableNames('people', ['Ada Lovelace', 'Alan Turing', 'Barbara Liskov', 'Grace Hopper', 'Marie Curie']);
  });
});

describe('activities', () => {
  test('follow-ups: overdue ones are marked and the done toggle completes them on the server', async () => {
    await navigate(page, '/activities');
    await page.getByTestId('my-followups').waitFor();
    const overdueRow = page.getByTestId(`followup-${ids.overdue}`);
    await overdueRow.waitFor();
    assert.equal(await overdueRow.getAttribute('data-overdue'), 'true');
    assert.ok(await page.getByTestId('followups-overdue').getByText('Send the contract to Grace').isVisible());
    assert.equal(await page.getByTestId(`followup-${ids.upcoming}`).getAttribute('data-overdue'), 'false');
    await page.getByTestId('followups-upcoming').getByText('Send the demo recording').waitFor();
    await screenshot(page, 'records-activities');

    await overdueRow.getByTestId(`followup-toggle-${ids.overdue}`).click();
    await page.getByTestId('followups-overdue').waitFor({ state: 'detached' });
    const done = await eventually(
      async () => {
        const a = (await server.api('GET', `/crm/activities?personId=${ids.grace}`)).body.data.find((x: any) => x.id === ids.overdue);
        return a?.completedAt ? a : null;
      },
      { message: 'the follow-up completed on the server' },
    );
    assert.ok(Date.parse(done.completedAt) <= Date.now());

    // it can be reopened from "Recently done"
    await page.getByTestId('followups-show-done').click();
    await page.getByTestId('followups-done').getByTestId(`followup-toggle-${ids.overdue}`).click();
    await page.getByTestId('followups-overdue').getByText('Send the contract to Grace').waitFor();
    await eventually(
      async () => {
        const a = (await server.api('GET', `/crm/activities?personId=${ids.grace}`)).body.data.find((x: any) => x.id === ids.overdue);
        return a && a.completedAt === null;
      },
      { message: 'the follow-up reopened on the server' },
    );
  });

  test('the timeline lists every activity and filters by type; an activity can be logged from here', async () => {
    const timeline = page.getByTestId('activities-timeline');
    await timeline.getByText('Discussed the Enigma project').waitFor();
    await timeline.getByText('Met at the conference').waitFor();
    await page.locator('[data-testid="activities-type-note"] + label').click(); // untick notes
    await page.waitForFunction(() => !document.querySelector('[data-testid="activities-timeline"]')?.textContent?.includes('Met at the conference'));
    await page.locator('[data-testid="activities-type-note"] + label').click();
    await timeline.getByText('Met at the conference').waitFor();

    await page.getByTestId('activities-new').click();
    await page.getByTestId('composer-type-meeting').click();
    await page.getByTestId('composer-subject').fill('Quarterly review');
    await page.getByTestId('composer-submit').click();
    await page.getByText('Choose a person, organization or deal').waitFor();
    await page.getByTestId('composer-organization').click();
    await page.getByTestId('composer-organization').fill('Glob');
    await page.getByRole('option', { name: 'Globex' }).click();
    await page.getByTestId('composer-submit').click();
    await timeline.getByText('Quarterly review').waitFor();
    await eventually(async () => (await server.api('GET', `/crm/activities?organizationId=${ids.globex}`)).body.data.some((a: any) => a.subject === 'Quarterly review' && a.type === 'meeting'), {
      message: 'the meeting on the server',
    });
  });
});
