import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

test('records that point at a deleted organization stay editable; new references to it are refused', async () => {
  const org = (await server.api('POST', '/crm/organizations', { name: 'Gone Ltd' })).body;
  const person = (await server.api('POST', '/crm/people', { name: 'Pat', organizationId: org.id })).body;
  const deal = (await server.api('POST', '/crm/deals', { title: 'Old deal', organizationId: org.id })).body;
  const activity = (await server.api('POST', '/crm/activities', { type: 'note', body: 'met them', organizationId: org.id, personId: person.id })).body;
  assert.equal((await server.api('DELETE', `/crm/organizations/${org.id}`)).status, 204);

  const renamed = await server.api('PATCH', `/crm/deals/${deal.id}`, { title: 'Old deal (renamed)' });
  assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
  assert.equal(renamed.body.organizationId, org.id, 'the reference is kept, not silently changed');
  assert.equal((await server.api('PATCH', `/crm/people/${person.id}`, { title: 'CEO' })).status, 200);
  assert.equal((await server.api('PATCH', `/crm/activities/${activity.id}`, { subject: 'Intro' })).status, 200);

  const other = (await server.api('POST', '/crm/deals', { title: 'New deal' })).body;
  const refused = await server.api('PATCH', `/crm/deals/${other.id}`, { organizationId: org.id });
  assert.equal(refused.status, 422);
  assert.deepEqual(refused.body.errors, [{ path: 'organizationId', message: `organization ${org.id} does not exist in this workspace` }]);
});
