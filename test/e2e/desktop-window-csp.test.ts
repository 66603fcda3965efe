/**
 * The desktop window's page for real: headless Chromium loads the built UI from a real server
 * with the desktop's content security policy on its documents and a `window.kithDesktop` bridge
 * shaped like the preload's. The app must connect through the bridge (no sign-in screen), sync,
 * and run without a single CSP violation. (Needs the built web UI: `npm run build:web`.)
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { CONTENT_SECURITY_POLICY } from '../../main/window.js';
import { launchBrowser, startAppServer, waitForSynced } from './helpers.js';
import type { TestServer } from '../helpers/server.js';

describe('desktop window content', () => {
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startAppServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the app runs under the desktop CSP, connected through the preload bridge', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    try {
      // what secureSession() does in Electron: the CSP header on every document of the app origin
      await page.route('**/*', async (route) => {
        if (route.request().resourceType() !== 'document') return route.fallback();
        const response = await route.fetch();
        await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': CONTENT_SECURITY_POLICY } });
      });
      const connection = { mode: 'local', serverUrl: server.url, apiKey: server.key, workspace: 'default' };
      // (a string, not a function: tsx's name helpers do not exist in the page)
      await page.addInitScript(`
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber + ':' + e.columnNumber));
        window.__bridgeCalls = [];
        const conn = ${JSON.stringify(connection)};
        window.kithDesktop = {
          getConnection: async () => { window.__bridgeCalls.push('getConnection'); return conn; },
          setConnection: async () => { window.__bridgeCalls.push('setConnection'); },
          agentConfig: async () => ({ stdio: {}, http: {} }),
          testMcp: async () => ({ ok: true, toolCount: 0 }),
          openExternal: async () => { window.__bridgeCalls.push('openExternal'); },
        };
      `);

      const response = await page.goto(`${server.url}/`);
      assert.equal(response?.headers()['content-security-policy'], CONTENT_SECURITY_POLICY);
      await page.getByTestId('app-shell').waitFor({ timeout: 20_000 });
      await waitForSynced(page);
      assert.equal(await page.getByTestId('signin-key').count(), 0, 'no sign-in screen on the desktop');
      assert.ok(((await page.evaluate('window.__bridgeCalls')) as string[]).includes('getConnection'));

      // a client-side route and a full reload of a nested route (history fallback, absolute asset URLs)
      await page.goto(`${server.url}/organizations`);
      await page.getByTestId('app-shell').waitFor({ timeout: 20_000 });
      // zod 4 probes `Function('')` once per page to decide whether to compile parsers; the CSP refuses
      // it (reported as an `eval` violation) and zod uses its plain path. Anything else is a real breach.
      const violations = (await page.evaluate('window.__cspViolations')) as string[];
      assert.deepEqual(
        violations.filter((v) => !v.startsWith('script-src eval ')),
        [],
      );

      // the policy is live: an inline script is refused
      const inlineRan = await page.evaluate(`(() => {
        window.__inline = false;
        const s = document.createElement('script');
        s.textContent = 'window.__inline = true';
        document.head.appendChild(s);
        return window.__inline;
      })()`);
      assert.equal(inlineRan, false);
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });
});
