/**
 * Settings → Webhooks (issue 16, item 4) in a real Chromium against a real server and a real HTTP
 * receiver on loopback: an owner adds an endpoint and copies its secret (shown once), sends a test
 * event the receiver refuses (503), sees the attempt in the delivery log, retries it once the
 * receiver is back and sees it delivered, with a signature that verifies with the secret from the
 * page; then pauses and deletes the endpoint. Screenshot: settings-webhooks.png.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { eventually, launchBrowser, navigate, newPage, screenshot, signIn, startAppServer } from './helpers.js';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

let server: TestServer;
let browser: Browser;
let page: Page;
let receiver: http.Server;
let answer = 503;
const received: Received[] = [];

beforeAll(async () => {
  process.env.KITH_WEBHOOK_ALLOW_PRIVATE = '1'; // the receiver is on loopback
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(answer).end();
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

describe('Settings → Webhooks', () => {
  test('add an endpoint, see a refused test event in the log, retry it, pause and delete the endpoint', async () => {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    await navigate(page, '/settings');
    const section = page.getByTestId('settings-webhooks');
    await section.getByTestId('webhook-url').fill(url);
    await section.getByTestId('webhook-add').click();
    const secret = (await section.getByTestId('webhook-secret').textContent())!;
    assert.match(secret, /^whsec_/, 'the signing secret is shown once, to copy');
    const row = section.getByTestId(`webhook-${url}`);
    await row.getByText('deal.won').waitFor();

    // a test event the receiver refuses: the log shows the attempt and its 503
    await row.getByRole('button', { name: 'Send test' }).click();
    await eventually(async () => received.length >= 1, { message: 'the receiver was called' });
    await row.getByTestId('webhook-log').click();
    const log = page.getByTestId('deliveries-table');
    const delivery = log.getByTestId('delivery-webhook.test');
    await eventually(
      async () => {
        if ((await delivery.textContent())?.includes('503')) return true;
        await page.getByRole('button', { name: 'Refresh' }).click();
        return false;
      },
      { message: 'the 503 in the delivery log' },
    );
    assert.match((await delivery.textContent())!, /pending/, 'a refused delivery waits for its next try');
    await screenshot(page, 'settings-webhooks');

    // the receiver is back: Retry now delivers it, and the signature verifies with the secret from the page
    answer = 200;
    await delivery.getByRole('button', { name: 'Retry now' }).click();
    await eventually(
      async () => {
        if ((await delivery.textContent())?.includes('delivered')) return true;
        await page.getByRole('button', { name: 'Refresh' }).click();
        return false;
      },
      { message: 'delivered after the retry' },
    );
    const last = received.at(-1)!;
    assert.equal(last.headers['kith-event'], 'webhook.test');
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]+)$/.exec(String(last.headers['kith-signature']))!;
    assert.equal(v1, createHmac('sha256', secret).update(`${t}.${last.body}`).digest('hex'), 'signed with the secret the page showed');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });

    // pause: the API says inactive; delete: gone from the page and the API
    await page.getByLabel(`Active: ${url}`).click({ force: true });
    await eventually(async () => (await server.api('GET', '/crm/webhooks')).body.data[0]?.active === false, { message: 'paused' });
    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByTestId('webhook-delete-confirm').click();
    await row.waitFor({ state: 'detached' });
    assert.deepEqual((await server.api('GET', '/crm/webhooks')).body.data, []);
  });
});
