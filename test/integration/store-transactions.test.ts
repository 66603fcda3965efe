/**
 * The store's write transactions (real SQLite file): change-sequence values taken in one
 * transaction are consecutive and the sequence row ends at the last of them, a transaction that
 * fails takes none, a restore's advance keeps later values ahead; and what a transaction memoizes
 * (field definitions, webhook endpoints, automations) is read once inside it, never outside it,
 * and forgotten when the transaction writes it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { afterAll, test } from 'vitest';
import { advanceSequence, currentSequence, nextVersion } from '../../server/store/records.js';
import { openStore, type Store } from '../../server/store/store.js';
import { forgetInTransaction, memoInTransaction } from '../../server/store/txMemo.js';
import { tempDataDir } from '../helpers/server.js';

const dirs: string[] = [];
const stores: Store[] = [];
afterAll(async () => {
  for (const store of stores) await store.close();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

async function store(): Promise<Store> {
  const dir = tempDataDir('kith-store-tx-');
  dirs.push(dir);
  const opened = await openStore(dir);
  stores.push(opened);
  return opened;
}

test('sequence values of one write transaction are consecutive, stored at commit, and none are taken by a failed one', async () => {
  const s = await store();
  const start = await currentSequence(s.db);
  const taken = await s.write('ws', async (tx) => [await nextVersion(tx), await nextVersion(tx), await nextVersion(tx)]);
  assert.deepEqual(taken, [start + 1, start + 2, start + 3]);
  assert.equal(await currentSequence(s.db), start + 3);

  await assert.rejects(
    s.write('ws', async (tx) => {
      await nextVersion(tx);
      await nextVersion(tx);
      throw new Error('refused');
    }),
    /refused/,
  );
  assert.equal(await currentSequence(s.db), start + 3, 'a rolled-back transaction leaves the sequence where it was');

  // a transaction outside Store.write (no in-memory count) still takes values one by one
  const outside = await s.db.transaction().execute(async (tx) => [await nextVersion(tx), await nextVersion(tx)]);
  assert.deepEqual(outside, [start + 4, start + 5]);
  assert.equal(await currentSequence(s.db), start + 5);

  // a restore advances the sequence past the versions it stored; values taken after it come later
  const after = await s.write('ws', async (tx) => {
    const first = await nextVersion(tx);
    await advanceSequence(tx, 1000);
    return [first, await nextVersion(tx), await nextVersion(tx)];
  });
  assert.deepEqual(after, [start + 6, 1001, 1002]);
  assert.equal(await currentSequence(s.db), 1002);
  assert.equal(await s.write('ws', (tx) => nextVersion(tx)), 1003);
});

test('a transaction reads what it memoizes once, forgets it when told, and nothing is kept outside transactions', async () => {
  const s = await store();
  let loads = 0;
  const load = async () => ++loads;
  await s.write('ws', async (tx) => {
    assert.equal(await memoInTransaction(tx, 'fields:ws:people', load), 1);
    assert.equal(await memoInTransaction(tx, 'fields:ws:people', load), 1);
    assert.equal(await memoInTransaction(tx, 'automations:ws', load), 2);
    forgetInTransaction(tx, 'fields:');
    assert.equal(await memoInTransaction(tx, 'fields:ws:people', load), 3);
    assert.equal(await memoInTransaction(tx, 'automations:ws', load), 2);
  });
  await s.write('ws', async (tx) => assert.equal(await memoInTransaction(tx, 'fields:ws:people', load), 4, 'a new transaction reads again'));
  assert.equal(await memoInTransaction(s.db, 'fields:ws:people', load), 5);
  assert.equal(await memoInTransaction(s.db, 'fields:ws:people', load), 6, 'outside a transaction every call loads');
});
