/**
 * The entity rules are written once (shared/entities/) and read through a port with two
 * implementations: the server's over SQLite (server/store/reader.ts) and the client's over RxDB
 * (renderer/data/reader.ts). One table of creates, updates, archives and deletes — valid and
 * invalid, for every entity — runs against both, on the same records (seeded through the domain
 * services, copied into an RxDB memory database): the same outcome and the same {path, message}.
 * Then the same table through each runtime's write path: the server's record service (in a
 * transaction rolled back after each case) and the client's local validation (renderer/data/rules.ts).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRxDatabase, type RxDatabase } from 'rxdb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { COLLECTION_NAMES, type CollectionName } from '../../shared/collections.js';
import { newId } from '../../shared/ids.js';
import * as rules from '../../shared/rules.js';
import { systemCtx, type Ctx } from '../../server/domain/context.js';
import { DomainError } from '../../server/domain/errors.js';
import { openServices, type Services } from '../../server/domain/services.js';
import { SqlRecordReader } from '../../server/store/reader.js';
import { changedSince } from '../../server/store/records.js';
import { RxRecordReader } from '../../renderer/data/reader.js';
import { KithValidationError, prepareArchive, prepareCreate, prepareRemove, prepareUpdate, type LocalContext } from '../../renderer/data/rules.js';
import { collectionCreators } from '../../renderer/data/schemas.js';

type Row = Record<string, unknown>;

/** The fixed clock of the port-level runs (the write paths use their real clocks). */
const NOW = '2030-01-02T03:04:05.000Z';
/** Matches any ISO 8601 time (derived timestamps of the write paths). */
const A_TIME = Symbol('a time');
const UNKNOWN = '01900000-0000-7000-8000-000000000000';

interface Case {
  name: string;
  collection: CollectionName;
  op: 'create' | 'update' | 'archive' | 'remove';
  /** The record an update, archive or delete is about. */
  id?: () => string;
  input?: () => Row;
  /** Fields the resulting record has (A_TIME: any time; NOW at the port level). */
  fields?: () => Record<string, unknown>;
  error?: () => { kind: rules.RuleErrorKind; path: string; message: string };
}

interface Outcome {
  record?: Row;
  error?: { kind: rules.RuleErrorKind; errors: { path: string; message: string }[] };
}

let dir: string;
let services: Services;
let ctx: Ctx;
let db: RxDatabase;
let local: LocalContext;
/** The seeded records, by name. */
const S: Record<string, Row & { id: string }> = {};

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kith-rules-'));
  services = await openServices(dir, { create: true });
  const { user } = (await services.accounts.bootstrap())!;
  const workspace = await services.accounts.createWorkspace({ slug: 'rules', name: 'Rules', defaultCurrency: 'EUR' }, user.id);
  ctx = systemCtx(workspace, 'rest', user.id);
  const create = async (name: string, collection: CollectionName, input: Row) => (S[name] = (await services.records.create(ctx, collection, input)).record as Row & { id: string });

  const sales = (await services.records.list(ctx, 'pipelines', {})).data[0];
  S.sales = sales;
  [S.lead, S.qualified] = (await services.records.list(ctx, 'stages', { pipelineId: sales.id, sort: 'position' })).data;
  await create('partners', 'pipelines', { name: 'Partners', stages: [{ name: 'Intro' }, { name: 'Signed' }] });
  [S.intro, S.signed] = (await services.records.list(ctx, 'stages', { pipelineId: S.partners.id, sort: 'position' })).data;
  await create('empty', 'pipelines', { name: 'Empty', stages: [] });
  await create('acme', 'organizations', { name: 'Acme', website: 'acme.example' });
  await create('gone', 'organizations', { name: 'Gone Ltd' });
  await create('ana', 'people', { name: 'Ana', organizationId: S.acme.id });
  await create('ben', 'people', { name: 'Ben', organizationId: S.gone.id });
  await services.records.remove(ctx, 'organizations', S.gone.id);
  await create('deal', 'deals', { title: 'Big deal', organizationId: S.acme.id, amount: 1200.5 });
  await create('won', 'deals', { title: 'Won deal', status: 'won', lostReason: null });
  await create('partnerDeal', 'deals', { title: 'Partner deal', stageId: S.intro.id });
  await create('contact', 'dealContacts', { dealId: S.deal.id, personId: S.ana.id, role: 'champion' });
  await create('call', 'activities', { type: 'call', dealId: S.deal.id, subject: 'Kick-off' });
  await create('tierField', 'fields', { entity: 'deals', key: 'tier', label: 'Tier', type: 'select', options: [{ value: 'gold' }, { value: 'silver' }] });
  await create('budgetField', 'fields', { entity: 'deals', key: 'budget', label: 'Budget', type: 'money' });
  await create('partnerField', 'fields', { entity: 'deals', key: 'partner', label: 'Partner', type: 'reference', referenceTo: 'organizations' });

  // the client: an RxDB database holding the same live records, as a first load would leave it
  db = await createRxDatabase({ name: `rules${Date.now()}`, storage: getRxStorageMemory(), multiInstance: false });
  await db.addCollections(collectionCreators());
  for (const c of COLLECTION_NAMES) {
    const stored = await changedSince(services.store.db, c, workspace.id, 0, 100_000);
    const live = stored.filter((s) => !s.deleted).map((s) => s.record);
    if (live.length > 0) await db.collections[c].bulkInsert(live);
  }
  local = { db, workspaceId: workspace.id, defaultCurrency: 'EUR', userId: user.id };
});

afterAll(async () => {
  await db?.close();
  await services?.store.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const id = (name: string) => () => S[name].id;

const CASES: Case[] = [
  // organizations
  {
    name: 'organization: the domain comes from the website',
    collection: 'organizations',
    op: 'create',
    input: () => ({ name: 'Initech', website: 'https://www.Initech.example/about' }),
    fields: () => ({ domain: 'initech.example', labels: [], custom: {} }),
  },
  {
    name: 'organization: a new website, a new domain',
    collection: 'organizations',
    op: 'update',
    id: id('acme'),
    input: () => ({ website: 'globex.example' }),
    fields: () => ({ domain: 'globex.example' }),
  },
  {
    name: 'organization: unknown custom fields are refused',
    collection: 'organizations',
    op: 'create',
    input: () => ({ name: 'X', custom: { tier: 'gold' } }),
    error: () => ({ kind: 'invalid', path: 'custom.tier', message: "unknown custom field 'tier' (this workspace defines no custom fields for organizations)" }),
  },
  // custom fields: the definitions replicate, so the client refuses with the server's messages
  {
    name: 'deal: custom values are checked against the definitions and normalized',
    collection: 'deals',
    op: 'create',
    input: () => ({ title: 'Custom', custom: { tier: 'gold', budget: { amount: 12.5, currency: 'eur' }, partner: S.acme.id } }),
    fields: () => ({ custom: { tier: 'gold', budget: { amount: 12.5, currency: 'EUR' }, partner: S.acme.id } }),
  },
  {
    name: 'deal: a select value that is not an option',
    collection: 'deals',
    op: 'update',
    id: id('deal'),
    input: () => ({ custom: { tier: 'bronze' } }),
    error: () => ({ kind: 'invalid', path: 'custom.tier', message: 'must be one of "gold", "silver"' }),
  },
  {
    name: 'deal: a reference to a record that does not exist',
    collection: 'deals',
    op: 'create',
    input: () => ({ title: 'Ref', custom: { partner: S.gone.id } }),
    error: () => ({ kind: 'invalid', path: 'custom.partner', message: `organization ${S.gone.id} does not exist in this workspace` }),
  },
  {
    name: 'deal: money needs an amount and a currency',
    collection: 'deals',
    op: 'create',
    input: () => ({ title: 'Money', custom: { budget: { amount: 5 } } }),
    error: () => ({ kind: 'invalid', path: 'custom.budget.currency', message: 'is required' }),
  },
  {
    name: 'field: a key is unique per entity',
    collection: 'fields',
    op: 'create',
    input: () => ({ entity: 'deal', key: 'tier', label: 'Tier', type: 'text' }),
    error: () => ({ kind: 'conflict', path: 'key', message: "deals already have a field 'tier'" }),
  },
  {
    name: 'field: a select needs options',
    collection: 'fields',
    op: 'create',
    input: () => ({ entity: 'people', key: 'size', label: 'Size', type: 'select' }),
    error: () => ({ kind: 'invalid', path: 'options', message: 'a select field needs at least one option {value, label}' }),
  },
  { name: 'organization: a blank name', collection: 'organizations', op: 'create', input: () => ({ name: '  ' }), error: () => ({ kind: 'invalid', path: 'name', message: 'must not be empty' }) },
  // people
  {
    name: 'person: unknown organization',
    collection: 'people',
    op: 'create',
    input: () => ({ name: 'Cy', organizationId: UNKNOWN }),
    error: () => ({ kind: 'invalid', path: 'organizationId', message: `organization ${UNKNOWN} does not exist in this workspace` }),
  },
  {
    name: 'person: stays editable when the organization was deleted',
    collection: 'people',
    op: 'update',
    id: id('ben'),
    input: () => ({ title: 'CTO' }),
    fields: () => ({ title: 'CTO', organizationId: S.gone.id }),
  },
  {
    name: 'person: cannot be moved to a deleted organization',
    collection: 'people',
    op: 'update',
    id: id('ana'),
    input: () => ({ organizationId: S.gone.id }),
    error: () => ({ kind: 'invalid', path: 'organizationId', message: `organization ${S.gone.id} does not exist in this workspace` }),
  },
  // deals
  {
    name: 'deal: defaults — the default pipeline, its first stage, the workspace currency, open',
    collection: 'deals',
    op: 'create',
    input: () => ({ title: 'Defaults' }),
    fields: () => ({ pipelineId: S.sales.id, stageId: S.lead.id, currency: 'EUR', valuePeriod: 'one_time', status: 'open', wonAt: null, lostAt: null, lostReason: null, labels: [] }),
  },
  {
    name: 'deal: the pipeline follows from the stage',
    collection: 'deals',
    op: 'create',
    input: () => ({ title: 'Implied', stageId: S.intro.id }),
    fields: () => ({ pipelineId: S.partners.id, stageId: S.intro.id }),
  },
  {
    name: 'deal: a stage from another pipeline',
    collection: 'deals',
    op: 'create',
    input: () => ({ title: 'Mixed', pipelineId: S.sales.id, stageId: S.intro.id }),
    error: () => ({ kind: 'invalid', path: 'stageId', message: `stage 'Intro' belongs to pipeline ${S.partners.id}, not to the deal's pipeline ${S.sales.id}` }),
  },
  {
    name: 'deal: unknown stage',
    collection: 'deals',
    op: 'create',
    input: () => ({ title: 'Ghost stage', stageId: UNKNOWN }),
    error: () => ({ kind: 'invalid', path: 'stageId', message: `stage ${UNKNOWN} does not exist in this workspace` }),
  },
  {
    name: 'deal: a pipeline without stages',
    collection: 'deals',
    op: 'create',
    input: () => ({ title: 'Nowhere', pipelineId: S.empty.id }),
    error: () => ({ kind: 'invalid', path: 'stageId', message: `pipeline ${S.empty.id} has no stages; add a stage first` }),
  },
  {
    name: 'deal: unknown organization',
    collection: 'deals',
    op: 'create',
    input: () => ({ title: 'Lost org', organizationId: UNKNOWN }),
    error: () => ({ kind: 'invalid', path: 'organizationId', message: `organization ${UNKNOWN} does not exist in this workspace` }),
  },
  { name: 'deal: created won sets wonAt', collection: 'deals', op: 'create', input: () => ({ title: 'Won at once', status: 'won' }), fields: () => ({ status: 'won', wonAt: A_TIME, lostAt: null }) },
  {
    name: 'deal: lost sets lostAt and keeps the reason',
    collection: 'deals',
    op: 'update',
    id: id('deal'),
    input: () => ({ status: 'lost', lostReason: 'price' }),
    fields: () => ({ status: 'lost', lostAt: A_TIME, wonAt: null, lostReason: 'price' }),
  },
  {
    name: 'deal: reopened clears won and lost',
    collection: 'deals',
    op: 'update',
    id: id('won'),
    input: () => ({ status: 'open' }),
    fields: () => ({ status: 'open', wonAt: null, lostAt: null, lostReason: null }),
  },
  {
    name: 'deal: a stage of another pipeline moves the deal there',
    collection: 'deals',
    op: 'update',
    id: id('deal'),
    input: () => ({ stageId: S.signed.id }),
    fields: () => ({ pipelineId: S.partners.id, stageId: S.signed.id }),
  },
  {
    name: 'deal: another pipeline puts the deal in its first stage',
    collection: 'deals',
    op: 'update',
    id: id('deal'),
    input: () => ({ pipelineId: S.partners.id }),
    fields: () => ({ pipelineId: S.partners.id, stageId: S.intro.id }),
  },
  // deal contacts
  {
    name: 'deal contact: a person is on a deal once',
    collection: 'dealContacts',
    op: 'create',
    input: () => ({ dealId: S.deal.id, personId: S.ana.id, role: 'end-user' }),
    error: () => ({ kind: 'conflict', path: 'personId', message: `person ${S.ana.id} is already a contact of deal ${S.deal.id}` }),
  },
  {
    name: 'deal contact: unknown deal',
    collection: 'dealContacts',
    op: 'create',
    input: () => ({ dealId: UNKNOWN, personId: S.ben.id }),
    error: () => ({ kind: 'invalid', path: 'dealId', message: `deal ${UNKNOWN} does not exist in this workspace` }),
  },
  {
    name: 'deal contact: a new person on the deal',
    collection: 'dealContacts',
    op: 'create',
    input: () => ({ dealId: S.deal.id, personId: S.ben.id, role: ' champion ' }),
    fields: () => ({ role: 'champion' }),
  },
  { name: 'deal contact: a blank role is none', collection: 'dealContacts', op: 'update', id: id('contact'), input: () => ({ role: '' }), fields: () => ({ role: null }) },
  // activities
  {
    name: 'activity: needs a reference',
    collection: 'activities',
    op: 'create',
    input: () => ({ type: 'note', body: 'floating' }),
    error: () => ({ kind: 'invalid', path: 'dealId', message: 'an activity needs at least one of organizationId, personId or dealId' }),
  },
  {
    name: 'activity: times in UTC, the actor recorded',
    collection: 'activities',
    op: 'create',
    input: () => ({ type: 'call', personId: S.ana.id, occurredAt: '2026-01-31T15:00:00+01:00' }),
    fields: () => ({ occurredAt: '2026-01-31T14:00:00.000Z', actorId: ctx.userId }),
  },
  {
    name: 'activity: unknown deal',
    collection: 'activities',
    op: 'create',
    input: () => ({ type: 'email', dealId: UNKNOWN }),
    error: () => ({ kind: 'invalid', path: 'dealId', message: `deal ${UNKNOWN} does not exist in this workspace` }),
  },
  { name: 'activity: completed sets completedAt', collection: 'activities', op: 'update', id: id('call'), input: () => ({ completed: true }), fields: () => ({ completedAt: A_TIME }) },
  // pipelines
  {
    name: 'pipeline: the default cannot be un-defaulted',
    collection: 'pipelines',
    op: 'update',
    id: id('sales'),
    input: () => ({ isDefault: false }),
    error: () => ({ kind: 'invalid', path: 'isDefault', message: 'a workspace needs a default pipeline: make another pipeline the default instead' }),
  },
  { name: 'pipeline: another one can become the default', collection: 'pipelines', op: 'update', id: id('partners'), input: () => ({ isDefault: true }), fields: () => ({ isDefault: true }) },
  {
    name: 'pipeline: a new one is not the default and goes last',
    collection: 'pipelines',
    op: 'create',
    input: () => ({ name: 'Another', stages: [] }),
    fields: () => ({ isDefault: false, position: 3 }),
  },
  {
    name: 'pipeline: the default cannot be archived',
    collection: 'pipelines',
    op: 'archive',
    id: id('sales'),
    error: () => ({ kind: 'invalid', path: 'isDefault', message: 'the default pipeline cannot be archived; make another pipeline the default first' }),
  },
  {
    name: 'pipeline: the default cannot be deleted',
    collection: 'pipelines',
    op: 'remove',
    id: id('sales'),
    error: () => ({ kind: 'conflict', path: '', message: 'the default pipeline cannot be deleted; make another pipeline the default first' }),
  },
  {
    name: 'pipeline: one with deals cannot be deleted',
    collection: 'pipelines',
    op: 'remove',
    id: id('partners'),
    error: () => ({ kind: 'conflict', path: '', message: "pipeline 'Partners' still has 1 deal(s); move or delete them first" }),
  },
  { name: 'pipeline: an empty one can be deleted', collection: 'pipelines', op: 'remove', id: id('empty') },
  // stages
  {
    name: 'stage: unknown pipeline',
    collection: 'stages',
    op: 'create',
    input: () => ({ pipelineId: UNKNOWN, name: 'Lost' }),
    error: () => ({ kind: 'invalid', path: 'pipelineId', message: `pipeline ${UNKNOWN} does not exist in this workspace` }),
  },
  {
    name: 'stage: a position past the end is the end',
    collection: 'stages',
    op: 'create',
    input: () => ({ pipelineId: S.partners.id, name: 'Late', position: 99 }),
    fields: () => ({ position: 2, probability: null }),
  },
  { name: 'stage: moved past the end goes last', collection: 'stages', op: 'update', id: id('intro'), input: () => ({ position: 50 }), fields: () => ({ position: 1 }) },
  {
    name: 'stage: one used by deals cannot be deleted',
    collection: 'stages',
    op: 'remove',
    id: id('intro'),
    error: () => ({ kind: 'conflict', path: '', message: "stage 'Intro' is used by 1 deal(s); move them to another stage first" }),
  },
  { name: 'stage: an unused one can be deleted', collection: 'stages', op: 'remove', id: id('signed') },
];

/** Each create gets one id for every run, so the records compare whole. */
const inputs = new Map<Case, Row>();
function inputOf(c: Case): Row {
  if (!inputs.has(c)) inputs.set(c, { ...(c.input?.() ?? {}), ...(c.op === 'create' ? { id: newId() } : {}) });
  return inputs.get(c)!;
}

/** One case through the shared rules over a read port, as both runtimes run them. */
async function viaPort(reader: rules.RecordReader, c: Case): Promise<Outcome> {
  const rc: rules.RuleContext = { reader, workspaceId: ctx.workspaceId, defaultCurrency: 'EUR', actorId: ctx.userId, now: () => NOW };
  try {
    if (c.op === 'create') {
      const record = await rules.prepareCreate(rc, c.collection, rules.parseCreate(c.collection, inputOf(c)));
      await rules.validateRecord(rc, c.collection, record, null);
      return { record };
    }
    const before = (await reader.find(c.collection, c.id!()))!;
    assert.ok(before, `${c.collection} ${c.id!()} is there`);
    if (c.op === 'archive') return (await rules.checkArchive(rc, c.collection, before), { record: before });
    if (c.op === 'remove') return (await rules.checkRemove(rc, c.collection, before), { record: before });
    const next = await rules.prepareUpdate(rc, c.collection, before, rules.parseUpdate(c.collection, inputOf(c), NOW));
    await rules.validateRecord(rc, c.collection, next, before);
    return { record: next };
  } catch (error) {
    if (!(error instanceof rules.RuleError)) throw error;
    return { error: { kind: error.kind, errors: error.errors } };
  }
}

function assertFields(record: Row, expected: Record<string, unknown>, now: string | null, label: string): void {
  for (const [field, value] of Object.entries(expected)) {
    if (value === A_TIME) {
      if (now) assert.equal(record[field], now, `${label}: ${field}`);
      else assert.ok(typeof record[field] === 'string' && !Number.isNaN(Date.parse(record[field] as string)), `${label}: ${field} is a time (${String(record[field])})`);
    } else assert.deepEqual(record[field], value, `${label}: ${field}`);
  }
}

describe('the same rules over both read ports', () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const server = await viaPort(new SqlRecordReader(services.store.db, ctx.workspaceId, services.store), c);
      const client = await viaPort(new RxRecordReader(db), c);
      assert.deepEqual(client, server, 'the client reader gives the outcome the server reader gives');
      if (c.error) {
        const { kind, path: p, message } = c.error();
        assert.deepEqual(server.error, { kind, errors: [{ path: p, message }] });
      } else {
        assert.equal(server.error, undefined, JSON.stringify(server.error));
        assertFields(server.record!, c.fields?.() ?? {}, NOW, 'server');
      }
    });
  }
});

class Rollback extends Error {}

/** One case through the server's record service, in a transaction that is rolled back. */
async function viaServer(c: Case): Promise<{ record?: Row; error?: DomainError }> {
  let record: Row | undefined;
  try {
    await services.records.transaction(ctx, async (s) => {
      const input = inputOf(c);
      if (c.op === 'create') record = (await services.records.create(ctx, c.collection, input, s)).record;
      if (c.op === 'update') record = await services.records.update(ctx, c.collection, c.id!(), input, {}, s);
      if (c.op === 'archive') record = await services.records.setArchived(ctx, c.collection, c.id!(), true, s);
      if (c.op === 'remove') record = await services.records.remove(ctx, c.collection, c.id!(), s);
      throw new Rollback();
    });
  } catch (error) {
    if (error instanceof Rollback) return { record };
    if (error instanceof DomainError) return { error };
    throw error;
  }
  throw new Error('unreachable');
}

/** One case through the client's local validation (what the store calls before writing to RxDB). */
async function viaClient(c: Case): Promise<{ record?: Row; error?: KithValidationError }> {
  try {
    const input = inputOf(c);
    if (c.op === 'create') return { record: (await prepareCreate(local, c.collection, input)).record };
    const before = (await new RxRecordReader(db).find(c.collection, c.id!()))!;
    if (c.op === 'update') return { record: await prepareUpdate(local, c.collection, before, input) };
    if (c.op === 'archive') await prepareArchive(local, c.collection, before);
    if (c.op === 'remove') await prepareRemove(local, c.collection, before);
    return { record: before };
  } catch (error) {
    if (error instanceof KithValidationError) return { error };
    throw error;
  }
}

describe("the same rules through each runtime's write path", () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const server = await viaServer(c);
      const client = await viaClient(c);
      if (c.error) {
        const { kind, path: p, message } = c.error();
        assert.ok(server.error, `the server refuses (${JSON.stringify(server.record)})`);
        assert.ok(client.error, `the client refuses (${JSON.stringify(client.record)})`);
        assert.deepEqual(client.error.errors, [{ path: p, message }], 'the client names the field and says why');
        assert.equal(server.error.code, kind, 'invalid: 422, conflict: 409');
        assert.equal(server.error.message, kind === 'invalid' ? `${p}: ${message}` : message);
        assert.deepEqual(server.error.errors, p ? [{ path: p, message }] : [], 'the server names the same field with the same message');
      } else {
        assert.equal(server.error, undefined, server.error?.message);
        assert.equal(client.error, undefined, client.error?.message);
        assertFields(server.record!, c.fields?.() ?? {}, null, 'server');
        assertFields(client.record!, c.fields?.() ?? {}, null, 'client');
      }
    });
  }
});
