/**
 * The web app opens offline (issue 15, item 1; SPEC §6) in a real Chromium against a real server
 * serving dist/web: the service worker installs on the first visit; offline (Chromium's network
 * emulation), a reload shows the board with the local deals and the offline state, "last synced"
 * kept from before the reload; an edit made then reaches the server after reconnecting. A new
 * build says "Kith was updated" on its first load. Screenshot: pwa-offline-reload.png.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { eventually, launchBrowser, navigate, newPage, screenshot, signIn, startAppServer, waitForSynced } from './helpers.js';

let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let dealId: string;

beforeAll(async () => {
  server = await startAppServer();
  const res = await server.api('POST', '/crm/deals', { title: 'Harbor cranes', amount: 4200 });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  dealId = res.body.id;
  browser = await launchBrowser();
  ({ context, page } = await newPage(browser, { serviceWorkers: 'allow' }));
  await signIn(page, server.url, server.key);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('offline open', () => {
  test('installable: a manifest with icons, and a service worker that takes control', async () => {
    const manifest = await page.evaluate(async () => {
      const href = document.querySelector('link[rel="manifest"]')?.getAttribute('href');
      return href ? (await fetch(href)).json() : null;
    });
    assert.equal(manifest?.name, 'Kith CRM');
    assert.ok(manifest.icons.some((i: { sizes: string }) => i.sizes === '512x512'));
    await page.waitForFunction(() => !!navigator.serviceWorker?.controller, undefined, { timeout: 20_000 });
  });

  test('offline, a reload opens the board on the local deals and says offline; "last synced" is kept', async () => {
    await page.getByTestId(`deal-card-${dealId}`).waitFor();
    const lastSynced = await page.getByTestId('sync-indicator').getAttribute('data-last-synced');

    await context.setOffline(true);
    await page.reload();
    await page.getByTestId('app-shell').waitFor({ timeout: 20_000 });
    await page.getByTestId(`deal-card-${dealId}`).waitFor({ timeout: 20_000 });
    await eventually(async () => (await page.getByTestId('sync-indicator').getAttribute('data-state')) === 'offline', { message: 'the offline state' });
    assert.ok(lastSynced, 'last synced known before going offline');
    assert.equal(await page.getByTestId('sync-indicator').getAttribute('data-last-synced'), lastSynced);
    await page.getByTestId('sync-indicator').click();
    assert.doesNotMatch((await page.getByTestId('last-synced').textContent()) ?? '', /not yet/);
    await screenshot(page, 'pwa-offline-reload');
    await page.keyboard.press('Escape');
  });

  test('an edit made offline after the reload reaches the server after reconnecting', async () => {
    await navigate(page, `/deals/${dealId}`);
    await page.getByTestId('deal-field-title').fill('Harbor cranes (offline edit)');
    await page.getByTestId('deal-form-submit').click();
    await page.getByTestId('pending-count').waitFor();
    await context.setOffline(false);
    await eventually(async () => (await server.api('GET', `/crm/deals/${dealId}`)).body?.title === 'Harbor cranes (offline edit)', { timeout: 30_000, message: 'the offline edit on the server' });
    await waitForSynced(page, 30_000);
  });

  test('the first load of a new version says it was updated', async () => {
    await page.evaluate(() => window.localStorage.setItem('kith.build', 'an-older-build'));
    await page.reload();
    await page.getByText('Kith was updated').waitFor({ timeout: 20_000 });
    await page.reload();
    await page.getByTestId('app-shell').waitFor({ timeout: 20_000 });
    await page.waitForTimeout(500);
    assert.equal(await page.getByText('Kith was updated').count(), 0, 'said once');
  });
});
