import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

test('GET /crm says who the key belongs to, with the workspace and role', async () => {
  const user = await server.services.accounts.createUser({ email: 'mia@example.com', name: 'Mia' });
  const ws = await server.services.accounts.findWorkspace('default');
  await server.services.accounts.setMembership(ws!.id, user.id, 'MEMBER');
  const { key } = await server.services.accounts.createApiKey({ userId: user.id, readOnly: true });
  const gate = await server.api('GET', '/crm', undefined, { key });
  assert.equal(gate.status, 200);
  assert.deepEqual(gate.body.user, { id: user.id, name: 'Mia', email: 'mia@example.com' });
  assert.equal(gate.body.role, 'MEMBER');
  assert.equal(gate.body.readOnly, true);
  assert.equal(gate.body.workspace.slug, 'default');
  assert.equal(gate.body.feature, 'crm.core');
  assert.equal(gate.body.enabled, true);
});

test('GET /health answers without credentials once the database answers (documented in the OpenAPI document)', async () => {
  const health = await server.api('GET', '/health', undefined, { key: null });
  assert.equal(health.status, 200);
  assert.deepEqual(health.body, { ok: true });
  const doc = (await server.api('GET', '/crm/openapi.json')).body;
  assert.deepEqual(Object.keys(doc.paths['/health'].get.responses).sort(), ['200', '503']);
});
