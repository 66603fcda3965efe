/**
 * Import throughput (issue 13): validating and committing a CSV of N people rows (default 100,000)
 * through a real server process (`node dist/server/main.js`: run `npm run build:server` first) —
 * POST /crm/imports with the file streamed as text/csv, then the commit, polled until committed —
 * and, in the same run, the store's limit: a bare prepared INSERT of the same rows into the same
 * table in one transaction (no validation, audit, outbox or change sequence). Prints rows/s of
 * each, the ratio, and the server's peak resident memory (VmHWM).
 *
 *   npx tsx bench/import.ts
 *   KITH_BENCH_ROWS=20000 npx tsx bench/import.ts
 *
 * Aim: validate + commit of 100,000 rows under 20 s in all, peak server memory under 300 MB.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { newId } from '../shared/ids.js';
import { openStore } from '../server/store/store.js';

const ROWS = Number(process.env.KITH_BENCH_ROWS ?? 100_000);
const MAIN = path.resolve('dist/server/main.js');
if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build:server first`);

const people = Array.from({ length: ROWS }, (_, i) => ({
  name: `Bench Person ${i}`,
  email: `bench${i}@import.example`,
  title: `Role ${i % 13}`,
  phone: `+1 555 ${String(i).padStart(7, '0')}`,
  labels: i % 3 ? 'a;b' : '',
}));
const csv = ['name,email,title,phone,labels', ...people.map((p) => `${p.name},${p.email},${p.title},${p.phone},${p.labels}`)].join('\n');

// ------------------------------------------------------------------ through the server
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kith-bench-import-'));
const child = spawn(process.execPath, [...(process.env.KITH_BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.KITH_BENCH_PROF] : []), MAIN], {
  env: { ...process.env, KITH_DATA_DIR: dataDir, KITH_PORT: '0', KITH_HOST: '127.0.0.1' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let out = '';
const url = await new Promise<string>((resolve, reject) => {
  child.stdout!.on('data', (chunk) => {
    out += chunk;
    const match = /Kith listening on (http:\/\/\S+)/.exec(out);
    if (match) resolve(match[1]);
  });
  child.once('exit', () => reject(new Error(`server exited:\n${out}`)));
});
const key = /\b(kith_[0-9A-Za-z]{32})\b/.exec(out)![1];
/** The server process's CPU seconds so far (user + system): a figure a loaded machine disturbs less than wall time. */
const cpuSeconds = () => {
  const fields = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const peakRss = () => Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;

const c0 = cpuSeconds();
const t0 = performance.now();
const validated = await fetch(`${url}/crm/imports?entity=people&match=email&mode=upsert`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' }, body: csv });
const session = (await validated.json()) as { id: string; counts: Record<string, number> };
if (validated.status !== 200) throw new Error(JSON.stringify(session));
const t1 = performance.now();
const c1 = cpuSeconds();
await fetch(`${url}/crm/imports/${session.id}/commit`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{}' });
let state = 'committing';
let polls = 0;
while (state === 'committing') {
  await new Promise((r) => setTimeout(r, 100));
  const res = (await (await fetch(`${url}/crm/imports/${session.id}`, { headers: { authorization: `Bearer ${key}` } })).json()) as { state: string };
  state = res.state;
  polls++;
}
const t2 = performance.now();
const c2 = cpuSeconds();
const rss = peakRss();
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
if (state !== 'committed') throw new Error(`import ended ${state}`);

// ------------------------------------------------------------------ the store's limit: a bare prepared INSERT
const bareDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kith-bench-import-bare-'));
const store = await openStore(bareDir);
const workspaceId = newId();
const insert = store.raw.prepare(
  'insert into people (id, workspaceId, createdAt, updatedAt, version, archivedAt, deleted, custom, name, email, phone, title, organizationId, notes, labels, ownerId) values (?, ?, ?, ?, ?, null, 0, ?, ?, ?, ?, ?, null, null, ?, null)',
);
const b0 = performance.now();
store.raw.transaction(() => {
  const now = new Date().toISOString();
  people.forEach((p, i) => insert.run(newId(), workspaceId, now, now, i + 1, '{}', p.name, p.email, p.phone, p.title, JSON.stringify(p.labels ? p.labels.split(';') : [])));
})();
const b1 = performance.now();
await store.close();
fs.rmSync(bareDir, { recursive: true, force: true });
fs.rmSync(dataDir, { recursive: true, force: true });

const rate = (ms: number) => Math.round(ROWS / (ms / 1000)).toLocaleString('en');
const s = (ms: number) => (ms / 1000).toFixed(1);
console.log(`Import of ${ROWS.toLocaleString('en')} CSV people rows (${(csv.length / 1024 / 1024).toFixed(1)} MB) through a server process\n`);
console.log('step                         seconds      rows/s   server CPU s');
console.log(`validate (POST /crm/imports) ${s(t1 - t0).padStart(7)} ${rate(t1 - t0).padStart(11)} ${(c1 - c0).toFixed(1).padStart(14)}`);
console.log(`commit (to committed)        ${s(t2 - t1).padStart(7)} ${rate(t2 - t1).padStart(11)} ${(c2 - c1).toFixed(1).padStart(14)}   (${polls} progress reads meanwhile)`);
console.log(`validate + commit            ${s(t2 - t0).padStart(7)} ${rate(t2 - t0).padStart(11)} ${(c2 - c0).toFixed(1).padStart(14)}`);
console.log(`bare prepared INSERT, 1 tx   ${s(b1 - b0).padStart(7)} ${rate(b1 - b0).padStart(11)}   (the store's limit)`);
console.log(`\nratio commit / bare insert: ${((t2 - t1) / (b1 - b0)).toFixed(1)}×; validate + commit / bare insert: ${((t2 - t0) / (b1 - b0)).toFixed(1)}×`);
console.log(`peak server memory (VmHWM): ${rss.toFixed(0)} MB`);
console.log(`aim: validate + commit under 20 s (${t2 - t0 < 20_000 ? 'ok' : 'over'}), peak memory under 300 MB (${rss < 300 ? 'ok' : 'over'})`);
