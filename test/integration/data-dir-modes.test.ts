/**
 * Issue 14, item 5: the data directory and the database files Kith creates are readable by their
 * owner only — through `kith init` (the CLI) as through the server (auth-limits-headers.test.ts
 * checks a server's fresh directory) — and a directory an administrator made keeps its mode.
 * Needs the built CLI (`npm run build:server`).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'vitest';
import { startTestServer } from '../helpers/server.js';

const mode = (p: string) => fs.statSync(p).mode & 0o777;

describe('the data directory', () => {
  test('`kith init` creates the folders 0700 and every file 0600', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kith-mode-'));
    try {
      const dataDir = path.join(root, 'nested', 'data');
      const init = spawnSync(process.execPath, ['dist/server/cli.js', '--data-dir', dataDir, 'init', '--json'], { encoding: 'utf8' });
      assert.equal(init.status, 0, init.stderr);
      assert.equal(mode(dataDir), 0o700);
      assert.equal(mode(path.join(root, 'nested')), 0o700, 'the folders it had to make too');
      const files = fs.readdirSync(dataDir);
      assert.ok(files.includes('kith.sqlite'), files.join(', '));
      for (const name of files) assert.equal(mode(path.join(dataDir, name)), 0o600, name);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('a directory an administrator made keeps its mode; the new database in it is 0600, -wal and -shm too', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kith-mode-'));
    try {
      const shared = path.join(root, 'shared');
      fs.mkdirSync(shared);
      fs.chmodSync(shared, 0o750);
      const server = await startTestServer({ dataDir: shared });
      try {
        assert.equal((await server.api('POST', '/crm/organizations', { name: 'Written' })).status, 201);
        assert.equal(mode(shared), 0o750);
        for (const name of ['kith.sqlite', 'kith.sqlite-wal', 'kith.sqlite-shm']) assert.equal(mode(path.join(shared, name)), 0o600, name);
      } finally {
        await server.stop({ keepData: true });
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
