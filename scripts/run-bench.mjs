// Runs benchmarks: `npm run bench` runs all of bench/*.ts in turn; `npm run bench -- rest sync` runs some.
// Each prints its own figures. Build first (npm run build) for the ones that use dist/.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const all = fs
  .readdirSync('bench')
  .filter((f) => f.endsWith('.ts') && f !== 'seed.ts')
  .map((f) => f.replace(/\.ts$/, ''));
const wanted = process.argv.slice(2);
const names = wanted.length ? wanted : all;
for (const name of names) {
  if (!all.includes(name)) {
    console.error(`no bench named '${name}' (have: ${all.join(', ')})`);
    process.exit(2);
  }
  console.log(`\n=== bench/${name}.ts`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
