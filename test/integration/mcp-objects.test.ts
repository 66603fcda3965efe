/**
 * Custom object types over MCP (issue 12) with the SDK client: an owner defines "project" with a
 * select field, an agent creates, finds (by a custom field), reads, updates and archives projects
 * with crm.record.*, the same records REST shows; a record is only reached through its own type;
 * bad values name the field; a member may write records but not define types.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectMcp, memberKey, toolFailure, toolOk } from '../helpers/mcp.js';

describe('custom objects over MCP', () => {
  let server: TestServer;
  let owner: Client;

  beforeAll(async () => {
    server = await startTestServer();
    owner = await connectMcp(server, server.key);
  });
  afterAll(async () => {
    await owner.close();
    await server.stop();
  });

  test('define a type and its field, then create, find, read, update and archive its records', async () => {
    const type = await toolOk(owner, 'crm.object.create', { key: 'project', singular: 'Project', plural: 'Projects' });
    assert.equal(type.key, 'project');
    await toolOk(owner, 'crm.field.create', { entity: 'project', key: 'phase', label: 'Phase', type: 'select', options: [{ value: 'planning' }, { value: 'delivery' }] });
    await toolOk(owner, 'crm.object.update', { type: 'project', plural: 'Client projects' });
    assert.equal((await server.api('GET', '/crm/objects/project')).body.plural, 'Client projects');

    const apollo = await toolOk(owner, 'crm.record.create', { type: 'project', name: 'Apollo', custom: { phase: 'planning' } });
    const gemini = await toolOk(owner, 'crm.record.create', { type: 'project', name: 'Gemini', custom: { phase: 'delivery' }, labels: ['q4'] });
    assert.deepEqual(apollo.custom, { phase: 'planning' });

    const planning = await toolOk(owner, 'crm.record.list', { type: 'project', custom: { phase: 'planning' }, count: true });
    assert.deepEqual(
      planning.data.map((r: any) => r.name),
      ['Apollo'],
    );
    assert.equal(planning.total, 1);
    assert.deepEqual(
      (await toolOk(owner, 'crm.record.list', { type: 'project', label: 'q4' })).data.map((r: any) => r.name),
      ['Gemini'],
    );

    assert.equal((await toolOk(owner, 'crm.record.get', { type: 'project', id: gemini.id })).name, 'Gemini');
    const moved = await toolOk(owner, 'crm.record.update', { type: 'project', id: apollo.id, custom: { phase: 'delivery' } });
    assert.deepEqual(moved.custom, { phase: 'delivery' });
    const rest = (await server.api('GET', `/crm/objects/project/records/${apollo.id}`)).body;
    assert.deepEqual([rest.name, rest.custom.phase, rest.version], ['Apollo', 'delivery', moved.version], 'REST shows what MCP wrote');

    await toolOk(owner, 'crm.record.archive', { type: 'project', id: gemini.id });
    assert.deepEqual(
      (await toolOk(owner, 'crm.record.list', { type: 'project' })).data.map((r: any) => r.name),
      ['Apollo'],
    );
    await toolOk(owner, 'crm.record.archive', { type: 'project', id: gemini.id, restore: true });
    assert.equal((await toolOk(owner, 'crm.record.list', { type: 'project', count: true })).total, 2);

    const audit = await toolOk(owner, 'crm.audit.history', { entityId: apollo.id });
    assert.deepEqual(
      audit.data.map((e: any) => e.action),
      ['update', 'create'],
    );
  });

  test('a record is reached only through its own type; bad values and unknown types name the field', async () => {
    await toolOk(owner, 'crm.object.create', { key: 'vendor', singular: 'Vendor', plural: 'Vendors' });
    const acme = await toolOk(owner, 'crm.record.create', { type: 'vendor', name: 'Acme Supplies' });
    assert.match(await toolFailure(owner, 'crm.record.get', { type: 'project', id: acme.id }), /^Not found/);
    assert.match(await toolFailure(owner, 'crm.record.update', { type: 'project', id: acme.id, name: 'Hijacked' }), /^Not found/);
    assert.equal((await server.api('GET', `/crm/objects/vendor/records/${acme.id}`)).body.name, 'Acme Supplies');

    assert.match(await toolFailure(owner, 'crm.record.create', { type: 'project', name: 'Bad', custom: { phase: 'launch' } }), /custom\.phase/);
    assert.match(await toolFailure(owner, 'crm.record.create', { type: 'spaceship', name: 'Enterprise' }), /spaceship/);
    assert.match(await toolFailure(owner, 'crm.record.create', { type: 'project' }), /name/);
    assert.equal((await server.api('GET', '/crm/objects/project/records?q=Bad')).body.data.length, 0, 'nothing stored');
  });

  test('a member writes records but does not define types; a viewer only reads', async () => {
    const member = await connectMcp(server, await memberKey(server, 'MEMBER'));
    const viewer = await connectMcp(server, await memberKey(server, 'VIEWER'));
    try {
      assert.equal((await toolOk(member, 'crm.record.create', { type: 'project', name: 'Mercury' })).name, 'Mercury');
      assert.match(await toolFailure(member, 'crm.object.create', { key: 'secret_plan', singular: 'Plan', plural: 'Plans' }), /Forbidden: .*MEMBER/);
      const viewerTools = (await viewer.listTools()).tools.map((t) => t.name);
      assert.ok(viewerTools.includes('crm.record.list') && viewerTools.includes('crm.record.get'));
      assert.ok(!viewerTools.includes('crm.record.create') && !viewerTools.includes('crm.object.create'));
      assert.match(await toolFailure(viewer, 'crm.record.create', { type: 'project', name: 'Venus' }), /Forbidden: .*VIEWER/);
    } finally {
      await member.close();
      await viewer.close();
    }
  });
});
