/**
 * `kith migrate-store` over a large data dir (issue 17, Done when: "of a seeded 100,000-record data
 * dir gives equal dumps"): seeds a SQLite data dir fast (bench/seed.ts: organizations, people and
 * deals through the store's row mapping, a `create` audit entry per record, a stage change per
 * deal), runs the built CLI (`npm run build:server` first) into an empty PostgreSQL database, then
 * compares every table of the two stores (row counts and a SHA-256 over the sorted rows,
 * test/helpers/storeDump.ts). Prints the time and rows/s; exits 1 when a table differs.
 *
 * PostgreSQL: a throwaway cluster (test/helpers/postgres.ts), or KITH_TEST_PG_URL for an existing one.
 *
 *   npx tsx bench/migrate-store.ts [--organizations 20000] [--people 40000] [--deals 40000]
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import type { MigrateResult } from '../server/store/migrateStore.js';
import { openStore } from '../server/store/store.js';
import { dropTestDatabase, startCluster, testDatabaseUrl, type Cluster } from '../test/helpers/postgres.js';
import { tempDataDir } from '../test/helpers/server.js';
import { digestTables } from '../test/helpers/storeDump.js';
import { seedDataDir } from './seed.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const counts = { organizations: arg('organizations', 20_000), people: arg('people', 40_000), deals: arg('deals', 40_000) };
const load = () =>
  os
    .loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');

async function digests(dataDir: string, databaseUrl?: string) {
  const store = await openStore(dataDir, { databaseUrl });
  try {
    return await digestTables(store.db);
  } finally {
    await store.close();
  }
}

let cluster: Cluster | null = null;
const sqliteDir = tempDataDir('kith-bench-migrate-sqlite-');
const pgDir = tempDataDir('kith-bench-migrate-pg-');
try {
  if (!process.env.KITH_TEST_PG_URL) {
    cluster = await startCluster();
    process.env.KITH_TEST_PG_URL = cluster.url;
  }
  const seeded = await seedDataDir(sqliteDir, counts);
  const records = counts.organizations + counts.people + counts.deals;
  console.log(`Kith migrate-store bench: Node ${process.version}, ${os.cpus().length} CPUs, load average ${load()} (the machine is shared: figures move with other work)`);
  console.log(
    `seeded ${records.toLocaleString('en-US')} records (${Object.entries(counts)
      .map(([c, n]) => `${c} ${n.toLocaleString('en-US')}`)
      .join(', ')}) in ${seeded.seconds.toFixed(1)} s`,
  );

  const url = await testDatabaseUrl(pgDir);
  const t0 = performance.now();
  const { stdout } = await promisify(execFile)(process.execPath, ['dist/server/cli.js', 'migrate-store', '--from', sqliteDir, '--to', url, '--json'], { maxBuffer: 64 * 1024 * 1024 });
  const wall = (performance.now() - t0) / 1000;
  const result = JSON.parse(stdout) as MigrateResult;
  console.log(
    `migrate-store: ${result.rows.toLocaleString('en-US')} rows of ${result.tables.length} tables in ${wall.toFixed(1)} s wall (the process), ` +
      `${result.seconds.toFixed(1)} s in the command, the copy transaction ${result.copySeconds.toFixed(1)} s: ` +
      `${Math.round(result.rows / result.copySeconds).toLocaleString('en-US')} rows/s copied, ${Math.round(result.rows / wall).toLocaleString('en-US')} rows/s overall`,
  );

  const t1 = performance.now();
  const [before, after] = [await digests(sqliteDir), await digests(pgDir, url)];
  const tables = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const differ = tables.filter((t) => before[t]?.sha256 !== after[t]?.sha256 || before[t]?.rows !== after[t]?.rows);
  for (const t of tables.filter((t) => (before[t]?.rows ?? 0) > 1000 || differ.includes(t))) {
    console.log(`  ${t.padEnd(18)} ${String(before[t]?.rows ?? '-').padStart(8)} → ${String(after[t]?.rows ?? '-').padStart(8)}  ${differ.includes(t) ? 'DIFFERENT' : 'equal'}`);
  }
  console.log(
    differ.length === 0
      ? `dumps equal: all ${tables.length} tables, ${Object.values(before)
          .reduce((n, d) => n + d.rows, 0)
          .toLocaleString('en-US')} rows (compared in ${((performance.now() - t1) / 1000).toFixed(1)} s)`
      : `dumps DIFFER in ${differ.join(', ')}`,
  );
  process.exitCode = differ.length > 0 ? 1 : 0;
  console.log(`load average at the end ${load()}`);
} finally {
  if (process.env.KITH_TEST_PG_URL) await dropTestDatabase(pgDir).catch(() => undefined);
  cluster?.stop();
  fs.rmSync(sqliteDir, { recursive: true, force: true });
  fs.rmSync(pgDir, { recursive: true, force: true });
}
process.exit(); // process.exitCode: 1 when a table differs (a failed run has thrown already)
