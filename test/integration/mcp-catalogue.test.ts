/**
 * What the MCP catalogue costs an agent's context (issue 11, item 4), checked with the SDK's own
 * Client over streamable HTTP — the client compiles every output schema and validates each
 * structuredContent against it: the size of tools/list, compact results, and
 * errors that read like the domain's (field, what was expected) for SDK-level input validation
 * and for a name that matches no record.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** JSON characters of the owner's tools/list before issue 11 item 4 (commit da383a5; `npx tsx bench/mcp.ts`). */
const BEFORE_OWNER_CHARS = 88_138;
/** UTF-8 bytes of a crm.deal.list result of 50 deals before issue 11 item 4 (same bench). */
const BEFORE_DEAL_LIST_BYTES = 62_640;

/** The tools of SPEC §4 as they were when the catalogue was measured; tools added later count only toward the 40,000 limit. */
const TODAYS_TOOLS = [
  'crm.addon.info',
  ...['organization', 'person', 'deal'].flatMap((e) => ['list', 'get', 'create', 'update', 'archive'].map((v) => `crm.${e}.${v}`)),
  ...['list', 'add', 'complete'].map((v) => `crm.activity.${v}`),
  ...['list', 'get', 'create', 'update', 'summary'].map((v) => `crm.pipeline.${v}`),
  ...['create', 'update', 'reorder'].map((v) => `crm.stage.${v}`),
  'crm.deal.contact.add',
  'crm.deal.contact.remove',
  'crm.search',
  ...['person', 'organization', 'deal'].map((v) => `crm.context.${v}`),
  'crm.audit.history',
];

type Result = { isError?: boolean; structuredContent?: any; content: { type: string; text: string }[] };

async function connect(server: TestServer, key: string): Promise<Client> {
  const client = new Client({ name: 'catalogue-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', server.url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<Result> {
  return (await client.callTool({ name, arguments: args })) as Result;
}

async function ok(client: Client, name: string, args: Record<string, unknown> = {}): Promise<any> {
  const result = await call(client, name, args);
  assert.notEqual(result.isError, true, `${name} failed: ${result.content[0]?.text}`);
  return result.structuredContent;
}

async function failure(client: Client, name: string, args: Record<string, unknown>): Promise<string> {
  const result = await call(client, name, args);
  assert.equal(result.isError, true, `${name} should have failed but returned ${result.content[0]?.text}`);
  return result.content[0].text;
}

/** Every value in a JSON tree (to look for nulls and workspaceIds in records). */
function* entries(value: unknown, path = ''): Generator<[string, unknown]> {
  if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* entries(v, `${path}[${i}]`);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      yield [`${path}.${k}`, v];
      yield* entries(v, `${path}.${k}`);
    }
  }
}

describe('the MCP catalogue leaves an agent room to work', () => {
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

  test("the owner's tools/list: under 40,000 characters, today's tools at most a third of their size before; each with its schemas and annotations", async () => {
    const listed = await agent.listTools();
    const chars = JSON.stringify(listed).length;
    assert.ok(chars < 40_000, `the owner's tools/list is ${chars} characters; SPEC §4 allows under 40,000`);
    const todays = listed.tools.filter((t) => TODAYS_TOOLS.includes(t.name));
    assert.deepEqual(todays.map((t) => t.name).sort(), [...TODAYS_TOOLS].sort(), 'every tool is still listed');
    const todaysChars = JSON.stringify({ tools: todays }).length;
    assert.ok(todaysChars <= BEFORE_OWNER_CHARS / 3, `today's tools list as ${todaysChars} characters; at most a third of ${BEFORE_OWNER_CHARS} allowed`);
    for (const tool of listed.tools) {
      assert.equal(tool.inputSchema.type, 'object', `${tool.name} has an input schema`);
      assert.ok(tool.inputSchema.properties, `${tool.name} lists its parameters`);
      assert.equal(tool.outputSchema?.type, 'object', `${tool.name} has an output schema`);
      assert.equal(typeof tool.annotations?.readOnlyHint, 'boolean', `${tool.name} has annotations`);
      if (!tool.annotations!.readOnlyHint) {
        // a hint equal to the MCP default (destructive true, idempotent false) is left out; any other is said
        assert.ok([undefined, false].includes(tool.annotations!.destructiveHint), `${tool.name} destructiveHint`);
        assert.ok([undefined, true].includes(tool.annotations!.idempotentHint), `${tool.name} idempotentHint`);
      }
      assert.match(tool.description ?? '', /\w{3,}.{80,}/, `${tool.name} still has a description for a model`);
    }
    // ids: said in the server's instructions and the descriptions of the get/update tools, not as format: uuid on each of ~80 id fields
    assert.match(agent.getInstructions() ?? '', /Ids are UUIDs/);
    for (const name of ['crm.deal.get', 'crm.person.update', 'crm.record.archive']) assert.match(listed.tools.find((t) => t.name === name)!.description!, /UUID/, name);
  });

  test('results are compact JSON: a list of 50 deals leaves out empty fields and is about half its former size; full: true adds fields', async () => {
    const org = await ok(agent, 'crm.organization.create', { name: 'Initech', website: 'https://initech.example' });
    const person = await ok(agent, 'crm.person.create', { name: 'Bill Lumbergh', email: 'bill@initech.example', organizationId: org.id });
    // deals like those bench/mcp.ts measures: an organization, a primary person, an amount, a close date, some labels
    for (let i = 0; i < 50; i++) {
      const title = `TPS reports ${i}: ${['Annual licence', 'Pilot', 'Renewal', 'Expansion'][i % 4]}`;
      await ok(agent, 'crm.deal.create', {
        title,
        amount: 1000 + i * 250,
        currency: 'USD',
        organizationId: org.id,
        primaryPersonId: person.id,
        expectedCloseDate: '2026-09-30',
        labels: i % 3 ? [] : ['priority'],
      });
    }
    const result = await call(agent, 'crm.deal.list', { limit: 50 });
    assert.notEqual(result.isError, true, result.content[0]?.text);
    const { data } = result.structuredContent;
    assert.equal(data.length, 50);
    // the text block is the same JSON, not pretty-printed
    assert.equal(result.content[0].text, JSON.stringify(result.structuredContent));
    assert.doesNotMatch(result.content[0].text, /\n/);
    // compact records: names instead of related ids, no nulls, no empty lists, no workspaceId
    assert.equal('organizationId' in data[0], false);
    assert.equal(data[0].organizationName, 'Initech');
    assert.equal(data[0].primaryPersonName, 'Bill Lumbergh');
    assert.equal(data[0].stageName, 'Lead');
    for (const [path, value] of entries(data)) {
      assert.notEqual(value, null, `${path} is null`);
      assert.ok(!(Array.isArray(value) && value.length === 0), `${path} is an empty list`);
      assert.ok(!path.endsWith('.workspaceId'), `${path} is in a result`);
    }
    assert.deepEqual(data.find((d: any) => d.title.startsWith('TPS reports 0:')).labels, ['priority']);
    assert.equal('labels' in data.find((d: any) => d.title.startsWith('TPS reports 1:')), false);
    // the bench measures 31,582 bytes for its 50 deals (before: 62,640)
    const bytes = Buffer.byteLength(JSON.stringify(result));
    assert.ok(bytes <= BEFORE_DEAL_LIST_BYTES * 0.55, `crm.deal.list of 50 deals is ${bytes} bytes; before it was ${BEFORE_DEAL_LIST_BYTES}`);

    const full = await ok(agent, 'crm.deal.list', { limit: 50, full: true });
    assert.ok('createdAt' in full.data[0] && 'version' in full.data[0] && !('createdAt' in data[0]), 'full: true gives every field that has a value');
    assert.equal(full.data[0].organizationId, org.id);
    assert.ok(!('lostReason' in full.data[0]), 'full records leave out fields without a value too');

    // a single record: every field with a value, and a cleared field is gone (REST still shows null)
    const deal = data[0];
    const updated = await ok(agent, 'crm.deal.update', { id: deal.id, notes: 'Did you get the memo?' });
    assert.equal(updated.notes, 'Did you get the memo?');
    const cleared = await ok(agent, 'crm.deal.update', { id: deal.id, notes: null });
    assert.equal('notes' in cleared, false);
    assert.equal((await server.api('GET', `/crm/deals/${deal.id}`)).body.notes, null);
  });

  test('context and summary results pass the client’s validation against their compact output schemas', async () => {
    const deal = await ok(agent, 'crm.deal.create', { title: 'Context check', organization: 'Initech' });
    const context = await ok(agent, 'crm.context.deal', { id: deal.id });
    assert.equal(context.deal.id, deal.id);
    assert.equal(context.organization.name, 'Initech');
    assert.deepEqual(context.contacts, []);
    const summary = await ok(agent, 'crm.pipeline.summary', {});
    assert.ok(summary.totals.length >= 1);
  });

  test('crm.person.create with an unknown organization name says how to create it', async () => {
    const text = await failure(agent, 'crm.person.create', { name: 'Milton Waddams', organization: 'Chotchkies' });
    assert.match(text, /^Validation failed: organization: no organization is named 'Chotchkies'/);
    assert.match(text, /create it first with crm\.organization\.create \(name: 'Chotchkies'\) and pass the new id as organizationId/);
    assert.match(text, /crm\.organization\.list/);
  });

  test("input the SDK would refuse reads like the domain's errors: which field, what was expected", async () => {
    const deal = await ok(agent, 'crm.deal.create', { title: 'Validation check' });
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['crm.deal.update', { id: deal.id, stage: '' }, /^Validation failed: stage: must not be empty$/],
      ['crm.deal.update', { id: deal.id, colour: 'red' }, /^Validation failed: colour: unknown field 'colour' \(not accepted here\)$/],
      ['crm.deal.update', { id: deal.id, amount: 'ten' }, /^Validation failed: amount: must be a number/],
      ['crm.search', {}, /^Validation failed: q: is required$/],
      ['crm.deal.get', { id: 'deal-1' }, /^Validation failed: id: must be a UUID$/],
      ['crm.deal.list', { limit: 500 }, /^Validation failed: limit: must be between 1 and 200$/],
      ['crm.deal.list', { sort: 'colour' }, /^Validation failed: sort: must be one of createdAt, updatedAt, title/],
      ['crm.deal.list', { status: 'closed' }, /^Validation failed: status: must be one of "open", "won", "lost"$/],
    ];
    for (const [name, args, expected] of cases) {
      const text = await failure(agent, name, args);
      assert.match(text, expected, `${name} ${JSON.stringify(args)}`);
      assert.doesNotMatch(text, /Input validation error|MCP error|"code"/, 'no SDK wording or zod issue JSON');
    }
  });
});
