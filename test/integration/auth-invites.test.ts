/**
 * Issue 14, item 2 (SPEC §1 "Invites"): owners invite by email with a role and get a one-time link;
 * a new person accepts it by creating the account and then sees the workspace with that role; an
 * existing account accepts it signed in; invites are listed and revoked; members are re-roled and
 * removed over REST; the last owner cannot be demoted or removed; every change is audited.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let ownerId: string;
const PASSWORD = 'correct horse battery';

interface Reply {
  status: number;
  body: any;
  cookie: string | null;
}

async function call(method: string, path: string, options: { cookie?: string | null; body?: unknown } = {}): Promise<Reply> {
  const headers: Record<string, string> = { origin: server.url };
  if (options.cookie) headers.cookie = options.cookie;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(server.url + path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await res.text();
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('kith_session='));
  return { status: res.status, body: text ? JSON.parse(text) : null, cookie: setCookie ? setCookie.split(';')[0] : null };
}

const tokenOf = (url: string) => new URL(url).hash.replace('#token=', '');

beforeAll(async () => {
  server = await startTestServer();
  ownerId = (await server.api('GET', '/crm')).body.user.id;
});
afterAll(async () => {
  await server.stop();
});

describe('invites', () => {
  test('a new person accepts an invite by creating the account and sees the workspace with the invited role', async () => {
    const created = await server.api('POST', '/crm/workspace/invites', { email: 'Nora@Example.com', role: 'VIEWER' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.email, 'nora@example.com');
    assert.equal(created.body.status, 'pending');
    assert.match(created.body.url, new RegExp(`^${server.url}/invite#token=kinv_`));
    const days = (Date.parse(created.body.expiresAt) - Date.now()) / 86_400_000;
    assert.ok(days > 6.9 && days <= 7, `expires in 7 days (${days})`);
    const token = tokenOf(created.body.url);

    const preview = await call('POST', '/auth/invite', { body: { token } });
    assert.equal(preview.status, 200);
    assert.deepEqual([preview.body.email, preview.body.role, preview.body.workspace.slug, preview.body.accountExists], ['nora@example.com', 'VIEWER', 'default', false]);

    // a password that is too short is refused naming the field, and nothing is created
    const weak = await call('POST', '/auth/invite/accept', { body: { token, name: 'Nora', password: 'short' } });
    assert.equal(weak.status, 422);
    assert.equal(weak.body.errors[0].path, 'password');

    const accepted = await call('POST', '/auth/invite/accept', { body: { token, name: 'Nora New', password: PASSWORD } });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.equal(accepted.body.role, 'VIEWER');
    assert.equal(accepted.body.created, true);
    assert.ok(accepted.cookie, 'signed in right away');

    const me = await call('GET', '/auth/me', { cookie: accepted.cookie });
    assert.deepEqual(
      me.body.workspaces.map((w: { slug: string; role: string }) => [w.slug, w.role]),
      [['default', 'VIEWER']],
    );
    const crm = await call('GET', '/crm', { cookie: accepted.cookie });
    assert.equal(crm.status, 200);
    assert.equal(crm.body.role, 'VIEWER');
    assert.equal((await call('GET', '/crm/organizations', { cookie: accepted.cookie })).status, 200);
    assert.equal((await call('POST', '/crm/organizations', { cookie: accepted.cookie, body: { name: 'Nope' } })).status, 403, 'a viewer cannot write');
    // a later sign-in with the password chosen works
    assert.equal((await call('POST', '/auth/login', { body: { email: 'nora@example.com', password: PASSWORD } })).status, 200);

    // the link works once
    assert.equal((await call('POST', '/auth/invite/accept', { body: { token, name: 'Again', password: PASSWORD } })).status, 409);
    const listed = await server.api('GET', '/crm/workspace/invites');
    assert.equal(listed.body.data.find((i: { id: string }) => i.id === created.body.id).status, 'accepted');
    const audit = await server.api('GET', '/crm/audit?entityType=invite');
    assert.deepEqual(
      audit.body.data
        .filter((e: { entityId: string }) => e.entityId === created.body.id)
        .map((e: { action: string }) => e.action)
        .sort(),
      ['create', 'update'],
    );
  });

  test('an existing account accepts signed in as the invited email; another account cannot', async () => {
    const { accounts } = server.services;
    const other = await accounts.createWorkspace({ slug: 'other', name: 'Other' });
    const user = await accounts.createUser({ email: 'omar@example.com', name: 'Omar' });
    await accounts.setMembership(other.id, user.id, 'OWNER');
    await accounts.setPassword(user.id, PASSWORD, { userId: null });
    const invite = await server.api('POST', '/crm/workspace/invites', { email: 'omar@example.com', role: 'MEMBER' });
    const token = tokenOf(invite.body.url);
    assert.equal((await call('POST', '/auth/invite', { body: { token } })).body.accountExists, true);
    // without signing in: the account exists, so it must sign in
    assert.equal((await call('POST', '/auth/invite/accept', { body: { token, name: 'Omar', password: PASSWORD } })).status, 409);
    // signed in as someone else
    const nora = (await call('POST', '/auth/login', { body: { email: 'nora@example.com', password: PASSWORD } })).cookie;
    assert.equal((await call('POST', '/auth/invite/accept', { cookie: nora, body: { token } })).status, 403);
    const omar = (await call('POST', '/auth/login', { body: { email: 'omar@example.com', password: PASSWORD } })).cookie;
    const accepted = await call('POST', '/auth/invite/accept', { cookie: omar, body: { token } });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.equal(accepted.body.created, false);
    const me = await call('GET', '/auth/me', { cookie: omar });
    assert.deepEqual(me.body.workspaces.map((w: { slug: string; role: string }) => `${w.slug}:${w.role}`).sort(), ['default:MEMBER', 'other:OWNER']);
  });

  test('a revoked invite stops working at once; only owners invite', async () => {
    const invite = await server.api('POST', '/crm/workspace/invites', { email: 'rita@example.com', role: 'MEMBER' });
    assert.equal((await server.api('DELETE', `/crm/workspace/invites/${invite.body.id}`)).status, 204);
    const token = tokenOf(invite.body.url);
    assert.equal((await call('POST', '/auth/invite', { body: { token } })).status, 409);
    assert.equal((await call('POST', '/auth/invite/accept', { body: { token, name: 'Rita', password: PASSWORD } })).status, 409);
    assert.equal((await server.api('GET', '/crm/workspace/invites')).body.data.find((i: { id: string }) => i.id === invite.body.id).status, 'revoked');
    const nora = (await call('POST', '/auth/login', { body: { email: 'nora@example.com', password: PASSWORD } })).cookie;
    assert.equal((await call('POST', '/crm/workspace/invites', { cookie: nora, body: { email: 'x@example.com', role: 'OWNER' } })).status, 403);
    assert.equal((await call('POST', '/auth/invite', { body: { token: 'kinv_' + 'A'.repeat(43) } })).status, 404);
  });
});

describe('members', () => {
  test('re-roled and removed over REST, audited; the last owner cannot be demoted or removed', async () => {
    const members = (await server.api('GET', '/crm/workspace/members')).body.data;
    const nora = members.find((m: { email: string }) => m.email === 'nora@example.com');
    const promoted = await server.api('PATCH', `/crm/workspace/members/${nora.id}`, { role: 'MEMBER' });
    assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
    assert.equal(promoted.body.role, 'MEMBER');
    assert.equal((await server.api('PATCH', `/crm/workspace/members/${nora.id}`, { role: 'BOSS' })).status, 422);

    // the owner is the only owner: neither demoted nor removed
    const demote = await server.api('PATCH', `/crm/workspace/members/${ownerId}`, { role: 'MEMBER' });
    assert.equal(demote.status, 409);
    assert.match(demote.body.detail, /last owner/);
    assert.equal((await server.api('DELETE', `/crm/workspace/members/${ownerId}`)).status, 409);
    assert.equal((await server.api('GET', '/crm')).body.role, 'OWNER');
    // with a second owner, the first may step down
    assert.equal((await server.api('PATCH', `/crm/workspace/members/${nora.id}`, { role: 'OWNER' })).status, 200);
    assert.equal((await server.api('PATCH', `/crm/workspace/members/${ownerId}`, { role: 'MEMBER' })).status, 200);
    const noraCookie = (await call('POST', '/auth/login', { body: { email: 'nora@example.com', password: PASSWORD } })).cookie;
    assert.equal((await call('PATCH', `/crm/workspace/members/${nora.id}`, { cookie: noraCookie, body: { role: 'VIEWER' } })).status, 409, 'now nora is the last owner');
    assert.equal((await call('PATCH', `/crm/workspace/members/${ownerId}`, { cookie: noraCookie, body: { role: 'OWNER' } })).status, 200);

    // removal; a member cannot remove others
    const omar = members.find((m: { email: string }) => m.email === 'omar@example.com');
    assert.equal((await server.api('DELETE', `/crm/workspace/members/${omar.id}`)).status, 204);
    assert.ok(!(await server.api('GET', '/crm/workspace/members')).body.data.some((m: { id: string }) => m.id === omar.id));
    assert.equal((await server.api('DELETE', `/crm/workspace/members/${omar.id}`)).status, 404);

    const audit = (await server.api('GET', '/crm/audit?entityType=membership')).body.data;
    assert.ok(audit.some((e: { entityId: string; action: string; after: { role: string } | null }) => e.entityId === nora.id && e.action === 'update' && e.after?.role === 'MEMBER'));
    assert.ok(audit.some((e: { entityId: string; action: string }) => e.entityId === omar.id && e.action === 'delete'));
  });

  test('an owner makes a one-time reset link; using it sets the password and ends the member’s sessions', async () => {
    const members = (await server.api('GET', '/crm/workspace/members')).body.data;
    const nora = members.find((m: { email: string }) => m.email === 'nora@example.com');
    const before = (await call('POST', '/auth/login', { body: { email: 'nora@example.com', password: PASSWORD } })).cookie;
    const link = await server.api('POST', `/crm/workspace/members/${nora.id}/reset-link`);
    assert.equal(link.status, 201, JSON.stringify(link.body));
    assert.match(link.body.url, /\/setup#token=kset_/);
    const used = await call('POST', '/auth/setup', { body: { token: tokenOf(link.body.url), password: 'a brand new password' } });
    assert.equal(used.status, 200);
    assert.equal((await call('GET', '/crm', { cookie: before })).status, 401, 'the old session ended');
    assert.equal((await call('POST', '/auth/login', { body: { email: 'nora@example.com', password: PASSWORD } })).status, 401);
    assert.equal((await call('POST', '/auth/login', { body: { email: 'nora@example.com', password: 'a brand new password' } })).status, 200);
  });
});
