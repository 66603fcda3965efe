/**
 * Issue 12, custom fields (SPEC §2, §3 schema routes, §4 crm.field.* / crm.schema.describe): every
 * field type accepted and refused with a precise message naming custom.<key> on every write path
 * (REST, the SDK MCP client, a real /sync push); required; unknown keys; archiving and restoring a
 * field keeps its values; a type or options change existing values would not convert to is refused
 * saying how many and which, otherwise the values are converted; definitions replicate (a field
 * added while a client is offline reaches it, and its offline edit of the field is validated on
 * the client and again on the server); the schema describes custom fields next to the standard ones.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { newId } from '../../shared/ids.js';
import { sql } from 'kysely';
import { customValueSql } from '../../server/store/customIndexes.js';
import { isPostgres } from '../../server/store/dialect.js';
import { openTestStore, startTestServer, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/wait.js';
import { openClient, waitFor, waitSynced, type TestClient } from './sync-helpers.js';

let server: TestServer;
let agent: Client;
let orgId: string;
let template: Record<string, unknown>;

interface TypeCase {
  key: string;
  type: string;
  extra?: Record<string, unknown>;
  good: () => unknown;
  stored?: () => unknown;
  bad: () => unknown;
  error: () => { path?: string; message: string };
}

const CASES: TypeCase[] = [
  { key: 'code', type: 'text', good: () => '  Gold tier ', stored: () => 'Gold tier', bad: () => 42, error: () => ({ message: 'must be a string' }) },
  { key: 'brief', type: 'long_text', good: () => 'x'.repeat(5000), bad: () => 'x'.repeat(20001), error: () => ({ message: 'must be at most 20000 characters' }) },
  { key: 'score', type: 'number', good: () => 12.5, bad: () => '12', error: () => ({ message: 'must be a number' }) },
  {
    key: 'budget',
    type: 'money',
    good: () => ({ amount: 1200.5, currency: 'eur' }),
    stored: () => ({ amount: 1200.5, currency: 'EUR' }),
    bad: () => ({ amount: -1, currency: 'EUR' }),
    error: () => ({ path: 'custom.budget.amount', message: 'must be 0 or more' }),
  },
  { key: 'kickoff', type: 'date', good: () => '2026-03-01', bad: () => '2026-02-30', error: () => ({ message: 'must be a calendar date YYYY-MM-DD' }) },
  {
    key: 'signed_at',
    type: 'datetime',
    good: () => '2026-03-01T10:00:00+02:00',
    stored: () => '2026-03-01T08:00:00.000Z',
    bad: () => 'yesterday',
    error: () => ({ message: 'must be an ISO 8601 date-time, e.g. 2026-01-31T14:00:00Z' }),
  },
  { key: 'strategic', type: 'boolean', good: () => true, bad: () => 'yes', error: () => ({ message: 'must be true or false' }) },
  {
    key: 'tier',
    type: 'select',
    extra: { options: [{ value: 'gold', label: 'Gold', color: 'yellow' }, { value: 'silver' }] },
    good: () => 'gold',
    bad: () => 'bronze',
    error: () => ({ message: 'must be one of "gold", "silver"' }),
  },
  {
    key: 'regions',
    type: 'multi_select',
    extra: { options: [{ value: 'emea' }, { value: 'apac' }, { value: 'amer' }] },
    good: () => ['emea', 'apac'],
    bad: () => ['emea', 'mars'],
    error: () => ({ path: 'custom.regions.1', message: 'must be one of "emea", "apac", "amer"' }),
  },
  { key: 'portal', type: 'url', good: () => 'https://acme.example/deal', bad: () => 'ftp://acme.example', error: () => ({ message: 'must be an http(s) URL, e.g. https://example.com' }) },
  { key: 'billing_email', type: 'email', good: () => ' Ann@Acme.Example ', stored: () => 'ann@acme.example', bad: () => 'ann@', error: () => ({ message: 'must be an email address' }) },
  {
    key: 'hotline',
    type: 'phone',
    good: () => '+1 (555) 010-2000',
    bad: () => 'call me',
    error: () => ({ message: 'must be a phone number: digits, spaces and + ( ) . - / only, 3 to 40 characters' }),
  },
  {
    key: 'partner',
    type: 'reference',
    extra: { referenceTo: 'organizations' },
    good: () => orgId,
    bad: () => MISSING_ORG,
    error: () => ({ message: `organization ${MISSING_ORG} does not exist in this workspace` }),
  },
];
const MISSING_ORG = newId();

const errorOf = (c: TypeCase) => ({ path: c.error().path ?? `custom.${c.key}`, message: c.error().message });
const storedOf = (c: TypeCase) => (c.stored ?? c.good)();

async function createField(body: Record<string, unknown>) {
  const res = await server.api('POST', '/crm/fields', body);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { id: string; key: string; version: number };
}

/** A new deal as a client would push it: every record field, a fresh id. */
function pushedDeal(custom: Record<string, unknown>) {
  return { ...template, id: newId(), title: 'Pushed deal', custom, _deleted: false };
}

async function push(collection: string, doc: Record<string, unknown>, base: Record<string, unknown> | null = null) {
  const res = await server.api('POST', `/sync/${collection}/push`, [{ assumedMasterState: base, newDocumentState: doc }]);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as Record<string, unknown>[];
}

async function rejectionReason(entityId: string): Promise<string> {
  const audit = await server.api('GET', `/crm/audit?action=rejected&entityId=${entityId}`);
  assert.equal(audit.status, 200, JSON.stringify(audit.body));
  assert.equal(audit.body.data.length, 1, `one rejection for ${entityId}: ${JSON.stringify(audit.body.data)}`);
  return audit.body.data[0].detail.reason as string;
}

beforeAll(async () => {
  server = await startTestServer();
  agent = new Client({ name: 'custom-fields-test', version: '1.0.0' });
  await agent.connect(new StreamableHTTPClientTransport(new URL('/mcp', server.url), { requestInit: { headers: { authorization: `Bearer ${server.key}` } } }));
  orgId = (await server.api('POST', '/crm/organizations', { name: 'Acme' })).body.id;
  for (const c of CASES) await createField({ entity: 'deals', key: c.key, label: c.key, type: c.type, ...c.extra });
  const deal = (await server.api('POST', '/crm/deals', { title: 'Template' })).body;
  template = Object.fromEntries(Object.entries(deal).filter(([k]) => !['workspaceId', 'createdAt', 'updatedAt', 'version'].includes(k)));
});
afterAll(async () => {
  await agent?.close();
  await server?.stop();
});

describe('every field type, on every write path', () => {
  test('REST: accepted values are stored (normalized), refused ones answer 422 naming custom.<key>', async () => {
    for (const c of CASES) {
      const ok = await server.api('POST', '/crm/deals', { title: `REST ${c.type}`, custom: { [c.key]: c.good() } });
      assert.equal(ok.status, 201, `${c.type}: ${JSON.stringify(ok.body)}`);
      assert.deepEqual(ok.body.custom, { [c.key]: storedOf(c) }, c.type);
      const bad = await server.api('POST', '/crm/deals', { title: `REST bad ${c.type}`, custom: { [c.key]: c.bad() } });
      assert.equal(bad.status, 422, `${c.type}: ${JSON.stringify(bad.body)}`);
      assert.deepEqual(bad.body.errors, [errorOf(c)], c.type);
      const patched = await server.api('PATCH', `/crm/deals/${ok.body.id}`, { custom: { [c.key]: c.bad() } });
      assert.equal(patched.status, 422, c.type);
      assert.deepEqual(patched.body.errors, [errorOf(c)], c.type);
    }
  });

  test('MCP: the same values accepted and refused, with the same messages', async () => {
    for (const c of CASES) {
      const ok = await agent.callTool({ name: 'crm.deal.create', arguments: { title: `MCP ${c.type}`, custom: { [c.key]: c.good() } } });
      assert.ok(!ok.isError, `${c.type}: ${JSON.stringify(ok.content)}`);
      assert.deepEqual((ok.structuredContent as any).custom, { [c.key]: storedOf(c) }, c.type);
      const bad = await agent.callTool({ name: 'crm.deal.create', arguments: { title: `MCP bad ${c.type}`, custom: { [c.key]: c.bad() } } });
      assert.equal(bad.isError, true, c.type);
      const text = (bad.content as { text: string }[])[0].text;
      const { path, message } = errorOf(c);
      assert.ok(text.includes(`${path}: ${message}`), `${c.type}: ${text}`);
    }
  });

  test('sync push: a valid document is stored; an invalid one is refused alone, with its reason in the audit log', async () => {
    for (const c of CASES) {
      const good = pushedDeal({ [c.key]: c.good() });
      const bad = pushedDeal({ [c.key]: c.bad() });
      const [answer] = await push('deals', good);
      assert.deepEqual(answer.custom, { [c.key]: storedOf(c) }, `${c.type}: the server's document comes back, normalized`);
      const stored = await server.api('GET', `/crm/deals/${good.id}`);
      assert.deepEqual(stored.body.custom, { [c.key]: storedOf(c) }, c.type);
      const refused = await push('deals', bad);
      assert.equal(refused[0]?._deleted, true, `${c.type}: the refused create answers a tombstone`);
      assert.equal((await server.api('GET', `/crm/deals/${bad.id}`)).status, 404, c.type);
      const { path, message } = errorOf(c);
      assert.ok((await rejectionReason(bad.id as string)).includes(`${path}: ${message}`), c.type);
    }
  });
});

describe('every field type, on the import and automation paths', () => {
  /** A cell of a CSV file (text, as imports read it) per field type: accepted, and refused with the message its column gets. */
  const CELLS: Record<string, { good: string; bad: string; message: string }> = {
    code: { good: ' Gold tier ', bad: 'x'.repeat(1001), message: 'must be at most 1000 characters' },
    brief: { good: 'x'.repeat(5000), bad: 'x'.repeat(20001), message: 'must be at most 20000 characters' },
    score: { good: '12.5', bad: 'twelve', message: "must be a number, got 'twelve'" },
    budget: { good: '1200.50 eur', bad: '-1 EUR', message: "must be an amount with an optional currency, e.g. 1200 EUR, got '-1 EUR'" },
    kickoff: { good: '2026-03-01', bad: '2026-02-30', message: 'must be a calendar date YYYY-MM-DD' },
    signed_at: { good: '2026-03-01T10:00:00+02:00', bad: 'yesterday', message: 'must be an ISO 8601 date-time, e.g. 2026-01-31T14:00:00Z' },
    strategic: { good: 'yes', bad: 'perhaps', message: "must be true or false (yes/no, 1/0), got 'perhaps'" },
    tier: { good: 'Gold', bad: 'bronze', message: 'must be one of "gold", "silver"' },
    regions: { good: 'emea; apac', bad: 'emea; mars', message: 'must be one of "emea", "apac", "amer"' },
    portal: { good: 'https://acme.example/deal', bad: 'ftp://acme.example', message: 'must be an http(s) URL, e.g. https://example.com' },
    billing_email: { good: ' Ann@Acme.Example ', bad: 'ann@', message: 'must be an email address' },
    hotline: { good: '+1 (555) 010-2000', bad: 'call me', message: 'must be a phone number: digits, spaces and + ( ) . - / only, 3 to 40 characters' },
    partner: { good: '', bad: 'Nobody Inc', message: 'must be the id (UUID) of an organization' },
  };

  test('import: every type read from its cells and stored as REST stores it; a bad cell is its row’s error naming the column; only valid rows are written', async () => {
    assert.deepEqual(Object.keys(CELLS).sort(), CASES.map((c) => c.key).sort(), 'a cell case per field type');
    CELLS.partner.good = orgId;
    const good = { title: 'Imported every type', ...Object.fromEntries(Object.entries(CELLS).map(([key, cell]) => [`custom.${key}`, cell.good])) };
    const bad = Object.entries(CELLS).map(([key, cell]) => ({ title: `Imported bad ${key}`, [`custom.${key}`]: cell.bad }));
    const session = await server.api('POST', '/crm/imports', { entity: 'deals', rows: [good, ...bad] });
    assert.equal(session.status, 200, JSON.stringify(session.body));
    assert.deepEqual(session.body.counts, { create: 1, update: 0, skip: 0, error: CASES.length });
    const rows = (await server.api('GET', `/crm/imports/${session.body.id}/rows?outcome=error&limit=100`)).body.data;
    assert.deepEqual(
      rows.map((r: { row: number; errors: unknown }) => [r.row, r.errors]),
      Object.entries(CELLS).map(([key, cell], i) => [i + 2, [{ column: `custom.${key}`, message: cell.message }]]),
    );
    const committed = await server.api('POST', `/crm/imports/${session.body.id}/commit`, { rows: 'valid' });
    assert.ok([200, 202].includes(committed.status), JSON.stringify(committed.body));
    await until('the import committed', async () => (await server.api('GET', `/crm/imports/${session.body.id}`)).body.state === 'committed');
    const stored = (await server.api('GET', '/crm/deals?title[contains]=Imported&limit=100')).body.data;
    assert.deepEqual(
      stored.map((d: { title: string }) => d.title),
      ['Imported every type'],
      'the bad rows wrote nothing',
    );
    const expected = Object.fromEntries(CASES.map((c) => [c.key, storedOf(c)]));
    // the cells' own spellings of the same values
    Object.assign(expected, { score: 12.5, budget: { amount: 1200.5, currency: 'EUR' }, strategic: true, regions: ['emea', 'apac'], brief: 'x'.repeat(5000) });
    assert.deepEqual(stored[0].custom, expected);
  });

  test('automations: a set_field value a field refuses is refused at definition naming steps.<i>.value; good values are set when it runs', async () => {
    for (const c of CASES) {
      const refused = await server.api('POST', '/crm/automations', {
        name: `Bad ${c.type}`,
        trigger: { event: 'deal.created' },
        steps: [{ type: 'set_field', field: `custom.${c.key}`, value: c.bad() }],
      });
      assert.equal(refused.status, 422, `${c.type}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.errors[0].path.startsWith('steps.0.value'), true, `${c.type}: ${JSON.stringify(refused.body.errors)}`);
      assert.equal(refused.body.errors[0].message, errorOf(c).message, c.type);
    }
    assert.equal((await server.api('GET', '/crm/automations')).body.data.length, 0, 'nothing saved');
    const automation = await server.api('POST', '/crm/automations', {
      name: 'Every type',
      trigger: { event: 'deal.created' },
      conditions: [{ field: 'title', value: 'Automated every type' }],
      steps: CASES.map((c) => ({ type: 'set_field', field: `custom.${c.key}`, value: c.good() })),
    });
    assert.equal(automation.status, 201, JSON.stringify(automation.body));
    const deal = (await server.api('POST', '/crm/deals', { title: 'Automated every type' })).body;
    try {
      await until('the automation set every field', async () => Object.keys((await server.api('GET', `/crm/deals/${deal.id}`)).body.custom ?? {}).length === CASES.length, 30_000);
      assert.deepEqual((await server.api('GET', `/crm/deals/${deal.id}`)).body.custom, Object.fromEntries(CASES.map((c) => [c.key, storedOf(c)])));
    } finally {
      await server.api('DELETE', `/crm/automations/${automation.body.id}`);
    }
  });
});

describe('definitions and their rules', () => {
  test('keys, types, options and references are checked; keys are unique per entity; only owners define fields', async () => {
    const badKey = await server.api('POST', '/crm/fields', { entity: 'deals', key: 'Tier', label: 'Tier', type: 'text' });
    assert.equal(badKey.status, 422);
    assert.deepEqual(badKey.body.errors, [{ path: 'key', message: 'must match [a-z][a-z0-9_]{0,62}: a lower-case letter, then letters, digits or _' }]);
    const badType = await server.api('POST', '/crm/fields', { entity: 'deals', key: 'x', label: 'X', type: 'color' });
    assert.equal(badType.body.errors[0].path, 'type');
    const noOptions = await server.api('POST', '/crm/fields', { entity: 'deals', key: 'x', label: 'X', type: 'select' });
    assert.deepEqual(noOptions.body.errors, [{ path: 'options', message: 'a select field needs at least one option {value, label}' }]);
    const noTarget = await server.api('POST', '/crm/fields', { entity: 'deals', key: 'x', label: 'X', type: 'reference' });
    assert.equal(noTarget.body.errors[0].path, 'referenceTo');
    const badEntity = await server.api('POST', '/crm/fields', { entity: 'stages', key: 'x', label: 'X', type: 'text' });
    assert.deepEqual(badEntity.body.errors, [{ path: 'entity', message: 'must be one of organizations, people, deals, activities' }]);
    const dup = await server.api('POST', '/crm/fields', { entity: 'deal', key: 'tier', label: 'Tier again', type: 'text' });
    assert.equal(dup.status, 409);
    assert.deepEqual(dup.body.errors, [{ path: 'key', message: "deals already have a field 'tier'" }]);
    // the same key on another entity is another field
    assert.equal((await server.api('POST', '/crm/fields', { entity: 'person', key: 'tier', label: 'Tier', type: 'text' })).body.entity, 'people');

    const { accounts } = server.services;
    const ws = (await accounts.findWorkspace('default'))!;
    const member = await accounts.createUser({ email: 'member@fields.test', name: 'Member' });
    await accounts.setMembership(ws.id, member.id, 'MEMBER');
    const memberKey = (await accounts.createApiKey({ userId: member.id })).key;
    assert.equal((await server.api('POST', '/crm/fields', { entity: 'deals', key: 'm', label: 'M', type: 'text' }, { key: memberKey })).status, 403);
    assert.equal((await server.api('GET', '/crm/fields?entity=deals', undefined, { key: memberKey })).status, 200);
  });

  test('unknown keys are refused naming the fields that exist; values of other entities do not leak', async () => {
    const res = await server.api('POST', '/crm/deals', { title: 'Unknown', custom: { nope: 1 } });
    assert.equal(res.status, 422);
    assert.equal(res.body.errors[0].path, 'custom.nope');
    assert.match(res.body.errors[0].message, /^unknown custom field 'nope' of deals; the fields are code, brief, score, .*partner \(see GET \/crm\/fields\)$/);
    const org = await server.api('POST', '/crm/organizations', { name: 'No fields', custom: { tier: 'gold' } });
    assert.deepEqual(org.body.errors, [{ path: 'custom.tier', message: "unknown custom field 'tier' (this workspace defines no custom fields for organizations)" }]);
  });

  test('required: a create must give a value and a write cannot clear it; writes that do not touch it pass', async () => {
    const field = await createField({ entity: 'activities', key: 'outcome', label: 'Outcome', type: 'select', options: [{ value: 'won' }, { value: 'lost' }] });
    const before = (await server.api('POST', '/crm/activities', { type: 'note', dealId: template.id, body: 'before required' })).body;
    assert.equal((await server.api('PATCH', `/crm/fields/${field.id}`, { required: true })).status, 200);
    const missing = await server.api('POST', '/crm/activities', { type: 'note', dealId: template.id });
    assert.equal(missing.status, 422);
    assert.deepEqual(missing.body.errors, [{ path: 'custom.outcome', message: 'is required' }]);
    assert.equal((await server.api('PATCH', `/crm/activities/${before.id}`, { body: 'untouched field' })).status, 200);
    const cleared = await server.api('PATCH', `/crm/activities/${before.id}`, { custom: { outcome: null } });
    assert.deepEqual(cleared.body.errors, [{ path: 'custom.outcome', message: 'is required' }]);
    const ok = await server.api('POST', '/crm/activities', { type: 'note', dealId: template.id, custom: { outcome: 'won' } });
    assert.equal(ok.status, 201);
    // an update merges by key: other values stay, null clears an optional one
    const deal = (await server.api('POST', '/crm/deals', { title: 'Merge', custom: { tier: 'gold', score: 3 } })).body;
    const merged = await server.api('PATCH', `/crm/deals/${deal.id}`, { custom: { score: null, strategic: false } });
    assert.deepEqual(merged.body.custom, { tier: 'gold', strategic: false });
  });

  test('archiving a field hides it and keeps its values; restoring brings them back', async () => {
    const field = await createField({ entity: 'people', key: 'nickname', label: 'Nickname', type: 'text' });
    const person = (await server.api('POST', '/crm/people', { name: 'Ann', custom: { nickname: 'Annie' } })).body;
    const archived = await server.api('POST', `/crm/fields/${field.id}/archive`);
    assert.equal(archived.status, 200);
    assert.ok(archived.body.archivedAt);
    assert.deepEqual((await server.api('GET', `/crm/people/${person.id}`)).body.custom, { nickname: 'Annie' });
    assert.deepEqual(
      (await server.api('GET', '/crm/fields?entity=people')).body.data.map((f: { key: string }) => f.key),
      ['tier'],
      'archived fields leave the default list',
    );
    const write = await server.api('PATCH', `/crm/people/${person.id}`, { custom: { nickname: 'A.' } });
    assert.deepEqual(write.body.errors, [{ path: 'custom.nickname', message: "custom field 'nickname' is archived; restore it to set its value" }]);
    // a whole document pushed back unchanged (as a client does) still goes through
    const doc = (await server.api('GET', `/crm/people/${person.id}`)).body;
    const { workspaceId: _w, createdAt: _c, updatedAt: _u, ...pushed } = doc;
    const [answer] = await push('people', { ...pushed, title: 'CEO', _deleted: false }, { ...pushed, _deleted: false });
    assert.deepEqual([answer.title, answer.custom], ['CEO', { nickname: 'Annie' }]);
    const described = (await server.api('GET', '/crm/schema')).body.entities.find((e: { name: string }) => e.name === 'people');
    assert.equal(described.fields.find((f: { key: string }) => f.key === 'custom.nickname').archived, true);

    const restored = await agent.callTool({ name: 'crm.field.archive', arguments: { id: field.id, restore: true } });
    assert.ok(!restored.isError, JSON.stringify(restored.content));
    assert.equal((restored.structuredContent as any).archivedAt, undefined);
    assert.deepEqual((await server.api('GET', `/crm/people/${person.id}`)).body.custom, { nickname: 'Annie' });
    assert.equal((await server.api('PATCH', `/crm/people/${person.id}`, { custom: { nickname: 'A.' } })).body.custom.nickname, 'A.');
  });

  test('a type change existing values would not convert to is refused saying how many and which; otherwise values convert', async () => {
    const field = await createField({ entity: 'organizations', key: 'headcount', label: 'Headcount', type: 'text' });
    const numeric = (await server.api('POST', '/crm/organizations', { name: 'Numeric', custom: { headcount: '120' } })).body;
    const wordy = (await server.api('POST', '/crm/organizations', { name: 'Wordy', custom: { headcount: 'about fifty' } })).body;
    const refused = await server.api('PATCH', `/crm/fields/${field.id}`, { type: 'number' });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    const message = `1 organization has a value of 'headcount' that would not convert to number: ${wordy.id}; change or clear those values first`;
    assert.deepEqual(refused.body.errors, [{ path: 'type', message }]);
    assert.equal((await server.api('GET', `/crm/fields/${field.id}`)).body.type, 'text', 'nothing changed');

    const mcpRefused = await agent.callTool({ name: 'crm.field.update', arguments: { id: field.id, type: 'number' } });
    assert.equal(mcpRefused.isError, true);
    assert.ok((mcpRefused.content as { text: string }[])[0].text.includes(message));

    await server.api('PATCH', `/crm/organizations/${wordy.id}`, { custom: { headcount: '50' } });
    const changed = await server.api('PATCH', `/crm/fields/${field.id}`, { type: 'number' });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.deepEqual((await server.api('GET', `/crm/organizations/${numeric.id}`)).body.custom, { headcount: 120 });
    assert.deepEqual((await server.api('GET', `/crm/organizations/${wordy.id}`)).body.custom, { headcount: 50 });
    const audit = await server.api('GET', `/crm/audit?entityId=${numeric.id}`);
    assert.deepEqual(audit.body.data[0].changedFields, ['custom'], 'the conversion is an audited update of the record');

    // removing an option values still use is refused the same way
    const tier = (await server.api('GET', '/crm/fields?entity=deals&q=tier')).body.data[0];
    const options = await server.api('PATCH', `/crm/fields/${tier.id}`, { options: [{ value: 'silver' }] });
    assert.equal(options.status, 409);
    assert.equal(options.body.errors[0].path, 'options');
    assert.match(options.body.errors[0].message, /^\d+ deals have values of 'tier' that would not convert to the new options: /);
    // a label change is always fine
    assert.equal((await server.api('PATCH', `/crm/fields/${tier.id}`, { label: 'Customer tier', options: [{ value: 'gold', label: 'Gold ★' }, { value: 'silver' }] })).status, 200);
  });
});

describe('definitions replicate and the schema describes them', () => {
  test('GET /sync/fields/pull has the definitions', async () => {
    const pulled = await server.api('GET', '/sync/fields/pull?checkpoint=0&limit=200');
    assert.equal(pulled.status, 200);
    const keys = pulled.body.documents.map((d: { entity: string; key: string }) => `${d.entity}.${d.key}`);
    for (const c of CASES) assert.ok(keys.includes(`deals.${c.key}`), c.key);
  });

  test('GET /crm/schema and crm.schema.describe list standard and custom fields with types, options and references', async () => {
    const res = await server.api('GET', '/crm/schema');
    assert.equal(res.status, 200);
    const deals = res.body.entities.find((e: { name: string }) => e.name === 'deals');
    assert.equal(deals.customizable, true);
    const byKey = Object.fromEntries(deals.fields.map((f: { key: string }) => [f.key, f]));
    assert.equal(byKey.title.type, 'text');
    assert.equal(byKey.title.required, true);
    assert.deepEqual(byKey.stageId.referenceTo, 'stages');
    assert.deepEqual(
      byKey.status.options.map((o: { value: string }) => o.value),
      ['open', 'won', 'lost'],
    );
    assert.equal(byKey.amount.type, 'money');
    for (const c of CASES) assert.equal(byKey[`custom.${c.key}`].type, c.type, c.key);
    assert.deepEqual(byKey['custom.tier'].options[0], { value: 'gold', label: 'Gold ★', color: null });
    assert.equal(byKey['custom.partner'].referenceTo, 'organizations');
    assert.ok(deals.filters.includes('personId') && deals.sorts.includes('-amount'));

    const described = await agent.callTool({ name: 'crm.schema.describe', arguments: { entity: 'deals' } });
    assert.ok(!described.isError, JSON.stringify(described.content));
    const entities = (described.structuredContent as any).entities;
    assert.deepEqual(
      entities.map((e: { name: string }) => e.name),
      ['deals'],
    );
    assert.equal(entities[0].fields.find((f: { key: string }) => f.key === 'custom.regions').type, 'multi_select');
    const created = await agent.callTool({
      name: 'crm.field.create',
      arguments: { entity: 'organization', key: 'segment', label: 'Segment', type: 'select', options: [{ value: 'smb' }, { value: 'ent' }] },
    });
    assert.ok(!created.isError, JSON.stringify(created.content));
    const orgs = (await server.api('GET', '/crm/schema')).body.entities.find((e: { name: string }) => e.name === 'organizations');
    assert.ok(orgs.fields.some((f: { key: string }) => f.key === 'custom.segment'));
  });
});

describe('a field added while a client is offline', () => {
  let client: TestClient | null = null;
  afterAll(async () => {
    await client?.store.close();
  });

  test("reaches the client when it reconnects; the client's offline edit of it is validated there and again on the server", async () => {
    const deal = (await server.api('POST', '/crm/deals', { title: 'Offline field deal' })).body;
    client = await openClient(server.url, server.key, `cf-offline-${newId().slice(-8)}`);
    await waitSynced(client);
    const c = client;
    const localDeal = async () => (await c.store.db.collections.deals.findOne(deal.id).exec())?.toJSON() as { custom: Record<string, unknown> } | undefined;

    c.net.off();
    const field = await createField({ entity: 'deals', key: 'region', label: 'Region', type: 'select', options: [{ value: 'north' }, { value: 'south' }] });
    c.net.on();
    c.store.reconnect();
    await waitSynced(c);
    await waitFor(async () => (await c.store.db.collections.fields.findOne(field.id).exec()) ?? null, 'the new field on the client');

    // offline again: the client's own validator checks the value with the server's message
    c.net.off();
    await assert.rejects(c.store.update('deals', deal.id, { custom: { region: 'east' } }), (error: Error) => {
      assert.equal(error.message, 'custom.region: must be one of "north", "south"');
      return true;
    });
    assert.equal((await localDeal())?.custom.region, undefined, 'nothing stored locally');
    await c.store.update('deals', deal.id, { custom: { region: 'north' } });
    assert.equal((await localDeal())?.custom.region, 'north');

    // meanwhile the owner drops that option (no record on the server holds it): the server refuses the edit
    const patched = await server.api('PATCH', `/crm/fields/${field.id}`, { options: [{ value: 'south' }, { value: 'west' }] });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    c.net.on();
    c.store.reconnect();
    await waitSynced(c);
    assert.ok((await rejectionReason(deal.id)).includes('custom.region: must be one of "south", "west"'));
    assert.equal((await server.api('GET', `/crm/deals/${deal.id}`)).body.custom.region, undefined, 'not stored on the server');
    await waitFor(async () => ((await localDeal())?.custom.region === undefined ? true : null), 'the client back at the server state');
    await assert.rejects(c.store.update('deals', deal.id, { custom: { region: 'north' } }), /custom\.region: must be one of "south", "west"/);
    await c.store.update('deals', deal.id, { custom: { region: 'west' } });
    await waitSynced(c);
    assert.equal((await server.api('GET', `/crm/deals/${deal.id}`)).body.custom.region, 'west');
  });
});

describe('query operators on lists (SPEC §3), standard and custom fields', () => {
  const ids: Record<string, string> = {};
  const titles = async (query: string) => {
    const res = await server.api('GET', `/crm/deals?q=Ops-&${query}`);
    assert.equal(res.status, 200, `${query}: ${JSON.stringify(res.body)}`);
    return { titles: res.body.data.map((d: { title: string }) => d.title).sort(), total: res.body.total };
  };

  beforeAll(async () => {
    const make = async (title: string, body: Record<string, unknown>) => {
      const res = await server.api('POST', '/crm/deals', { title, ...body });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      ids[title] = res.body.id;
    };
    await make('Ops-A', {
      amount: 15000,
      currency: 'USD',
      expectedCloseDate: '2026-09-15',
      custom: { tier: 'gold', score: 5, regions: ['emea'], budget: { amount: 500, currency: 'EUR' }, strategic: true },
    });
    await make('Ops-B', { amount: 8000, currency: 'USD', expectedCloseDate: '2026-11-01', custom: { tier: 'silver', score: 2, regions: ['apac', 'amer'] } });
    await make('Ops-C', { amount: 20000, currency: 'EUR', status: 'won', custom: { tier: 'gold', code: 'Blue Moon' } });
  });

  test('ranges compare within a currency; count=true adds total', async () => {
    assert.deepEqual(await titles('currency=USD&amount[gte]=10000&count=true'), { titles: ['Ops-A'], total: 1 });
    assert.deepEqual((await titles('currency=EUR&amount[gt]=10000')).titles, ['Ops-C']);
    const noCurrency = await server.api('GET', '/crm/deals?amount[gte]=10000');
    assert.equal(noCurrency.status, 422);
    assert.deepEqual(noCurrency.body.errors, [{ path: 'amount[gte]', message: 'amounts compare within one currency: add currency=, e.g. currency=USD' }]);
    assert.deepEqual((await titles('expectedCloseDate[lt]=2026-10-01')).titles, ['Ops-A']);
    assert.deepEqual((await titles('expectedCloseDate[empty]=true')).titles, ['Ops-C']);
    assert.deepEqual((await titles('title[contains]=ops-b')).titles, ['Ops-B']);
    assert.deepEqual((await titles('status=won&status=lost')).titles, ['Ops-C'], 'a repeated filter is any of');
    assert.deepEqual((await titles('status[ne]=won&count=true')).total, 2);
    const bad = await server.api('GET', '/crm/deals?amount[gte]=lots&currency=USD');
    assert.deepEqual(bad.body.errors, [{ path: 'amount[gte]', message: 'must be a number' }]);
  });

  test('custom fields by value, range, membership, text and emptiness; unknown keys and wrong operators are refused', async () => {
    assert.deepEqual(await titles('custom.tier=gold&count=true'), { titles: ['Ops-A', 'Ops-C'], total: 2 });
    assert.deepEqual((await titles('custom.tier=silver&custom.tier=gold')).titles, ['Ops-A', 'Ops-B', 'Ops-C']);
    assert.deepEqual((await titles('custom.score[gt]=3')).titles, ['Ops-A']);
    assert.deepEqual((await titles('custom.score[lte]=2')).titles, ['Ops-B']);
    assert.deepEqual((await titles('custom.regions=amer')).titles, ['Ops-B']);
    assert.deepEqual((await titles('custom.regions[empty]=true')).titles, ['Ops-C']);
    assert.deepEqual((await titles('custom.code[contains]=moon')).titles, ['Ops-C']);
    assert.deepEqual((await titles('custom.budget[gte]=100')).titles, ['Ops-A']);
    assert.deepEqual((await titles('custom.strategic=true')).titles, ['Ops-A']);
    assert.deepEqual((await titles('custom.score[empty]=true')).titles, ['Ops-C']);
    assert.deepEqual((await titles('custom.tier[ne]=gold')).titles, ['Ops-B']);

    const unknown = await server.api('GET', '/crm/deals?custom.nope=1');
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.errors[0].path, 'custom.nope');
    assert.match(unknown.body.errors[0].message, /^unknown custom field 'nope' of deals; the fields are code, /);
    const wrongOp = await server.api('GET', '/crm/deals?custom.tier[gt]=a');
    assert.deepEqual(wrongOp.body.errors, [{ path: 'custom.tier[gt]', message: 'a select field takes custom.tier=, custom.tier[ne], custom.tier[empty]' }]);
    const badOption = await server.api('GET', '/crm/deals?custom.tier=bronze');
    assert.deepEqual(badOption.body.errors, [{ path: 'custom.tier', message: 'must be one of "gold", "silver"' }]);
    assert.equal((await server.api('GET', '/crm/deals?colour=red')).status, 422, 'other unknown parameters are still refused');
  });

  test('MCP list tools take the same operators as an object per field, custom ones under custom, and count', async () => {
    const list = async (name: string, args: Record<string, unknown>) => {
      const res = await agent.callTool({ name, arguments: args });
      assert.ok(!res.isError, `${name} ${JSON.stringify(args)}: ${JSON.stringify(res.content)}`);
      return res.structuredContent as { data: { title?: string; name?: string }[]; total?: number };
    };
    const big = await list('crm.deal.list', { q: 'Ops-', amount: { gte: 10000 }, currency: 'USD', custom: { tier: 'gold' }, count: true });
    assert.deepEqual([big.data.map((d) => d.title), big.total], [['Ops-A'], 1]);
    const dated = await list('crm.deal.list', { q: 'Ops-', expectedCloseDate: { lt: '2026-10-01' } });
    assert.deepEqual(
      dated.data.map((d) => d.title),
      ['Ops-A'],
    );
    const many = await list('crm.deal.list', { q: 'Ops-', custom: { regions: ['amer', 'emea'], score: { gte: 1 } } });
    assert.deepEqual(many.data.map((d) => d.title).sort(), ['Ops-A', 'Ops-B']);
    const orgs = await list('crm.organization.list', { custom: { headcount: { gte: 100 } }, count: true });
    assert.deepEqual([orgs.data.map((o) => o.name), orgs.total], [['Numeric'], 1]);
    const bad = await agent.callTool({ name: 'crm.deal.list', arguments: { custom: { score: { gt: 'many' } } } });
    assert.equal(bad.isError, true);
    assert.ok((bad.content as { text: string }[])[0].text.includes('custom.score[gt]: must be a number'), JSON.stringify(bad.content));
  });

  test('seed task "find all deals worth over $10,000 in the Negotiation stage" is one list call, by stage name and an amount operator', async () => {
    for (const [title, amount, stage] of [
      ['Seed-big-negotiation', 25000, 'Negotiation'],
      ['Seed-small-negotiation', 5000, 'Negotiation'],
      ['Seed-exactly-10k', 10000, 'Negotiation'],
      ['Seed-big-proposal', 40000, 'Proposal'],
    ] as const) {
      const created = await agent.callTool({ name: 'crm.deal.create', arguments: { title, amount, currency: 'USD', stage } });
      assert.ok(!created.isError, JSON.stringify(created.content));
    }
    const res = await agent.callTool({ name: 'crm.deal.list', arguments: { q: 'Seed-', stage: 'Negotiation', amount: { gt: 10000 }, currency: 'USD', count: true } });
    assert.ok(!res.isError, JSON.stringify(res.content));
    const found = res.structuredContent as { data: { title: string }[]; total: number };
    assert.deepEqual([found.data.map((d) => d.title), found.total], [['Seed-big-negotiation'], 1]);
  });
  test("a custom field's values are indexed on either store, and a filter on them reads that index", async () => {
    const store = await openTestStore(server.dataDir);
    try {
      const value = customValueSql(store.db, 'tier', 'select');
      const plan = await store.db.transaction().execute(async (tx) => {
        const query = sql`select "id" from "deals" where "workspaceId" = ${'w'} and ${value} = ${'gold'} and "deleted" = 0`;
        if (!isPostgres(tx)) return (await sql<{ detail: string }>`explain query plan ${query}`.execute(tx)).rows.map((r) => r.detail).join('\n');
        await sql`set local enable_seqscan = off`.execute(tx); // a few test rows: PostgreSQL would rather scan them
        return (await sql<Record<string, string>>`explain ${query}`.execute(tx)).rows.map((r) => Object.values(r)[0]).join('\n');
      });
      assert.match(plan, /deals_custom_tier/, plan);
    } finally {
      await store.close();
    }
  });
});

describe('custom object types and their records (SPEC §2, §3 /crm/objects)', () => {
  let projectId: string;

  test('a "Project" type with status, due date and a client reference; records validated, filtered, synced, described', async () => {
    const type = await server.api('POST', '/crm/objects', { key: 'project', singular: 'Project', plural: 'Projects', icon: 'rocket' });
    assert.equal(type.status, 201, JSON.stringify(type.body));
    assert.equal((await server.api('POST', '/crm/objects', { key: 'project', singular: 'P', plural: 'Ps' })).status, 409);
    const reserved = await server.api('POST', '/crm/objects', { key: 'deal', singular: 'Deal', plural: 'Deals' });
    assert.deepEqual(reserved.body.errors, [{ path: 'key', message: "'deal' is the name of a standard entity; choose another key" }]);
    await createField({ entity: 'project', key: 'status', label: 'Status', type: 'select', options: [{ value: 'planned' }, { value: 'active' }, { value: 'done' }] });
    await createField({ entity: 'project', key: 'due_date', label: 'Due date', type: 'date' });
    await createField({ entity: 'project', key: 'client', label: 'Client', type: 'reference', referenceTo: 'organizations' });

    const created = await server.api('POST', '/crm/objects/project/records', { name: 'Website relaunch', custom: { status: 'active', due_date: '2026-05-01', client: orgId } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.type, 'project');
    projectId = created.body.id;
    await server.api('POST', '/crm/objects/project/records', { name: 'Old intranet', custom: { status: 'done' } });
    const bad = await server.api('POST', '/crm/objects/project/records', { name: 'Late', custom: { status: 'late', due_date: '2026-13-01' } });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.errors, [
      { path: 'custom.status', message: 'must be one of "planned", "active", "done"' },
      { path: 'custom.due_date', message: 'must be a calendar date YYYY-MM-DD' },
    ]);
    const noType = await server.api('POST', '/crm/objects/nothing/records', { name: 'X' });
    assert.equal(noType.status, 404);

    const listed = await server.api('GET', '/crm/objects/project/records?custom.status=active&count=true');
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.deepEqual([listed.body.data.map((r: { name: string }) => r.name), listed.body.total], [['Website relaunch'], 1]);
    assert.equal((await server.api('GET', `/crm/objects/project/records?custom.client=${orgId}`)).body.data.length, 1);

    const patched = await server.api('PATCH', `/crm/objects/project/records/${projectId}`, { custom: { status: 'done' } });
    assert.deepEqual(patched.body.custom, { status: 'done', due_date: '2026-05-01', client: orgId });
    assert.equal((await server.api('POST', `/crm/objects/project/records/${projectId}/archive`)).body.archivedAt !== null, true);
    assert.equal((await server.api('POST', `/crm/objects/project/records/${projectId}/restore`)).body.archivedAt, null);

    const pulled = await server.api('GET', '/sync/records/pull?checkpoint=0&limit=100');
    assert.ok(pulled.body.documents.some((d: { id: string; type: string }) => d.id === projectId && d.type === 'project'));
    const types = await server.api('GET', '/sync/objectTypes/pull?checkpoint=0');
    assert.deepEqual(
      types.body.documents.map((d: { key: string }) => d.key),
      ['project'],
    );
    const pushedBad = { ...pulled.body.documents.find((d: { id: string }) => d.id === projectId), id: newId(), name: 'Pushed', custom: { status: 'late' }, _deleted: false };
    for (const k of ['workspaceId', 'createdAt', 'updatedAt', 'version']) delete pushedBad[k];
    assert.equal((await push('records', pushedBad))[0]._deleted, true);
    assert.ok((await rejectionReason(pushedBad.id)).includes('custom.status: must be one of "planned", "active", "done"'));

    const schema = (await server.api('GET', '/crm/schema')).body.entities.find((e: { name: string }) => e.name === 'project');
    assert.equal(schema.label, 'Project');
    assert.equal(schema.fields.find((f: { key: string }) => f.key === 'custom.client').referenceTo, 'organizations');
    assert.ok(schema.fields.some((f: { key: string }) => f.key === 'name'));
  });

  test('a "Team member" type links a person to a project with a role; references check the target type', async () => {
    assert.equal((await server.api('POST', '/crm/objects', { key: 'team_member', singular: 'Team member', plural: 'Team members' })).status, 201);
    await createField({ entity: 'team_member', key: 'person', label: 'Person', type: 'reference', referenceTo: 'people' });
    await createField({ entity: 'team_member', key: 'project', label: 'Project', type: 'reference', referenceTo: 'project' });
    await createField({ entity: 'team_member', key: 'role', label: 'Role', type: 'text' });
    const person = (await server.api('POST', '/crm/people', { name: 'Tess' })).body;
    const ok = await server.api('POST', '/crm/objects/team_member/records', { name: 'Tess on relaunch', custom: { person: person.id, project: projectId, role: 'lead' } });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    const wrongType = await server.api('POST', '/crm/objects/team_member/records', { name: 'Wrong', custom: { project: ok.body.id } });
    assert.deepEqual(wrongType.body.errors, [{ path: 'custom.project', message: `project record ${ok.body.id} does not exist in this workspace` }]);
    assert.equal((await server.api('GET', `/crm/objects/project/records/${ok.body.id}`)).status, 404, 'a record of another type is not found under this one');
  });
});
