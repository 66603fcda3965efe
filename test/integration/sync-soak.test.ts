/**
 * The randomized sync fault test with fixed seeds (see sync-soak-lib.ts): 4 clients, each the
 * real store in its own process, create, edit, archive and delete while the server process is
 * killed with SIGKILL and restarted on the same data dir and port, their networks are cut and their
 * streams reconnected at random points, and REST writes come in. Afterwards every client must hold
 * exactly the server's state, every acknowledged write must be on the server or audited as a
 * conflict or rejection, and no client's self-check may have healed anything.
 *
 * More seeds: `npm run test:soak -- --runs 50`; one seed: `npm run test:soak -- --seed N`
 * (KITH_SOAK_SEEDS=1,2,3 overrides the seeds here).
 */
import assert from 'node:assert/strict';
import { test } from 'vitest';
import { formatResult, runNodeSoak } from './sync-soak-lib.js';

const SEEDS = (process.env.KITH_SOAK_SEEDS ?? '20261201,7').split(',').map(Number);

for (const seed of SEEDS) {
  test(`randomized faults, seed ${seed}: clients end equal to the server, no acknowledged write lost, nothing healed`, async () => {
    const result = await runNodeSoak(seed);
    console.log(formatResult(result).split('\n')[0]);
    if (!result.ok) {
      if (result.serverLog) console.log(result.serverLog);
      assert.fail(`seed ${seed} failed (npm run test:soak -- --seed ${seed}):\n${formatResult(result)}`);
    }
  }, 180_000);
}
