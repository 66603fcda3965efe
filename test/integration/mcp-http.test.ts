/**
 * The hosted /mcp endpoint driven by the MCP SDK's own Client over streamable HTTP: an agent's
 * work, checked again through the REST API; the catalogue's schemas and annotations; errors a
 * model can act on; dynamic listing by role, key scope and the crm.core feature.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const SPEC_TOOLS = [
  'crm.addon.info',
  ...['organization', 'person', 'deal'].flatMap((e) => ['list', 'get', 'create', 'update', 'archive'].map((v) => `crm.${e}.${v}`)),
  'crm.activity.list',
  'crm.activity.add',
  'crm.activity.complete',
  'crm.pipeline.list',
  'crm.pipeline.get',
  'crm.pipeline.create',
  'crm.pipeline.update',
  'crm.pipeline.summary',
  'crm.stage.create',
  'crm.stage.update',
  'crm.stage.reorder',
  'crm.deal.contact.add',
  'crm.deal.contact.remove',
  'crm.search',
  'crm.context.person',
  'crm.context.organization',
  'crm.context.deal',
  'crm.audit.history',
  'crm.schema.describe',
  'crm.field.create',
  'crm.field.update',
  'crm.field.archive',
  'crm.webhook.list',
  'crm.webhook.create',
  'crm.webhook.update',
  'crm.webhook.delete',
  ...['list', 'create', 'update', 'delete', 'run'].map((v) => `crm.automation.${v}`),
  'crm.object.create',
  'crm.object.update',
  ...['list', 'get', 'create', 'update', 'archive'].map((v) => `crm.record.${v}`),
  'crm.activity.update',
  'crm.person.upsert',
  'crm.organization.upsert',
  'crm.duplicates.list',
  'crm.merge',
  'crm.bulk',
  ...['validate', 'inspect', 'commit'].map((v) => `crm.import.${v}`),
];

const WRITE_TOOLS = SPEC_TOOLS.filter((n) => /\.(create|update|archive|add|complete|reorder|remove|delete|run|upsert|merge|bulk|validate|commit)$/.test(n));
/** Read tools only owners see (the workspace's integrations). */
const OWNER_READ_TOOLS = ['crm.webhook.list', 'crm.automation.list'];

type Result = { isError?: boolean; structuredContent?: any; content: { type: string; text: string }[] };

async function connect(server: TestServer, key: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'test-agent', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', server.url), { requestInit: { headers: { authorization: `Bearer ${key}`, ...headers } } }));
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<Result> {
  return (await client.callTool({ name, arguments: args })) as Result;
}

/** A successful call's structured result (and the text block carries the same JSON). */
async function ok(client: Client, name: string, args: Record<string, unknown> = {}): Promise<any> {
  const result = await call(client, name, args);
  assert.notEqual(result.isError, true, `${name} failed: ${result.content[0]?.text}`);
  assert.deepEqual(JSON.parse(result.content[0].text), result.structuredContent);
  return result.structuredContent;
}

async function failure(client: Client, name: string, args: Record<string, unknown>): Promise<string> {
  const result = await call(client, name, args);
  assert.equal(result.isError, true, `${name} should have failed but returned ${result.content[0]?.text}`);
  return result.content[0].text;
}

async function keyFor(server: TestServer, role: 'OWNER' | 'MEMBER' | 'VIEWER', options: { readOnly?: boolean } = {}): Promise<string> {
  const { accounts } = server.services;
  const ws = await accounts.findWorkspace('default');
  const user = await accounts.createUser({ email: `${role.toLowerCase()}-${Math.random().toString(36).slice(2)}@example.com`, name: `A ${role}` });
  await accounts.setMembership(ws!.id, user.id, role);
  return (await accounts.createApiKey({ userId: user.id, readOnly: options.readOnly ?? false })).key;
}

describe('hosted /mcp with the SDK client', () => {
  let server: TestServer;
  let agent: Client;

  beforeAll(async () => {
    server = await startTestServer();
    agent = await connect(server, server.key);
  });
  afterAll(async () => {
    await agent.close();
    await server.stop();
  });

  test('lists every SPEC tool with a model-ready description, schemas and honest annotations', async () => {
    const { tools } = await agent.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), [...SPEC_TOOLS].sort());
    for (const tool of tools) {
      assert.ok((tool.description ?? '').length > 100, `${tool.name} needs a description written for a model`);
      assert.equal(tool.inputSchema.type, 'object', tool.name);
      assert.equal(tool.outputSchema?.type, 'object', `${tool.name} has an output schema`);
      const a = tool.annotations!;
      const writes = WRITE_TOOLS.includes(tool.name);
      assert.equal(a.readOnlyHint, !writes, `${tool.name} readOnlyHint`);
      assert.equal(a.openWorldHint, false, `${tool.name} openWorldHint`);
      // the MCP spec gives destructiveHint and idempotentHint meaning only when readOnlyHint is false;
      // a write tool leaves out a hint equal to the spec's default (destructive true, idempotent false)
      if (writes) {
        assert.notEqual(a.destructiveHint, true, `${tool.name} destructiveHint: true is the default, left out`);
        assert.notEqual(a.idempotentHint, false, `${tool.name} idempotentHint: false is the default, left out`);
      } else assert.ok(a.destructiveHint === undefined && a.idempotentHint === undefined, tool.name);
    }
    const byName = new Map(tools.map((t) => [t.name, t]));
    // the hints as a client reads them (an absent one has the spec's default: destructive true, idempotent false)
    const hints = (name: string) => {
      const a = byName.get(name)!.annotations!;
      return { destructive: a.destructiveHint ?? true, idempotent: a.idempotentHint ?? false };
    };
    assert.deepEqual(hints('crm.organization.create'), { destructive: false, idempotent: false });
    assert.deepEqual(hints('crm.deal.update'), { destructive: true, idempotent: true });
    assert.deepEqual(hints('crm.import.validate'), { destructive: false, idempotent: false });
    assert.deepEqual(hints('crm.import.commit'), { destructive: true, idempotent: false });
    // list tools page with limit/cursor; deal.update takes a stage by name
    const listProps = Object.keys((byName.get('crm.deal.list')!.inputSchema as any).properties);
    for (const p of ['limit', 'cursor', 'status', 'stage', 'q']) assert.ok(listProps.includes(p), `crm.deal.list takes ${p}`);
    assert.ok(Object.keys((byName.get('crm.deal.update')!.inputSchema as any).properties).includes('stage'));
  });

  test('an agent creates an organization, a person and a deal, moves it by stage name, logs a call, and reads the summary and context; REST shows the same', async () => {
    const org = await ok(agent, 'crm.organization.create', { name: 'Globex Corporation', website: 'https://www.globex.example/about', labels: ['prospect'] });
    assert.equal(org.domain, 'globex.example');
    const person = await ok(agent, 'crm.person.create', { name: 'Hank Scorpio', email: 'Hank@Globex.example', title: 'CEO', organization: 'globex corporation' });
    assert.equal(person.organizationId, org.id, 'organization named by name');
    const deal = await ok(agent, 'crm.deal.create', { title: 'Globex doomsday device', organization: 'Globex Corporation', primaryPerson: 'Hank Scorpio', amount: 12000.5, currency: 'eur' });
    assert.equal(deal.stageName, 'Lead');
    assert.equal(deal.currency, 'EUR');

    const moved = await ok(agent, 'crm.deal.update', { id: deal.id, stage: 'proposal' });
    assert.equal(moved.stageName, 'Proposal');
    const call1 = await ok(agent, 'crm.activity.add', { type: 'call', subject: 'Discovery call', body: 'Wants it by Q3', personId: person.id, dealId: deal.id });
    assert.equal(call1.type, 'call');

    const summary = await ok(agent, 'crm.pipeline.summary', {});
    assert.equal(summary.name, 'Sales');
    assert.equal(summary.totalDeals, 1);
    const proposal = summary.stages.find((s: any) => s.name === 'Proposal');
    assert.equal(proposal.count, 1);
    assert.deepEqual(
      proposal.totals.map((t: any) => [t.currency, t.value, t.weightedValue]),
      [['EUR', 12000.5, 6000.25]],
    );

    const context = await ok(agent, 'crm.context.person', { name: 'hank scorpio' });
    assert.equal(context.person.id, person.id);
    assert.equal(context.organization.name, 'Globex Corporation');
    assert.equal(context.deals.length, 1);
    assert.equal(context.deals[0].stageName, 'Proposal');
    assert.equal(context.recentActivities[0].subject, 'Discovery call');

    // the REST API shows the same data
    const restDeal = await server.api('GET', `/crm/deals/${deal.id}`);
    assert.equal(restDeal.status, 200);
    assert.equal(restDeal.body.stageId, moved.stageId);
    assert.equal(restDeal.body.amount, 12000.5);
    assert.equal(restDeal.body.organizationId, org.id);
    const history = await server.api('GET', `/crm/deals/${deal.id}/stage-changes`);
    assert.deepEqual(
      history.body.data.map((c: any) => [c.fromStageName, c.toStageName, c.source]),
      [
        [null, 'Lead', 'mcp'],
        ['Lead', 'Proposal', 'mcp'],
      ],
    );
    const restContext = await server.api('GET', `/crm/people/${person.id}/context`);
    assert.equal(restContext.body.recentActivities[0].id, call1.id);
    const audit = await server.api('GET', `/crm/audit?entityType=deal&entityId=${deal.id}`);
    assert.ok(audit.body.data.every((e: any) => e.source === 'mcp'));

    // lists: compact records with names; full records on request; cursors page through
    const list = await ok(agent, 'crm.deal.list', { stage: 'Proposal' });
    assert.equal(list.data.length, 1);
    assert.equal(list.data[0].organizationName, 'Globex Corporation');
    assert.equal(list.data[0].primaryPersonName, 'Hank Scorpio');
    assert.equal('createdAt' in list.data[0], false, 'compact by default');
    const full = await ok(agent, 'crm.deal.list', { full: true });
    assert.ok('createdAt' in full.data[0] && 'version' in full.data[0], 'full: true gives every field that has a value');

    const history2 = await ok(agent, 'crm.audit.history', { entityType: 'deal', entityId: deal.id });
    assert.deepEqual(history2.data[0].changes.stageId.to, moved.stageId);
  });

  test('lists page with limit and cursor, and filters', async () => {
    for (const name of ['Page A', 'Page B', 'Page C']) await ok(agent, 'crm.organization.create', { name, labels: ['paging'] });
    const first = await ok(agent, 'crm.organization.list', { label: 'paging', limit: 2, sort: 'name' });
    assert.deepEqual(
      first.data.map((o: any) => o.name),
      ['Page A', 'Page B'],
    );
    assert.ok(first.nextCursor);
    const second = await ok(agent, 'crm.organization.list', { label: 'paging', limit: 2, sort: 'name', cursor: first.nextCursor });
    assert.deepEqual(
      second.data.map((o: any) => o.name),
      ['Page C'],
    );
    assert.equal(second.nextCursor, null);
    await ok(agent, 'crm.organization.archive', { id: second.data[0].id });
    const active = await ok(agent, 'crm.organization.list', { label: 'paging' });
    assert.equal(active.data.length, 2);
    const archived = await ok(agent, 'crm.organization.list', { label: 'paging', archived: 'only' });
    assert.deepEqual(
      archived.data.map((o: any) => o.name),
      ['Page C'],
    );
    const restored = await ok(agent, 'crm.organization.archive', { id: second.data[0].id, restore: true });
    assert.equal('archivedAt' in restored, false, 'restored: archivedAt is null, and fields without a value are left out');
    assert.equal((await server.api('GET', `/crm/organizations/${restored.id}`)).body.archivedAt, null);

    // personId finds the deals a person is on, as primary person or as a contact, like REST
    const person = await ok(agent, 'crm.person.create', { name: 'Paging Person' });
    const primary = await ok(agent, 'crm.deal.create', { title: 'Person-filter primary', primaryPersonId: person.id });
    const contact = await ok(agent, 'crm.deal.create', { title: 'Person-filter contact' });
    await ok(agent, 'crm.deal.contact.add', { dealId: contact.id, personId: person.id });
    await ok(agent, 'crm.deal.create', { title: 'Person-filter unrelated' });
    const theirs = await ok(agent, 'crm.deal.list', { personId: person.id, sort: 'title' });
    assert.deepEqual(
      theirs.data.map((d: any) => d.id),
      [contact.id, primary.id],
    );
    const rest = (await server.api('GET', `/crm/deals?personId=${person.id}&sort=title`)).body.data;
    assert.deepEqual(
      rest.map((d: any) => d.id),
      [contact.id, primary.id],
    );
  });

  test('failed calls are isError results naming the field and what was expected', async () => {
    const missing = await failure(agent, 'crm.organization.create', { website: 'https://x.example' });
    assert.match(missing, /name/);
    assert.match(missing, /required/);
    const unknown = await failure(agent, 'crm.person.create', { name: 'X', nickname: 'x' });
    assert.match(unknown, /nickname/);
    const badId = await failure(agent, 'crm.deal.get', { id: 'not-an-id' });
    assert.match(badId, /id/);
    assert.match(badId, /UUID/);
    const notFound = await failure(agent, 'crm.deal.get', { id: '01900000-0000-7000-8000-000000000000' });
    assert.match(notFound, /deal 01900000-0000-7000-8000-000000000000 not found/);

    const deal = await ok(agent, 'crm.deal.create', { title: 'Stage test' });
    const badStage = await failure(agent, 'crm.deal.update', { id: deal.id, stage: 'Closing' });
    assert.match(badStage, /stage: no stage named 'Closing' in pipeline 'Sales'; valid stages: 'Lead', 'Qualified', 'Proposal', 'Negotiation'/);

    await ok(agent, 'crm.person.create', { name: 'Sam Twin', email: 'sam1@example.com' });
    await ok(agent, 'crm.person.create', { name: 'Sam Twin', email: 'sam2@example.com' });
    const ambiguous = await failure(agent, 'crm.deal.contact.add', { dealId: deal.id, person: 'sam twin' });
    assert.match(ambiguous, /person: 2 people are named 'sam twin' \(ids .+\); pass personId instead/);

    const amount = await failure(agent, 'crm.deal.update', { id: deal.id, amount: -5 });
    assert.match(amount, /amount/);
    assert.match(amount, /0 or more/);
  });

  test('stages by name: create, rename, reorder; deal contacts by name', async () => {
    const stage = await ok(agent, 'crm.stage.create', { name: 'Closing', probability: 0.9 });
    assert.equal(stage.position, 4);
    const renamed = await ok(agent, 'crm.stage.update', { stage: 'closing', name: 'Contract' });
    assert.equal(renamed.id, stage.id);
    assert.equal(renamed.name, 'Contract');
    const order = await ok(agent, 'crm.stage.reorder', { stages: ['Lead', 'Qualified', 'Contract', 'Proposal', 'Negotiation'] });
    assert.deepEqual(
      order.stages.map((s: any) => s.name),
      ['Lead', 'Qualified', 'Contract', 'Proposal', 'Negotiation'],
    );
    const pipeline = await ok(agent, 'crm.pipeline.get', { pipeline: 'sales' });
    assert.deepEqual(
      pipeline.stages.map((s: any) => s.name),
      ['Lead', 'Qualified', 'Contract', 'Proposal', 'Negotiation'],
    );
    const incomplete = await failure(agent, 'crm.stage.reorder', { stages: ['Lead', 'Qualified'] });
    assert.match(incomplete, /stageIds: must list each of the pipeline's 5 stages exactly once/);

    const person = await ok(agent, 'crm.person.create', { name: 'Ada Contact' });
    const deal = await ok(agent, 'crm.deal.create', { title: 'Contact deal', stage: 'Contract' });
    assert.equal(deal.stageName, 'Contract');
    const link = await ok(agent, 'crm.deal.contact.add', { dealId: deal.id, person: 'Ada Contact', role: 'champion' });
    assert.equal(link.personName, 'Ada Contact');
    const contacts = await server.api('GET', `/crm/deals/${deal.id}/contacts`);
    assert.deepEqual(
      contacts.body.data.map((c: any) => [c.personId, c.role]),
      [[person.id, 'champion']],
    );
    await ok(agent, 'crm.deal.contact.remove', { dealId: deal.id, personId: person.id });
    assert.equal((await server.api('GET', `/crm/deals/${deal.id}/contacts`)).body.data.length, 0);

    const followUp = await ok(agent, 'crm.activity.add', { type: 'follow_up', subject: 'Send contract', dueAt: '2020-01-01T09:00:00Z', deal: 'Contact deal' });
    const dealContext = await ok(agent, 'crm.context.deal', { id: deal.id });
    assert.equal(dealContext.openFollowUps[0].id, followUp.id);
    assert.equal(dealContext.openFollowUps[0].overdue, true);
    const done = await ok(agent, 'crm.activity.complete', { id: followUp.id });
    assert.ok(done.completedAt);
    const again = await ok(agent, 'crm.activity.complete', { id: followUp.id });
    assert.equal(again.completedAt, done.completedAt, 'completing twice changes nothing');
    assert.equal((await ok(agent, 'crm.context.deal', { id: deal.id })).openFollowUps.length, 0);

    const found = await ok(agent, 'crm.search', { q: 'Ada' });
    assert.ok(found.data.some((h: any) => h.type === 'person' && h.id === person.id));
  });

  test('pipelines: create with stages, make default, deals placed and summarised by pipeline name', async () => {
    const partners = await ok(agent, 'crm.pipeline.create', {
      name: 'Partners',
      stages: [
        { name: 'Intro', probability: 0.2 },
        { name: 'Pilot', probability: 0.6 },
        { name: 'Signed', probability: 1 },
      ],
    });
    assert.deepEqual(
      partners.stages.map((s: any) => s.name),
      ['Intro', 'Pilot', 'Signed'],
    );
    assert.equal(partners.isDefault, false);
    const deal = await ok(agent, 'crm.deal.create', { title: 'Reseller deal', pipeline: 'partners', stage: 'pilot', amount: 100, currency: 'USD' });
    assert.equal(deal.pipelineName, 'Partners');
    assert.equal(deal.stageName, 'Pilot');
    const wrongPipeline = await failure(agent, 'crm.deal.update', { id: deal.id, stage: 'Proposal' });
    assert.match(wrongPipeline, /no stage named 'Proposal' in pipeline 'Partners'; valid stages: 'Intro', 'Pilot', 'Signed'/);
    const summary = await ok(agent, 'crm.pipeline.summary', { pipeline: 'Partners' });
    assert.deepEqual(
      summary.totals.map((t: any) => [t.currency, t.value, t.weightedValue]),
      [['USD', 100, 60]],
    );
    const madeDefault = await ok(agent, 'crm.pipeline.update', { id: partners.id, isDefault: true });
    assert.equal(madeDefault.isDefault, true);
    const pipelines = await ok(agent, 'crm.pipeline.list', {});
    assert.deepEqual(
      pipelines.data.filter((p: any) => p.isDefault).map((p: any) => p.name),
      ['Partners'],
    );
    const defaultDeal = await ok(agent, 'crm.deal.create', { title: 'Lands in the new default' });
    assert.equal(defaultDeal.pipelineName, 'Partners');
    assert.equal(defaultDeal.stageName, 'Intro');
    await ok(agent, 'crm.pipeline.update', { id: pipelines.data.find((p: any) => p.name === 'Sales').id, isDefault: true });
  });

  test('a viewer sees read tools only, and calling a write tool anyway is an isError result', async () => {
    const viewer = await connect(server, await keyFor(server, 'VIEWER'));
    try {
      const names = (await viewer.listTools()).tools.map((t) => t.name);
      assert.deepEqual(names.sort(), SPEC_TOOLS.filter((n) => !WRITE_TOOLS.includes(n) && !OWNER_READ_TOOLS.includes(n)).sort());
      const refused = await failure(viewer, 'crm.organization.create', { name: 'Sneaky Inc' });
      assert.match(refused, /Forbidden: Your role VIEWER cannot create organizations in workspace 'default' \(needs MEMBER\)/);
      assert.equal((await server.api('GET', '/crm/organizations?q=Sneaky')).body.data.length, 0);
      const info = await ok(viewer, 'crm.addon.info');
      assert.equal(info.role, 'VIEWER');
      assert.equal(info.canWrite, false);
      assert.equal(info.workspace.slug, 'default');
    } finally {
      await viewer.close();
    }
  });

  test('a member may write records but not pipelines; a read-only key writes nothing', async () => {
    const member = await connect(server, await keyFor(server, 'MEMBER'));
    const readOnly = await connect(server, await keyFor(server, 'OWNER', { readOnly: true }));
    try {
      const memberTools = (await member.listTools()).tools.map((t) => t.name);
      assert.ok(memberTools.includes('crm.deal.update'));
      assert.ok(!memberTools.includes('crm.pipeline.create'));
      assert.ok(!memberTools.includes('crm.stage.reorder'));
      const refused = await failure(member, 'crm.stage.create', { name: 'Nope' });
      assert.match(refused, /needs OWNER/);

      const readOnlyTools = (await readOnly.listTools()).tools.map((t) => t.name);
      assert.ok(readOnlyTools.every((n) => !WRITE_TOOLS.includes(n)));
      assert.match(await failure(readOnly, 'crm.deal.create', { title: 'x' }), /read-only/);
      assert.equal((await ok(readOnly, 'crm.addon.info')).readOnly, true);
    } finally {
      await member.close();
      await readOnly.close();
    }
  });

  test('with crm.core disabled only crm.addon.info is listed; enabling it lists the tools again and notifies the client', async () => {
    const watcher = await connect(server, server.key);
    let notified = 0;
    watcher.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      notified++;
    });
    try {
      assert.equal((await watcher.listTools()).tools.length, SPEC_TOOLS.length);
      assert.equal((await server.api('PATCH', '/crm/workspace', { features: { 'crm.core': false } })).status, 200);
      const off = (await watcher.listTools()).tools.map((t) => t.name);
      assert.deepEqual(off, ['crm.addon.info']);
      const info = await ok(watcher, 'crm.addon.info');
      assert.equal(info.enabled, false);
      assert.deepEqual(info.tools, ['crm.addon.info']);
      assert.match(await failure(watcher, 'crm.organization.list', {}), /crm\.core.*disabled/);

      assert.equal((await server.api('PATCH', '/crm/workspace', { features: { 'crm.core': true } })).status, 200);
      await watcher.callTool({ name: 'crm.addon.info', arguments: {} }); // next request sees the change
      for (let i = 0; i < 50 && notified === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(notified > 0, 'tools/list_changed reached the client');
      assert.equal((await watcher.listTools()).tools.length, SPEC_TOOLS.length);
    } finally {
      await server.api('PATCH', '/crm/workspace', { features: { 'crm.core': true } });
      await watcher.close();
    }
  });
});
