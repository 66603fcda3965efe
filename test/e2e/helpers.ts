/**
 * Shared headless-Chromium helpers for the e2e tests: a real server serving the built web UI
 * (dist/web, like `npm start`), a real Chromium driven by playwright-core, sign-in, screenshots.
 *
 * The web UI must be built first (`npm run build:web`; `npm test` builds it).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';

export const CHROMIUM_PATH = process.env.KITH_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const WEB_DIR = path.resolve('dist/web');
export const SCREENSHOT_DIR = path.resolve('test-results/screenshots');

/** Fails early with a clear message when the web UI has not been built. */
export function assertWebBuilt(): void {
  if (!fs.existsSync(path.join(WEB_DIR, 'index.html'))) {
    throw new Error(`dist/web/index.html is missing: run \`npm run build:web\` before the e2e tests`);
  }
}

/** A real server serving dist/web (as `npm start` does) on an ephemeral port. */
export async function startAppServer(options: { dataDir?: string } = {}): Promise<TestServer> {
  assertWebBuilt();
  return startTestServer({ uiDir: WEB_DIR, dataDir: options.dataDir });
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/**
 * A fresh browser context (its own storage, i.e. its own IndexedDB) and page, 1400×900.
 * The service worker is blocked unless `serviceWorkers: 'allow'`: on the first visit it fetches and
 * caches the whole build in the background (~4–5 CPU-s per context), and only tests that reload
 * the app offline (the offline app shell) need it.
 */
export async function newPage(browser: Browser, options: { width?: number; height?: number; serviceWorkers?: 'allow' | 'block' } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1400, height: options.height ?? 900 }, serviceWorkers: options.serviceWorkers ?? 'block' });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[browser pageerror] ${error.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/Failed to load resource|ERR_INTERNET_DISCONNECTED|net::ERR/.test(msg.text())) console.error(`[browser console.error] ${msg.text()}`);
  });
  return { context, page };
}

/**
 * Opens the app and signs in with `key` through the sign-in screen (the server URL defaults to the
 * page's origin). Resolves once the app shell is shown and the first sync has finished.
 * `open: false` signs in on the sign-in screen the page already shows (e.g. after a refused key).
 */
export async function signIn(page: Page, serverUrl: string, key: string, options: { workspace?: string; open?: boolean } = {}): Promise<void> {
  if (options.open ?? true) await page.goto(serverUrl + '/');
  await page.getByTestId('signin-key').fill(key);
  if (options.workspace) await page.getByTestId('signin-workspace').fill(options.workspace);
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('app-shell').waitFor({ timeout: 20_000 });
  await waitForSynced(page);
}

/** Waits until the sync indicator says online with nothing unsent. */
export async function waitForSynced(page: Page, timeout = 20_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const el = document.querySelector('[data-testid="sync-indicator"]');
      return el?.getAttribute('data-state') === 'online' && el?.getAttribute('data-pending') === '0';
    },
    undefined,
    { timeout },
  );
}

/** Number of local changes not yet on the server, as the sync indicator shows it. */
export async function pendingCount(page: Page): Promise<number> {
  const value = await page.getByTestId('sync-indicator').getAttribute('data-pending');
  return Number(value ?? 'NaN');
}

/** Client-side navigation without a page reload (keeps the open store). */
export async function navigate(page: Page, to: string): Promise<void> {
  await page.evaluate((target) => {
    window.history.pushState(null, '', target);
    window.dispatchEvent(new PopStateEvent('popstate'));
  }, to);
}

/** Writes test-results/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/** Polls `fn` until it returns a truthy value (server-side checks after UI actions). */
export async function eventually<T>(fn: () => Promise<T | null | undefined | false>, { timeout = 15_000, interval = 150, message = 'condition' } = {}): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new Error(`Timed out waiting for ${message}${last ? `: ${String(last)}` : ''}`);
}

/** Drag with real pointer events (works with dnd-kit's PointerSensor). */
export async function dragTo(page: Page, sourceSelector: string, targetSelector: string): Promise<void> {
  const source = await page.locator(sourceSelector).first().boundingBox();
  const target = await page.locator(targetSelector).first().boundingBox();
  if (!source || !target) throw new Error(`dragTo: ${!source ? sourceSelector : targetSelector} is not visible`);
  const sx = source.x + source.width / 2;
  const sy = source.y + Math.min(source.height / 2, 20);
  await page.mouse.move(sx, sy);
  await page.mouse.down();
  await page.mouse.move(sx + 10, sy + 5, { steps: 3 });
  await page.mouse.move(target.x + target.width / 2, target.y + Math.min(80, target.height / 2), { steps: 12 });
  await page.waitForTimeout(100);
  await page.mouse.up();
}

/** POST over the test server's REST API as its owner; asserts 200 or 201 and answers the body. */
export async function apiPost(server: TestServer, path: string, body: unknown): Promise<any> {
  const res = await server.api('POST', path, body);
  assert.ok(res.status === 201 || res.status === 200, `${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** GET over the test server's REST API as its owner; asserts 200 and answers the body. */
export async function apiGet(server: TestServer, path: string): Promise<any> {
  const res = await server.api('GET', path);
  assert.equal(res.status, 200, `${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** True once the table's stored copy of `collection` is written (renderer/data/rowCache.ts); runs in the page (`page.waitForFunction`). */
export async function tableCopyStored(collection: string): Promise<boolean> {
  for (const { name } of await indexedDB.databases()) {
    if (!name?.startsWith('kith-rowcache-')) continue;
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open(name);
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const keys = await new Promise<IDBValidKey[]>((resolve, reject) => {
      const r = db.transaction('rows').objectStore('rows').getAllKeys();
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    db.close();
    // the copy's description is `<collection>@<schema version>`; its values and marks have `#` or `!` after it
    if (keys.some((k) => typeof k === 'string' && k.startsWith(`${collection}@`) && !/[#!]/.test(k))) return true;
  }
  return false;
}
