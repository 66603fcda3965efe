/**
 * Who may do what over /crm: missing/malformed/unknown/revoked/expired keys (401 with
 * WWW-Authenticate), roles (a viewer cannot write; a member cannot delete or manage pipelines),
 * read-only keys, workspace selection and key restriction (403 with the SPEC message), and the
 * crm.core feature gate.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Role } from '../../shared/schemas.js';
import { openTestStore, startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let defaultWs: { id: string; slug: string };
let counter = 0;

beforeAll(async () => {
  server = await startTestServer();
  defaultWs = (await server.services.accounts.findWorkspace('default'))!;
});
afterAll(async () => {
  await server.stop();
});

/** A new user with `role` in the default workspace and a key. */
async function member(role: Role, keyOptions: { workspaceId?: string; readOnly?: boolean; expiresAt?: string } = {}) {
  const { accounts } = server.services;
  const user = await accounts.createUser({ email: `${role.toLowerCase()}-${++counter}@access.test`, name: `${role} ${counter}` });
  await accounts.setMembership(defaultWs.id, user.id, role);
  const { key, info } = await accounts.createApiKey({ userId: user.id, ...keyOptions });
  return { user, key, info };
}

function assert401(res: { status: number; headers: Headers; body: any }, detail: RegExp) {
  assert.equal(res.status, 401, JSON.stringify(res.body));
  assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="kith"/);
  assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
  assert.equal(res.body.title, 'Unauthorized');
  assert.match(res.body.detail, detail);
}

describe('authentication', () => {
  test('missing, malformed and unknown keys are 401 with WWW-Authenticate', async () => {
    assert401(await server.api('GET', '/crm/organizations', undefined, { key: null }), /API key is required/);
    assert401(await server.api('GET', '/crm', undefined, { key: 'kith_short' }), /malformed/);
    assert401(await server.api('GET', '/crm', undefined, { key: 'kith_' + 'A'.repeat(32) }), /not valid/);
    assert401(await server.api('GET', '/crm', undefined, { key: null, headers: { authorization: 'Basic Zm9vOmJhcg==' } }), /Bearer kith_/);
  });

  test('X-API-Key is accepted as well as Authorization: Bearer', async () => {
    const res = await server.api('GET', '/crm', undefined, { key: null, headers: { 'x-api-key': server.key } });
    assert.equal(res.status, 200);
    assert.equal(res.body.role, 'OWNER');
  });

  test('a revoked key gets 401 on the very next request', async () => {
    const { key, info } = await member('MEMBER');
    for (let i = 0; i < 3; i++) assert.equal((await server.api('GET', '/crm/organizations', undefined, { key })).status, 200);
    assert.equal((await server.api('POST', '/crm/organizations', { name: 'before revoke' }, { key })).status, 201);
    assert.equal((await server.api('GET', '/crm/organizations', undefined, { key })).status, 200);
    await server.services.accounts.revokeApiKey(info.id);
    assert401(await server.api('GET', '/crm/organizations', undefined, { key }), /revoked/);
    assert401(await server.api('POST', '/crm/organizations', { name: 'after revoke' }, { key }), /revoked/);
    assert.equal((await server.api('GET', '/crm/organizations?q=after%20revoke')).body.data.length, 0);
  });

  test('a key revoked by another process (another connection to the same file) is refused at once', async () => {
    const { key, info } = await member('MEMBER');
    // several requests first, so that anything the server remembers about the key is warm
    for (let i = 0; i < 3; i++) assert.equal((await server.api('GET', '/crm', undefined, { key })).status, 200);
    const { createServices } = await import('../../server/domain/services.js');
    const other = await openTestStore(server.dataDir, { create: false });
    try {
      await createServices(other).accounts.revokeApiKey(info.prefix);
    } finally {
      await other.close();
    }
    assert401(await server.api('GET', '/crm', undefined, { key }), /revoked/);
  });

  test('an expired key is 401', async () => {
    const expiresAt = Date.now() + 1500;
    const { key } = await member('OWNER', { expiresAt: new Date(expiresAt).toISOString() });
    for (let i = 0; i < 3; i++) assert.equal((await server.api('GET', '/crm', undefined, { key })).status, 200);
    await new Promise((r) => setTimeout(r, expiresAt - Date.now() + 20));
    assert401(await server.api('GET', '/crm', undefined, { key }), /expired/);
  });

  test('OpenAPI and the docs page are public; everything else needs a key', async () => {
    const openapi = await server.api('GET', '/crm/openapi.json', undefined, { key: null });
    assert.equal(openapi.status, 200);
    const docs = await fetch(`${server.url}/crm/docs`);
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /swagger-ui/);
    for (const asset of ['/crm/docs/assets/swagger-ui-bundle.js', '/crm/docs/assets/swagger-ui.css', '/crm/docs/init.js']) {
      const res = await fetch(`${server.url}${asset}`);
      assert.equal(res.status, 200, asset);
      await res.arrayBuffer();
    }
    assert401(await server.api('GET', '/crm/search?q=x', undefined, { key: null }), /required/);
  });
});

describe('roles', () => {
  test('GET /crm reports role and read-only scope', async () => {
    const viewer = await member('VIEWER');
    const res = await server.api('GET', '/crm', undefined, { key: viewer.key });
    assert.deepEqual(
      { enabled: res.body.enabled, role: res.body.role, readOnly: res.body.readOnly, slug: res.body.workspace.slug },
      { enabled: true, role: 'VIEWER', readOnly: false, slug: 'default' },
    );
  });

  test('a viewer reads everything and writes nothing', async () => {
    const { key } = await member('VIEWER');
    const org = (await server.api('POST', '/crm/organizations', { name: 'Viewer target' })).body;
    const pipelineId = (await server.api('GET', '/crm/pipelines')).body.data[0].id;
    for (const path of [
      '/crm/organizations',
      `/crm/organizations/${org.id}`,
      '/crm/people',
      '/crm/deals',
      '/crm/activities',
      '/crm/pipelines',
      `/crm/pipelines/${pipelineId}/summary`,
      '/crm/labels',
      '/crm/audit',
      '/crm/search?q=Viewer',
      `/crm/organizations/${org.id}/context`,
    ]) {
      assert.equal((await server.api('GET', path, undefined, { key })).status, 200, path);
    }
    const writes: [string, string, unknown?][] = [
      ['POST', '/crm/organizations', { name: 'nope' }],
      ['PATCH', `/crm/organizations/${org.id}`, { name: 'nope' }],
      ['POST', `/crm/organizations/${org.id}/archive`],
      ['DELETE', `/crm/organizations/${org.id}`],
      ['POST', '/crm/people', { name: 'nope' }],
      ['POST', '/crm/deals', { title: 'nope' }],
      ['POST', '/crm/activities', { type: 'note', organizationId: org.id }],
      ['POST', '/crm/pipelines', { name: 'nope' }],
      ['PATCH', '/crm/workspace', { name: 'nope' }],
    ];
    for (const [method, path, body] of writes) {
      const res = await server.api(method, path, body, { key });
      assert.equal(res.status, 403, `${method} ${path}: ${JSON.stringify(res.body)}`);
      assert.match(res.headers.get('content-type') ?? '', /problem\+json/);
    }
    const create = await server.api('POST', '/crm/organizations', { name: 'nope' }, { key });
    assert.match(create.body.detail, /role VIEWER cannot create organizations/);
    const after = await server.api('GET', `/crm/organizations/${org.id}`);
    assert.equal(after.body.name, 'Viewer target');
    assert.equal(after.body.version, org.version);
  });

  test('a member writes and archives records but cannot delete them or manage pipelines and stages', async () => {
    const { key, user } = await member('MEMBER');
    const created = await server.api('POST', '/crm/organizations', { name: 'Member org' }, { key });
    assert.equal(created.status, 201);
    assert.equal((await server.api('PATCH', `/crm/organizations/${created.body.id}`, { notes: 'n' }, { key })).status, 200);
    assert.equal((await server.api('POST', `/crm/organizations/${created.body.id}/archive`, undefined, { key })).status, 200);
    assert.equal((await server.api('POST', `/crm/organizations/${created.body.id}/restore`, undefined, { key })).status, 200);
    const deal = await server.api('POST', '/crm/deals', { title: 'Member deal', organizationId: created.body.id }, { key });
    assert.equal(deal.status, 201);
    const person = (await server.api('POST', '/crm/people', { name: 'Member person' }, { key })).body;
    assert.equal((await server.api('POST', `/crm/deals/${deal.body.id}/contacts`, { personId: person.id }, { key })).status, 201);
    assert.equal((await server.api('DELETE', `/crm/deals/${deal.body.id}/contacts/${person.id}`, undefined, { key })).status, 204, 'members may remove deal contacts');

    const del = await server.api('DELETE', `/crm/organizations/${created.body.id}`, undefined, { key });
    assert.equal(del.status, 403);
    assert.match(del.body.detail, /role MEMBER cannot delete organizations .*needs OWNER/);
    assert.equal((await server.api('GET', `/crm/organizations/${created.body.id}`)).status, 200);

    const pipelines = (await server.api('GET', '/crm/pipelines', undefined, { key })).body.data;
    const pipelineId = pipelines[0].id;
    const stages = (await server.api('GET', `/crm/pipelines/${pipelineId}/stages`, undefined, { key })).body.data;
    const ownerOnly: [string, string, unknown?][] = [
      ['POST', '/crm/pipelines', { name: 'Member pipeline' }],
      ['PATCH', `/crm/pipelines/${pipelineId}`, { name: 'Renamed' }],
      ['POST', `/crm/pipelines/${pipelineId}/archive`],
      ['POST', `/crm/pipelines/${pipelineId}/stages`, { name: 'Member stage' }],
      ['PATCH', `/crm/stages/${stages[0].id}`, { name: 'Renamed' }],
      ['DELETE', `/crm/stages/${stages[0].id}`],
      ['PUT', `/crm/pipelines/${pipelineId}/stages/order`, { stageIds: [...stages].reverse().map((s: { id: string }) => s.id) }],
      ['PATCH', '/crm/workspace', { features: { 'crm.core': false } }],
    ];
    for (const [method, path, body] of ownerOnly) {
      const res = await server.api(method, path, body, { key });
      assert.equal(res.status, 403, `${method} ${path}: ${JSON.stringify(res.body)}`);
    }
    const after = (await server.api('GET', `/crm/pipelines/${pipelineId}/stages`)).body.data;
    assert.deepEqual(
      after.map((s: { id: string; name: string }) => [s.id, s.name]),
      stages.map((s: { id: string; name: string }) => [s.id, s.name]),
    );

    const audit = (await server.api('GET', `/crm/audit?entityId=${created.body.id}`)).body.data;
    assert.ok(audit.every((a: { actorUserId: string; source: string }) => a.actorUserId === user.id && a.source === 'rest'));
  });

  test('a role change or a removed membership applies to the very next request', async () => {
    const { key, user } = await member('MEMBER');
    for (let i = 0; i < 3; i++) assert.equal((await server.api('GET', '/crm', undefined, { key })).body.role, 'MEMBER');
    await server.services.accounts.setMembership(defaultWs.id, user.id, 'VIEWER');
    assert.equal((await server.api('GET', '/crm', undefined, { key })).body.role, 'VIEWER');
    assert.equal((await server.api('POST', '/crm/organizations', { name: 'demoted' }, { key })).status, 403);
    await server.services.accounts.setMembership(defaultWs.id, user.id, 'OWNER');
    assert.equal((await server.api('POST', '/crm/organizations', { name: 'promoted' }, { key })).status, 201);
    await server.services.accounts.removeMembership(defaultWs.id, user.id);
    assert.equal((await server.api('GET', '/crm/organizations', undefined, { key })).status, 403);
  });

  test('a read-only key of an owner reads but cannot write', async () => {
    const owner = await member('OWNER', { readOnly: true });
    assert.equal((await server.api('GET', '/crm/deals', undefined, { key: owner.key })).status, 200);
    const res = await server.api('POST', '/crm/organizations', { name: 'ro' }, { key: owner.key });
    assert.equal(res.status, 403);
    assert.match(res.body.detail, /read-only/);
    const gate = await server.api('GET', '/crm', undefined, { key: owner.key });
    assert.equal(gate.body.readOnly, true);
  });

  test('a user with no membership is refused; a platform admin acts as owner anywhere', async () => {
    const { accounts } = server.services;
    const loner = await accounts.createUser({ email: 'loner@access.test', name: 'Loner' });
    const { key } = await accounts.createApiKey({ userId: loner.id });
    const res = await server.api('GET', '/crm', undefined, { key });
    assert.equal(res.status, 403);
    assert.match(res.body.detail, /not a member/);

    const admin = await accounts.createUser({ email: 'admin@access.test', name: 'Admin', platformRole: 'ADMIN' });
    const adminKey = (await accounts.createApiKey({ userId: admin.id })).key;
    const asAdmin = await server.api('GET', '/crm', undefined, { key: adminKey, headers: { 'x-kith-workspace': 'default' } });
    assert.equal(asAdmin.status, 200);
    assert.equal(asAdmin.body.role, 'OWNER');
  });
});

describe('workspaces', () => {
  let other: { id: string; slug: string };
  beforeAll(async () => {
    const owner = await server.services.accounts.findUser('owner@kith.local');
    other = await server.services.accounts.createWorkspace({ slug: 'other-team', name: 'Other team', defaultCurrency: 'EUR' }, owner.id);
  });

  test('a user with several workspaces must name one; by slug or id, header or query', async () => {
    const res = await server.api('GET', '/crm/organizations');
    assert.equal(res.status, 400);
    assert.match(res.body.detail, /X-Kith-Workspace/);
    assert.match(res.body.detail, /other-team/);

    const bySlug = await server.api('GET', '/crm', undefined, { headers: { 'x-kith-workspace': 'other-team' } });
    assert.equal(bySlug.body.workspace.id, other.id);
    assert.equal(bySlug.body.workspace.defaultCurrency, 'EUR');
    const byId = await server.api('GET', `/crm?workspace=${other.id}`);
    assert.equal(byId.body.workspace.slug, 'other-team');
    const missing = await server.api('GET', '/crm?workspace=nowhere');
    assert.equal(missing.status, 404);
  });

  test('records are workspace-scoped', async () => {
    const h = { headers: { 'x-kith-workspace': 'other-team' } };
    const org = (await server.api('POST', '/crm/organizations', { name: 'Only in other' }, h)).body;
    const deal = (await server.api('POST', '/crm/deals', { title: 'Euro deal', amount: 10 }, h)).body;
    assert.equal(deal.currency, 'EUR', 'the workspace default currency applies');
    const inDefault = await server.api('GET', `/crm/organizations/${org.id}`, undefined, { headers: { 'x-kith-workspace': 'default' } });
    assert.equal(inDefault.status, 404);
    const ref = await server.api('POST', '/crm/people', { name: 'Cross', organizationId: org.id }, { headers: { 'x-kith-workspace': 'default' } });
    assert.equal(ref.status, 422);
    assert.equal(ref.body.errors[0].path, 'organizationId');
  });

  test('a key restricted to one workspace: implied, and naming another is 403 with the SPEC message', async () => {
    const owner = await server.services.accounts.findUser('owner@kith.local');
    const { key } = await server.services.accounts.createApiKey({ userId: owner.id, workspaceId: other.slug });
    const implied = await server.api('GET', '/crm', undefined, { key });
    assert.equal(implied.status, 200);
    assert.equal(implied.body.workspace.slug, 'other-team');
    const same = await server.api('GET', '/crm/organizations', undefined, { key, headers: { 'x-kith-workspace': other.id } });
    assert.equal(same.status, 200);

    const attempts: [string, Record<string, string>][] = [
      ['/crm/organizations', { 'x-kith-workspace': 'default' }],
      ['/crm/organizations?workspace=default', {}],
    ];
    for (const [path, headers] of attempts) {
      const denied = await server.api('GET', path, undefined, { key, headers });
      assert.equal(denied.status, 403);
      assert.equal(denied.body.detail, 'Workspace access denied by API key restriction');
      assert.match(denied.headers.get('content-type') ?? '', /problem\+json/);
    }
    const nonexistent = await server.api('GET', '/crm', undefined, { key, headers: { 'x-kith-workspace': 'nowhere' } });
    assert.equal(nonexistent.status, 403, 'a restricted key learns nothing about other workspaces');
    assert.equal(nonexistent.body.detail, 'Workspace access denied by API key restriction');
  });

  test('feature gate: with crm.core off every other route (and /sync) is 403 naming the feature, GET /crm answers enabled:false', async () => {
    const h = { headers: { 'x-kith-workspace': 'other-team' } };
    const org = (await server.api('POST', '/crm/organizations', { name: 'Gated' }, h)).body;
    const off = await server.api('PATCH', '/crm/workspace', { features: { 'crm.core': false } }, h);
    assert.equal(off.status, 200);
    assert.equal(off.body.features['crm.core'], false);

    const gate = await server.api('GET', '/crm', undefined, h);
    assert.equal(gate.status, 200);
    assert.equal(gate.body.enabled, false);
    assert.equal(gate.body.feature, 'crm.core');
    for (const [method, path, body] of [
      ['GET', '/crm/organizations'],
      ['GET', `/crm/organizations/${org.id}`],
      ['POST', '/crm/organizations', { name: 'x' }],
      ['GET', '/crm/search?q=Gated'],
      ['GET', '/crm/labels'],
      ['GET', '/crm/audit'],
      ['GET', '/crm/workspace/members'],
      // replication is gated the same way
      ['GET', '/sync/organizations/pull?checkpoint=0'],
      ['POST', '/sync/organizations/push', []],
      ['GET', '/sync/stream'],
      ['GET', '/sync/rejections'],
    ] as [string, string, unknown?][]) {
      const res = await server.api(method, path, body, h);
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.equal(res.body.feature, 'crm.core');
      assert.match(res.body.detail, /crm\.core/);
    }
    // the default workspace is unaffected
    assert.equal((await server.api('GET', '/crm/organizations', undefined, { headers: { 'x-kith-workspace': 'default' } })).status, 200);

    const on = await server.api('PATCH', '/crm/workspace', { features: { 'crm.core': true } }, h);
    assert.equal(on.status, 200);
    assert.equal((await server.api('GET', `/crm/organizations/${org.id}`, undefined, h)).status, 200);
    assert.equal((await server.api('GET', '/sync/organizations/pull?checkpoint=0', undefined, h)).status, 200);
  });

  test('workspace members list', async () => {
    const res = await server.api('GET', '/crm/workspace/members', undefined, { headers: { 'x-kith-workspace': 'other-team' } });
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.data.map((m: { email: string; role: string }) => [m.email, m.role]),
      [['owner@kith.local', 'OWNER']],
    );
  });
});
