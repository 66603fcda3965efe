/**
 * Custom object types over MCP (issue 12) with the SDK client: an owner defines "project" with a
 * select field, an agent creates, finds (by a custom field), reads, updates and archives projects
 * with crm.record.*, the same records REST shows; a record is only reached through its own type;
 * bad values name the field; a member may write records but not define types. The seed-style
 * agent tasks of issue 12 ("Projects with name, status and due_date", "Team members linking people
 * to companies with a role") through MCP alone.
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

  test('seed tasks through MCP alone: "create a custom object type Projects with name, status and due_date"; "a Team members object linking people to companies with a role"', async () => {
    // Projects: name is every record's own field; status and due_date are its custom fields
    await toolOk(owner, 'crm.object.create', { key: 'seed_project', singular: 'Project', plural: 'Projects' });
    await toolOk(owner, 'crm.field.create', { entity: 'seed_project', key: 'status', label: 'Status', type: 'select', options: [{ value: 'planned' }, { value: 'active' }, { value: 'done' }] });
    await toolOk(owner, 'crm.field.create', { entity: 'seed_project', key: 'due_date', label: 'Due date', type: 'date' });
    const relaunch = await toolOk(owner, 'crm.record.create', { type: 'seed_project', name: 'Website relaunch', custom: { status: 'active', due_date: '2026-05-01' } });
    await toolOk(owner, 'crm.record.create', { type: 'seed_project', name: 'Intranet', custom: { status: 'done' } });
    assert.match(await toolFailure(owner, 'crm.record.create', { type: 'seed_project', name: 'Late', custom: { due_date: '2026-02-30' } }), /custom\.due_date: must be a calendar date YYYY-MM-DD/);
    const active = await toolOk(owner, 'crm.record.list', { type: 'seed_project', custom: { status: 'active' }, count: true });
    assert.deepEqual([active.data.map((r: any) => [r.name, r.custom.due_date]), active.total], [[['Website relaunch', '2026-05-01']], 1]);
    const described = await toolOk(owner, 'crm.schema.describe', { entity: 'seed_project' });
    const keys = JSON.stringify(described);
    for (const key of ['"name"', '"custom.status"', '"custom.due_date"']) assert.ok(keys.includes(key), `${key} in ${keys}`);

    // Team members: a person at a company (organization) with a role
    const acme = await toolOk(owner, 'crm.organization.create', { name: 'Acme Team Co' });
    const tess = await toolOk(owner, 'crm.person.create', { name: 'Tess Team' });
    await toolOk(owner, 'crm.object.create', { key: 'team_member', singular: 'Team member', plural: 'Team members' });
    await toolOk(owner, 'crm.field.create', { entity: 'team_member', key: 'person', label: 'Person', type: 'reference', referenceTo: 'people', required: true });
    await toolOk(owner, 'crm.field.create', { entity: 'team_member', key: 'company', label: 'Company', type: 'reference', referenceTo: 'organizations', required: true });
    await toolOk(owner, 'crm.field.create', { entity: 'team_member', key: 'role', label: 'Role', type: 'text' });
    const member = await toolOk(owner, 'crm.record.create', { type: 'team_member', name: 'Tess at Acme', custom: { person: tess.id, company: acme.id, role: 'Buyer' } });
    assert.deepEqual(member.custom, { person: tess.id, company: acme.id, role: 'Buyer' });
    assert.match(await toolFailure(owner, 'crm.record.create', { type: 'team_member', name: 'Nobody', custom: { person: acme.id, company: acme.id } }), /custom\.person: person .* does not exist/);
    const atAcme = await toolOk(owner, 'crm.record.list', { type: 'team_member', custom: { company: acme.id } });
    assert.deepEqual(
      atAcme.data.map((r: any) => r.name),
      ['Tess at Acme'],
    );
    const context = await toolOk(owner, 'crm.context.organization', { id: acme.id });
    assert.deepEqual(
      context.customRecords.map((g: any) => [g.type, g.records.map((r: any) => r.name)]),
      [['team_member', ['Tess at Acme']]],
      "the organization's context shows its team members",
    );
    assert.equal(relaunch.type, 'seed_project');
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
