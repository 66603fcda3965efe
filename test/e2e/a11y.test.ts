/**
 * Accessibility (issue 15, item 6): axe-core, run in a real Chromium on the board, a deal, the
 * people table, the deals table, reports, settings, import and duplicates, finds no serious or critical violation
 * (WCAG 2 A/AA rules). Seeded with a few records so tables, cards and charts have content.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { launchBrowser, navigate, newPage, signIn, startAppServer, waitForSynced } from './helpers.js';

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let server: TestServer;
let browser: Browser;
let page: Page;
let dealId: string;

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** The serious and critical axe violations on the page as it is now. */
async function violations(p: Page): Promise<Violation[]> {
  // evaluated through the DevTools protocol: the app's CSP (no inline script) does not apply to it
  if (!(await p.evaluate(() => 'axe' in window))) await p.evaluate(AXE_SOURCE);
  const result = await p.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: Violation[] }> } }).axe;
    return axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
  });
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

const describeViolations = (list: Violation[]) =>
  list.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.length} nodes, e.g. ${v.nodes[0]?.target.join(' ')}: ${v.nodes[0]?.failureSummary ?? ''}`).join('\n');

beforeAll(async () => {
  server = await startAppServer();
  const org = (await server.api('POST', '/crm/organizations', { name: 'Umbrella Corp', website: 'https://umbrella.example', labels: ['enterprise'] })).body;
  const person = (await server.api('POST', '/crm/people', { name: 'Alice Abernathy', email: 'alice@umbrella.example', organizationId: org.id })).body;
  dealId = (await server.api('POST', '/crm/deals', { title: 'Umbrella rollout', amount: 12000, organizationId: org.id, primaryPersonId: person.id, labels: ['q4'], expectedCloseDate: '2027-01-15' }))
    .body.id;
  await server.api('POST', '/crm/deals', { title: 'Umbrella pilot', amount: 3000, organizationId: org.id, status: 'won' });
  await server.api('POST', '/crm/activities', { type: 'call', subject: 'Kickoff call', dealId });
  await server.api('POST', '/crm/activities', { type: 'follow_up', subject: 'Send the contract', dealId, dueAt: new Date(Date.now() - 86_400_000).toISOString() });
  browser = await launchBrowser();
  ({ page } = await newPage(browser));
  await signIn(page, server.url, server.key);
  await waitForSynced(page);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('no serious or critical axe violations', () => {
  const pages: [string, string, string][] = [
    ['the board', '/', '[data-testid^="deal-card-"]'],
    ['a deal', '/deals/:deal', '[data-testid="deal-detail"], h1'],
    ['the people table', '/people', '[data-testid^="people-row-"]'],
    ['the deals table', '/deals', '[data-testid^="deals-row-"]'],
    ['reports', '/reports', '.recharts-surface'],
    ['settings', '/settings', '[data-testid="settings-members"]'],
    ['import', '/settings/import', '[data-testid="import-entity"]'],
    ['duplicates', '/duplicates', '[data-testid="duplicates-empty"], [data-testid="duplicate-group"]'],
  ];
  for (const [name, path, ready] of pages) {
    test(name, async () => {
      await navigate(page, path.replace(':deal', dealId));
      await page.locator(ready).first().waitFor();
      await page.waitForTimeout(300); // transitions settle (colors mid-fade read as low contrast)
      const found = await violations(page);
      assert.equal(found.length, 0, `${name}:\n${describeViolations(found)}`);
    });
  }
});
