/**
 * crm.import.validate|inspect|commit over the SDK MCP client (SPEC §4): the same import as
 * /crm/imports — a report by column, nothing written until the commit, all refused while a row is in
 * error, one operation id on the audit entries — and viewers cannot import.
 */
import assert from 'node:assert/strict';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { connectMcp, memberKey, toolFailure, toolOk } from '../helpers/mcp.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('MCP import tools', () => {
  let server: TestServer;
  let agent: Client;
  beforeAll(async () => {
    server = await startTestServer();
    agent = await connectMcp(server, server.key);
  });
  afterAll(async () => {
    await agent.close();
    await server.stop();
  });

  test('validate reports rows in error by column, commit writes the valid ones as one operation, inspect pages the rows', async () => {
    const csv = 'name,email,organization\nAda Agent,ada@mcp.example,Agents Inc\nNo Mail,not-an-email,\n,blank@mcp.example,';
    const session = await toolOk(agent, 'crm.import.validate', { entity: 'people', csv });
    assert.deepEqual(session.counts, { create: 1, update: 0, skip: 0, error: 2 });
    assert.deepEqual(
      session.errorRows.map((r: { row: number; errors: { column: string; message: string }[] }) => [r.row, r.errors.map((e) => e.column)]),
      [
        [2, ['email']],
        [3, ['name']],
      ],
    );
    assert.equal((await server.api('GET', '/crm/people?q=mcp.example')).body.data.length, 0, 'nothing written yet');

    assert.match(await toolFailure(agent, 'crm.import.commit', { id: session.id, rows: 'all' }), /2 rows are in error \(rows 2, 3\); nothing was written/);
    const committed = await toolOk(agent, 'crm.import.commit', { id: session.id });
    assert.equal(committed.state, 'committed');
    assert.deepEqual(committed.progress, { done: 1, total: 1 });
    const [ada] = (await server.api('GET', '/crm/people?q=mcp.example')).body.data;
    assert.equal(ada.name, 'Ada Agent');
    const audit = (await server.api('GET', `/crm/audit?entityId=${ada.organizationId}`)).body.data;
    assert.equal(audit[0].detail.operationId, session.id, 'the organization it named was created in the same operation');
    assert.equal(audit[0].source, 'mcp');

    const inspected = await toolOk(agent, 'crm.import.inspect', { id: session.id, outcome: 'error' });
    assert.deepEqual(
      inspected.data.map((r: { row: number }) => r.row),
      [2, 3],
    );
    assert.equal(inspected.state, 'committed');
  });

  test('a viewer cannot import; a missing session is an error a model can act on', async () => {
    const viewer = await connectMcp(server, await memberKey(server, 'VIEWER'));
    try {
      const tools = (await viewer.listTools()).tools.map((t) => t.name);
      assert.ok(tools.includes('crm.import.inspect') && !tools.includes('crm.import.validate') && !tools.includes('crm.import.commit'));
    } finally {
      await viewer.close();
    }
    assert.match(await toolFailure(agent, 'crm.import.inspect', { id: '01900000-0000-7000-8000-000000000000' }), /import .* not found/);
    assert.match(await toolFailure(agent, 'crm.import.validate', { entity: 'widgets', csv: 'name\nx' }), /entity: must be organizations, people, deals, activities/);
  });
});
