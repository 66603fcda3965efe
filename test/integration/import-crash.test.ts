/**
 * An import commit killed mid-way (kill -9 of a real server process) leaves nothing or everything:
 * the next server process resumes it from the first row not yet written, and it ends with every row
 * written exactly once, each with its audit entry carrying the import id.
 *
 * Spawns the built server (`node dist/server/main.js`): run `npm run build:server` first.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { afterAll, describe, test } from 'vitest';
import { openStore } from '../../server/store/store.js';
import { apiCall, tempDataDir } from '../helpers/server.js';
import { killSpawned, spawnServer } from '../helpers/spawn.js';

const dir = tempDataDir('kith-import-crash-');

afterAll(() => {
  killSpawned();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('import commit and kill -9', () => {
  test('a commit killed mid-way is resumed by the next server: every row written once, each audited with the import id', async () => {
    const N = 6000;
    const first = await spawnServer(dir);
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

    const second = await spawnServer(dir);
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
