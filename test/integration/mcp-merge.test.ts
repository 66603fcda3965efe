/**
 * crm.person.upsert, crm.organization.upsert, crm.activity.update, crm.duplicates.list, crm.merge
 * and crm.bulk (SPEC §4, issue 13) over the SDK client, and the duplicate warning of crm.*.create.
 */
import assert from 'node:assert/strict';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, test } from 'vitest';
import { callTool, connectMcp, memberKey, toolFailure, toolOk } from '../helpers/mcp.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

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

const auditOf = async (id: string) => (await server.api('GET', `/crm/audit?entityId=${id}`)).body.data.length;

test('person upsert: creates, updates what differs by email, and an identical upsert changes nothing', async () => {
  await toolOk(agent, 'crm.organization.create', { name: 'Upsert Org' });
  const created = await toolOk(agent, 'crm.person.upsert', { email: 'Grace@Example.com', name: 'Grace Hopper', organization: 'upsert org' });
  assert.equal(created.outcome, 'created');
  assert.equal(created.email, 'grace@example.com');
  assert.ok(created.organizationId);

  const updated = await toolOk(agent, 'crm.person.upsert', { email: 'grace@example.com', name: 'Grace Hopper', title: 'Rear Admiral' });
  assert.equal(updated.outcome, 'updated');
  assert.equal(updated.id, created.id);
  assert.equal(updated.title, 'Rear Admiral');
  assert.equal(updated.organizationId, created.organizationId, 'fields not sent are kept');

  const entries = await auditOf(created.id);
  const same = await toolOk(agent, 'crm.person.upsert', { email: 'GRACE@example.com', name: 'Grace Hopper', title: 'Rear Admiral' });
  assert.equal(same.outcome, 'unchanged');
  assert.equal(same.version, updated.version, 'no new version');
  assert.equal(await auditOf(created.id), entries, 'no audit entry');
  assert.equal((await server.api('GET', '/crm/people?q=Grace')).body.data.length, 1);

  assert.match(await toolFailure(agent, 'crm.person.upsert', { email: 'not-an-email', name: 'X' }), /email/);
});

test('organization upsert: by domain, else by exact name', async () => {
  const created = await toolOk(agent, 'crm.organization.upsert', { name: 'Initech', website: 'https://initech.example' });
  assert.equal(created.outcome, 'created');
  const byDomain = await toolOk(agent, 'crm.organization.upsert', { name: 'Initech LLC', website: 'http://www.initech.example/home' });
  assert.equal(byDomain.outcome, 'updated');
  assert.equal(byDomain.id, created.id);
  assert.equal(byDomain.name, 'Initech LLC');

  const named = await toolOk(agent, 'crm.organization.upsert', { name: 'Chotchkies', labels: ['food'] });
  assert.equal(named.outcome, 'created');
  const byName = await toolOk(agent, 'crm.organization.upsert', { name: 'chotchkies', labels: ['food'] });
  assert.equal(byName.id, named.id);
  assert.equal(byName.outcome, 'updated', 'the name as sent');
  const entries = await auditOf(named.id);
  const again = await toolOk(agent, 'crm.organization.upsert', { name: 'chotchkies', labels: ['food'] });
  assert.equal(again.outcome, 'unchanged');
  assert.equal(again.version, byName.version);
  assert.equal(await auditOf(named.id), entries);
});

test('create warns about a duplicate in the result text; duplicates.list, merge and its undo', async () => {
  const first = await toolOk(agent, 'crm.person.create', { name: 'Linus T', email: 'linus@example.com' });
  assert.equal(first.warnings, undefined);
  const result = await callTool(agent, 'crm.person.create', { name: 'Linus Torvalds', email: 'LINUS@example.com' });
  assert.notEqual(result.isError, true, result.content[0]?.text);
  const second = result.structuredContent;
  assert.equal(second.warnings[0].duplicateOf, first.id);
  assert.match(result.content[0].text, new RegExp(`already exists.*${first.id}`), 'the text a model reads names the duplicate');
  const orgResult = await callTool(agent, 'crm.organization.create', { name: 'Initech again', website: 'initech.example' });
  assert.match(orgResult.content[0].text, /"field":"domain"/);

  const groups = (await toolOk(agent, 'crm.duplicates.list')).data;
  const group = groups.find((g: any) => g.value === 'linus@example.com');
  assert.deepEqual(
    group.records.map((r: any) => r.id),
    [first.id, second.id],
  );

  const activity = await toolOk(agent, 'crm.activity.add', { type: 'call', personId: second.id, subject: 'Kernel' });
  const merged = await toolOk(agent, 'crm.merge', { targetId: first.id, sourceIds: [second.id], fields: { name: second.id } });
  assert.equal(merged.record.name, 'Linus Torvalds');
  assert.equal(merged.moved.activities, 1);
  assert.equal((await server.api('GET', `/crm/activities/${activity.id}`)).body.personId, first.id);
  assert.equal((await server.api('GET', `/crm/people/${second.id}`)).status, 404);
  assert.match(await toolFailure(agent, 'crm.person.get', { id: second.id }), new RegExp(`merged into ${first.id}`), 'an agent holding the old id learns where it went');

  const undone = await toolOk(agent, 'crm.bulk', { undo: merged.operationId });
  assert.equal(undone.undid, merged.operationId);
  assert.equal((await server.api('GET', `/crm/activities/${activity.id}`)).body.personId, second.id);
  assert.equal((await server.api('GET', `/crm/people/${first.id}`)).body.name, 'Linus T');
  assert.match(await toolFailure(agent, 'crm.bulk', { undo: merged.operationId }), /undone already/);
});

test('bulk over MCP: a filter as list tools take it, dry run first; activity update', async () => {
  for (const name of ['Bulk A', 'Bulk B']) await toolOk(agent, 'crm.organization.create', { name, labels: ['mcp-bulk'] });
  const dry = await toolOk(agent, 'crm.bulk', { entity: 'organization', filter: { label: 'mcp-bulk' }, action: 'addLabels', values: { labels: ['checked'] }, dryRun: true });
  assert.deepEqual([dry.matched, dry.changed, dry.operationId], [2, 2, null]);
  assert.equal((await server.api('GET', '/crm/organizations?label=checked')).body.data.length, 0);
  const done = await toolOk(agent, 'crm.bulk', { entity: 'organization', filter: { label: 'mcp-bulk', archived: 'exclude' }, action: 'archive' });
  assert.equal(done.changed, 2);
  assert.equal((await server.api('GET', '/crm/organizations?label=mcp-bulk')).body.data.length, 0);

  const member = await connectMcp(server, await memberKey(server, 'MEMBER'));
  assert.match(await toolFailure(member, 'crm.bulk', { entity: 'organization', ids: done.ids, action: 'delete' }), /OWNER/);
  await member.close();

  const org = await toolOk(agent, 'crm.organization.create', { name: 'Activity Org' });
  const activity = await toolOk(agent, 'crm.activity.add', { type: 'follow_up', organizationId: org.id, subject: 'Call back', dueAt: '2026-12-01T09:00:00Z' });
  const changed = await toolOk(agent, 'crm.activity.update', { id: activity.id, subject: 'Call back about pricing', dueAt: '2026-12-03T09:00:00Z' });
  assert.equal(changed.subject, 'Call back about pricing');
  assert.equal(new Date(changed.dueAt).toISOString(), '2026-12-03T09:00:00.000Z');
  assert.match(await toolFailure(agent, 'crm.activity.update', { id: activity.id, dueAt: 'soon' }), /dueAt/);
});
