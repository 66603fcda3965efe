/**
 * Issue 14, item 4 in Chromium (SPEC §1 "OAuth for agents"): a remote MCP client connects to Kith
 * with the MCP SDK's own OAuth support (discovery, dynamic registration, authorization code with
 * PKCE) while a person completes the consent page in a real browser — signed in with a password
 * first, choosing the workspace and the access — and the browser lands on the client's real
 * callback server with the code. Then tokens, tools/list and a call over /mcp, a refresh, and the
 * app revoked in Settings → Connected apps: the next call is refused (401). A read-only grant, made
 * by a person who signs in on the consent page itself, lists read tools only. Unknown /.well-known
 * paths are 404, not the web app.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { auth, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { TestServer } from '../helpers/server.js';
import { MemoryOAuthProvider } from '../helpers/oauthClient.js';
import { launchBrowser, navigate, newPage, screenshot, startAppServer, waitForSynced } from './helpers.js';

let server: TestServer;
let browser: Browser;
let callback: http.Server;
let callbackUrl = '';
const codes: URLSearchParams[] = [];
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  server = await startAppServer();
  browser = await launchBrowser();
  const setup = await fetch(`${server.url}/auth/setup`, {
    method: 'POST',
    headers: { origin: server.url, 'content-type': 'application/json' },
    body: JSON.stringify({ token: server.setupToken, name: 'Olivia Owner', password: PASSWORD }),
  });
  assert.equal(setup.status, 200);
  const { accounts } = server.services;
  const mia = await accounts.createUser({ email: 'mia@oauth.test', name: 'Mia Member' });
  await accounts.setMembership((await accounts.findWorkspace('default'))!.id, mia.id, 'MEMBER');
  await accounts.setPassword(mia.id, PASSWORD, { userId: null });
  // the MCP client's own redirect target (as a desktop client listens on loopback)
  callback = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/callback') codes.push(url.searchParams); // not the browser's /favicon.ico
    res.setHeader('content-type', 'text/html');
    res.end('<p>Connected. You can close this window.</p>');
  });
  await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
  callbackUrl = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/callback`;
});
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => callback?.close(resolve));
  await server?.stop();
});

const mcpUrl = () => new URL('/mcp', server.url);
const violations: string[] = [];

/** Records Content-Security-Policy violations of the page (the consent page runs under the server's CSP). */
async function watchCsp(page: Page): Promise<void> {
  await page.exposeFunction('__cspViolation', (text: string) => violations.push(text));
  await page.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (e) => (window as unknown as { __cspViolation(t: string): void }).__cspViolation(`${e.violatedDirective} ${e.blockedURI}`)),
  );
}

/** Starts the SDK's flow: the client is refused and asks to open the authorization page. */
async function startFlow(provider: MemoryOAuthProvider): Promise<{ transport: StreamableHTTPClientTransport; url: URL }> {
  const transport = new StreamableHTTPClientTransport(mcpUrl(), { authProvider: provider });
  await assert.rejects(new Client({ name: 'e2e-agent', version: '1.0.0' }).connect(transport), UnauthorizedError);
  assert.ok(provider.authorizationUrl);
  return { transport, url: provider.authorizationUrl };
}

/** Clicks Allow and waits for the browser to land on the client's callback with a code. */
async function allow(page: Page): Promise<string> {
  const before = codes.length;
  await page.getByTestId('consent-allow').click();
  await page.waitForURL((url) => url.href.startsWith(callbackUrl), { timeout: 15_000 });
  assert.equal(codes.length, before + 1, 'the callback server received the answer');
  const code = codes[codes.length - 1].get('code');
  assert.ok(code, `callback query: ${codes[codes.length - 1]}`);
  return code;
}

async function rawStatus(token: string): Promise<number> {
  const res = await fetch(mcpUrl(), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
  });
  return res.status;
}

describe('OAuth for a remote MCP client, consent in Chromium', () => {
  test('sign in, connect the app with full access, use it, refresh, revoke it in Settings → the next call is 401', async () => {
    const { context, page } = await newPage(browser);
    await watchCsp(page);
    // the person signs in with a password first (the app's own sign-in screen)
    await page.goto(server.url + '/');
    await page.getByTestId('signin-email').fill('owner@kith.local');
    await page.getByTestId('signin-password').fill(PASSWORD);
    await page.getByTestId('signin-password-submit').click();
    await page.getByTestId('app-shell').waitFor({ timeout: 20_000 });

    const provider = new MemoryOAuthProvider(callbackUrl);
    const { transport, url } = await startFlow(provider);
    assert.equal(url.origin + url.pathname, `${server.url}/oauth/authorize`);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(url.searchParams.get('resource'), `${server.url}/mcp`);

    await page.goto(url.href);
    await page.getByTestId('consent-summary').filter({ hasText: 'owner@kith.local' }).waitFor();
    assert.match((await page.getByTestId('consent-page').textContent()) ?? '', /Connect Test agent to Kith/);
    assert.equal(await page.getByTestId('consent-access-full').isChecked(), true, 'the app asked for crm:write');
    await page.getByTestId('consent-access-full').check();
    await screenshot(page, 'oauth-consent');
    const code = await allow(page);

    await transport.finishAuth(code);
    const client = new Client({ name: 'e2e-agent', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(mcpUrl(), { authProvider: provider }));
    const tools = (await client.listTools()).tools;
    assert.ok(tools.some((t) => t.name === 'crm.organization.create'));
    const made = await client.callTool({ name: 'crm.organization.create', arguments: { name: 'Connected Co' } });
    assert.ok(!made.isError, JSON.stringify(made.content));

    // refresh: new tokens, and the client keeps working with them
    const first = provider.saved!;
    assert.equal(await auth(provider, { serverUrl: mcpUrl() }), 'AUTHORIZED');
    assert.notEqual(provider.saved!.access_token, first.access_token);
    assert.notEqual(provider.saved!.refresh_token, first.refresh_token);
    assert.ok(!(await client.callTool({ name: 'crm.organization.list', arguments: {} })).isError);

    // Settings → Connected apps lists it; the person revokes it there
    await page.goto(server.url + '/');
    await page.getByTestId('app-shell').waitFor({ timeout: 20_000 });
    await waitForSynced(page);
    await navigate(page, '/settings');
    const row = page.getByTestId('connected-app-Test agent');
    await row.waitFor();
    await row.scrollIntoViewIfNeeded();
    assert.match((await row.textContent()) ?? '', /Default workspace/);
    assert.match((await row.getByTestId('connected-app-access').textContent()) ?? '', /full access/);
    await screenshot(page, 'oauth-connected-apps');
    await row.getByTestId('connected-app-revoke').click();
    await page.getByTestId('connected-app-revoke-confirm').click();
    await page.getByTestId('connected-apps-empty').waitFor();

    assert.equal(await rawStatus(provider.saved!.access_token), 401, 'the token is refused at once');
    provider.authorizationUrl = null;
    await assert.rejects(client.callTool({ name: 'crm.organization.list', arguments: {} }));
    assert.ok(provider.authorizationUrl, 'the client is sent to authorize again');
    await context.close();
    assert.deepEqual(violations, [], 'no Content-Security-Policy violation');
  });

  test('a person who signs in on the consent page grants read-only access: read tools only', async () => {
    const { context, page } = await newPage(browser);
    const provider = new MemoryOAuthProvider(callbackUrl, { client_name: 'Reader' });
    const { transport, url } = await startFlow(provider);
    await page.goto(url.href);
    await page.getByTestId('consent-email').fill('mia@oauth.test');
    await page.getByTestId('consent-password').fill(PASSWORD);
    await page.getByTestId('consent-signin').click();
    await page.getByTestId('consent-summary').filter({ hasText: 'mia@oauth.test' }).waitFor();
    await page.getByTestId('consent-access-read').check();
    const code = await allow(page);
    await transport.finishAuth(code);
    assert.equal(provider.saved!.scope, 'crm:read');
    const client = new Client({ name: 'e2e-reader', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(mcpUrl(), { authProvider: provider }));
    const tools = (await client.listTools()).tools;
    assert.ok(tools.length > 0);
    assert.deepEqual(
      tools.filter((t) => t.annotations?.readOnlyHint !== true).map((t) => t.name),
      [],
    );
    await client.close();
    await context.close();
  });

  test('a denial returns to the app with access_denied', async () => {
    const { context, page } = await newPage(browser);
    const provider = new MemoryOAuthProvider(callbackUrl, { client_name: 'Declined' });
    const { url } = await startFlow(provider);
    await page.goto(url.href);
    await page.getByTestId('consent-email').fill('mia@oauth.test');
    await page.getByTestId('consent-password').fill(PASSWORD);
    await page.getByTestId('consent-signin').click();
    await page.getByTestId('consent-deny').click();
    await page.waitForURL((u) => u.href.startsWith(callbackUrl), { timeout: 15_000 });
    assert.equal(codes[codes.length - 1].get('error'), 'access_denied');
    await context.close();
  });

  test('unknown /.well-known paths are 404, never the web app', async () => {
    const { context, page } = await newPage(browser);
    const res = await page.goto(`${server.url}/.well-known/foo`);
    assert.equal(res?.status(), 404);
    assert.match(res?.headers()['content-type'] ?? '', /application\/problem\+json/);
    const metadata = await page.goto(`${server.url}/.well-known/oauth-authorization-server`);
    assert.equal(metadata?.status(), 200);
    await context.close();
  });
});
