/**
 * Issue 14 in Chromium (SPEC §1 "People sign in", §6): the owner sets a password through the
 * first-start setup link and lands in the app with their name shown; invites a member in
 * Settings → Members; the link is accepted in a second browser context by creating the account; sign out, and sign in again with
 * email and password. No key is stored in the page for a signed-in person; the page reports no
 * Content-Security-Policy violation; the app does not render inside a cross-origin frame.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { launchBrowser, navigate, newPage, startAppServer, waitForSynced } from './helpers.js';

let server: TestServer;
let browser: Browser;
const violations: string[] = [];
const PASSWORD = 'correct horse battery';

async function watchCsp(page: Page): Promise<void> {
  await page.exposeFunction('__cspViolation', (text: string) => violations.push(text));
  await page.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as unknown as { __cspViolation(t: string): void }).__cspViolation(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`),
    ),
  );
}

const storedConnection = (page: Page) => page.evaluate(() => localStorage.getItem('kith.connection'));

beforeAll(async () => {
  server = await startAppServer();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('people sign in', () => {
  test('setup link, invite accepted in a second context, sign out, sign in with the password', async () => {
    const owner = await newPage(browser);
    await watchCsp(owner.page);
    // 1. the owner opens the setup link printed at first start
    await owner.page.goto(`${server.url}/setup#token=${server.setupToken}`);
    await owner.page.getByTestId('link-name').fill('Olivia Owner');
    await owner.page.getByTestId('link-password').fill(PASSWORD);
    await owner.page.getByTestId('link-confirm').fill(PASSWORD);
    await owner.page.getByTestId('link-submit').click();
    await owner.page.getByTestId('app-shell').waitFor({ timeout: 20_000 });
    await waitForSynced(owner.page);
    await owner.page.getByTestId('user-name').filter({ hasText: 'Olivia Owner' }).waitFor();
    assert.equal(new URL(owner.page.url()).pathname, '/', 'the token left the address bar');
    const stored = (await storedConnection(owner.page)) ?? '';
    assert.doesNotMatch(stored, /kith_|kses_/, 'no key or session token in localStorage');

    // 2. the owner invites a member in Settings → Members and copies the link
    await navigate(owner.page, '/settings');
    await owner.page.getByTestId('member-owner@kith.local').waitFor();
    await owner.page.getByTestId('invite-email').fill('mia@example.com');
    await owner.page.getByTestId('invite-submit').click();
    const inviteUrl = ((await owner.page.getByTestId('invite-link').textContent()) ?? '').trim();
    assert.match(inviteUrl, /\/invite#token=kinv_/);
    await owner.page.getByTestId('invites-table').getByText('mia@example.com').waitFor();

    // 3. the invited person accepts in another browser context by creating the account
    const member = await newPage(browser);
    await watchCsp(member.page);
    await member.page.goto(inviteUrl);
    await member.page.getByTestId('invite-summary').filter({ hasText: 'mia@example.com' }).waitFor();
    await member.page.getByTestId('link-name').fill('Mia Member');
    await member.page.getByTestId('link-password').fill(PASSWORD);
    await member.page.getByTestId('link-confirm').fill(PASSWORD);
    await member.page.getByTestId('link-submit').click();
    await member.page.getByTestId('app-shell').waitFor({ timeout: 20_000 });
    await waitForSynced(member.page);
    await member.page.getByTestId('user-name').filter({ hasText: 'Mia Member' }).waitFor();
    assert.equal(await member.page.getByTestId('workspace-name').textContent(), 'Default workspace');
    const members = (await server.api('GET', '/crm/workspace/members')).body.data;
    assert.equal(members.find((m: { email: string }) => m.email === 'mia@example.com').role, 'MEMBER');
    // the owner sees the new member in Settings; the last owner's own role is not offered for change
    await owner.page.reload();
    await owner.page.getByTestId('app-shell').waitFor({ timeout: 20_000 });
    await navigate(owner.page, '/settings');
    await owner.page.getByTestId('member-mia@example.com').waitFor();
    assert.equal(await owner.page.getByTestId('member-owner@kith.local').locator('input[aria-label^="Role of"]').isDisabled(), true);

    // 4. sign out: back to the sign-in screen; the session no longer works
    await member.page.getByTestId('user-menu').click();
    await member.page.getByTestId('user-sign-out').click();
    await member.page.getByTestId('signin').waitFor();
    const me = await member.page.evaluate(() => fetch('/auth/me').then((r) => r.status));
    assert.equal(me, 401);

    // 5. a wrong password is refused; the right one signs in
    await member.page.getByTestId('signin-email').fill('mia@example.com');
    await member.page.getByTestId('signin-password').fill('not the password');
    await member.page.getByTestId('signin-password-submit').click();
    await member.page.getByTestId('signin-error').filter({ hasText: 'wrong' }).waitFor();
    await member.page.getByTestId('signin-password').fill(PASSWORD);
    await member.page.getByTestId('signin-password-submit').click();
    await member.page.getByTestId('app-shell').waitFor({ timeout: 20_000 });
    await member.page.getByTestId('user-name').filter({ hasText: 'Mia Member' }).waitFor();

    // a reload keeps the person signed in (the cookie), with no key stored
    await member.page.reload();
    await member.page.getByTestId('app-shell').waitFor({ timeout: 20_000 });
    assert.doesNotMatch((await storedConnection(member.page)) ?? '', /kith_|kses_/);

    await owner.context.close();
    await member.context.close();
    assert.deepEqual(violations, [], 'no Content-Security-Policy violation');
  });

  test('the app does not render inside a cross-origin frame', async () => {
    const { context, page } = await newPage(browser);
    await page.setContent(`<iframe id="kith" src="${server.url}/" width="800" height="600"></iframe>`);
    await page.waitForTimeout(1500);
    const frame = page.frames().find((f) => f !== page.mainFrame());
    const rendered = frame ? await frame.evaluate(() => !!document.querySelector('#root')).catch(() => false) : false;
    assert.equal(rendered, false, 'frame-ancestors none: no app in the frame');
    await context.close();
  });
});
