/**
 * Scale-out benchmark (issue 17; prints figures, asserts nothing). The built server (`dist/server`,
 * `npm run build:server` first) as child processes, in three set-ups started side by side:
 *   - one process on SQLite;
 *   - one process on PostgreSQL (and, for reference, the same process behind the proxy: its cost);
 *   - two processes on one PostgreSQL database behind the round-robin proxy (test/helpers/proxy.ts).
 * For each: the time for 4,000 client writes through sync (one RxDB client in its own process,
 * test/integration/sync-worker.ts: creates, updates, deletes, until the server acknowledged all),
 * then GET a deal by id and create a deal in requests/s (autocannon). Last, the NOTIFY-to-stream
 * latency: a write through one PostgreSQL process until a /sync/stream held on the other carries it.
 *
 * On a shared 2-core machine the load generator, the proxy, PostgreSQL and the Kith processes all
 * compete for the same cores, so requests/s say little about several processes. The bench also
 * reads the CPU time each side spent per request (/proc: the Kith processes, and the PostgreSQL
 * cluster's server processes) and prints what that CPU cost allows where each process has a core
 * of its own (as behind a real load balancer): an estimate from measured CPU, labelled as such.
 *
 * PostgreSQL: a throwaway cluster (test/helpers/postgres.ts), or KITH_TEST_PG_URL for an existing one.
 *
 *   npx tsx bench/scale.ts [--duration 5] [--connections 10] [--writes 4000]
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import autocannon from 'autocannon';
import { startCluster, testDatabaseUrl, type Cluster } from '../test/helpers/postgres.js';
import { startProxy, type RoundRobinProxy } from '../test/helpers/proxy.js';
import { apiCall, tempDataDir } from '../test/helpers/server.js';
import { killSpawned, spawnServer } from '../test/helpers/spawn.js';
import { startSyncWorker } from '../test/integration/sync-helpers.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const duration = arg('duration', 5);
const connections = arg('connections', 10);
const writes = arg('writes', 4000);
const line = (label: string, value: string, note = '') => console.log(`${label.padEnd(72)} ${value.padStart(12)}   ${note}`);

interface Target {
  name: string;
  url: string;
  key: string;
  /** The Kith server processes behind `url`. */
  pids: number[];
}

/** CPU milliseconds (user + system) the processes have used so far; a process gone counts 0. */
function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // the fields after the command (which may hold spaces) in parentheses: utime and stime are the 12th and 13th
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

/** The PostgreSQL cluster's processes: its postmaster (listening on the URL's port) and its children. */
function postgresPids(url: string): number[] {
  const port = new URL(url).port || '5432';
  const procs = fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => {
      try {
        return { pid: Number(d), cmd: fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0'), ppid: Number(fs.readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ')[1]) };
      } catch {
        return null;
      }
    })
    .filter((p) => p !== null);
  const master = procs.find((p) => p.cmd[0].endsWith('postgres') && p.cmd.some((arg, i) => (arg === '-p' && p.cmd[i + 1] === port) || arg === `-p${port}`));
  if (!master) return [];
  return [master.pid, ...procs.filter((p) => p.ppid === master.pid).map((p) => p.pid)];
}

const dirs: string[] = [];
const proxies: RoundRobinProxy[] = [];
let cluster: Cluster | null = null;

/** A data dir (and, on PostgreSQL, its own database) with `processes` servers on it. */
async function setUp(name: string, store: 'sqlite' | 'postgres', processes: number): Promise<{ target: Target; backends: string[] }> {
  const dir = tempDataDir('kith-bench-scale-');
  dirs.push(dir);
  const env: Record<string, string> = store === 'postgres' ? { KITH_DATABASE_URL: await testDatabaseUrl(dir) } : {};
  const first = await spawnServer(dir, { env });
  const backends = [first.url];
  const pids = [first.child.pid!];
  // one at a time: the first start creates the owner
  for (let i = 1; i < processes; i++) {
    const next = await spawnServer(dir, { env });
    backends.push(next.url);
    pids.push(next.child.pid!);
  }
  let url = first.url;
  if (processes > 1) {
    const proxy = await startProxy(backends);
    proxies.push(proxy);
    url = proxy.url;
  }
  return { target: { name, url, key: first.key!, pids }, backends };
}

async function syncWrites(target: Target): Promise<number> {
  const sharedDeals: string[] = [];
  for (let i = 0; i < 4; i++) sharedDeals.push((await apiCall(target.url, target.key, 'POST', '/crm/deals', { title: `Shared deal ${i}` })).body.id);
  const worker = startSyncWorker();
  try {
    await worker.next('ready');
    const started = performance.now();
    worker.child.send({ type: 'start', url: target.url, key: target.key, name: `scale-${target.name}`, writes, index: 0, sharedDeals });
    await worker.next('done');
    return performance.now() - started;
  } finally {
    worker.child.kill('SIGKILL');
  }
}

interface Rate {
  rps: number;
  p99: number;
  bad: number;
  /** CPU ms per request spent by the Kith processes, and by PostgreSQL (0 on SQLite). */
  kithCpu: number;
  pgCpu: number;
}

let pgPids: number[] = [];

async function rps(options: autocannon.Options, pids: number[] = []): Promise<Rate> {
  const before = { kith: cpuMs(pids), pg: cpuMs(pgPids) };
  const result = await autocannon({ connections, duration, ...options });
  const n = Math.max(1, result.requests.total);
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    bad: result.non2xx + result.errors + result.timeouts,
    kithCpu: (cpuMs(pids) - before.kith) / n,
    pgCpu: (cpuMs(pgPids) - before.pg) / n,
  };
}

async function httpFigures(target: Target): Promise<{ get: Rate; create: Rate }> {
  const auth = { authorization: `Bearer ${target.key}` };
  const ids: string[] = [];
  for (let i = 0; i < 200; i++) ids.push((await apiCall(target.url, target.key, 'POST', '/crm/deals', { title: `Read deal ${i}`, amount: 100 + i })).body.id);
  let n = 0;
  const getById: autocannon.Options = { url: target.url, headers: auth, requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/crm/deals/${ids[n++ % ids.length]}` }) }] };
  await rps({ ...getById, duration: 2 }); // warm-up
  const get = await rps(getById, target.pids);
  let c = 0;
  const create = await rps(
    {
      url: target.url,
      requests: [
        {
          method: 'POST',
          path: '/crm/deals',
          headers: { ...auth, 'content-type': 'application/json' },
          setupRequest: (req) => ({ ...req, body: JSON.stringify({ title: `Bench deal ${c++}`, amount: 1234.5, labels: ['bench'] }) }),
        },
      ],
    },
    target.pids,
  );
  return { get, create };
}

/** Milliseconds until a /sync/stream on `reader` carries a write made through `writer`: from sending it, and from its acknowledgement (0 when the stream was first). */
async function notifyLatency(writer: string, reader: string, key: string, samples: number): Promise<{ fromSend: number[]; fromAck: number[] }> {
  let received = '';
  let wake: (() => void) | null = null;
  const req = http.get(`${reader}/sync/stream`, { agent: false, headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' } });
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    received += chunk;
    wake?.();
  });
  const seen = (text: string) =>
    new Promise<void>((resolve) => {
      wake = () => received.includes(text) && resolve();
      wake();
    });
  await seen('data:');
  const fromSend: number[] = [];
  const fromAck: number[] = [];
  for (let i = 0; i < samples; i++) {
    const name = `Latency probe ${i} ${Date.now()}`;
    const started = performance.now();
    const arrived = seen(name).then(() => performance.now());
    await apiCall(writer, key, 'POST', '/crm/organizations', { name });
    const acked = performance.now();
    const at = await arrived;
    fromSend.push(at - started);
    fromAck.push(Math.max(0, at - acked));
  }
  req.destroy();
  return { fromSend, fromAck };
}

const pct = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];

try {
  if (!process.env.KITH_TEST_PG_URL) {
    cluster = await startCluster();
    process.env.KITH_TEST_PG_URL = cluster.url;
  }
  const sqlite = await setUp('sqlite-1', 'sqlite', 1);
  const pg1 = await setUp('pg-1', 'postgres', 1);
  const pg2 = await setUp('pg-2', 'postgres', 2);
  pgPids = postgresPids(process.env.KITH_TEST_PG_URL);
  const pg1Proxied = await startProxy(pg1.backends);
  proxies.push(pg1Proxied);
  const targets = [sqlite.target, pg1.target, pg2.target];

  console.log(
    `Kith scale bench: built server processes on loopback; autocannon ${connections} connections, ${duration} s per figure; Node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)} at start (the machine is shared: figures move with other work)\n`,
  );
  const label: Record<string, string> = { 'sqlite-1': 'one SQLite process', 'pg-1': 'one PostgreSQL process', 'pg-2': 'two PostgreSQL processes behind the proxy' };
  const figures: Record<string, Awaited<ReturnType<typeof httpFigures>>> = {};
  for (const t of targets) line(`${writes} client writes through sync — ${label[t.name]}`, `${(await syncWrites(t)).toFixed(0)} ms`);
  console.log('');
  for (const t of targets) {
    figures[t.name] = await httpFigures(t);
    const { get, create } = figures[t.name];
    line(`GET deal by id — ${label[t.name]}`, `${get.rps.toFixed(0)} req/s`, `p99 ${get.p99} ms${get.bad ? `, ${get.bad} failed` : ''}`);
    line(`create deal — ${label[t.name]}`, `${create.rps.toFixed(0)} req/s`, `p99 ${create.p99} ms${create.bad ? `, ${create.bad} failed` : ''}`);
  }
  const proxied = await httpFigures({ ...pg1.target, name: 'pg-1-proxied', url: pg1Proxied.url });
  console.log('');
  const cpu = (r: Rate) => `${r.kithCpu.toFixed(2)} ms Kith` + (r.pgCpu ? ` + ${r.pgCpu.toFixed(2)} ms PostgreSQL` : '');
  for (const t of targets) {
    line(`CPU per GET by id — ${label[t.name]}`, cpu(figures[t.name].get));
    line(`CPU per create — ${label[t.name]}`, cpu(figures[t.name].create));
  }
  line('GET deal by id — one PostgreSQL process behind the proxy', `${proxied.get.rps.toFixed(0)} req/s`, '(the proxy’s own cost, for reference)');
  line('create deal — one PostgreSQL process behind the proxy', `${proxied.create.rps.toFixed(0)} req/s`);
  console.log('');
  line('two PostgreSQL processes vs one SQLite: GET by id', `${(figures['pg-2'].get.rps / figures['sqlite-1'].get.rps).toFixed(2)}×`, 'aim ≥ 1.3×');
  line('one PostgreSQL process vs one SQLite: create', `${(figures['pg-1'].create.rps / figures['sqlite-1'].create.rps).toFixed(2)}×`, 'aim ≥ 0.5×');
  line('two PostgreSQL processes vs one SQLite: create', `${(figures['pg-2'].create.rps / figures['sqlite-1'].create.rps).toFixed(2)}×`);
  // Estimate from CPU: one Kith process uses one core (its JavaScript and SQLite calls run on one
  // thread), so where each process and PostgreSQL have cores of their own a process serves at most
  // 1000 / (its CPU ms per request) requests/s.
  const ceiling = (r: Rate) => 1000 / Math.max(r.kithCpu, 0.001);
  const sqliteGet = ceiling(figures['sqlite-1'].get);
  const pgGet = 2 * ceiling(figures['pg-2'].get);
  line('estimate, a core per process: GET by id, one SQLite process', `${sqliteGet.toFixed(0)} req/s`, 'from its CPU per request');
  line(
    'estimate, a core per process: GET by id, two PostgreSQL processes',
    `${pgGet.toFixed(0)} req/s`,
    `${(pgGet / sqliteGet).toFixed(2)}× (aim ≥ 1.3×); PostgreSQL then needs ${((pgGet * figures['pg-2'].get.pgCpu) / 1000).toFixed(2)} cores`,
  );

  const { fromSend, fromAck } = await notifyLatency(pg2.backends[0], pg2.backends[1], pg2.target.key, 30);
  console.log('');
  const spread = (v: number[]) => `median of ${v.length}; p90 ${pct(v, 0.9).toFixed(1)} ms, max ${Math.max(...v).toFixed(1)} ms`;
  line('NOTIFY to stream (write on one process, SSE on the other), from the ack', `${pct(fromAck, 0.5).toFixed(1)} ms`, spread(fromAck));
  line('the same from sending the write (the POST included)', `${pct(fromSend, 0.5).toFixed(1)} ms`, spread(fromSend));
  console.log(`\nload average ${os.loadavg()[0].toFixed(1)} at the end`);
} finally {
  killSpawned();
  for (const p of proxies) await p.close();
  cluster?.stop();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
}
