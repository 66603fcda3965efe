/**
 * The randomized fault test of sync ("soak"): several real clients create, edit, archive and
 * delete records while the server — its own process on a fixed data dir and port — is killed
 * with SIGKILL and started again, each client's network is cut at random points, its stream is
 * reconnected while pushes are in flight, and the test itself writes over REST. Everything random
 * comes from one seed (mulberry32; each actor draws from its own stream derived from the seed),
 * so a run is reproducible in its choices; op counts and durations are bounded.
 *
 * At the end everything is brought online and every client must be synced and hold exactly the
 * server's state, every acknowledged write must be on the server (or refused with a `rejected`
 * audit entry, or lost in a same-field `conflict` entry), the clients' rejected lists must match
 * the audit log, and no client's self-check may have needed to heal (`SyncStatus.healed`).
 *
 * Used by test/integration/sync-soak.test.ts (fixed seeds in the suite), scripts/soak.mjs
 * (`npm run test:soak -- --runs 50 | --seed N`) and test/e2e/sync-soak-dexie.test.ts (with a
 * Chromium/Dexie client).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { COLLECTION_NAMES, type CollectionName } from '../../shared/collections.js';
import { apiCall } from '../helpers/server.js';
import { diffSummary, type Dump } from './sync-helpers.js';
import { byId, deriveSeed, isBurst, isSharedOrg, Rng, sleep, type ClientReport, type ClientSnapshot, type ClientStatus, type Rec } from './sync-soak-ops.js';

export * from './sync-soak-ops.js';

// ------------------------------------------------------------------ clients as seen by a run

/** A client taking part in a run (a Node worker process, or a Chromium page). */
export interface SoakClient {
  readonly label: string;
  /** Opens the store and waits until it is synced; `retryTime`: the store's retry time (where the client can set it). */
  open(url: string, key: string, databaseName: string, options: { retryTime: number }): Promise<void>;
  run(params: { seed: number; index: number; ops: number }): Promise<ClientReport>;
  /** Network on, reconnect(), and wait until online with nothing pending; resolves with the status it ended with. */
  settle(timeout: number): Promise<ClientStatus>;
  reconnect(): Promise<void>;
  snapshot(): Promise<ClientSnapshot>;
  dispose(): Promise<void>;
}

/** A Node client (the real store on RxDB memory storage) in its own process: free RxDB opens at most 13 collections per process, a client has 8. */
export class WorkerClient implements SoakClient {
  private child: ChildProcess | null = null;
  private readonly ready: Promise<ChildProcess>;
  private nextId = 1;
  private readonly calls = new Map<number, { resolve(v: any): void; reject(e: Error): void }>();
  private exited = false;

  constructor(readonly label: string) {
    this.ready = bundled('test/integration/sync-soak-worker.ts', true).then((script) => {
      const child = fork(script, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, KITH_SOAK_LABEL: label } });
      child.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: string }) => {
        const call = this.calls.get(m.id);
        if (!call) return;
        this.calls.delete(m.id);
        if (m.ok) call.resolve(m.result);
        else call.reject(new Error(`${label}: ${m.error}`));
      });
      child.on('exit', (code, signal) => {
        this.exited = true;
        for (const call of this.calls.values()) call.reject(new Error(`${label}: worker exited (${code ?? signal})`));
        this.calls.clear();
      });
      this.child = child;
      return child;
    });
  }

  private async call<T>(type: string, args: Record<string, unknown> = {}): Promise<T> {
    const child = await this.ready;
    if (this.exited) throw new Error(`${this.label}: worker is gone`);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      child.send({ id, type, ...args });
    });
  }

  open(url: string, key: string, databaseName: string, options: { retryTime: number }) {
    return this.call<void>('open', { url, key, databaseName, retryTime: options.retryTime });
  }
  run(params: { seed: number; index: number; ops: number }) {
    return this.call<ClientReport>('run', params);
  }
  settle(timeout: number) {
    return this.call<ClientStatus>('settle', { timeout });
  }
  reconnect() {
    return this.call<void>('reconnect');
  }
  snapshot() {
    return this.call<ClientSnapshot>('snapshot');
  }
  async dispose(): Promise<void> {
    const child = await this.ready.catch(() => null);
    if (!child || this.exited) return;
    const gone = new Promise((r) => child.once('exit', r));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await this.call('close').catch(() => undefined);
    await gone;
    clearTimeout(timer);
  }
}

// ------------------------------------------------------------------ the server as a process

const bundles = new Map<string, Promise<string>>();

/**
 * A TypeScript entry bundled once per process into node_modules/.cache (so its imports resolve):
 * the worker with its dependencies (it loads in ~0.4 s instead of ~3 s through tsx, which matters
 * with 4 of them on 2 cores), the server launcher with its packages external (~0.6 s to listen).
 */
function bundled(entry: string, all: boolean): Promise<string> {
  let out = bundles.get(entry);
  if (!out) {
    out = (async () => {
      const dir = path.resolve('node_modules/.cache/kith-soak');
      fs.mkdirSync(dir, { recursive: true });
      const outfile = path.join(dir, `${path.basename(entry, '.ts')}-${process.pid}.mjs`);
      await build({
        entryPoints: [path.resolve(entry)],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        logLevel: 'error',
        ...(all
          ? { external: ['better-sqlite3'], banner: { js: "import { createRequire as __soakRequire } from 'node:module'; const require = __soakRequire(import.meta.url);" } }
          : { packages: 'external' as const }),
      });
      process.once('exit', () => fs.rmSync(outfile, { force: true }));
      return outfile;
    })();
    bundles.set(entry, out);
  }
  return out;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** The server in its own process on a fixed data dir and port: start, kill -9, start again. */
export class ServerProcess {
  key = '';
  url: string;
  starts = 0;
  kills = 0;
  /** Exits nobody asked for (a crash): listed as problems. */
  readonly crashes: string[] = [];
  private child: ChildProcess | null = null;
  private output = '';
  private killing = false;

  constructor(
    readonly dataDir: string,
    readonly port: number,
    private readonly uiDir: string | null = null,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Server output (stderr included) of every start so far, for failure reports. */
  log(): string {
    return this.output;
  }

  async start(): Promise<void> {
    const script = await bundled('test/integration/sync-soak-server.ts', false);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.startOnce(script);
        return;
      } catch (error) {
        // the fixed port can take a moment to be free again after a kill -9
        if (attempt >= 10 || !/EADDRINUSE/.test(String(error))) throw error;
        await sleep(200);
      }
    }
  }

  private startOnce(script: string): Promise<void> {
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, KITH_DATA_DIR: this.dataDir, KITH_PORT: String(this.port), KITH_HOST: '127.0.0.1', KITH_UI_DIR: this.uiDir ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.starts++;
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk;
      this.output += chunk;
      if (this.output.length > 200_000) this.output = this.output.slice(-100_000);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the server did not start within 60 s:\n${out}`));
      }, 60_000);
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(timer);
        reject(new Error(`the server exited before listening (${code ?? signal}):\n${out}`));
      };
      child.once('exit', onExit);
      const check = () => {
        const key = /owner key (kith_\S+)/.exec(out);
        if (key) this.key = key[1];
        if (/listening /.test(out)) {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          child.off('exit', onExit);
          child.once('exit', (code, signal) => {
            if (this.child === child) this.child = null;
            if (!this.killing) this.crashes.push(`the server exited by itself (${code ?? signal})`);
          });
          this.child = child;
          resolve();
        }
      };
      child.stdout!.on('data', check);
    });
  }

  /** kill -9, and wait until the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.killing = true;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
    this.child = null;
    this.killing = false;
    this.kills++;
  }

  /** A clean stop (SIGTERM), kill -9 if it takes longer than 5 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.killing = true;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
    this.child = null;
    this.killing = false;
  }
}

// ------------------------------------------------------------------ reading the server

export interface ServerState {
  /** Live documents (as a client stores them), like dumpClient's. */
  dump: Dump;
  /** Every document ever handed out, tombstones included, by collection and id. */
  all: Record<CollectionName, Map<string, Record<string, unknown>>>;
}

/** The server's full state through the public pull route (from checkpoint 0, tombstones included). */
export async function readServer(url: string, key: string): Promise<ServerState> {
  const dump = {} as Dump;
  const all = {} as ServerState['all'];
  for (const c of COLLECTION_NAMES) {
    all[c] = new Map();
    let checkpoint = 0;
    for (;;) {
      const res = await apiCall(url, key, 'GET', `/sync/${c}/pull?checkpoint=${checkpoint}&limit=5000`);
      if (res.status !== 200) throw new Error(`pull ${c} answered ${res.status}: ${JSON.stringify(res.body)}`);
      for (const d of res.body.documents as Record<string, unknown>[]) all[c].set(String(d.id), d);
      if (res.body.documents.length < 5000) break;
      checkpoint = res.body.checkpoint.sequence;
    }
    dump[c] = [...all[c].values()]
      .filter((d) => !d._deleted)
      .map((d) =>
        Object.fromEntries(
          Object.keys(d)
            .filter((k) => !k.startsWith('_'))
            .sort()
            .map((k) => [k, d[k]]),
        ),
      )
      .sort((x, y) => String(x.id).localeCompare(String(y.id)));
  }
  return { dump, all };
}

export interface AuditEntry {
  id: string;
  seq: number;
  entityType: string;
  entityId: string;
  action: string;
  after: Record<string, unknown> | null;
  detail: Record<string, any> | null;
  source?: string;
}

/** The whole audit log, oldest first. */
export async function readAudit(url: string, key: string, action?: string): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let cursor: string | null = null;
  for (;;) {
    const q = new URLSearchParams({ limit: '500' });
    if (action) q.set('action', action);
    if (cursor) q.set('cursor', cursor);
    const res = await apiCall(url, key, 'GET', `/crm/audit?${q}`);
    if (res.status !== 200) throw new Error(`audit answered ${res.status}: ${JSON.stringify(res.body)}`);
    out.push(...(res.body.data as AuditEntry[]));
    cursor = res.body.nextCursor;
    if (!cursor) break;
  }
  return out.reverse();
}

// ------------------------------------------------------------------ REST writes by the test itself

export interface RestReport {
  created: { collection: CollectionName; id: string }[];
  deleted: { collection: CollectionName; id: string }[];
  lastValues: Record<string, unknown>;
  acked: number;
  failed: number;
  /** Why writes failed (counts by reason). */
  failures: Record<string, number>;
}

/** Writes over REST at random times while the clients work; only 2xx answers count as acknowledged. */
function newRestReport(): RestReport {
  return { created: [], deleted: [], lastValues: {}, acked: 0, failed: 0, failures: {} };
}

/**
 * A burst of parallel REST creates (one collection per burst): right before a kill, its stream
 * events are in flight to every client (held by RxDB while a push runs, or queued behind a pull);
 * right after a restart, it lands while the clients' streams are still reconnecting (rows only a
 * `RESYNC` pull brings them).
 */
async function restBurst(server: ServerProcess, rng: Rng, report: RestReport, tag: string): Promise<void> {
  const n = rng.int(3, 12);
  const collection = rng.chance(0.5) ? 'organizations' : 'deals';
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      try {
        // written once, never edited again (see isBurst): a row a client missed stays missed
        const body = collection === 'organizations' ? { name: `B.${tag}.${i}` } : { title: `B.${tag}.${i}`, amount: 10 * i + 10 };
        const res = await apiCall(server.url, server.key, 'POST', `/crm/${collection}`, body);
        if (res.status !== 201) throw new Error(`POST ${collection} answered ${res.status}`);
        report.created.push({ collection, id: res.body.id });
        report.acked++;
      } catch (error) {
        report.failed++;
        const reason = error instanceof Error ? error.message : String(error);
        report.failures[reason] = (report.failures[reason] ?? 0) + 1;
      }
    }),
  );
}

async function restWriter(server: ServerProcess, rng: Rng, until: () => boolean, report: RestReport): Promise<RestReport> {
  const api = (method: string, p: string, body?: unknown) => apiCall(server.url, server.key, method, p, body);
  for (let n = 0; !until(); n++) {
    await sleep(rng.int(30, 300));
    while (!server.running && !until()) await sleep(20); // writes while the server is down are not the point here
    if (until()) break;
    const op = rng.weighted({ createOrg: 3, createDeal: 2, editOrg: 4, editDeal: 4, archive: 1, remove: 1 });
    try {
      if (op === 'createOrg' || op === 'createDeal') {
        const collection = op === 'createOrg' ? 'organizations' : 'deals';
        const res = await api('POST', `/crm/${collection}`, op === 'createOrg' ? { name: `R.${n}`, notes: `rest ${n}` } : { title: `DR.${n}`, amount: 10 * n + 10 });
        if (res.status !== 201) throw new Error(`POST ${collection} answered ${res.status}`);
        report.created.push({ collection, id: res.body.id });
      } else {
        const collection = op === 'editDeal' ? 'deals' : 'organizations';
        const list = (await api('GET', `/crm/${collection}?archived=all&limit=200`)).body?.data as Rec[] | undefined;
        const targets = (list ?? []).filter((r) => (collection === 'deals' ? !isBurst(r) : isSharedOrg(r))).sort(byId);
        if (targets.length === 0) continue;
        const rec = rng.pick(targets);
        if (op === 'editOrg' || op === 'editDeal') {
          const [field, value] = op === 'editDeal' && rng.chance(0.5) ? ['amount', 900_000 + n] : ['notes', `notes rest.${n}`];
          const res = await api('PATCH', `/crm/${collection}/${rec.id}`, { [field]: value });
          if (res.status !== 200) throw new Error(`PATCH answered ${res.status}`);
          report.lastValues[`${collection}|${rec.id}|${field}`] = value;
        } else if (op === 'archive') {
          const res = await api('POST', `/crm/${collection}/${rec.id}/${rec.archivedAt ? 'restore' : 'archive'}`);
          if (res.status !== 200) throw new Error(`archive answered ${res.status}`);
        } else {
          const res = await api('DELETE', `/crm/${collection}/${rec.id}`);
          if (res.status !== 200 && res.status !== 204) throw new Error(`DELETE answered ${res.status}`);
          report.deleted.push({ collection, id: rec.id });
          for (const k of Object.keys(report.lastValues)) if (k.startsWith(`${collection}|${rec.id}|`)) delete report.lastValues[k];
        }
      }
      report.acked++;
    } catch (error) {
      // the server was down or went down, or the record is gone: not acknowledged, nothing to check
      report.failed++;
      const reason = error instanceof Error ? error.message : String(error);
      report.failures[reason] = (report.failures[reason] ?? 0) + 1;
    }
  }
  return report;
}

// ------------------------------------------------------------------ checks

/** True when `value` is what `field` held after some write of the record, was lost in a conflict, or was refused. */
function inAudit(entries: AuditEntry[], field: string, value: unknown): boolean {
  const same = (v: unknown) => JSON.stringify(v ?? null) === JSON.stringify(value ?? null);
  return entries.some(
    (e) =>
      (e.after != null && field in e.after && same(e.after[field])) ||
      (e.action === 'conflict' && e.detail?.fields?.[field] && same(e.detail.fields[field].lost)) ||
      (e.action === 'rejected' && e.detail?.attempted && field in e.detail.attempted && same(e.detail.attempted[field])),
  );
}

export interface RunFacts {
  server: ServerState;
  audit: AuditEntry[];
  snapshots: ClientSnapshot[];
  reports: ClientReport[];
  rest: RestReport;
}

/** Everything the end state must satisfy; returns the problems found (empty: the run passed). */
export function verifyRun(f: RunFacts): string[] {
  const problems: string[] = [];
  const expected = JSON.stringify(f.server.dump);
  f.snapshots.forEach((s, i) => {
    const label = f.reports[i]?.label ?? `client ${i}`;
    if (JSON.stringify(s.dump) !== expected) problems.push(`[diverged] ${label} differs from the server: ${diffSummary(s.dump, f.server.dump)}`);
    if (s.status.state !== 'online' || s.status.pending !== 0) problems.push(`[unsynced] ${label} is not synced: ${JSON.stringify(s.status)}`);
    if (s.maxHealed > 0 || (s.status.healed ?? 0) > 0) problems.push(`[healed] ${label}: the self-check healed ${Math.max(s.maxHealed, s.status.healed ?? 0)} divergence(s) (the sync lost data)`);
  });

  const byEntity = new Map<string, AuditEntry[]>();
  for (const e of f.audit) {
    const list = byEntity.get(e.entityId) ?? [];
    list.push(e);
    byEntity.set(e.entityId, list);
  }
  /** The audit trail of one record, compact, for failure messages. */
  const history = (id: string, field?: string) =>
    (byEntity.get(id) ?? [])
      .map((e) => {
        const value = field && e.after && field in e.after ? `=${JSON.stringify(e.after[field])}` : '';
        const extra = e.action === 'conflict' ? ` ${JSON.stringify(e.detail?.fields)}` : e.action === 'rejected' ? ` (${e.detail?.reason})` : '';
        return `#${e.seq} ${e.action}${value}${extra} v${String(e.after?.version ?? e.detail?.attempted?.version ?? '')}`;
      })
      .join(', ');
  const rejectedIds = new Set(f.audit.filter((e) => e.action === 'rejected').map((e) => e.entityId));
  const deletedBySomeone = new Set([...f.reports.flatMap((r) => r.deleted), ...f.rest.deleted].map((d) => d.id));
  const deleteAudited = new Set(f.audit.filter((e) => e.action === 'delete').map((e) => e.entityId));

  // every acknowledged create is on the server (live, or deleted by someone), or was refused and audited
  for (const [who, list] of [...f.reports.map((r) => [r.label, r.created] as const), ['REST', f.rest.created] as const]) {
    for (const { collection, id } of list) {
      const doc = f.server.all[collection].get(id);
      if (!doc) {
        // made and deleted before it was ever pushed, or refused
        if (!rejectedIds.has(id) && !deletedBySomeone.has(id)) problems.push(`[lost-create] ${who} created ${collection} ${id}: not on the server and no rejected audit entry`);
      } else if (doc._deleted && !deletedBySomeone.has(id)) problems.push(`[tombstone] ${who} created ${collection} ${id}: deleted on the server, but nobody deleted it`);
    }
  }
  // tombstones only where someone deleted (pipelines' stages aside: nobody deletes pipelines here)
  for (const c of COLLECTION_NAMES) {
    for (const [id, doc] of f.server.all[c]) {
      if (doc._deleted && !deletedBySomeone.has(id)) problems.push(`[tombstone] ${c} ${id} is deleted on the server, but no client and no REST call deleted it`);
      if (doc._deleted && !deleteAudited.has(id)) problems.push(`[tombstone] ${c} ${id} is deleted on the server without a delete audit entry`);
    }
  }
  // every client delete took effect (or the record never reached the server)
  for (const r of f.reports) {
    for (const { collection, id } of r.deleted) {
      const doc = f.server.all[collection].get(id);
      if (doc && !doc._deleted) problems.push(`[lost-delete] ${r.label} deleted ${collection} ${id}, but it is live on the server`);
    }
  }
  // records only their client writes end exactly as that client left them, never refused
  for (const r of f.reports) {
    for (const [id, p] of Object.entries(r.privates)) {
      const doc = f.server.all[p.collection].get(id);
      // (a record its client deleted may have had an intermediate state refused: a person pushed
      // while its new organization, deleted before it was ever pushed, no longer exists — harmless,
      // both are gone as the client wanted)
      if (rejectedIds.has(id) && !p.deleted) {
        const reasons = (byEntity.get(id) ?? []).filter((e) => e.action === 'rejected').map((e) => e.detail?.reason);
        const ref = p.fields.organizationId
          ? ` — its organization ${String(p.fields.organizationId)}: [client: ${r.privates[String(p.fields.organizationId)]?.trail.join(', ')}] [audit: ${history(String(p.fields.organizationId))}]`
          : '';
        problems.push(`[refused-private] ${r.label}'s private ${p.collection} ${id} was refused: ${reasons.join('; ')} [client: ${p.trail.join(', ')}] [audit: ${history(id)}]${ref}`);
        continue;
      }
      if (p.deleted) continue;
      if (!doc || doc._deleted) {
        problems.push(`[lost-private] ${r.label}'s private ${p.collection} ${id} is ${doc ? 'deleted' : 'missing'} on the server`);
        continue;
      }
      for (const [field, value] of Object.entries(p.fields)) {
        const lostTo = (byEntity.get(id) ?? []).some((e) => e.action === 'conflict' && JSON.stringify(e.detail?.fields?.[field]?.lost) === JSON.stringify(value));
        if (JSON.stringify(doc[field] ?? null) !== JSON.stringify(value ?? null))
          problems.push(
            `[${lostTo ? 'self-conflict' : 'lost-write'}] ${r.label}'s private ${p.collection} ${id}: ${field} is ${JSON.stringify(doc[field])} on the server, the client last wrote ${JSON.stringify(value)} [client: ${p.trail.join(', ')}] [audit: ${history(id, field)}]`,
          );
      }
      if ((doc.archivedAt != null) !== p.archived)
        problems.push(
          `[lost-write] ${r.label}'s private ${p.collection} ${id}: archived ${doc.archivedAt != null} on the server, the client left it ${p.archived ? 'archived' : 'restored'} [client: ${p.trail.join(', ')}] [audit: ${history(id, 'archivedAt')}]`,
        );
    }
  }
  // the last value each writer gave a shared field was applied, lost in an audited conflict, or refused and audited
  for (const [who, values] of [...f.reports.map((r) => [r.label, r.lastValues] as const), ['REST', f.rest.lastValues] as const]) {
    for (const [k, value] of Object.entries(values)) {
      const [collection, id, field] = k.split('|');
      if (!inAudit(byEntity.get(id) ?? [], field, value))
        problems.push(
          `[lost-write] ${who}'s write ${collection} ${id} ${field}=${JSON.stringify(value)} is neither on the server's record history nor in a conflict or rejected audit entry (silently dropped) [audit: ${history(id, field)}]`,
        );
    }
  }
  // every conflict entry names the fields whose value was lost, and every refusal its reason
  for (const e of f.audit) {
    if (e.action === 'conflict') {
      const fields = Object.entries((e.detail?.fields ?? {}) as Record<string, { lost: unknown; kept: unknown }>);
      if (fields.length === 0 || fields.some(([, v]) => JSON.stringify(v.lost) === JSON.stringify(v.kept)))
        problems.push(`[audit] conflict entry #${e.seq} for ${e.entityType} ${e.entityId} loses nothing: ${JSON.stringify(e.detail)}`);
    }
    if (e.action === 'rejected' && !e.detail?.reason) problems.push(`[audit] rejected entry #${e.seq} for ${e.entityType} ${e.entityId} has no reason`);
  }
  // the rejected list every client shows is the audit log's (newest 200)
  const audited = f.audit
    .filter((e) => e.action === 'rejected')
    .map((e) => e.id)
    .reverse()
    .slice(0, 200);
  f.snapshots.forEach((s, i) => {
    const missing = audited.filter((id) => !s.rejected.includes(id));
    const extra = s.rejected.filter((id) => !audited.includes(id));
    if (missing.length || extra.length)
      problems.push(`[rejected-list] ${f.reports[i]?.label ?? i}: its rejected list misses ${missing.length} and has ${extra.length} entries not in the audit log's rejected entries`);
  });
  return problems;
}

// ------------------------------------------------------------------ one run

export interface SoakOptions {
  /** The clients of the run (opened here; disposed by the caller). */
  clients: SoakClient[];
  /** Static files the server serves (the browser harness). */
  uiDir?: string | null;
  /** Ops per client: a random count in this range. */
  ops?: [number, number];
  /** At most this many server kills. */
  maxKills?: number;
  log?: (line: string) => void;
}

export interface SoakResult {
  seed: number;
  ok: boolean;
  problems: string[];
  /** The kinds of problems found ("diverged", "healed", "lost-write", …). */
  kinds: string[];
  ms: number;
  stats: {
    kills: number;
    ops: number;
    cuts: number;
    reconnects: number;
    slowSpells: number;
    restAcked: number;
    restFailed: number;
    opFailures: number;
    conflicts: number;
    rejected: number;
    records: number;
  };
  /** Server output, only on failure. */
  serverLog?: string;
}

export function rerunHint(seed: number, browser = false): string {
  return `rerun: npm run test:soak -- --seed ${seed}${browser ? ' --browser' : ''}`;
}

/** One seeded run: a fresh data dir and server, the given clients, faults, then the checks. */
export async function runSoak(seed: number, options: SoakOptions): Promise<SoakResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const plan = new Rng(deriveSeed(seed, 'plan'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kith-soak-'));
  const server = new ServerProcess(dataDir, await freePort(), options.uiDir ?? null);
  const problems: string[] = [];
  const stats: SoakResult['stats'] = { kills: 0, ops: 0, cuts: 0, reconnects: 0, slowSpells: 0, restAcked: 0, restFailed: 0, opFailures: 0, conflicts: 0, rejected: 0, records: 0 };
  let failedLog: string | undefined;
  const timeline: string[] = [];
  let reportsForLog: ClientReport[] = [];
  try {
    await server.start();
    const api = (method: string, p: string, body?: unknown) => apiCall(server.url, server.key, method, p, body);
    // a few shared records to fight over from the start
    for (let i = 0; i < 3; i++) {
      await api('POST', '/crm/organizations', { name: `R.seed${i}`, notes: 'start' });
      await api('POST', '/crm/deals', { title: `DR.seed${i}`, amount: 100 * (i + 1) });
    }
    const [lo, hi] = options.ops ?? [40, 80];
    const opCounts = options.clients.map(() => plan.int(lo, hi));
    // the store's retry time: the app's default (3 s: a failed push waits that long, while the
    // stream reconnects after 0.5–10 s) or shorter ones
    const retryTimes = options.clients.map(() => plan.pick([300, 1000, 1000, 3000]));
    await Promise.all(options.clients.map((c, i) => c.open(server.url, server.key, `soak-${seed}-${i}-${Date.now()}`, { retryTime: retryTimes[i] })));
    log(`seed ${seed}: ${options.clients.length} clients open after ${Date.now() - started} ms, ops ${opCounts.join('/')}, retry times ${retryTimes.join('/')} ms`);

    // ---- the clients work; the server is killed and restarted; REST writes come in
    let opsDone = false;
    const opsStarted = Date.now();
    const restReport = newRestReport();
    const runs = Promise.all(options.clients.map((c, index) => c.run({ seed, index, ops: opCounts[index] }))).finally(() => (opsDone = true));
    const faults = (async () => {
      const rng = new Rng(deriveSeed(seed, 'server'));
      const maxKills = options.maxKills ?? 6;
      while (server.kills < maxKills) {
        const upFor = rng.int(200, 1500);
        const downFor = rng.int(50, 1200);
        const burstBefore = rng.chance(0.6);
        const killDelay = rng.int(0, 40);
        const burstAfter = rng.chance(0.6);
        const deadline = Date.now() + upFor;
        while (!opsDone && Date.now() < deadline) await sleep(20);
        if (opsDone) break;
        if (burstBefore) {
          await restBurst(server, rng, restReport, `k${server.kills}a`);
          await sleep(killDelay);
        }
        timeline.push(`+${Date.now() - opsStarted}ms kill (down ${downFor}ms${burstBefore ? ', after a burst' : ''})`);
        await server.kill();
        log(`seed ${seed}: server killed (down ${downFor} ms)`);
        await sleep(downFor);
        await server.start();
        timeline.push(`+${Date.now() - opsStarted}ms up${burstAfter ? ', burst' : ''}`);
        if (burstAfter) await restBurst(server, rng, restReport, `k${server.kills}b`);
      }
    })();
    const rest = restWriter(server, new Rng(deriveSeed(seed, 'rest')), () => opsDone, restReport);
    const reports = await runs;
    reportsForLog = reports;
    await faults;
    await rest;
    if (!server.running) await server.start();
    for (const r of reports)
      log(`seed ${seed}: ${r.label}: ${r.ops} ops in ${r.ms} ms, ${r.cuts} cuts, ${r.reconnects} reconnects, ${r.slowSpells} slow spells, ${r.failures.length} ops failed locally`);
    log(`seed ${seed}: REST ${restReport.acked} acked, failures ${JSON.stringify(restReport.failures)}`);
    log(`seed ${seed}: ops done after ${Date.now() - started} ms (${server.kills} kills)`);

    // ---- everything online: each client must get to online with nothing pending
    const settled = await Promise.allSettled(options.clients.map((c) => c.settle(60_000)));
    settled.forEach((s, i) => {
      if (s.status === 'rejected') problems.push(`[unsynced] ${options.clients[i].label} did not settle: ${String(s.reason?.message ?? s.reason)}`);
    });
    log(`seed ${seed}: clients settled after ${Date.now() - started} ms`);
    // ---- then hold exactly the server's state (a client still receiving the last writes gets a moment)
    let server_: ServerState | null = null;
    let snapshots: ClientSnapshot[] = [];
    let deadline = Date.now() + 15_000;
    let reconnected = false;
    for (;;) {
      server_ = await readServer(server.url, server.key);
      snapshots = await Promise.all(options.clients.map((c) => c.snapshot()));
      const expected = JSON.stringify(server_.dump);
      const audit = await readAudit(server.url, server.key, 'rejected');
      const rejectedIds = audit
        .map((e) => e.id)
        .reverse()
        .slice(0, 200);
      const same = snapshots.every((s) => JSON.stringify(s.dump) === expected && s.status.state === 'online' && s.status.pending === 0);
      const listsMatch = snapshots.every((s) => s.rejected.length === rejectedIds.length && rejectedIds.every((id) => s.rejected.includes(id)));
      if (!listsMatch && !reconnected && (same || Date.now() > deadline)) {
        // a client learns of others' refusals when its stream (re)connects: once more, now that nothing moves
        reconnected = true;
        deadline = Math.max(deadline, Date.now() + 5000);
        await Promise.all(options.clients.map((c) => c.reconnect()));
        await Promise.allSettled(options.clients.map((c) => c.settle(20_000)));
        continue;
      }
      if ((same && listsMatch) || Date.now() > deadline) break;
      await sleep(250);
    }
    log(`seed ${seed}: compared after ${Date.now() - started} ms`);
    const audit = await readAudit(server.url, server.key);
    problems.push(...server.crashes.map((c) => `[crash] ${c}`), ...verifyRun({ server: server_!, audit, snapshots, reports, rest: restReport }));

    stats.kills = server.kills;
    stats.ops = reports.reduce((n, r) => n + r.ops, 0);
    stats.cuts = reports.reduce((n, r) => n + r.cuts, 0);
    stats.reconnects = reports.reduce((n, r) => n + r.reconnects, 0);
    stats.slowSpells = reports.reduce((n, r) => n + r.slowSpells, 0);
    stats.opFailures = reports.reduce((n, r) => n + r.failures.length, 0);
    stats.restAcked = restReport.acked;
    stats.restFailed = restReport.failed;
    stats.conflicts = audit.filter((e) => e.action === 'conflict').length;
    stats.rejected = audit.filter((e) => e.action === 'rejected').length;
    stats.records = Object.values(server_!.dump).reduce((n, l) => n + l.length, 0);
  } catch (error) {
    problems.push(`[error] the run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    if (problems.length > 0) {
      failedLog = [`server: ${timeline.join(', ')}`, ...reportsForLog.map((r) => `${r.label}: ${r.events.join(', ')}`), server.log().slice(-6000)].join('\n');
    }
    await server.stop().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const kinds = [...new Set(problems.map((p) => /^\[([a-z-]+)\]/.exec(p)?.[1] ?? 'other'))];
  return { seed, ok: problems.length === 0, problems, kinds, ms: Date.now() - started, stats, serverLog: failedLog };
}

/** A run with `count` fresh Node worker clients (each in its own process). */
export async function runNodeSoak(seed: number, options: Omit<SoakOptions, 'clients'> & { count?: number } = {}): Promise<SoakResult> {
  const clients = Array.from({ length: options.count ?? 4 }, (_, i) => new WorkerClient(`node${i}`));
  try {
    return await runSoak(seed, { ...options, clients });
  } finally {
    await Promise.all(clients.map((c) => c.dispose()));
  }
}

export function formatResult(r: SoakResult, browser = false): string {
  const s = r.stats;
  const head = `seed ${r.seed}: ${r.ok ? 'PASS' : `FAIL [${r.kinds.join(', ')}]`} in ${(r.ms / 1000).toFixed(1)} s (${s.ops} ops, ${s.kills} kills, ${s.cuts} cuts, ${s.reconnects} reconnects, ${s.slowSpells} slow spells, REST ${s.restAcked} acked/${s.restFailed} failed, ${s.conflicts} conflicts, ${s.rejected} rejected, ${s.records} records)`;
  if (r.ok) return head;
  return [head, ...r.problems.slice(0, 30).map((p) => `  - ${p}`), r.problems.length > 30 ? `  … ${r.problems.length - 30} more` : '', `  ${rerunHint(r.seed, browser)}`].filter(Boolean).join('\n');
}
