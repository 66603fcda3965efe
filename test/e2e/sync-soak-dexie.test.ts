/**
 * The randomized sync fault test (test/integration/sync-soak-lib.ts) with a Chromium client: the
 * store on Dexie/IndexedDB in headless Chromium plus three Node clients, the server process killed
 * and restarted, the browser's network cut (offline emulation or aborted /sync requests) like the
 * Node clients'. Fixed seed; more: `npm run test:soak -- --browser --runs 10`.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { formatResult } from '../integration/sync-soak-lib.js';
import { startBrowserRig } from './sync-soak-browser.js';

const SEED = Number(process.env.KITH_SOAK_BROWSER_SEED ?? 20261202);

let rig: Awaited<ReturnType<typeof startBrowserRig>>;
beforeAll(async () => {
  rig = await startBrowserRig();
});
afterAll(async () => {
  await rig?.close();
});

test(`randomized faults with a Chromium/Dexie client, seed ${SEED}: every client ends equal to the server, nothing lost or healed`, async () => {
  const result = await rig.run(SEED);
  console.log(formatResult(result, true).split('\n')[0]);
  if (!result.ok) {
    if (result.serverLog) console.log(result.serverLog);
    assert.fail(`seed ${SEED} failed (npm run test:soak -- --seed ${SEED} --browser):\n${formatResult(result, true)}`);
  }
}, 240_000);
