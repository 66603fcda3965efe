/**
 * Dark mode (issue 15, item 7) in a real Chromium: the app follows the system's colour scheme
 * (emulated), and the switch under Settings → Appearance overrides it and is kept across a reload.
 * Screenshot: dark-board.png.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { launchBrowser, navigate, screenshot, signIn, startAppServer } from './helpers.js';

let server: TestServer;
let browser: Browser;
let page: Page;
let dealId: string;

/** Relative luminance (0 black … 1 white) of an element's computed background. */
async function backgroundLuminance(p: Page, selector: string): Promise<number> {
  const rgb = await p
    .locator(selector)
    .first()
    .evaluate((el) => getComputedStyle(el).backgroundColor);
  const [r, g, b] = (rgb.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);
  return (0.2126 * r! + 0.7152 * g! + 0.0722 * b!) / 255;
}

beforeAll(async () => {
  server = await startAppServer();
  dealId = (await server.api('POST', '/crm/deals', { title: 'Night shift', amount: 100 })).body.id;
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, colorScheme: 'dark' });
  page = await context.newPage();
  await signIn(page, server.url, server.key);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('dark mode', () => {
  test('follows the system setting', async () => {
    await page.getByTestId(`deal-card-${dealId}`).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.getAttribute('data-mantine-color-scheme')), 'dark');
    assert.ok((await backgroundLuminance(page, `[data-testid="deal-card-${dealId}"]`)) < 0.3, 'dark card');
    assert.ok((await backgroundLuminance(page, 'main')) < 0.3, 'dark page');
    await screenshot(page, 'dark-board');
  });

  test('the switch in settings overrides it and is kept across a reload', async () => {
    await navigate(page, '/settings');
    await page.getByTestId('color-scheme').getByText('Light').click();
    assert.equal(await page.evaluate(() => document.documentElement.getAttribute('data-mantine-color-scheme')), 'light');
    await page.reload();
    await page.getByTestId('app-shell').waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.getAttribute('data-mantine-color-scheme')), 'light');
    await navigate(page, '/');
    await page.getByTestId(`deal-card-${dealId}`).waitFor();
    assert.ok((await backgroundLuminance(page, `[data-testid="deal-card-${dealId}"]`)) > 0.9, 'light card');
    await navigate(page, '/settings');
    await page.getByTestId('color-scheme').getByText('System').click();
    assert.equal(await page.evaluate(() => document.documentElement.getAttribute('data-mantine-color-scheme')), 'dark');
  });
});
