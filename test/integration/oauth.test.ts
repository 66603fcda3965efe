/**
 * Issue 14, item 4 (SPEC §1 "OAuth for agents"): Kith as the OAuth 2.1 authorization server of
 * /mcp, over real HTTP with the MCP SDK client's own OAuth support (`OAuthClientProvider` with
 * `StreamableHTTPClientTransport`, `auth()` for the refresh). The consent step is answered through
 * the consent page's API as the signed-in person (the page itself is driven in Chromium by
 * test/e2e/oauth.test.ts). Discovery, registration, PKCE S256 only, resource binding, scopes,
 * refresh rotation and replay, revocation (endpoint and Settings' REST route), membership removal,
 * audit, secrets hashed at rest, and 404 for unknown /.well-known paths.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { auth, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { answerConsent, consentRequest, MemoryOAuthProvider, passwordCookie } from '../helpers/oauthClient.js';

let server: TestServer;
const PASSWORD = 'correct horse battery';
const REDIRECT = 'http://127.0.0.1:9/callback';
let miaId = '';
let miaCookie = '';

const mcpUrl = () => new URL('/mcp', server.url);

beforeAll(async () => {
  server = await startTestServer();
  const { accounts } = server.services;
  const ws = (await accounts.findWorkspace('default'))!;
  const mia = await accounts.createUser({ email: 'mia@oauth.test', name: 'Mia Member' });
  miaId = mia.id;
  await accounts.setMembership(ws.id, mia.id, 'MEMBER');
  await accounts.setPassword(mia.id, PASSWORD, { userId: null });
  miaCookie = await passwordCookie(server.url, 'mia@oauth.test', PASSWORD);
});
afterAll(async () => {
  await server?.stop();
});

/** Connects an SDK client through the whole OAuth flow, consenting as `cookie`; returns the connected client. */
async function connectWithOAuth(provider: MemoryOAuthProvider, cookie: string, answer: { workspace?: string; access: 'read' | 'full' }): Promise<Client> {
  const first = new Client({ name: 'oauth-agent', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(mcpUrl(), { authProvider: provider });
  await assert.rejects(first.connect(transport), UnauthorizedError, 'without a token the client is sent to authorize');
  assert.ok(provider.authorizationUrl, 'the SDK asked to open the authorization page');
  const request = await consentRequest(provider.authorizationUrl);
  const consent = await answerConsent(server.url, cookie, request, { workspace: answer.workspace ?? 'default', access: answer.access });
  assert.equal(consent.status, 200, JSON.stringify(consent.body));
  const code = consent.redirect!.searchParams.get('code');
  assert.ok(code, `redirected with ${consent.redirect}`);
  assert.equal(consent.redirect!.origin + consent.redirect!.pathname, REDIRECT);
  await transport.finishAuth(code);
  const client = new Client({ name: 'oauth-agent', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(mcpUrl(), { authProvider: provider }));
  return client;
}

async function rawMcp(token: string) {
  const res = await fetch(mcpUrl(), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
  });
  return { status: res.status, wwwAuthenticate: res.headers.get('www-authenticate'), body: await res.json() };
}

async function tokenRequest(params: Record<string, string>) {
  const res = await fetch(`${server.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params) });
  return { status: res.status, body: await res.json() };
}

async function register(metadata: Record<string, unknown> = {}) {
  const res = await fetch(`${server.url}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'Raw client', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', ...metadata }),
  });
  return { status: res.status, body: await res.json() };
}

const pkce = () => {
  const verifier = crypto.randomBytes(32).toString('base64url');
  return { verifier, challenge: crypto.createHash('sha256').update(verifier).digest('base64url') };
};

/** A raw authorization (no SDK): register, authorize, consent; returns the client, code and verifier. */
async function rawAuthorization(options: { access?: 'read' | 'full'; scope?: string; clientId?: string } = {}) {
  const clientId = options.clientId ?? (await register()).body.client_id;
  const { verifier, challenge } = pkce();
  const url = new URL('/oauth/authorize', server.url);
  url.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: REDIRECT,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'xyz',
    resource: `${server.url}/mcp`,
    ...(options.scope ? { scope: options.scope } : {}),
  }).toString();
  const request = await consentRequest(url);
  const consent = await answerConsent(server.url, miaCookie, request, { workspace: 'default', access: options.access ?? 'full' });
  assert.equal(consent.status, 200, JSON.stringify(consent.body));
  assert.equal(consent.redirect!.searchParams.get('state'), 'xyz');
  return { clientId, verifier, code: consent.redirect!.searchParams.get('code')! };
}

describe('discovery', () => {
  test("/mcp's 401 names the protected-resource metadata, which names Kith as the authorization server", async () => {
    const res = await fetch(mcpUrl(), { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    assert.equal(res.status, 401);
    const header = res.headers.get('www-authenticate') ?? '';
    assert.match(header, /^Bearer /);
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(header)?.[1];
    assert.equal(metadataUrl, `${server.url}/.well-known/oauth-protected-resource/mcp`);
    for (const url of [metadataUrl!, `${server.url}/.well-known/oauth-protected-resource`]) {
      const prm = await (await fetch(url)).json();
      assert.equal(prm.resource, `${server.url}/mcp`);
      assert.deepEqual(prm.authorization_servers, [server.url]);
      assert.deepEqual(prm.scopes_supported, ['crm:read', 'crm:write']);
    }
    const as = await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json();
    assert.equal(as.issuer, server.url);
    assert.equal(as.authorization_endpoint, `${server.url}/oauth/authorize`);
    assert.equal(as.token_endpoint, `${server.url}/oauth/token`);
    assert.equal(as.registration_endpoint, `${server.url}/oauth/register`);
    assert.equal(as.revocation_endpoint, `${server.url}/oauth/revoke`);
    assert.deepEqual(as.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(as.grant_types_supported, ['authorization_code', 'refresh_token']);
  });

  test('any other /.well-known path is 404 problem+json', async () => {
    for (const p of ['/.well-known/foo', '/.well-known/openid-configuration', '/.well-known/oauth-authorization-server/extra']) {
      const res = await fetch(server.url + p, { headers: { accept: 'text/html' } });
      assert.equal(res.status, 404, p);
      assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/, p);
    }
  });
});

describe('the SDK client end to end', () => {
  test('register, authorize with PKCE, consent (full access), tools/list and a call, refresh, revoke in settings → 401', async () => {
    const provider = new MemoryOAuthProvider(REDIRECT);
    const client = await connectWithOAuth(provider, miaCookie, { access: 'full' });
    assert.ok(provider.client?.client_id, 'registered dynamically');
    assert.match(provider.saved!.access_token, /^kat_/);
    assert.match(provider.saved!.refresh_token!, /^krt_/);
    assert.equal(provider.saved!.scope, 'crm:read crm:write');
    assert.equal(provider.saved!.expires_in, 3600);

    const tools = (await client.listTools()).tools;
    assert.ok(
      tools.some((t) => t.name === 'crm.person.create'),
      'full access lists write tools',
    );
    const created = await client.callTool({ name: 'crm.person.create', arguments: { name: 'Made over OAuth' } });
    assert.ok(!created.isError, JSON.stringify(created.content));
    const person = (created.structuredContent as { id?: string; record?: { id: string } })?.record ?? (created.structuredContent as { id: string });
    const audit = await server.api('GET', `/crm/audit?entityType=person&entityId=${person.id}`);
    assert.equal(audit.body.data[0].actorUserId, miaId, 'the token acts as the person who consented');
    assert.equal(audit.body.data[0].source, 'mcp');

    // refresh: a new access token and a new refresh token; the old refresh token is used up
    const before = provider.saved!;
    assert.equal(await auth(provider, { serverUrl: mcpUrl() }), 'AUTHORIZED');
    assert.notEqual(provider.saved!.access_token, before.access_token);
    assert.notEqual(provider.saved!.refresh_token, before.refresh_token);
    const again = await client.callTool({ name: 'crm.person.list', arguments: {} });
    assert.ok(!again.isError);
    const fresh = await rawMcp(provider.saved!.access_token);
    assert.equal(fresh.status, 200);

    // Settings → Connected apps lists it; revoking it there refuses the tokens at once
    const apps = await fetch(`${server.url}/crm/connected-apps`, { headers: { cookie: miaCookie } }).then((r) => r.json());
    const app = apps.data.find((a: { client: { id: string } }) => a.client.id === provider.client!.client_id);
    assert.ok(app, JSON.stringify(apps));
    assert.equal(app.client.name, 'Test agent');
    assert.equal(app.workspace.slug, 'default');
    assert.equal(app.access, 'full');
    const revoked = await fetch(`${server.url}/crm/connected-apps/${app.id}`, { method: 'DELETE', headers: { cookie: miaCookie, origin: server.url } });
    assert.equal(revoked.status, 204);
    const refused = await rawMcp(provider.saved!.access_token);
    assert.equal(refused.status, 401);
    assert.match(refused.wwwAuthenticate ?? '', /error="invalid_token"/);
    assert.match(refused.wwwAuthenticate ?? '', /resource_metadata=/);
    assert.match(JSON.stringify(refused.body), /revoked/);
    // the open SDK session is refused too; its refresh fails and it is sent back to authorize
    provider.authorizationUrl = null;
    await assert.rejects(client.callTool({ name: 'crm.person.list', arguments: {} }));
    assert.ok(provider.authorizationUrl, 'the client is asked to authorize again');
    const refresh = await tokenRequest({ grant_type: 'refresh_token', refresh_token: before.refresh_token!, client_id: provider.client!.client_id });
    assert.equal(refresh.status, 400);
    assert.equal(refresh.body.error, 'invalid_grant');

    const entries = (await server.api('GET', `/crm/audit?entityType=oauthGrant&entityId=${app.id}`)).body.data;
    assert.deepEqual(entries.map((e: { action: string }) => e.action).sort(), ['create', 'delete']);
    assert.ok(entries.every((e: { actorUserId: string }) => e.actorUserId === miaId));
    assert.ok(!(await fetch(`${server.url}/crm/connected-apps`, { headers: { cookie: miaCookie } }).then((r) => r.json())).data.some((a: { id: string }) => a.id === app.id));
  });

  test('a read-only grant lists read tools only and cannot write', async () => {
    const provider = new MemoryOAuthProvider(REDIRECT);
    const client = await connectWithOAuth(provider, miaCookie, { access: 'read' });
    assert.equal(provider.saved!.scope, 'crm:read');
    const tools = (await client.listTools()).tools;
    assert.ok(tools.length > 0);
    assert.ok(
      tools.every((t) => t.annotations?.readOnlyHint === true),
      `write tools listed: ${tools.filter((t) => !t.annotations?.readOnlyHint).map((t) => t.name)}`,
    );
    assert.ok(!tools.some((t) => t.name === 'crm.person.create'));
    const write = await client.callTool({ name: 'crm.person.create', arguments: { name: 'Nope' } });
    assert.equal(write.isError, true);
    await client.close();
  });

  test('removing the membership ends the token at once; its refresh token is refused', async () => {
    const { accounts } = server.services;
    const nia = await accounts.createUser({ email: 'nia@oauth.test', name: 'Nia Leaving' });
    await accounts.setMembership((await accounts.findWorkspace('default'))!.id, nia.id, 'MEMBER');
    await accounts.setPassword(nia.id, PASSWORD, { userId: null });
    const cookie = await passwordCookie(server.url, 'nia@oauth.test', PASSWORD);
    const provider = new MemoryOAuthProvider(REDIRECT);
    const client = await connectWithOAuth(provider, cookie, { access: 'full' });
    assert.ok((await client.listTools()).tools.length > 0);
    const removed = await server.api('DELETE', `/crm/workspace/members/${nia.id}`);
    assert.equal(removed.status, 204);
    const refused = await rawMcp(provider.saved!.access_token);
    assert.equal(refused.status, 401);
    await assert.rejects(client.listTools());
    const refresh = await tokenRequest({ grant_type: 'refresh_token', refresh_token: provider.saved?.refresh_token ?? '', client_id: provider.client!.client_id });
    assert.equal(refresh.status, 400);
  });
});

describe('the protocol', () => {
  test('PKCE S256 only: plain is refused, a wrong verifier is refused', async () => {
    const clientId = (await register()).body.client_id;
    const url = new URL('/oauth/authorize', server.url);
    url.search = new URLSearchParams({ client_id: clientId, response_type: 'code', redirect_uri: REDIRECT, code_challenge: 'abc', code_challenge_method: 'plain', state: 's' }).toString();
    const plain = await fetch(url, { redirect: 'manual' });
    assert.equal(plain.status, 302);
    assert.equal(new URL(plain.headers.get('location')!).searchParams.get('error'), 'invalid_request');
    const noChallenge = new URL(url);
    noChallenge.searchParams.delete('code_challenge');
    noChallenge.searchParams.delete('code_challenge_method');
    assert.equal(new URL((await fetch(noChallenge, { redirect: 'manual' })).headers.get('location')!).searchParams.get('error'), 'invalid_request');

    const { code } = await rawAuthorization({ clientId });
    const wrong = await tokenRequest({ grant_type: 'authorization_code', code, code_verifier: pkce().verifier, client_id: clientId, redirect_uri: REDIRECT });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, 'invalid_grant');
  });

  test('tokens are bound to /mcp: another resource is refused at authorize and at the token endpoint', async () => {
    const clientId = (await register()).body.client_id;
    const url = new URL('/oauth/authorize', server.url);
    url.search = new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      redirect_uri: REDIRECT,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      resource: 'https://elsewhere.example/mcp',
    }).toString();
    const res = await fetch(url, { redirect: 'manual' });
    assert.equal(new URL(res.headers.get('location')!).searchParams.get('error'), 'invalid_target');

    const { code, verifier } = await rawAuthorization({ clientId });
    const other = await tokenRequest({ grant_type: 'authorization_code', code, code_verifier: verifier, client_id: clientId, resource: 'https://elsewhere.example/mcp' });
    assert.equal(other.status, 400);
    assert.equal(other.body.error, 'invalid_target');
  });

  test('a code works once: used again, it revokes the grant (the first tokens stop working)', async () => {
    const { clientId, code, verifier } = await rawAuthorization();
    const first = await tokenRequest({ grant_type: 'authorization_code', code, code_verifier: verifier, client_id: clientId, redirect_uri: REDIRECT, resource: `${server.url}/mcp` });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal((await rawMcp(first.body.access_token)).status, 200);
    const second = await tokenRequest({ grant_type: 'authorization_code', code, code_verifier: verifier, client_id: clientId, redirect_uri: REDIRECT });
    assert.equal(second.status, 400);
    assert.equal(second.body.error, 'invalid_grant');
    assert.equal((await rawMcp(first.body.access_token)).status, 401);
  });

  test('refresh tokens rotate; a rotated one presented again revokes the grant', async () => {
    const { clientId, code, verifier } = await rawAuthorization();
    const tokens = (await tokenRequest({ grant_type: 'authorization_code', code, code_verifier: verifier, client_id: clientId })).body;
    const next = await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
    assert.equal(next.status, 200);
    assert.notEqual(next.body.refresh_token, tokens.refresh_token);
    // a narrower access token on request; a wider one is refused
    const narrow = await tokenRequest({ grant_type: 'refresh_token', refresh_token: next.body.refresh_token, client_id: clientId, scope: 'crm:read' });
    assert.equal(narrow.status, 200);
    assert.equal(narrow.body.scope, 'crm:read');
    const replay = await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, 'invalid_grant');
    assert.equal((await rawMcp(narrow.body.access_token)).status, 401, 'the replay revoked the whole grant');
    const after = await tokenRequest({ grant_type: 'refresh_token', refresh_token: narrow.body.refresh_token, client_id: clientId });
    assert.equal(after.status, 400);
  });

  test('a read-only request cannot be granted full access; a denial reaches the client as access_denied', async () => {
    const clientId = (await register()).body.client_id;
    const url = new URL('/oauth/authorize', server.url);
    url.search = new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      redirect_uri: REDIRECT,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      scope: 'crm:read',
      state: 'q',
    }).toString();
    const request = await consentRequest(url);
    const preview = await fetch(`${server.url}/oauth/consent/preview`, {
      method: 'POST',
      headers: { cookie: miaCookie, origin: server.url, 'content-type': 'application/json' },
      body: JSON.stringify({ request }),
    }).then((r) => r.json());
    assert.deepEqual(preview.scopes, ['crm:read']);
    assert.equal(preview.client.name, 'Raw client');
    assert.equal(preview.user.email, 'mia@oauth.test');
    assert.deepEqual(
      preview.workspaces.map((w: { slug: string }) => w.slug),
      ['default'],
    );
    const full = await answerConsent(server.url, miaCookie, request, { workspace: 'default', access: 'full' });
    assert.equal(full.status, 422);
    const denied = await answerConsent(server.url, miaCookie, request, { decision: 'deny' });
    assert.equal(denied.redirect!.searchParams.get('error'), 'access_denied');
    assert.equal(denied.redirect!.searchParams.get('state'), 'q');
    const used = await answerConsent(server.url, miaCookie, request, { decision: 'allow', workspace: 'default', access: 'read' });
    assert.equal(used.status, 404, 'a request is answered once');
  });

  test('consent needs the signed-in person, from this server’s own page; a workspace they are not in is refused', async () => {
    const { body } = await register();
    const url = new URL('/oauth/authorize', server.url);
    url.search = new URLSearchParams({ client_id: body.client_id, response_type: 'code', redirect_uri: REDIRECT, code_challenge: pkce().challenge, code_challenge_method: 'S256' }).toString();
    const request = await consentRequest(url);
    const anonymous = await fetch(`${server.url}/oauth/consent`, {
      method: 'POST',
      headers: { origin: server.url, 'content-type': 'application/json' },
      body: JSON.stringify({ request, decision: 'allow', workspace: 'default', access: 'read' }),
    });
    assert.equal(anonymous.status, 401);
    const foreign = await fetch(`${server.url}/oauth/consent`, {
      method: 'POST',
      headers: { cookie: miaCookie, origin: 'https://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ request, decision: 'allow', workspace: 'default', access: 'read' }),
    });
    assert.equal(foreign.status, 403);
    const ws = await server.services.accounts.createWorkspace({ slug: 'not-mias', name: 'Not Mia’s' });
    const notMine = await answerConsent(server.url, miaCookie, request, { workspace: ws.slug, access: 'read' });
    assert.equal(notMine.status, 403);
  });

  test('a confidential client authenticates with its secret (post or basic); secrets and tokens are stored hashed', async () => {
    const registered = await register({ token_endpoint_auth_method: 'client_secret_post', client_name: 'Confidential' });
    assert.equal(registered.status, 201);
    const { client_id: clientId, client_secret: secret } = registered.body;
    assert.ok(secret);
    const { code, verifier } = await rawAuthorization({ clientId });
    const noSecret = await tokenRequest({ grant_type: 'authorization_code', code, code_verifier: verifier, client_id: clientId });
    assert.equal(noSecret.status, 400);
    assert.equal(noSecret.body.error, 'invalid_client');
    const tokens = await tokenRequest({ grant_type: 'authorization_code', code, code_verifier: verifier, client_id: clientId, client_secret: secret });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    const basic = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token }),
    });
    assert.equal(basic.status, 200);
    const refreshed = await basic.json();

    // revocation endpoint: revoking the refresh token ends the grant
    const revoke = await fetch(`${server.url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshed.refresh_token, client_id: clientId, client_secret: secret }),
    });
    assert.equal(revoke.status, 200);
    assert.equal((await rawMcp(refreshed.access_token)).status, 401);

    const db = new Database(path.join(server.dataDir, 'kith.sqlite'), { readonly: true });
    try {
      const dump = JSON.stringify([db.prepare('select * from oauthClients').all(), db.prepare('select * from oauthTokens').all(), db.prepare('select * from oauthGrants').all()]);
      for (const raw of [secret, tokens.body.access_token, tokens.body.refresh_token, refreshed.access_token, code]) assert.ok(!dump.includes(raw), 'stored in the clear');
      const hash = crypto.createHash('sha256').update(refreshed.access_token).digest('hex');
      assert.ok(dump.includes(hash), 'stored as its SHA-256');
    } finally {
      db.close();
    }
  });

  test('registration refuses plain-http redirect URIs to other hosts and unsupported grant types', async () => {
    assert.equal((await register({ redirect_uris: ['http://evil.example/cb'] })).body.error, 'invalid_client_metadata');
    assert.equal((await register({ grant_types: ['client_credentials'] })).body.error, 'invalid_client_metadata');
    assert.equal((await register({ redirect_uris: ['https://claude.ai/api/mcp/auth_callback'] })).status, 201);
  });
});

describe('failed-credential limits', () => {
  test('over the per-address limit, an expired access token still gets its 401 (so the client refreshes), guesses get 429', async () => {
    const limited = await startTestServer({ auth: { limits: { keysPerAddress: 2 } } });
    try {
      const { accounts } = limited.services;
      const ria = await accounts.createUser({ email: 'ria@oauth.test', name: 'Ria' });
      await accounts.setMembership((await accounts.findWorkspace('default'))!.id, ria.id, 'MEMBER');
      await accounts.setPassword(ria.id, PASSWORD, { userId: null });
      const cookie = await passwordCookie(limited.url, 'ria@oauth.test', PASSWORD);
      const client = await fetch(`${limited.url}/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'Limited', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
      }).then((r) => r.json());
      const { verifier, challenge } = pkce();
      const url = new URL('/oauth/authorize', limited.url);
      url.search = new URLSearchParams({ client_id: client.client_id, response_type: 'code', redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256' }).toString();
      const consent = await answerConsent(limited.url, cookie, await consentRequest(url), { workspace: 'default', access: 'read' });
      const token = (body: Record<string, string>) =>
        fetch(`${limited.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body) }).then((r) => r.json());
      const tokens = await token({ grant_type: 'authorization_code', code: consent.redirect!.searchParams.get('code')!, code_verifier: verifier, client_id: client.client_id });
      assert.match(tokens.access_token, /^kat_/);

      const mcp = async (bearer: string) =>
        (
          await fetch(`${limited.url}/mcp`, {
            method: 'POST',
            headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
            body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
          })
        ).status;
      // the hour passes (the token's expiry moved into the past in the database)
      const db = new Database(path.join(limited.dataDir, 'kith.sqlite'));
      try {
        db.prepare(`update oauthTokens set expiresAt = '2000-01-01T00:00:00.000Z' where kind = 'access'`).run();
      } finally {
        db.close();
      }
      const guess = () => `kat_${crypto.randomBytes(32).toString('base64url')}`;
      assert.equal(await mcp(guess()), 401);
      assert.equal(await mcp(guess()), 401);
      assert.equal(await mcp(guess()), 429, 'guesses over the limit');
      assert.equal(await mcp(tokens.access_token), 401, 'the expired token is told to refresh, not to wait');
      const fresh = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: client.client_id });
      assert.equal(await mcp(fresh.access_token), 200);
    } finally {
      await limited.stop();
    }
  });
});
