/**
 * Durability of the server core: a restart on the same data dir loses nothing; a kill -9 in the
 * middle of a stream of writes leaves a consistent database holding every acknowledged write;
 * SIGTERM/SIGINT let the in-flight request finish, close the database and exit 0.
 *
 * The crash and signal tests spawn the built server (`node dist/server/main.js`): run
 * `npm run build:server` before running this file alone (`npm test` builds first).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { openStore } from '../../server/store/store.js';
import { COLLECTION_NAMES } from '../../shared/collections.js';
import { apiCall, startTestServer, tempDataDir } from '../helpers/server.js';
import { killSpawned, spawnServer } from '../helpers/spawn.js';

const dirs: string[] = [];

afterAll(() => {
  killSpawned();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = tempDataDir('kith-durability-');
  dirs.push(dir);
  return dir;
}

/** Opens the data dir the way the next start would and runs consistency checks. */
async function inspect(dir: string) {
  const store = await openStore(dir, { create: false });
  try {
    const raw = store.raw;
    const integrity = raw.pragma('integrity_check', { simple: true });
    const foreignKeys = raw.pragma('foreign_key_check') as unknown[];
    const sequence = (raw.prepare('select value from changeSequence').get() as { value: number }).value;
    let maxVersion = 0;
    for (const c of COLLECTION_NAMES) {
      const row = raw.prepare(`select max(version) as v, count(*) as n, count(distinct version) as d from "${c}"`).get() as { v: number | null; n: number; d: number };
      maxVersion = Math.max(maxVersion, row.v ?? 0);
      assert.equal(row.d, row.n, `${c}: every write has its own version`);
    }
    return { store, raw, integrity, foreignKeys, sequence, maxVersion };
  } catch (error) {
    await store.close();
    throw error;
  }
}

describe('restart', () => {
  test('stopping and starting on the same data dir loses nothing and keeps the sequence going', async () => {
    const dir = dataDir();
    const first = await startTestServer({ dataDir: dir });
    const key = first.key;
    const org = (await first.api('POST', '/crm/organizations', { name: 'Persistent Org', website: 'persist.example', labels: ['keep'] })).body;
    const person = (await first.api('POST', '/crm/people', { name: 'Pat Persistent', organizationId: org.id, email: 'pat@persist.example' })).body;
    const deal = (await first.api('POST', '/crm/deals', { title: 'Persistent deal', organizationId: org.id, primaryPersonId: person.id, amount: 1234.5678, currency: 'EUR' })).body;
    const stages = (await first.api('GET', `/crm/pipelines/${deal.pipelineId}/stages`)).body.data;
    await first.api('PATCH', `/crm/deals/${deal.id}`, { stageId: stages[2].id });
    await first.api('POST', `/crm/deals/${deal.id}/contacts`, { personId: person.id, role: 'champion' });
    await first.api('POST', '/crm/activities', { type: 'follow_up', subject: 'Remember me', dealId: deal.id, dueAt: '2031-01-01T00:00:00Z' });
    const archived = (await first.api('POST', '/crm/organizations', { name: 'Archived Org' })).body;
    await first.api('POST', `/crm/organizations/${archived.id}/archive`);
    const removed = (await first.api('POST', '/crm/organizations', { name: 'Removed Org' })).body;
    await first.api('DELETE', `/crm/organizations/${removed.id}`);
    const { accounts } = first.services;
    const viewer = await accounts.createUser({ email: 'viewer@restart.test', name: 'Viewer' });
    await accounts.setMembership((await accounts.findWorkspace('default'))!.id, viewer.id, 'VIEWER');
    const viewerKey = (await accounts.createApiKey({ userId: viewer.id })).key;
    const revoked = await accounts.createApiKey({ userId: viewer.id });
    await accounts.revokeApiKey(revoked.info.id);

    const paths = [
      '/crm/organizations?archived=all',
      '/crm/people',
      '/crm/deals',
      '/crm/activities',
      '/crm/pipelines',
      `/crm/pipelines/${deal.pipelineId}/stages`,
      `/crm/pipelines/${deal.pipelineId}/summary`,
      `/crm/deals/${deal.id}/context`,
      `/crm/deals/${deal.id}/stage-changes`,
      '/crm/labels',
      '/crm/audit?limit=500',
    ];
    const before = new Map<string, unknown>();
    for (const p of paths) before.set(p, (await first.api('GET', p)).body);
    const sequenceBefore = (first.services.store.raw.prepare('select value from changeSequence').get() as { value: number }).value;
    await first.stop({ keepData: true });

    const second = await startTestServer({ dataDir: dir });
    try {
      assert.equal(second.ownerKey, null, 'no second bootstrap');
      for (const p of paths) {
        const res = await apiCall(second.url, key, 'GET', p);
        assert.equal(res.status, 200, p);
        assert.deepEqual(res.body, before.get(p), `${p} is unchanged after the restart`);
      }
      assert.equal((await apiCall(second.url, viewerKey, 'GET', '/crm')).body.role, 'VIEWER');
      assert.equal((await apiCall(second.url, revoked.key, 'GET', '/crm')).status, 401);
      assert.equal((await apiCall(second.url, key, 'GET', `/crm/organizations/${removed.id}`)).status, 404);
      const next = await apiCall(second.url, key, 'POST', '/crm/organizations', { name: 'After restart' });
      assert.equal(next.status, 201);
      assert.equal(next.body.version, sequenceBefore + 1, 'the change sequence continues where it stopped');
    } finally {
      await second.stop({ keepData: true });
    }
  });
});

describe('crash (kill -9) mid-write', () => {
  test('the database is consistent and holds every acknowledged write', async () => {
    const dir = dataDir();
    const srv = await spawnServer(dir);
    assert.ok(srv.key, 'the owner key is printed on first start');
    const key = srv.key!;
    const stages = await (async () => {
      const pipelines = await apiCall(srv.url, key, 'GET', '/crm/pipelines');
      return (await apiCall(srv.url, key, 'GET', `/crm/pipelines/${pipelines.body.data[0].id}/stages`)).body.data.map((s: { id: string }) => s.id);
    })();

    // acknowledged writes: id → the version the server answered with
    const acked = new Map<string, { collection: string; version: number; stageId?: string; amount?: number }>();
    let stop = false;
    let failures = 0;
    const worker = async (n: number) => {
      let i = 0;
      while (!stop) {
        i += 1;
        try {
          if (i % 3 === 0 && acked.size > 0) {
            // move an acknowledged deal to another stage (update + stage change + audit in one transaction)
            const deals = [...acked].filter(([, a]) => a.collection === 'deals');
            const [id] = deals[(i * 7 + n) % deals.length];
            const stageId = stages[(i + n) % stages.length];
            const res = await apiCall(srv.url, key, 'PATCH', `/crm/deals/${id}`, { stageId, amount: i });
            if (res.status === 200) acked.set(id, { collection: 'deals', version: res.body.version, stageId: res.body.stageId, amount: res.body.amount });
          } else {
            const collection = i % 2 === 0 ? 'organizations' : 'deals';
            const body = collection === 'deals' ? { title: `crash deal ${n}-${i}`, amount: 0.1 * i, labels: ['crash'] } : { name: `crash org ${n}-${i}`, notes: 'x'.repeat(2000) };
            const res = await apiCall(srv.url, key, 'POST', `/crm/${collection}`, body);
            if (res.status === 201) acked.set(res.body.id, { collection, version: res.body.version, stageId: res.body.stageId, amount: res.body.amount });
          }
        } catch {
          failures += 1; // the connection died with the server
          return;
        }
      }
    };
    const workers = [0, 1, 2, 3].map(worker);
    // kill once a good number of writes went through, while the workers are still writing
    const deadline = Date.now() + 20_000;
    while (acked.size < 150 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    srv.child.kill('SIGKILL');
    const exit = await srv.exited;
    stop = true;
    await Promise.all(workers);
    assert.equal(exit.signal, 'SIGKILL');
    assert.ok(acked.size >= 150, `only ${acked.size} writes were acknowledged before the deadline`);
    assert.ok(failures > 0, 'writes were in flight when the server was killed');

    const { store, raw, integrity, foreignKeys, sequence, maxVersion } = await inspect(dir);
    try {
      assert.equal(integrity, 'ok');
      assert.deepEqual(foreignKeys, []);
      assert.ok(maxVersion <= sequence, `every record version (max ${maxVersion}) ≤ the change sequence (${sequence})`);

      for (const [id, a] of acked) {
        const row = raw.prepare(`select * from "${a.collection}" where id = ?`).get(id) as Record<string, unknown> | undefined;
        assert.ok(row, `acknowledged ${a.collection} ${id} survived`);
        assert.ok((row.version as number) >= a.version, `${id}: version ${row.version} ≥ acknowledged ${a.version}`);
        if (row.version === a.version && a.collection === 'deals') {
          assert.equal(row.stageId, a.stageId);
        }
      }
      // atomic transactions: every live record has its create audit entry, every audit entry its record,
      // every deal a stage change for the stage it is in
      for (const [collection, entityType] of [
        ['organizations', 'organization'],
        ['deals', 'deal'],
      ]) {
        const orphans = raw
          .prepare(`select count(*) as n from "${collection}" r where not exists (select 1 from auditEntries a where a.entityId = r.id and a.action = 'create' and a.entityType = ?)`)
          .get(entityType) as { n: number };
        assert.equal(orphans.n, 0, `${collection} without a create audit entry`);
        const ghosts = raw.prepare(`select count(*) as n from auditEntries a where a.entityType = ? and not exists (select 1 from "${collection}" r where r.id = a.entityId)`).get(entityType) as {
          n: number;
        };
        assert.equal(ghosts.n, 0, `audit entries for ${collection} that do not exist`);
      }
      const versionedAudit = raw
        .prepare(`select count(*) as n from auditEntries a join deals d on d.id = a.entityId where a.action = 'update' and json_extract(a.after, '$.version') > d.version`)
        .get() as { n: number };
      assert.equal(versionedAudit.n, 0, 'no audit entry describes a version the record never reached');
      const stageless = raw
        .prepare(`select count(*) as n from deals d where d.stageId is not (select c.toStageId from stageChanges c where c.dealId = d.id order by c.version desc limit 1)`)
        .get() as { n: number };
      assert.equal(stageless.n, 0, "every deal's latest stage change put it in the stage it is in");
      const auditActions = raw.prepare(`select count(*) as n from auditEntries where action = 'update' and entityType = 'deal'`).get() as { n: number };
      const moves = raw.prepare(`select count(*) as n from stageChanges where fromStageId is not null`).get() as { n: number };
      assert.ok(moves.n <= auditActions.n, 'each stage move came with an update audit entry');
    } finally {
      await store.close();
    }

    // and the server starts again on it and keeps working
    const again = await startTestServer({ dataDir: dir });
    try {
      const list = await apiCall(again.url, key, 'GET', '/crm/deals?label=crash&limit=500');
      assert.equal(list.status, 200);
      const created = await apiCall(again.url, key, 'POST', '/crm/organizations', { name: 'after crash' });
      assert.equal(created.status, 201);
      assert.ok(created.body.version > sequence);
    } finally {
      await again.stop({ keepData: true });
    }
  });
});

describe('graceful shutdown', () => {
  /** A POST whose body is sent in two halves, so it is in flight while we signal the server. */
  function slowPost(url: string, key: string, body: unknown): { sentHalf: Promise<void>; finish: () => void; response: Promise<{ status: number; body: any }> } {
    const text = JSON.stringify(body);
    const u = new URL('/crm/organizations', url);
    let resolveHalf!: () => void;
    const sentHalf = new Promise<void>((r) => (resolveHalf = r));
    const req = http.request({
      hostname: u.hostname,
      port: u.port,
      path: u.pathname,
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
    });
    const response = new Promise<{ status: number; body: any }>((resolve, reject) => {
      req.on('response', (res) => {
        let data = '';
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) }));
      });
      req.on('error', reject);
    });
    const half = Math.floor(text.length / 2);
    req.write(text.slice(0, half), () => resolveHalf());
    return { sentHalf, finish: () => req.end(text.slice(half)), response };
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} while a request is in flight: it completes, new connections are refused, the process exits 0`, async () => {
      const dir = dataDir();
      const srv = await spawnServer(dir);
      const key = srv.key!;
      assert.equal((await apiCall(srv.url, key, 'GET', '/crm')).status, 200);

      const inflight = slowPost(srv.url, key, { name: `Finished during ${signal}`, notes: 'n'.repeat(15_000) });
      await inflight.sentHalf;
      await new Promise((r) => setTimeout(r, 100)); // the server is now reading the body
      srv.child.kill(signal);
      // once the server says it is shutting down, it accepts no new connection
      const deadline = Date.now() + 10_000;
      while (!srv.output().includes(`${signal}: shutting down`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      let refused = false;
      while (!refused && Date.now() < deadline) {
        refused = await fetch(`${srv.url}/health`).then(
          () => false,
          () => true,
        );
        if (!refused) await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(refused, 'the listener is closed');
      assert.equal(srv.child.exitCode, null, 'still running while the request is unfinished');
      inflight.finish();
      const res = await inflight.response;
      assert.equal(res.status, 201);
      const exit = await srv.exited;
      assert.deepEqual(exit, { code: 0, signal: null });

      const out = srv.output();
      assert.match(out, new RegExp(`${signal}: shutting down`));
      // one log line per request: time, method, path, status, duration
      const lines = out.split('\n').filter((l) => /^\d{4}-\d{2}-\d{2}T\S+Z (GET|POST|PATCH|PUT|DELETE) \//.test(l));
      assert.equal(lines.length, 2, out);
      assert.match(lines[0], /GET \/crm 200 \d+\.\dms$/);
      assert.match(lines[1], /POST \/crm\/organizations 201 \d+\.\dms$/);
      // the database was closed cleanly: the last connection checkpoints the WAL into the main file
      const wal = path.join(dir, 'kith.sqlite-wal');
      assert.ok(!fs.existsSync(wal) || fs.statSync(wal).size === 0, 'the WAL was checkpointed on close');

      const { store, integrity } = await inspect(dir);
      try {
        assert.equal(integrity, 'ok');
        const row = store.raw.prepare('select name from organizations where id = ?').get(res.body.id) as { name: string } | undefined;
        assert.equal(row?.name, `Finished during ${signal}`);
      } finally {
        await store.close();
      }
    });
  }
});
