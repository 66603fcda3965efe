/**
 * Issue 14, item 1 (SPEC §1 "People sign in"): password sign-in over real HTTP with cookies —
 * login, me, the session working on /crm and /sync, logout, expiry, sessions listed and ended,
 * access ending at once when the membership is removed, CSRF from a foreign Origin, the
 * first-start setup link, and the password never readable through the API.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { sql } from 'kysely';
import { childOptions, startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
const PASSWORD = 'correct horse battery';

interface Reply {
  status: number;
  headers: Headers;
  body: any;
  cookie: string | null;
}

/** A request as a browser on the server's own page would send it (Origin = the server), with an optional cookie. */
async function call(
  method: string,
  path: string,
  options: { cookie?: string | null; body?: unknown; origin?: string | null; key?: string; base?: TestServer; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const base = options.base ?? server;
  const headers: Record<string, string> = { ...options.headers };
  if (options.cookie) headers.cookie = options.cookie;
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  const origin = options.origin === undefined ? base.url : options.origin;
  if (origin) headers.origin = origin;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base.url + path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await res.text();
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('kith_session='));
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null, cookie: setCookie ? setCookie.split(';')[0] : null };
}

async function signIn(email: string, password = PASSWORD, base = server): Promise<string> {
  const res = await call('POST', '/auth/login', { body: { email, password }, base });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.ok(res.cookie && res.cookie.length > 'kith_session='.length);
  return res.cookie;
}

beforeAll(async () => {
  server = await startTestServer({ auth: { limits: { signInPerAccount: 3, signInPerAddress: 1000 } } });
  // the owner sets name and password through the first-start setup link
  const setup = await call('POST', '/auth/setup', { body: { token: server.setupToken, name: 'Olivia Owner', password: PASSWORD } });
  assert.equal(setup.status, 200, JSON.stringify(setup.body));
});
afterAll(async () => {
  await server.stop();
});

describe('signing in', () => {
  test('the setup link set the password and signed the owner in; it works once', async () => {
    const again = await call('POST', '/auth/setup', { body: { token: server.setupToken, password: 'another password!' } });
    assert.equal(again.status, 409);
    const me = await call('GET', '/auth/me', { cookie: await signIn('owner@kith.local') });
    assert.equal(me.body.user.name, 'Olivia Owner');
  });

  test('login starts an HttpOnly SameSite=Lax session; /auth/me, /crm and /sync work with it', async () => {
    const res = await call('POST', '/auth/login', { body: { email: 'OWNER@kith.local', password: PASSWORD } });
    assert.equal(res.status, 200);
    const raw = res.headers.getSetCookie().find((c) => c.startsWith('kith_session='))!;
    assert.match(raw, /HttpOnly/i);
    assert.match(raw, /SameSite=Lax/i);
    assert.doesNotMatch(raw, /Secure/i); // plain HTTP here
    const cookie = res.cookie!;
    const me = await call('GET', '/auth/me', { cookie });
    assert.equal(me.status, 200);
    assert.equal(me.body.user.email, 'owner@kith.local');
    assert.equal(me.body.via, 'session');
    assert.deepEqual(
      me.body.workspaces.map((w: { slug: string; role: string }) => [w.slug, w.role]),
      [['default', 'OWNER']],
    );
    const crm = await call('GET', '/crm', { cookie });
    assert.equal(crm.status, 200);
    assert.equal(crm.body.user.email, 'owner@kith.local');
    const created = await call('POST', '/crm/organizations', { cookie, body: { name: 'Made in a browser' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const pull = await call('GET', '/sync/organizations/pull?limit=10', { cookie });
    assert.equal(pull.status, 200, JSON.stringify(pull.body));
    // the session token is stored hashed: the database holds no raw token
    const token = cookie.split('=')[1];
    const { rows } = await sql<Record<string, unknown>>`select * from "sessions"`.execute(server.services.store.db);
    assert.ok(rows.length > 0 && rows.every((r) => !JSON.stringify(r).includes(token)));
  });

  test('a wrong password is 401, and after the limit 429 with Retry-After — even with the right password', async () => {
    const user = await server.services.accounts.createUser({ email: 'dana@example.com', name: 'Dana' });
    await server.services.accounts.setPassword(user.id, PASSWORD, { userId: null });
    for (let i = 0; i < 3; i++) {
      const res = await call('POST', '/auth/login', { body: { email: 'dana@example.com', password: 'wrong password' } });
      assert.equal(res.status, 401);
      assert.equal(res.cookie, null);
    }
    const limited = await call('POST', '/auth/login', { body: { email: 'dana@example.com', password: PASSWORD } });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.equal(limited.cookie, null);
    // an unknown email is answered like a wrong password
    assert.equal((await call('POST', '/auth/login', { body: { email: 'nobody@example.com', password: PASSWORD } })).status, 401);
    // another account from the same address is not locked out
    await signIn('owner@kith.local');
  });

  test('logout ends the session: the cookie no longer works anywhere', async () => {
    const cookie = await signIn('owner@kith.local');
    assert.equal((await call('GET', '/crm', { cookie })).status, 200);
    const out = await call('POST', '/auth/logout', { cookie });
    assert.equal(out.status, 204);
    assert.match(out.headers.getSetCookie().join(), /kith_session=;/);
    assert.equal((await call('GET', '/crm', { cookie })).status, 401);
    assert.equal((await call('GET', '/auth/me', { cookie })).status, 401);
    assert.equal((await call('GET', '/sync/organizations/pull', { cookie })).status, 401);
  });

  test('sessions are listed and one can be ended from another', async () => {
    const a = await signIn('owner@kith.local');
    const b = await signIn('owner@kith.local');
    const list = await call('GET', '/auth/sessions', { cookie: a });
    assert.equal(list.status, 200);
    const current = list.body.data.filter((s: { current: boolean }) => s.current);
    assert.equal(current.length, 1);
    const meB = await call('GET', '/auth/me', { cookie: b });
    assert.equal((await call('DELETE', `/auth/sessions/${meB.body.session.id}`, { cookie: a })).status, 204);
    assert.equal((await call('GET', '/crm', { cookie: b })).status, 401);
    assert.equal((await call('GET', '/crm', { cookie: a })).status, 200);
    // another user's session is not found
    const other = await server.services.accounts.createUser({ email: 'erin@example.com', name: 'Erin' });
    await server.services.accounts.setMembership((await server.services.accounts.findWorkspace('default'))!.id, other.id, 'MEMBER');
    await server.services.accounts.setPassword(other.id, PASSWORD, { userId: null });
    const erin = await signIn('erin@example.com');
    const meA = await call('GET', '/auth/me', { cookie: a });
    assert.equal((await call('DELETE', `/auth/sessions/${meA.body.session.id}`, { cookie: erin })).status, 404);
    assert.equal((await call('GET', '/crm', { cookie: a })).status, 200);
  });

  test('the password is never in an answer, and sign-ins are audited', async () => {
    const members = await server.api('GET', '/crm/workspace/members');
    assert.doesNotMatch(JSON.stringify(members.body), /scrypt|passwordHash/);
    const audit = await server.api('GET', '/crm/audit?entityType=session');
    assert.equal(audit.status, 200);
    assert.ok(audit.body.data.some((e: { action: string }) => e.action === 'create'));
    assert.ok(audit.body.data.some((e: { action: string }) => e.action === 'delete'));
  });
});

describe('access ends at once', () => {
  test("removing a member's membership cuts their session off on the next request", async () => {
    const { accounts } = server.services;
    const ws = (await accounts.findWorkspace('default'))!;
    const user = await accounts.createUser({ email: 'frank@example.com', name: 'Frank' });
    await accounts.setMembership(ws.id, user.id, 'MEMBER');
    await accounts.setPassword(user.id, PASSWORD, { userId: null });
    const cookie = await signIn('frank@example.com');
    assert.equal((await call('GET', '/crm/organizations', { cookie })).status, 200);
    assert.equal((await server.api('DELETE', `/crm/workspace/members/${user.id}`)).status, 204);
    const after = await call('GET', '/crm/organizations', { cookie });
    assert.equal(after.status, 403);
    assert.equal((await call('GET', '/sync/organizations/pull', { cookie })).status, 403);
  });

  test('a session expires after its lifetime', async () => {
    const short = await startTestServer({ auth: { sessionTtlMs: 1500 } });
    try {
      await call('POST', '/auth/setup', { base: short, body: { token: short.setupToken, password: PASSWORD } });
      const cookie = await signIn('owner@kith.local', PASSWORD, short);
      assert.equal((await call('GET', '/crm', { cookie, base: short })).status, 200);
      await new Promise((r) => setTimeout(r, 1700));
      const expired = await call('GET', '/crm', { cookie, base: short });
      assert.equal(expired.status, 401);
      assert.match(expired.body.detail, /expired/);
    } finally {
      await short.stop();
    }
  });
});

describe('the /sync stream on a session', () => {
  test('opens with the cookie and ends when the session is ended', async () => {
    const cookie = await signIn('owner@kith.local');
    const controller = new AbortController();
    const res = await fetch(server.url + '/sync/stream', { headers: { cookie, origin: server.url }, signal: controller.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /text\/event-stream/);
    const reader = res.body!.getReader();
    const ended = (async () => {
      for (;;) if ((await reader.read()).done) return true;
    })();
    assert.equal((await call('POST', '/auth/logout', { cookie })).status, 204);
    const result = await Promise.race([ended, new Promise((r) => setTimeout(() => r(false), 10_000))]);
    controller.abort();
    assert.equal(result, true, 'the stream ended after logout');
  });
});

describe('CSRF', () => {
  test('cookie-authenticated writes from a foreign Origin are refused; reads and keys are not affected', async () => {
    const cookie = await signIn('owner@kith.local');
    const foreign = 'https://evil.example';
    // bound to loopback, a foreign Origin is refused before anything else (auth-limits-headers.test.ts);
    // the CSRF rule is what refuses a cross-site cookie write that sends no Origin
    const write = await call('POST', '/crm/organizations', { cookie, origin: foreign, body: { name: 'Forged' } });
    assert.equal(write.status, 403);
    const noOrigin = await call('POST', '/crm/organizations', { cookie, origin: null, headers: { 'sec-fetch-site': 'cross-site' }, body: { name: 'Forged' } });
    assert.equal(noOrigin.status, 403);
    assert.equal(noOrigin.body.code, 'csrf');
    assert.equal((await call('POST', '/crm/organizations', { cookie, origin: 'null', body: { name: 'Forged' } })).status, 403);
    assert.equal((await call('POST', '/auth/logout', { cookie, origin: foreign })).status, 403);
    assert.equal((await call('GET', '/crm', { cookie })).status, 200, 'the forged logout did not end the session');
    assert.equal((await call('POST', '/auth/login', { origin: foreign, body: { email: 'owner@kith.local', password: PASSWORD } })).status, 403);
    // nothing forged was stored
    const list = await server.api('GET', '/crm/organizations?q=Forged');
    assert.equal(list.body.data.length, 0);
    // the same write from the server's own origin, and a key from a program (no Origin) or the server's own page, are fine
    assert.equal((await call('POST', '/crm/organizations', { cookie, body: { name: 'Own origin' } })).status, 201);
    assert.equal((await call('POST', '/crm/organizations', { key: server.key, origin: null, body: { name: 'By key' } })).status, 201);
    assert.equal((await call('POST', '/crm/organizations', { key: server.key, body: { name: 'By key, own page' } })).status, 201);
    // a key sent from a foreign page is refused on a loopback-bound server (DNS rebinding, another local port)
    assert.equal((await call('POST', '/crm/organizations', { key: server.key, origin: foreign, body: { name: 'By key' } })).status, 403);
  });
});

describe('kith user password', () => {
  test('the CLI sets a password that then signs in', async () => {
    const { execFile } = await import('node:child_process');
    const options = await childOptions(server.dataDir);
    const user = await server.services.accounts.createUser({ email: 'gina@example.com', name: 'Gina' });
    await server.services.accounts.setMembership((await server.services.accounts.findWorkspace('default'))!.id, user.id, 'VIEWER');
    const code = await new Promise<number>((resolve) => {
      const child = execFile(process.execPath, ['dist/server/cli.js', '--data-dir', server.dataDir, 'user', 'password', 'gina@example.com'], options, (error) =>
        resolve(error ? Number(error.code ?? 1) : 0),
      );
      child.stdin!.end('a long enough password\n');
    });
    assert.equal(code, 0);
    const cookie = await signIn('gina@example.com', 'a long enough password');
    const me = await call('GET', '/auth/me', { cookie });
    assert.equal(me.body.workspaces[0].role, 'VIEWER');
    // too short: refused, naming the password
    const short = await new Promise<string>((resolve) => {
      const child = execFile(process.execPath, ['dist/server/cli.js', '--data-dir', server.dataDir, 'user', 'password', 'gina@example.com'], options, (_error, _out, stderr) => resolve(stderr));
      child.stdin!.end('short\n');
    });
    assert.match(short, /password: must be at least 10 characters/);
  });
});
