/**
 * Data in, duplicates out (issue 13), in a real Chromium against a real server: a 1,000-row
 * people CSV with a few bad rows imported through Settings → Import (a column mapped by hand,
 * the report with its errors and its CSV download, the valid rows committed with the progress
 * bar, the result; the server holds exactly the valid rows; the mapping is remembered), two people
 * merged from the duplicates page (deals and activities moved over REST, then Undo restores them),
 * and the create forms' duplicate warnings (from the local store, offline too).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { eventually, launchBrowser, navigate, newPage, screenshot, signIn, startAppServer, waitForSynced, apiGet, apiPost } from './helpers.js';

let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const ids: Record<string, string> = {};

const post = (path: string, body: unknown) => apiPost(server, path, body);
const get = (path: string) => apiGet(server, path);

/** Every person on the server (all pages). */
async function allPeople(): Promise<{ id: string; name: string; email: string | null; organizationId: string | null; custom: Record<string, unknown> }[]> {
  const out = [];
  let cursor: string | null = null;
  do {
    const page: any = await get(`/crm/people?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
    out.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** Picks `option` in the Mantine Select with this test id. */
async function choose(testId: string, option: string): Promise<void> {
  await page.getByTestId(testId).click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

// 1,000 data rows: the header "E-mail" maps by itself, "Company" is mapped by hand, "Tier" is a custom select's label
const ROWS = 1000;
const BAD: Record<number, { cells: string[]; column: string; message: RegExp }> = {
  10: { cells: ['Bad Email', 'not-an-email', 'Acme', 'Gold'], column: 'E-mail', message: /email/i },
  250: { cells: ['', 'nameless@example.com', 'Acme', 'Gold'], column: 'Name', message: /./ },
  500: { cells: ['Odd Tier', 'odd.tier@example.com', 'Globex', 'Platinum'], column: 'Tier', message: /gold|silver/i },
  750: { cells: ['Again One', 'person1@example.com', 'Acme', 'Silver'], column: 'E-mail', message: /duplicates row 1/ },
};
const COMPANIES = ['Acme', 'Globex', 'Initech', 'Umbrella'];

function peopleCsv(): { csv: string; validEmails: string[] } {
  const lines = ['Name,E-mail,Company,Tier'];
  const validEmails: string[] = [];
  for (let i = 1; i <= ROWS; i++) {
    const bad = BAD[i];
    if (bad) {
      lines.push(bad.cells.map((c) => (c.includes(',') ? `"${c}"` : c)).join(','));
      continue;
    }
    const email = `person${i}@example.com`;
    validEmails.push(email);
    // a quoted name with a comma, to be sure the file is read as CSV
    lines.push([i % 7 === 0 ? `"Person ${i}, Jr."` : `Person ${i}`, email, COMPANIES[i % COMPANIES.length], i % 2 ? 'Gold' : 'silver'].join(','));
  }
  return { csv: lines.join('\n') + '\n', validEmails };
}

beforeAll(async () => {
  server = await startAppServer();
  await post('/crm/fields', {
    entity: 'people',
    key: 'tier',
    label: 'Tier',
    type: 'select',
    options: [
      { value: 'gold', label: 'Gold', color: 'yellow' },
      { value: 'silver', label: 'Silver', color: 'gray' },
    ],
  });
  ids.acme = (await post('/crm/organizations', { name: 'Acme', website: 'https://www.acme.example' })).id;
  ids.ada = (await post('/crm/people', { name: 'Ada Lovelace', email: 'ada@acme.example', organizationId: ids.acme })).id;
  // two Jane Does: the same email in another case; deals and activities on the second
  ids.jane1 = (await post('/crm/people', { name: 'Jane Doe', email: 'jane@doe.example', title: 'CEO', labels: ['customer'] })).id;
  ids.jane2 = (await post('/crm/people', { name: 'Jane M. Doe', email: 'JANE@doe.example', phone: '+1 555 0199', labels: ['vip'] })).id;
  ids.deal = (await post('/crm/deals', { title: 'Doe expansion', organizationId: ids.acme, primaryPersonId: ids.jane2, amount: 9000, currency: 'USD' })).id;
  ids.call = (await post('/crm/activities', { type: 'call', subject: 'Intro call with Jane', personId: ids.jane2 })).id;
  ids.note = (await post('/crm/activities', { type: 'note', subject: 'Jane likes the pilot', personId: ids.jane2 })).id;

  browser = await launchBrowser();
  ({ context, page } = await newPage(browser));
  page.setDefaultTimeout(20_000);
  await signIn(page, server.url, server.key);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('import', () => {
  test('a 1,000-row people CSV with bad rows: mapped, reviewed, the valid rows committed with progress; the server has exactly them', async () => {
    const { csv, validEmails } = peopleCsv();
    const before = await allPeople();

    // Settings → Import
    await navigate(page, '/settings');
    await page.getByTestId('settings-import-open').click();
    await page.getByTestId('import-page').waitFor();
    await choose('import-entity', 'People');
    await page.locator('input[type=file]').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByTestId('import-mapping').waitFor();
    assert.match((await page.getByTestId('import-file-summary').textContent()) ?? '', /people\.csv: 4 columns/);

    // auto-mapped by header: E-mail → Email, Tier → the custom field; Company is not a field: left out until mapped
    assert.equal(await page.getByTestId('import-map-E-mail').inputValue(), 'Email');
    assert.equal(await page.getByTestId('import-map-Tier').inputValue(), 'Tier');
    assert.equal(await page.getByTestId('import-map-Company').inputValue(), 'Leave out');
    await page.getByTestId('import-map-Company').click();
    await page.getByRole('option', { name: 'Organization (by name)' }).click();
    assert.equal(await page.getByTestId('import-map-Company').inputValue(), 'Organization (by name)');
    assert.equal(await page.getByTestId('import-match').inputValue(), 'Email');
    await screenshot(page, 'import-mapping');

    // validate: the report, errors first, by row and column with the row's values
    await page.getByTestId('import-validate').click();
    await page.getByTestId('import-review').waitFor();
    assert.equal(await page.getByTestId('import-count-error').textContent(), '4 rows in error');
    assert.equal(await page.getByTestId('import-count-create').textContent(), `${(ROWS - 4).toLocaleString('en-US')} new records`);
    // Globex, Initech and Umbrella do not exist yet: created by the commit, reported apart
    assert.match((await page.getByTestId('import-organizations').textContent()) ?? '', /3 organizations .*Globex.*Initech.*Umbrella|3 organizations .*Initech/);
    for (const [row, bad] of Object.entries(BAD)) {
      const text = (await page.getByTestId(`import-error-row-${row}`).textContent()) ?? '';
      assert.ok(text.includes(`${bad.column}:`), `row ${row} names column ${bad.column}: ${text}`);
      assert.match(text, bad.message, `row ${row}: ${text}`);
    }
    assert.match((await page.getByTestId('import-error-row-10').textContent()) ?? '', /not-an-email/, "the row's values are shown");
    await screenshot(page, 'import-review');

    // the report downloads as CSV: one line per error, with the row's values
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('import-download-report').click()]);
    const report = fs
      .readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\n');
    assert.equal(download.suggestedFilename(), 'people-errors.csv');
    assert.match(report[0], /^row,column,message,/);
    assert.equal(report.length, 1 + 4, report.join('\n'));
    assert.match(report[1], /^10,E-mail,.*not-an-email/);

    // nothing is written before the commit
    assert.equal((await allPeople()).length, before.length);

    // all or nothing is not offered while rows are in error; commit the valid rows
    assert.ok(await page.getByTestId('import-commit-all').isDisabled());
    await page.getByTestId('import-commit').click();
    await page.getByTestId('import-progress').waitFor();
    await page.getByTestId('import-result').waitFor({ timeout: 60_000 });
    const progress = page.getByTestId('import-progress');
    assert.equal(await progress.getAttribute('data-done'), String(ROWS - 4));
    assert.equal(await progress.getAttribute('data-total'), String(ROWS - 4));
    assert.match(
      (await page.getByTestId('import-result-summary').textContent()) ?? '',
      /996 records created, 0 records updated, 0 rows skipped, 4 rows in error not imported; 3 organizations created/,
    );
    await screenshot(page, 'import-result');

    // the server has exactly the valid rows, with their organizations and tiers
    const after = await allPeople();
    const imported = after.filter((p) => !before.some((b) => b.id === p.id));
    assert.equal(imported.length, ROWS - 4);
    assert.deepEqual(imported.map((p) => p.email).sort(), [...validEmails].sort());
    const orgs = (await get('/crm/organizations?limit=100')).data as { id: string; name: string }[];
    const byName = new Map(orgs.map((o) => [o.name, o.id]));
    const p8 = imported.find((p) => p.email === 'person8@example.com')!;
    assert.equal(p8.organizationId, byName.get('Acme'), 'the existing Acme');
    assert.equal(p8.custom.tier, 'silver');
    assert.equal(imported.find((p) => p.email === 'person7@example.com')!.name, 'Person 7, Jr.');
    assert.ok(byName.has('Umbrella'));

    // the result links to the records; the page remembers the mapping for people on this device
    await page.getByTestId('import-another').click();
    await choose('import-entity', 'People');
    await page.locator('input[type=file]').setInputFiles({ name: 'more.csv', mimeType: 'text/csv', buffer: Buffer.from('Name,E-mail,Company\nNew One,new.one@example.com,Acme\n') });
    await page.getByTestId('import-mapping').waitFor();
    assert.equal(await page.getByTestId('import-map-Company').inputValue(), 'Organization (by name)');
  });

  test('a file that is not CSV is refused with a clear message; offline, the page says import needs the server', async () => {
    await navigate(page, '/settings/import');
    await choose('import-entity', 'Organizations');
    await page.locator('input[type=file]').setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"name": ') });
    await page.getByText('broken.json is not valid JSON').waitFor();

    await context.setOffline(true);
    await page.getByTestId('import-offline').waitFor();
    assert.match((await page.getByTestId('import-offline').textContent()) ?? '', /Import needs the server/);
    await context.setOffline(false);
    await waitForSynced(page, 30_000);
  });
});

describe('duplicates and merge', () => {
  test('two people merged from the duplicates page: deals and activities move to the one kept; Undo brings them back', async () => {
    await navigate(page, '/people');
    await page.getByTestId('open-duplicates').click();
    await page.getByTestId('duplicates-page').waitFor();
    const group = page.getByTestId('duplicate-group').filter({ hasText: 'jane@doe.example' });
    await group.waitFor();
    assert.match((await group.textContent()) ?? '', /Same email.*Jane Doe.*Jane M\. Doe/);

    await group.getByTestId(`duplicate-merge-${ids.jane1}`).click();
    await page.getByTestId('merge-fields').waitFor();
    // Jane Doe (the oldest) stays; the fields they disagree on are a choice, labels are united
    assert.equal(await page.getByTestId(`merge-target-${ids.jane1}`).isChecked(), true);
    assert.ok(await page.getByTestId(`merge-choose-name-${ids.jane2}`).isVisible());
    assert.match((await page.getByTestId('merge-labels').textContent()) ?? '', /customer.*vip/);
    // the name: the kept record's by default, the second's chosen; the phone only the second has is no choice: it is kept
    assert.equal(await page.getByTestId(`merge-choose-name-${ids.jane1}`).isChecked(), true, "the kept record's name by default");
    await page.getByTestId(`merge-choose-name-${ids.jane2}`).check();
    assert.match((await page.getByTestId('merge-field-phone').textContent()) ?? '', /\+1 555 0199/);
    assert.equal(await page.getByTestId('merge-field-phone').getByRole('radio').count(), 0);
    await screenshot(page, 'merge-dialog');
    await page.getByTestId('merge-submit').click();
    await page.getByTestId('merge-done').waitFor();
    await screenshot(page, 'merge-done');

    const kept = await get(`/crm/people/${ids.jane1}`);
    assert.equal(kept.name, 'Jane M. Doe');
    assert.equal(kept.phone, '+1 555 0199');
    assert.equal(kept.title, 'CEO');
    assert.deepEqual([...kept.labels].sort(), ['customer', 'vip']);
    assert.equal((await server.api('GET', `/crm/people/${ids.jane2}`)).status, 404);
    assert.equal((await get(`/crm/deals/${ids.deal}`)).primaryPersonId, ids.jane1);
    assert.equal((await get(`/crm/activities/${ids.call}`)).personId, ids.jane1);
    assert.equal((await get(`/crm/activities/${ids.note}`)).personId, ids.jane1);
    // the group is gone from the page
    await eventually(async () => (await page.getByTestId('duplicate-group').filter({ hasText: 'jane@doe.example' }).count()) === 0, { message: 'the merged group to leave the page' });

    await page.getByTestId('merge-undo').click();
    await eventually(async () => (await server.api('GET', `/crm/people/${ids.jane2}`)).status === 200, { message: 'the source to come back' });
    assert.equal((await get(`/crm/deals/${ids.deal}`)).primaryPersonId, ids.jane2);
    assert.equal((await get(`/crm/activities/${ids.call}`)).personId, ids.jane2);
    assert.equal((await get(`/crm/people/${ids.jane1}`)).name, 'Jane Doe');
    await page.getByTestId('duplicate-group').filter({ hasText: 'jane@doe.example' }).waitFor();
  });
});

describe('create-form duplicate warnings', () => {
  test('a new person with an existing email, offline too, and a new organization with an existing domain: warned, named with a link, still created', async () => {
    await navigate(page, '/people');
    await waitForSynced(page);
    await context.setOffline(true);
    await page.getByTestId('people-new').click();
    await page.getByTestId('person-field-name').fill('Jane Again');
    await page.getByTestId('person-field-email').fill('ADA@acme.example');
    const warning = page.getByTestId('person-duplicate-warning');
    await warning.waitFor();
    assert.match((await warning.textContent()) ?? '', /Ada Lovelace has this email already/);
    assert.equal(await warning.getByRole('link', { name: 'Ada Lovelace' }).getAttribute('href'), `/people/${ids.ada}`);
    await screenshot(page, 'person-duplicate-warning');
    await page.getByTestId('person-form-submit').click();
    await page.getByTestId('person-form').waitFor({ state: 'detached' });
    await context.setOffline(false);
    await waitForSynced(page, 30_000);
    await eventually(async () => (await allPeople()).some((p) => p.name === 'Jane Again'), { message: 'the duplicate person to reach the server' });

    await navigate(page, '/organizations');
    await page.getByTestId('organizations-new').click();
    await page.getByTestId('organization-field-name').fill('Acme Europe');
    await page.getByTestId('organization-field-website').fill('acme.example/eu');
    const orgWarning = page.getByTestId('organization-duplicate-warning');
    await orgWarning.waitFor();
    assert.match((await orgWarning.textContent()) ?? '', /Acme has the domain acme\.example already/);
    await page.getByTestId('organization-field-website').fill('acme-europe.example');
    await orgWarning.waitFor({ state: 'detached' });
    await page.getByTestId('organization-field-website').fill('https://www.acme.example/eu');
    await orgWarning.waitFor();
    await page.getByTestId('organization-form-submit').click();
    await eventually(async () => ((await get('/crm/organizations?limit=100')).data as { name: string; domain: string }[]).some((o) => o.name === 'Acme Europe' && o.domain === 'acme.example'), {
      message: 'the duplicate organization to reach the server',
    });
  });
});
