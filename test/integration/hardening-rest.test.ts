/**
 * Issue 11, items 1 and 2, over real HTTP (and the SDK MCP client and a sync push where the same
 * rule must hold there): tampered list cursors are a 400 naming `cursor`, never a 500; deals filter
 * by person (primary or contact); amounts with more than 4 decimal places are refused, not rounded
 * to 0; a record's owner must be a member of the workspace on every write path; a known path with
 * an unknown method is 405 with Allow; If-Match is checked after the body; text lengths count code
 * points.
 */
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { newId } from '../../shared/ids.js';
import { sortValues } from '../../shared/listQuery.js';
import { startTestServer, type ApiResponse, type TestServer } from '../helpers/server.js';

let server: TestServer;
let workspaceId: string;
let counter = 0;

beforeAll(async () => {
  server = await startTestServer();
  workspaceId = (await server.services.accounts.findWorkspace('default'))!.id;
});
afterAll(async () => {
  await server.stop();
});

async function member(role: 'OWNER' | 'MEMBER' | 'VIEWER' = 'MEMBER') {
  const { accounts } = server.services;
  const user = await accounts.createUser({ email: `hardening-${++counter}@example.com`, name: `Hardening ${counter}` });
  await accounts.setMembership(workspaceId, user.id, role);
  const { key } = await accounts.createApiKey({ userId: user.id });
  return { user, key };
}

async function created(path: string, body: Record<string, unknown>): Promise<any> {
  const res = await server.api('POST', path, body);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

function assertProblem(res: ApiResponse, status: number, path?: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
  if (path !== undefined)
    assert.ok(
      (res.body.errors ?? []).some((e: { path: string }) => e.path === path),
      `errors name ${path}: ${JSON.stringify(res.body)}`,
    );
}

/** A small deterministic PRNG (mulberry32), so a failing cursor can be reproduced. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const b64 = (text: string) => Buffer.from(text).toString('base64url');

describe('list cursors', () => {
  let orgCursor: string;
  let dealCursorByAmount: string;
  const deals: string[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) await created('/crm/organizations', { name: `Cursor org ${i}`, labels: ['cursor'] });
    const amounts = [100, null, 2.5, 100, 0.0001, null, 99_999_999_999];
    for (const [i, amount] of amounts.entries()) {
      deals.push((await created('/crm/deals', { title: `Cursor deal ${i % 3}`, amount, probability: i % 2 ? 0.5 : null, labels: ['cursor'] })).id);
    }
    orgCursor = (await server.api('GET', '/crm/organizations?label=cursor&sort=name&limit=1')).body.nextCursor;
    dealCursorByAmount = (await server.api('GET', '/crm/deals?label=cursor&sort=-amount&limit=1')).body.nextCursor;
    assert.ok(orgCursor && dealCursorByAmount);
  });

  test('every sort of deals pages through every deal exactly once with the cursors the server gives', async () => {
    for (const sort of sortValues('deals')) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: ApiResponse = await server.api('GET', `/crm/deals?label=cursor&sort=${sort}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(res.status, 200, `${sort}: ${JSON.stringify(res.body)}`);
        seen.push(...res.body.data.map((d: { id: string }) => d.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      assert.deepEqual([...seen].sort(), [...deals].sort(), sort);
    }
  });

  test('tampered cursors are a 400 problem naming cursor, never a 500 (REST)', async () => {
    const random = prng(11);
    const id = newId();
    const tampered: [string, string][] = [];
    // random base64url of random bytes, and random strings that are not base64url at all
    for (let i = 0; i < 40; i++) {
      const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 120) }, () => Math.floor(random() * 256)));
      tampered.push(['/crm/organizations?sort=name', bytes.toString('base64url')]);
    }
    for (const text of ['garbage', '%%%', '!!', ' ', '[]', 'null', '=====', 'A'.repeat(5000)]) tampered.push(['/crm/organizations?sort=name', text]);
    // valid JSON of the wrong shapes and types
    const shapes: unknown[] = [
      null,
      1,
      'x',
      true,
      {},
      [],
      [1],
      ['name', id],
      ['organizations', 'name', 'Cursor org 1'],
      ['organizations', 'name', 'Cursor org 1', id, 'extra'],
      ['organizations', 'name', { $gt: '' }, id],
      ['organizations', 'name', ['a'], id],
      ['organizations', 'name', 42, id],
      ['organizations', 'name', true, id],
      ['organizations', 'name', 'Cursor org 1', 'not-a-uuid'],
      ['organizations', 'name', 'Cursor org 1', 7],
      ['organizations', 'name', 'Cursor org 1', { id }],
      ['organizations', 'name', 'x'.repeat(10_000), id],
      ['organizations', 'name', null, id],
      { 0: 'organizations', 1: 'name', 2: 'a', 3: id, length: 4 },
    ];
    for (const shape of shapes) tampered.push(['/crm/organizations?sort=name', b64(JSON.stringify(shape))]);
    // numbers JSON can carry but SQL must not see: huge, non-finite after parsing, not integer units
    for (const raw of ['1e400', '-1e400', '9007199254740993', '1.5', '"100"', '[]', '{}', 'true']) {
      tampered.push(['/crm/deals?sort=-amount', b64(`["deals","-amount",${raw},"${id}"]`)]);
    }
    tampered.push(['/crm/deals?sort=probability', b64(`["deals","probability",1e308,"${id}"]`)]);
    tampered.push(['/crm/deals?sort=-amount', b64(`["deals","-amount",NaN,"${id}"]`)]);
    tampered.push(['/crm/deals?sort=status', b64(JSON.stringify(['deals', 'status', 'bogus', id]))]);
    // a real cursor from another sort, another list, or cut short
    tampered.push(['/crm/organizations?sort=-name', orgCursor]);
    tampered.push(['/crm/organizations?sort=createdAt', orgCursor]);
    tampered.push(['/crm/people?sort=name', orgCursor]);
    tampered.push(['/crm/deals?sort=amount', dealCursorByAmount]);
    tampered.push(['/crm/deals?sort=title', dealCursorByAmount]);
    tampered.push(['/crm/organizations?sort=name', orgCursor.slice(0, -3)]);
    tampered.push(['/crm/organizations?sort=name', orgCursor + 'x']);

    assert.ok(tampered.length >= 80);
    for (const [list, cursor] of tampered) {
      const res = await server.api('GET', `${list}&cursor=${encodeURIComponent(cursor)}`);
      assert.equal(res.status, 400, `${list} cursor=${cursor.slice(0, 80)}: ${JSON.stringify(res.body).slice(0, 300)}`);
      assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal(res.body.errors?.[0]?.path, 'cursor');
      assert.match(res.body.detail, /^cursor: invalid or expired/);
    }
    // the real cursors still work where they belong
    assert.equal((await server.api('GET', `/crm/organizations?label=cursor&sort=name&limit=1&cursor=${orgCursor}`)).status, 200);
  });

  test('the audit list refuses a tampered cursor the same way', async () => {
    for (const cursor of ['abc', '1'.repeat(400), '-1', '1.5']) {
      const res = await server.api('GET', `/crm/audit?cursor=${encodeURIComponent(cursor)}`);
      assertProblem(res, 400, 'cursor');
    }
  });

  test('over MCP a tampered cursor is an isError result naming cursor', async () => {
    const client = new Client({ name: 'hardening', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', server.url), { requestInit: { headers: { authorization: `Bearer ${server.key}` } } }));
    try {
      for (const cursor of [b64(JSON.stringify(['deals', '-createdAt', { a: 1 }, newId()])), 'garbage', b64('[1e400,"x"]')]) {
        const result = (await client.callTool({ name: 'crm.deal.list', arguments: { cursor } })) as { isError?: boolean; content: { text: string }[] };
        assert.equal(result.isError, true, result.content[0]?.text);
        assert.match(result.content[0].text, /cursor: invalid or expired/);
        assert.doesNotMatch(result.content[0].text, /Internal error/);
      }
    } finally {
      await client.close();
    }
  });
});

describe('deals by person', () => {
  test('personId matches a deal whose primary person or a current contact is the person; other lists refuse it', async () => {
    const person = await created('/crm/people', { name: 'Pat Person' });
    const other = await created('/crm/people', { name: 'Olly Other' });
    const primary = await created('/crm/deals', { title: 'Primary', primaryPersonId: person.id });
    const contact = await created('/crm/deals', { title: 'Contact', primaryPersonId: other.id });
    const unlinked = await created('/crm/deals', { title: 'Was a contact' });
    await created('/crm/deals', { title: 'Unrelated', primaryPersonId: other.id });
    await created(`/crm/deals/${contact.id}/contacts`, { personId: person.id, role: 'champion' });
    await created(`/crm/deals/${unlinked.id}/contacts`, { personId: person.id });
    assert.equal((await server.api('DELETE', `/crm/deals/${unlinked.id}/contacts/${person.id}`)).status, 204);

    const res = await server.api('GET', `/crm/deals?personId=${person.id}&sort=title`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(
      res.body.data.map((d: { title: string }) => d.title),
      ['Contact', 'Primary'],
    );
    assert.deepEqual(
      (await server.api('GET', `/crm/deals?personId=${other.id}&sort=title`)).body.data.map((d: { title: string }) => d.title),
      ['Contact', 'Unrelated'],
    );
    assert.equal(primary.primaryPersonId, person.id);

    assertProblem(await server.api('GET', `/crm/deals?personId=not-a-uuid`), 422, 'personId');
    assertProblem(await server.api('GET', `/crm/organizations?personId=${person.id}`), 422, 'personId');
  });
});

describe('amounts', () => {
  test('more than 4 decimal places is refused naming amount, however small (5e-324 was stored as 0)', async () => {
    for (const raw of ['5e-324', '1e-7', '0.00001', '12.34567', '1.00000001']) {
      const res = await server.api('POST', '/crm/deals', `{"title":"Tiny","amount":${raw}}`);
      assertProblem(res, 422, 'amount');
      assert.match(res.body.detail, /at most 4 decimal places/);
    }
    const deal = await created('/crm/deals', { title: 'Smallest', amount: 0.0001 });
    assert.equal(deal.amount, 0.0001);
    assertProblem(await server.api('PATCH', `/crm/deals/${deal.id}`, '{"amount":5e-324}'), 422, 'amount');
    assertProblem(await server.api('PATCH', `/crm/deals/${deal.id}`, '{"probability":5e-324}'), 422, 'probability');
    assert.equal((await server.api('GET', `/crm/deals/${deal.id}`)).body.amount, 0.0001);
  });
});

describe('owners are members of the workspace', () => {
  test('REST: a non-member owner is refused on create and update; a member is taken; an owner who left stays on edits', async () => {
    const stranger = await server.services.accounts.createUser({ email: `stranger-${++counter}@example.com`, name: 'Stranger' });
    for (const [path, body] of [
      ['/crm/organizations', { name: 'Owned org' }],
      ['/crm/people', { name: 'Owned person' }],
      ['/crm/deals', { title: 'Owned deal' }],
    ] as const) {
      assertProblem(await server.api('POST', path, { ...body, ownerId: newId() }), 422, 'ownerId');
      const res = await server.api('POST', path, { ...body, ownerId: stranger.id });
      assertProblem(res, 422, 'ownerId');
      assert.match(res.body.detail, /not a member of this workspace/);
    }
    const { user } = await member('VIEWER');
    const org = await created('/crm/organizations', { name: 'Owned by a viewer', ownerId: user.id });
    assertProblem(await server.api('PATCH', `/crm/organizations/${org.id}`, { ownerId: stranger.id }), 422, 'ownerId');
    await server.services.accounts.removeMembership(workspaceId, user.id);
    const renamed = await server.api('PATCH', `/crm/organizations/${org.id}`, { name: 'Owner left' });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.ownerId, user.id);
    assertProblem(await server.api('POST', '/crm/organizations', { name: 'Not any more', ownerId: user.id }), 422, 'ownerId');
  });

  test('sync push and MCP refuse a non-member owner too', async () => {
    const stranger = newId();
    const id = newId();
    const doc = { id, name: 'Pushed owner', website: null, notes: null, labels: [], ownerId: stranger, custom: {}, archivedAt: null, _deleted: false };
    const push = await server.api('POST', '/sync/organizations/push', [{ assumedMasterState: null, newDocumentState: doc }]);
    assert.equal(push.status, 200);
    assert.equal((await server.api('GET', `/crm/organizations/${id}`)).status, 404, 'not stored');
    const rejection = (await server.api('GET', '/sync/rejections')).body.data.find((r: { documentId: string }) => r.documentId === id);
    assert.match(rejection.reason, /ownerId: user .* is not a member of this workspace/);

    const client = new Client({ name: 'hardening', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', server.url), { requestInit: { headers: { authorization: `Bearer ${server.key}` } } }));
    try {
      const result = (await client.callTool({ name: 'crm.organization.create', arguments: { name: 'MCP owned', ownerId: stranger } })) as { isError?: boolean; content: { text: string }[] };
      assert.equal(result.isError, true, result.content[0]?.text);
      assert.match(result.content[0].text, /ownerId: user .* is not a member of this workspace/);
    } finally {
      await client.close();
    }
  });
});

describe('methods', () => {
  test('a known path with a method it does not answer is 405 with Allow; an unknown path stays 404', async () => {
    const org = await created('/crm/organizations', { name: 'Methods' });
    const cases: [string, string, string][] = [
      ['PUT', '/crm/organizations', 'GET, HEAD, POST'],
      ['DELETE', '/crm/organizations', 'GET, HEAD, POST'],
      ['POST', `/crm/organizations/${org.id}`, 'GET, HEAD, PATCH, DELETE'],
      ['PUT', `/crm/organizations/${org.id}`, 'GET, HEAD, PATCH, DELETE'],
      ['GET', `/crm/organizations/${org.id}/archive`, 'POST'],
      ['PATCH', '/crm/labels', 'GET, HEAD'],
      ['GET', `/crm/pipelines/${newId()}/stages/order`, 'PUT'],
      ['POST', '/crm', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await server.api(method, path);
      assertProblem(res, 405);
      assert.equal(res.headers.get('allow'), allow, `${method} ${path}`);
      assert.match(res.body.detail, new RegExp(`${method} is not allowed`));
    }
    const options = await server.api('OPTIONS', '/crm/deals');
    assert.equal(options.status, 204);
    assert.equal(options.headers.get('allow'), 'GET, HEAD, POST');
    assertProblem(await server.api('PUT', '/crm/widgets'), 404);
    assertProblem(await server.api('GET', `/crm/organizations/${org.id}/widgets`), 404);
  });
});

describe('If-Match and the body', () => {
  test('an invalid body is 422 whatever If-Match says; a valid one with a stale If-Match is 412', async () => {
    const org = await created('/crm/organizations', { name: 'Versioned' });
    const stale = `"${org.version - 1}"`;
    assertProblem(await server.api('PATCH', `/crm/organizations/${org.id}`, { name: '' }, { headers: { 'if-match': stale } }), 422, 'name');
    assertProblem(await server.api('PATCH', `/crm/organizations/${org.id}`, { colour: 'red' }, { headers: { 'if-match': stale } }), 422, 'colour');
    assertProblem(await server.api('PATCH', `/crm/organizations/${org.id}`, { organizationId: 1 }, { headers: { 'if-match': 'garbage' } }), 422);
    assertProblem(await server.api('PATCH', `/crm/people/${(await created('/crm/people', { name: 'P' })).id}`, { organizationId: newId() }, { headers: { 'if-match': '"1"' } }), 422, 'organizationId');
    assertProblem(await server.api('PATCH', `/crm/organizations/${org.id}`, { name: 'Fine' }, { headers: { 'if-match': stale } }), 412);
    assertProblem(await server.api('PATCH', `/crm/organizations/${org.id}`, { name: 'Fine' }, { headers: { 'if-match': 'garbage' } }), 412);
    const ok = await server.api('PATCH', `/crm/organizations/${org.id}`, { name: 'Fine' }, { headers: { 'if-match': `"${org.version}"` } });
    assert.equal(ok.status, 200);
  });
});

describe('text lengths count code points', () => {
  test('200 emoji are a 200-character name (as JSON Schema maxLength counts); 201 are refused', async () => {
    const ok = await server.api('POST', '/crm/organizations', { name: '😀'.repeat(200) });
    assert.equal(ok.status, 201, JSON.stringify(ok.body).slice(0, 300));
    const long = await server.api('POST', '/crm/organizations', { name: '😀'.repeat(201) });
    assertProblem(long, 422, 'name');
    assert.match(long.body.detail, /at most 200 characters/);
    assert.equal((await server.api('POST', '/crm/organizations', { name: 'Labelled', labels: ['é'.normalize('NFD').repeat(32)] })).status, 201, '64 code points');
  });
});
