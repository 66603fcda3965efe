import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { promisify } from 'node:util';
import { childOptions, startTestServer, tempDataDir, type TestServer } from '../helpers/server.js';

const exec = promisify(execFile);

/** The CLI on a data dir (and, on PostgreSQL runs, that dir's database). */
async function kith(dataDir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['dist/server/cli.js', '--data-dir', dataDir, ...args], dataDir.startsWith('/nonexistent') ? {} : await childOptions(dataDir));
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('kith admin CLI', () => {
  test('sets up an empty data dir and manages users, workspaces, members and keys', async () => {
    const dir = tempDataDir();
    const init = await kith(dir, 'init', '--json');
    assert.equal(init.code, 0, init.stderr);
    const { key } = JSON.parse(init.stdout);
    assert.match(key, /^kith_[0-9A-Za-z]{32}$/);
    assert.equal((await kith(dir, 'init')).code, 1, 'a second init is refused');

    assert.equal((await kith(dir, 'user', 'create', 'Bob@Example.com', '--name', 'Bob')).code, 0);
    const ws = await kith(dir, 'workspace', 'create', 'acme', '--owner', 'bob@example.com', '--currency', 'eur', '--json');
    assert.equal(ws.code, 0, ws.stderr);
    assert.equal(JSON.parse(ws.stdout).defaultCurrency, 'EUR');

    const badRole = await kith(dir, 'member', 'add', 'default', 'bob@example.com', 'boss');
    assert.notEqual(badRole.code, 0);
    assert.match(badRole.stderr, /role: must be one of "OWNER", "MEMBER", "VIEWER"/);
    assert.equal((await kith(dir, 'member', 'add', 'default', 'bob@example.com', 'viewer')).code, 0);
    const members = JSON.parse((await kith(dir, 'member', 'list', 'default', '--json')).stdout);
    assert.deepEqual(members.map((m: { email: string; role: string }) => `${m.email}:${m.role}`).sort(), ['bob@example.com:VIEWER', 'owner@kith.local:OWNER']);

    const created = JSON.parse((await kith(dir, 'key', 'create', 'bob@example.com', '--workspace', 'acme', '--read-only', '--json')).stdout);
    assert.equal(created.readOnly, true);
    const list = JSON.parse((await kith(dir, 'key', 'list', '--user', 'bob@example.com', '--json')).stdout);
    assert.equal(list.length, 1);
    assert.equal(list[0].hash, undefined, 'the key hash is never shown');
    assert.ok(!JSON.stringify(list).includes(created.key), 'the raw key is never listed');
  });

  test('no data dir: one clear error line and a non-zero exit', async () => {
    const result = await kith('/nonexistent/kith-data', 'user', 'list');
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /no Kith database/);
  });

  describe('against a running server on the same data dir', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer();
    });
    afterAll(() => server.stop());

    test('a key revoked with the CLI is refused by the server on the next request', async () => {
      assert.equal((await kith(server.dataDir, 'user', 'create', 'eve@example.com')).code, 0);
      assert.equal((await kith(server.dataDir, 'member', 'add', 'default', 'eve@example.com', 'member')).code, 0);
      const { key, id } = JSON.parse((await kith(server.dataDir, 'key', 'create', 'eve@example.com', '--json')).stdout);
      const ok = await server.api('GET', '/crm/organizations', undefined, { key });
      assert.equal(ok.status, 200);
      const revoke = await kith(server.dataDir, 'key', 'revoke', id);
      assert.equal(revoke.code, 0, revoke.stderr);
      const refused = await server.api('GET', '/crm/organizations', undefined, { key });
      assert.equal(refused.status, 401);
      assert.match(refused.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.equal(refused.body.detail, 'the API key has been revoked');
    });

    test('a workspace feature switched off with the CLI gates the REST API', async () => {
      assert.equal((await kith(server.dataDir, 'workspace', 'feature', 'default', 'crm.core', 'off')).code, 0);
      const gate = await server.api('GET', '/crm');
      assert.equal(gate.body.enabled, false);
      const blocked = await server.api('GET', '/crm/deals');
      assert.equal(blocked.status, 403);
      assert.equal(blocked.body.feature, 'crm.core');
      assert.equal((await kith(server.dataDir, 'workspace', 'feature', 'default', 'crm.core', 'on')).code, 0);
      assert.equal((await server.api('GET', '/crm/deals')).status, 200);
    });
  });
});
