// The randomized sync fault test (test/integration/sync-soak-lib.ts) over many seeds.
// Usage: npm run test:soak -- [--runs N] [--seed S] [--clients N] [--browser] [--verbose]
//   --runs N     N runs with random seeds (default 10)
//   --seed S     one run with seed S (repeat --seed for several); a failing run prints its seed
//   --clients N  Node clients per run (default 4; with --browser, 3 plus one Chromium client)
//   --browser    one of the clients is the store on Dexie/IndexedDB in headless Chromium
// Prints, per run, the seed, PASS/FAIL and the time; exits 1 when any run failed.
import { randomInt } from 'node:crypto';
import { tsImport } from 'tsx/esm/api';

const args = process.argv.slice(2);
const value = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const seeds = args.flatMap((a, i) => (a === '--seed' ? [Number(args[i + 1])] : []));
const runs = seeds.length > 0 ? seeds.length : Number(value('--runs') ?? 10);
const browser = args.includes('--browser');
const verbose = args.includes('--verbose');
const clients = value('--clients') ? Number(value('--clients')) : undefined;
if (seeds.some((s) => !Number.isInteger(s) || s < 0) || !(runs > 0)) {
  console.error('usage: npm run test:soak -- [--runs N] [--seed S] [--clients N] [--browser] [--verbose]');
  process.exit(2);
}

const lib = await tsImport('../test/integration/sync-soak-lib.ts', import.meta.url);
const browserLib = browser ? await tsImport('../test/e2e/sync-soak-browser.ts', import.meta.url) : null;
const log = verbose ? (line) => console.log(`  ${line}`) : undefined;

const failed = [];
const started = Date.now();
let browserRig = null;
try {
  if (browserLib) browserRig = await browserLib.startBrowserRig();
  for (let i = 0; i < runs; i++) {
    const seed = seeds[i] ?? randomInt(0, 2 ** 31);
    const result = browserRig ? await browserRig.run(seed, { count: clients, log }) : await lib.runNodeSoak(seed, { count: clients, log });
    console.log(`[${i + 1}/${runs}] ${lib.formatResult(result, browser)}`);
    if (!result.ok) {
      failed.push(seed);
      if (verbose && result.serverLog) console.log(`  server output (tail):\n${result.serverLog}`);
    }
  }
} finally {
  await browserRig?.close();
}
console.log(`\n${runs - failed.length}/${runs} runs passed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
if (failed.length > 0) {
  console.log(`failed seeds: ${failed.join(' ')}`);
  console.log(`rerun one: npm run test:soak -- --seed ${failed[0]}${browser ? ' --browser' : ''}`);
  process.exit(1);
}
