/**
 * Issue 14, item 3 (SPEC §1 "API key", §6 "one's API keys"): a person's API keys over
 * `/crm/keys` — the secret shown once and never listed, scopes (pinned to the workspace or not,
 * read-only, expiry), no key making a key that reaches further than itself, revoking (refused at
 * once on /crm, /sync and /mcp), owners seeing and revoking every key that reaches their
 * workspace while a member sees and revokes only their own, and every change in the audit log.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { startTestServer, type ApiResponse, type TestServer } from '../helpers/server.js';

let server: TestServer;
let memberKey: string;
let memberId: string;
const KEY = /^kith_[0-9A-Za-z]{32}$/;

const as = (key: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) => server.api(method, path, body, { key, headers });
const mcpInit = (key: string) =>
  as(
    key,
    'POST',
    '/mcp',
    { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'keys-test', version: '1' } } },
    { accept: 'application/json, text/event-stream' },
  );

async function created(res: ApiResponse): Promise<{ id: string; key: string } & Record<string, any>> {
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

beforeAll(async () => {
  server = await startTestServer();
  const { accounts } = server.services;
  const ws = (await accounts.findWorkspace('default'))!;
  const mia = await accounts.createUser({ email: 'mia@keys.test', name: 'Mia Member' });
  await accounts.setMembership(ws.id, mia.id, 'MEMBER');
  memberId = mia.id;
  memberKey = (await accounts.createApiKey({ userId: mia.id, name: 'Mia laptop' })).key;
});
afterAll(async () => {
  await server.stop();
});

describe('creating a key', () => {
  test('the secret is in the answer once; lists never show it; the key works', async () => {
    const key = await created(await server.api('POST', '/crm/keys', { name: 'Reporting script' }));
    assert.match(key.key, KEY);
    assert.equal(key.prefix, key.key.slice(0, 12));
    assert.equal(key.name, 'Reporting script');
    assert.equal(key.status, 'active');
    assert.equal(key.readOnly, false);
    assert.equal(key.expiresAt, null);
    assert.equal(key.workspace.slug, 'default', 'pinned to this workspace by default');
    assert.equal(key.user.email, 'owner@kith.local');
    assert.equal(key.current, false);

    const list = await server.api('GET', '/crm/keys');
    assert.equal(list.status, 200);
    const listed = list.body.data.find((k: { id: string }) => k.id === key.id);
    assert.ok(listed, 'the new key is listed');
    assert.equal(listed.key, undefined);
    assert.ok(!JSON.stringify(list.body).includes(key.key), 'no secret in the list');
    assert.ok(!JSON.stringify(list.body).includes('hash'), 'no hash in the list');
    assert.equal(listed.lastUsedAt, null);

    const crm = await as(key.key, 'GET', '/crm');
    assert.equal(crm.status, 200);
    assert.equal(crm.body.workspace.slug, 'default');
    const mine = (await as(key.key, 'GET', '/crm/keys')).body.data;
    const self = mine.find((k: { id: string }) => k.id === key.id);
    assert.equal(self.current, true, 'the key a request uses is marked current');
    assert.ok(self.lastUsedAt, 'its last use is recorded');
    assert.ok(!JSON.stringify(mine).includes(key.key));
  });

  test('bad input names the field', async () => {
    for (const [body, field] of [
      [{}, 'name'],
      [{ name: '  ' }, 'name'],
      [{ name: 'x', readOnly: 'yes' }, 'readOnly'],
      [{ name: 'x', expiresAt: 'tomorrow' }, 'expiresAt'],
      [{ name: 'x', expiresAt: new Date(Date.now() - 60_000).toISOString() }, 'expiresAt'],
      [{ name: 'x', colour: 'red' }, ''],
    ] as const) {
      const res = await server.api('POST', '/crm/keys', body);
      assert.equal(res.status, 422, JSON.stringify(body));
      assert.ok(
        res.body.errors.some((e: { path: string }) => e.path === field || (field === '' && /colour/.test(JSON.stringify(e)))),
        JSON.stringify(res.body),
      );
    }
  });
});

describe('scopes', () => {
  test('a read-only key reads, never writes, and cannot make or revoke keys', async () => {
    const ro = await created(await server.api('POST', '/crm/keys', { name: 'Dashboard', readOnly: true }));
    assert.equal(ro.readOnly, true);
    assert.equal((await as(ro.key, 'GET', '/crm/organizations')).status, 200);
    assert.equal((await as(ro.key, 'GET', '/sync/organizations/pull')).status, 200);
    const write = await as(ro.key, 'POST', '/crm/organizations', { name: 'Nope' });
    assert.equal(write.status, 403);
    assert.match(write.body.detail, /read-only/);
    assert.equal((await as(ro.key, 'POST', '/crm/keys', { name: 'Escalate' })).status, 403, 'no read-write key from a read-only one');
    assert.equal((await as(ro.key, 'DELETE', `/crm/keys/${ro.id}`)).status, 403);
    assert.equal((await as(ro.key, 'GET', '/crm/keys')).status, 200, 'it may list its holder’s keys');
  });

  test('pinned to a workspace, or reaching every workspace of its holder; a pinned key makes only pinned keys', async () => {
    const { accounts } = server.services;
    const pat = await accounts.createUser({ email: 'pat@keys.test', name: 'Pat Two-Workspaces' });
    await accounts.setMembership((await accounts.findWorkspace('default'))!.id, pat.id, 'MEMBER');
    await accounts.createWorkspace({ slug: 'second', name: 'Second' }, pat.id);
    const patKey = (await accounts.createApiKey({ userId: pat.id, name: 'Pat bootstrap' })).key;
    const inDefault = { 'x-kith-workspace': 'default' };
    const inSecond = { 'x-kith-workspace': 'second' };

    const pinned = await created(await as(patKey, 'POST', '/crm/keys', { name: 'Default only' }, inDefault));
    assert.equal(pinned.workspace.slug, 'default');
    assert.equal((await as(pinned.key, 'GET', '/crm')).body.workspace.slug, 'default', 'the pinned workspace is implied');
    const refused = await as(pinned.key, 'GET', '/crm/organizations', undefined, inSecond);
    assert.equal(refused.status, 403);
    assert.match(refused.body.detail, /Workspace access denied by API key restriction/);

    const everywhere = await created(await as(patKey, 'POST', '/crm/keys', { name: 'Everywhere', workspaceOnly: false }, inSecond));
    assert.equal(everywhere.workspace, null);
    assert.equal((await as(everywhere.key, 'GET', '/crm', undefined, inDefault)).status, 200);
    assert.equal((await as(everywhere.key, 'GET', '/crm', undefined, inSecond)).status, 200);

    const wider = await as(pinned.key, 'POST', '/crm/keys', { name: 'Wider', workspaceOnly: false });
    assert.equal(wider.status, 403);
    assert.match(wider.body.detail, /pinned/);
    const child = await created(await as(pinned.key, 'POST', '/crm/keys', { name: 'Child' }));
    assert.equal(child.workspace.slug, 'default');

    // an unpinned key's creation is in the audit log of each workspace of its holder
    for (const headers of [inDefault, inSecond]) {
      const audit = await as(patKey, 'GET', `/crm/audit?entityType=apiKey&entityId=${everywhere.id}`, undefined, headers);
      assert.equal(audit.status, 200, JSON.stringify(audit.body));
      assert.deepEqual(
        audit.body.data.map((e: { action: string }) => e.action),
        ['create'],
        headers['x-kith-workspace'],
      );
    }
    // a pinned key's only in its workspace
    const second = await as(patKey, 'GET', `/crm/audit?entityType=apiKey&entityId=${pinned.id}`, undefined, inSecond);
    assert.equal(second.body.data.length, 0);
  });

  test('an expiry in the future; an expired key is refused; a key that expires makes only keys that expire no later', async () => {
    const inAnHour = new Date(Date.now() + 3600_000).toISOString();
    const temp = await created(await server.api('POST', '/crm/keys', { name: 'Temporary', expiresAt: inAnHour }));
    assert.equal(temp.expiresAt, inAnHour);
    assert.equal((await as(temp.key, 'GET', '/crm')).status, 200);

    const forever = await as(temp.key, 'POST', '/crm/keys', { name: 'Forever' });
    assert.equal(forever.status, 422);
    assert.equal(forever.body.errors[0].path, 'expiresAt');
    const later = await as(temp.key, 'POST', '/crm/keys', { name: 'Later', expiresAt: new Date(Date.now() + 7200_000).toISOString() });
    assert.equal(later.status, 422);
    await created(await as(temp.key, 'POST', '/crm/keys', { name: 'Sooner', expiresAt: new Date(Date.now() + 1800_000).toISOString() }));

    // time passes: the expiry is now behind us (set in the database rather than waited for)
    await server.services.store.db
      .updateTable('apiKeys')
      .set({ expiresAt: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', temp.id)
      .execute();
    const expired = await as(temp.key, 'GET', '/crm');
    assert.equal(expired.status, 401);
    assert.match(expired.body.detail, /expired/);
    const listed = (await server.api('GET', '/crm/keys')).body.data.find((k: { id: string }) => k.id === temp.id);
    assert.equal(listed.status, 'expired');
  });
});

describe('revoking', () => {
  test('a revoked key is refused at once on /crm, /sync and /mcp; the revocation is audited', async () => {
    const key = await created(await server.api('POST', '/crm/keys', { name: 'To revoke' }));
    assert.equal((await as(key.key, 'GET', '/crm/organizations')).status, 200);
    assert.equal((await as(key.key, 'GET', '/sync/organizations/pull')).status, 200);
    assert.equal((await mcpInit(key.key)).status, 200);

    assert.equal((await server.api('DELETE', `/crm/keys/${key.id}`)).status, 204);
    for (const [method, path] of [
      ['GET', '/crm/organizations'],
      ['POST', '/crm/organizations'],
      ['GET', '/sync/organizations/pull'],
    ]) {
      const res = await as(key.key, method, path, method === 'POST' ? { name: 'x' } : undefined);
      assert.equal(res.status, 401, `${method} ${path}`);
      assert.match(res.body.detail, /revoked/);
    }
    assert.equal((await mcpInit(key.key)).status, 401, '/mcp');
    const listed = (await server.api('GET', '/crm/keys')).body.data.find((k: { id: string }) => k.id === key.id);
    assert.equal(listed.status, 'revoked');
    assert.ok(listed.revokedAt);
    assert.equal((await server.api('DELETE', `/crm/keys/${key.id}`)).status, 204, 'revoking twice is harmless');

    const audit = (await server.api('GET', `/crm/audit?entityType=apiKey&entityId=${key.id}`)).body.data;
    assert.deepEqual(
      audit.map((e: { action: string }) => e.action),
      ['delete', 'create'],
      'one create, one revocation (the second revoke wrote nothing)',
    );
    const owner = (await server.api('GET', '/auth/me')).body.user;
    for (const entry of audit) {
      assert.equal(entry.actorUserId, owner.id);
      assert.equal(entry.source, 'rest');
      assert.ok(!JSON.stringify(entry).includes(key.key), 'the secret is never in the audit log');
    }
    assert.equal(audit[1].after.name, 'To revoke');
    assert.equal(audit[0].before.prefix, key.prefix);
  });

  test('a member sees and revokes only their own keys; an owner sees and revokes every key of the workspace', async () => {
    const ownerKey = await created(await server.api('POST', '/crm/keys', { name: "Owner's script" }));
    const miaKey = await created(await as(memberKey, 'POST', '/crm/keys', { name: "Mia's script" }));
    assert.equal(miaKey.user.email, 'mia@keys.test');

    const miaList = (await as(memberKey, 'GET', '/crm/keys')).body.data;
    assert.ok(miaList.length >= 2);
    assert.ok(
      miaList.every((k: { user: { id: string } }) => k.user.id === memberId),
      'a member lists only their own keys',
    );
    assert.equal((await as(memberKey, 'GET', '/crm/keys?all=true')).status, 403);

    const refused = await as(memberKey, 'DELETE', `/crm/keys/${ownerKey.id}`);
    assert.equal(refused.status, 404, "a member cannot revoke another's key");
    assert.equal((await as(ownerKey.key, 'GET', '/crm')).status, 200, "the owner's key still works");

    const all = (await server.api('GET', '/crm/keys?all=true')).body.data;
    const seen = all.find((k: { id: string }) => k.id === miaKey.id);
    assert.equal(seen.user.name, 'Mia Member', 'owners see whose key it is');
    assert.ok(
      all.some((k: { name: string }) => k.name === 'Mia laptop'),
      "a member's unpinned key reaches the workspace: listed",
    );
    assert.ok(!JSON.stringify(all).includes(miaKey.key));
    assert.ok(!(await server.api('GET', '/crm/keys')).body.data.some((k: { id: string }) => k.id === miaKey.id), 'without all=true: only the owner’s own');

    assert.equal((await server.api('DELETE', `/crm/keys/${miaKey.id}`)).status, 204);
    assert.equal((await as(miaKey.key, 'GET', '/crm')).status, 401);
    const entry = (await server.api('GET', `/crm/audit?entityType=apiKey&entityId=${miaKey.id}&action=delete`)).body.data[0];
    assert.equal(entry.before.userId, memberId, 'the audit entry names whose key it was');
    assert.equal(entry.actorUserId, (await server.api('GET', '/auth/me')).body.user.id, 'and who revoked it');

    // a member revokes their own
    const own = await created(await as(memberKey, 'POST', '/crm/keys', { name: 'Short-lived' }));
    assert.equal((await as(memberKey, 'DELETE', `/crm/keys/${own.id}`)).status, 204);
    assert.equal((await as(own.key, 'GET', '/crm')).status, 401);
  });

  test('a person signed in with a password creates and revokes keys (the Settings page)', async () => {
    const origin = server.url;
    const setup = await fetch(`${server.url}/auth/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin },
      body: JSON.stringify({ token: server.setupToken, password: 'correct horse battery' }),
    });
    assert.equal(setup.status, 200);
    const cookie = setup.headers.get('set-cookie')!.split(';')[0];
    const send = (method: string, path: string, body?: unknown) => server.api(method, path, body, { key: null, headers: { cookie, origin, ...(body ? { 'content-type': 'application/json' } : {}) } });
    const key = await created(await send('POST', '/crm/keys', { name: 'From the browser', workspaceOnly: false }));
    assert.equal(key.workspace, null);
    assert.equal((await as(key.key, 'GET', '/crm')).status, 200);
    assert.equal((await send('DELETE', `/crm/keys/${key.id}`)).status, 204);
    assert.equal((await as(key.key, 'GET', '/crm')).status, 401);
    // a cookie write from another site is refused (the loopback Origin check, then CSRF)
    const csrf = await server.api('POST', '/crm/keys', { name: 'x' }, { key: null, headers: { cookie, origin: 'https://evil.example' } });
    assert.equal(csrf.status, 403);
  });
});
