/**
 * An import commit killed mid-way (kill -9 of a real server process) leaves nothing or everything:
 * the next server process resumes it from the first row not yet written, and it ends with every row
 * written exactly once, each with its audit entry carrying the import id.
 *
 * Spawns the built server (`node dist/server/main.js`): run `npm run build:server` first.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { openStore } from '../../server/store/store.js';
import { apiCall, tempDataDir } from '../helpers/server.js';

const MAIN = path.resolve('dist/server/main.js');
const children: ChildProcess[] = [];
const dir = tempDataDir('kith-import-crash-');

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

async function spawnServer(): Promise<{ child: ChildProcess; url: string; key: string | null; exited: Promise<unknown> }> {
  assert.ok(fs.existsSync(MAIN), `${MAIN} is missing: run npm run build:server first`);
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, KITH_DATA_DIR: dir, KITH_PORT: '0', KITH_HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  child.stderr!.on('data', (chunk) => (out += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 20_000);
    const check = () => {
      const match = /Kith listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => reject(new Error(`server exited:\n${out}`)));
  });
  return { child, url, key: /\b(kith_[0-9A-Za-z]{32})\b/.exec(out)?.[1] ?? null, exited };
}

describe('import commit and kill -9', () => {
  test('a commit killed mid-way is resumed by the next server: every row written once, each audited with the import id', async () => {
    const N = 6000;
    const first = await spawnServer();
    const key = first.key!;
    const csv = ['name,email,title', ...Array.from({ length: N }, (_, i) => `Crash Person ${i},crash${i}@import.example,Role ${i % 7}`)].join('\n');
    const validated = await apiCall(first.url, key, 'POST', '/crm/imports?entity=people', csv, { 'content-type': 'text/csv' });
    assert.equal(validated.status, 200, JSON.stringify(validated.body));
    assert.equal(validated.body.counts.create, N);
    const id = validated.body.id;
    assert.equal((await apiCall(first.url, key, 'POST', `/crm/imports/${id}/commit`, { rows: 'valid' })).status, 202);
    // kill while some rows are written and others not
    let done = 0;
    for (let i = 0; i < 2000 && done === 0; i++) {
      done = (await apiCall(first.url, key, 'GET', `/crm/imports/${id}`)).body.progress.done;
      if (done === 0) await new Promise((r) => setTimeout(r, 5));
    }
    first.child.kill('SIGKILL');
    await first.exited;
    assert.ok(done > 0 && done < N, `killed mid-commit (progress ${done} of ${N})`);

    // the database as the crash left it: whole chunks only (each chunk is one transaction)
    const store = await openStore(dir, { create: false });
    const written = (store.raw.prepare(`select count(*) as n from people where email like 'crash%@import.example'`).get() as { n: number }).n;
    const marked = (store.raw.prepare('select count(*) as n from importRows where importId = ? and committed = 1').get(id) as { n: number }).n;
    await store.close();
    assert.ok(written < N, `the kill came before the end (${written} written)`);
    assert.equal(written, marked, 'every written row is marked, every marked row written');

    const second = await spawnServer();
    let session;
    for (let i = 0; i < 1200; i++) {
      session = (await apiCall(second.url, key, 'GET', `/crm/imports/${id}`)).body;
      if (session.state !== 'committing') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(session.state, 'committed', JSON.stringify(session));
    assert.deepEqual(session.progress, { done: N, total: N });
    const after = await openStore(dir, { create: false });
    try {
      const people = after.raw.prepare(`select email, count(*) as n from people where email like 'crash%@import.example' and deleted = 0 group by email`).all() as { n: number }[];
      assert.equal(people.length, N, 'every row written');
      assert.ok(
        people.every((p) => p.n === 1),
        'none twice',
      );
      const audited = after.raw.prepare(`select count(*) as n from auditEntries where action = 'create' and entityType = 'person' and json_extract(detail, '$.operationId') = ?`).get(id) as {
        n: number;
      };
      assert.equal(audited.n, N, 'one audit entry per row, each with the import id');
    } finally {
      await after.close();
    }
    second.child.kill('SIGTERM');
    await second.exited;
  });
});
