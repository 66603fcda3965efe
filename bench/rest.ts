/**
 * REST benchmark: Kith's /crm routes on loopback with 100,000 seeded records, against a bare
 * Express route reading the same SQLite file (the limit for this stack).
 *
 *   node --import tsx bench/rest.ts [--records 100000] [--duration 5] [--rounds 3] [--connections 10]
 *
 * Each server runs in its own child process (like `npm start`), with its one-line-per-request
 * log going to a file in the data dir, as production would redirect stdout. autocannon runs in
 * this process. Prints requests/s, p50/p99 latency and the server process's CPU time per request
 * for: GET a deal by id (Kith and bare, in alternating rounds), a list of 50 deals, and creating
 * a deal. CPU per request is the steadier figure when other work shares the machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { seedDataDir } from './seed.js';

const here = fileURLToPath(import.meta.url);

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

// ------------------------------------------------------------------ child: one server

async function serve(kind: string, dataDir: string, logFile: string): Promise<void> {
  const log = fs.createWriteStream(logFile, { flags: 'a' });
  let close: () => Promise<void>;
  let port: number;
  if (kind === 'kith') {
    const { startServer } = await import('../server/server.js');
    const server = await startServer({ dataDir, port: 0, host: '127.0.0.1', uiDir: null, log: (line) => log.write(line + '\n') });
    port = server.port;
    close = () => server.close();
  } else {
    // the bare route: same file, same pragmas, one prepared statement, the same JSON shaping
    const express = (await import('express')).default;
    const BetterSqlite3 = (await import('better-sqlite3')).default;
    const db = new BetterSqlite3(path.join(dataDir, 'kith.sqlite'));
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 10000');
    const workspaceId = (db.prepare(`select id from workspaces where slug = 'default'`).get() as { id: string }).id;
    const get = db.prepare(`select * from deals where id = ? and workspaceId = ? and deleted = 0`);
    const app = express();
    app.get('/bare/deals/:id', (req, res) => {
      const row = get.get(req.params.id, workspaceId) as Record<string, unknown> | undefined;
      if (!row) return void res.status(404).json({ error: 'not found' });
      delete row.deleted;
      row.labels = JSON.parse(row.labels as string);
      row.custom = JSON.parse(row.custom as string);
      if (row.amount != null) row.amount = (row.amount as number) / 10_000;
      res.json(row);
    });
    const http = await import('node:http');
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    close = async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      db.close();
    };
  }
  process.stdout.write(JSON.stringify({ port }) + '\n');
  // the parent asks for this process's CPU time around each run
  process.on('message', () => process.send!(process.cpuUsage()));
  process.on('SIGTERM', () => void close().then(() => process.exit(0)));
}

// ------------------------------------------------------------------ parent: seed, load, report

interface Child {
  url: string;
  /** CPU time (user + system) the server process has used so far, in µs. */
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

async function startChild(kind: 'kith' | 'bare', dataDir: string): Promise<Child> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', here, '--serve', kind, dataDir, path.join(dataDir, `${kind}-requests.log`)], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line).port);
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    cpu: () =>
      new Promise<number>((resolve) => {
        child.once('message', (usage) => resolve((usage as NodeJS.CpuUsage).user + (usage as NodeJS.CpuUsage).system));
        child.send('cpu');
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

interface Figures {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
  /** Server CPU time per request, µs: robust to other load on the machine, unlike requests/s. */
  cpuPerRequest: number;
}

async function load(name: string, options: autocannon.Options, server?: Child): Promise<Figures> {
  const cpuBefore = server ? await server.cpu() : 0;
  const result = await autocannon({ ...options, workers: undefined });
  const cpuAfter = server ? await server.cpu() : 0;
  return {
    name,
    cpuPerRequest: result.requests.total ? (cpuAfter - cpuBefore) / result.requests.total : 0,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

function medianOf(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

/** The round with the median requests/s. */
function median(values: Figures[]): Figures {
  const sorted = [...values].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const records = arg('records', 100_000);
  const duration = arg('duration', 5);
  const rounds = arg('rounds', 3);
  const connections = arg('connections', 10);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kith-bench-'));
  const orgs = Math.round(records * 0.2);
  const people = Math.round(records * 0.4);
  const seeded = await seedDataDir(dataDir, { organizations: orgs, people, deals: records - orgs - people });
  const size = fs.statSync(path.join(dataDir, 'kith.sqlite')).size;
  console.log(
    `seeded ${records.toLocaleString('en')} records (${seeded.counts.organizations} organizations, ${seeded.counts.people} people, ${seeded.counts.deals} deals, with audit entries) in ${seeded.seconds.toFixed(1)} s — ${(size / 1e6).toFixed(0)} MB`,
  );
  console.log(
    `load: autocannon, ${connections} connections, ${rounds} alternating rounds of ${duration} s per target (median round shown), loopback; Node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)}; request log → file\n`,
  );

  const ids = seeded.ids.deals;
  let n = 0;
  const nextId = () => ids[n++ % ids.length];
  const auth = { authorization: `Bearer ${seeded.key}` };
  const getById = (url: string, prefix: string, headers: Record<string, string>): autocannon.Options => ({
    url,
    connections,
    duration,
    headers,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `${prefix}${nextId()}` }) }],
  });
  let c = 0;
  const create = (url: string): autocannon.Options => ({
    url,
    connections,
    duration,
    requests: [
      {
        method: 'POST',
        path: '/crm/deals',
        headers: { ...auth, 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ title: `Bench deal ${c++}`, amount: 1234.5, labels: ['bench'] }) }),
      },
    ],
  });

  // both servers up at once; the GET runs alternate so that other load on the machine hits both alike
  const bare = await startChild('bare', dataDir);
  const kith = await startChild('kith', dataDir);
  await load('warm-up', { ...getById(bare.url, '/bare/deals/', {}), duration: 5 });
  await load('warm-up', { ...getById(kith.url, '/crm/deals/', auth), duration: 5 });
  await load('warm-up', { url: `${kith.url}/crm/deals?limit=50`, connections, duration: 2, headers: auth });
  const runs: Record<string, Figures[]> = { bare: [], get: [], list: [] };
  for (let round = 0; round < rounds; round++) {
    runs.bare.push(await load('bare Express: GET deal by id', getById(bare.url, '/bare/deals/', {}), bare));
    runs.get.push(await load('Kith: GET /crm/deals/:id', getById(kith.url, '/crm/deals/', auth), kith));
    runs.list.push(await load('Kith: GET /crm/deals?limit=50', { url: `${kith.url}/crm/deals?limit=50`, connections, duration, headers: auth }, kith));
  }
  await bare.stop();
  const results = [median(runs.bare), median(runs.get), median(runs.list), await load('Kith: POST /crm/deals', create(kith.url), kith)];
  await kith.stop();

  const pad = (s: string, w: number) => s.padEnd(w);
  console.log(`${pad('', 34)}${'req/s'.padStart(10)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'requests'.padStart(10)}${'failed'.padStart(9)}${'server CPU µs/req'.padStart(19)}`);
  for (const r of results) {
    console.log(
      `${pad(r.name, 34)}${r.rps.toFixed(0).padStart(10)}${r.p50.toFixed(1).padStart(9)}${r.p99.toFixed(1).padStart(9)}${String(r.requests).padStart(10)}${String(r.non2xx + r.errors).padStart(9)}${r.cpuPerRequest.toFixed(0).padStart(19)}`,
    );
  }
  const cpuRatio = medianOf(runs.bare.map((r) => r.cpuPerRequest)) / medianOf(runs.get.map((r) => r.cpuPerRequest));
  console.log(`\nserver CPU per request: bare / Kith = ${(cpuRatio * 100).toFixed(0)}% — the requests/s Kith would reach, relative to the bare route, on an otherwise idle core`);
  const ratios = runs.get.map((g, i) => g.rps / runs.bare[i].rps);
  console.log(
    `Kith GET by id = ${((100 * results[1].rps) / results[0].rps).toFixed(0)}% of the bare route's requests/s (per round: ${ratios.map((r) => `${(r * 100).toFixed(0)}%`).join(', ')}; aim ≥ 70%); p99 ${results[1].p99.toFixed(1)} ms (aim < 20 ms)`,
  );
  const logLines = fs.readFileSync(path.join(dataDir, 'kith-requests.log'), 'utf8').split('\n').length - 1;
  console.log(`Kith request log: ${logLines.toLocaleString('en')} lines; load average now ${os.loadavg()[0].toFixed(1)}`);
  fs.rmSync(dataDir, { recursive: true, force: true });
}

if (process.argv[2] === '--serve') {
  await serve(process.argv[3], process.argv[4], process.argv[5]);
} else {
  await main();
}
