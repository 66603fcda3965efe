/**
 * `kith migrate-store` (SPEC §7, issue 17): a SQLite data dir seeded through a real server (REST:
 * organizations, people, deals with custom fields, activities, a stage move, a custom object and
 * its records, a saved view, a webhook with deliveries, an API key, a signed-in session, an archived
 * and a deleted record) is copied by the built CLI into an empty PostgreSQL database. Then: every
 * table dumps equal; a server on the PostgreSQL database, on the same address, accepts the old API
 * key and session; an RxDB client that synced against the SQLite server goes on from its
 * checkpoints (no pull from zero, no self-check repair); a new record gets a version above every
 * copied one (and audit and delivery rows their next `seq`); a second run into the now non-empty
 * database is refused and changes nothing; a failure part-way leaves the target empty; a data dir
 * whose migrations are not all applied is refused. integration-pg only (PG_ONLY_SUITES).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, test } from 'vitest';
import { startServer, type RunningServer } from '../../server/server.js';
import { openStore } from '../../server/store/store.js';
import { dropTestDatabase, testDatabaseUrl } from '../helpers/postgres.js';
import { apiCall, startTestServer, tempDataDir, type ApiResponse, type TestServer } from '../helpers/server.js';
import { dumpTables, type TableDump } from '../helpers/storeDump.js';
import { NetworkSwitch, openClient, waitFor, waitSameAsServer, waitSynced, type TestClient } from './sync-helpers.js';

const exec = promisify(execFile);
const PASSWORD = 'a long migration password';

async function migrate(from: string, to: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['dist/server/cli.js', 'migrate-store', '--from', from, '--to', to, '--json']);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function dumpOf(dataDir: string, databaseUrl?: string): Promise<TableDump> {
  const store = await openStore(dataDir, { databaseUrl });
  try {
    return await dumpTables(store.db);
  } finally {
    await store.close();
  }
}

const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
/** The checkpoints of the client's pulls (requests `from` … `to` of its log), per collection. */
function pullCheckpoints(net: NetworkSwitch, from: number, to = net.urls.length): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const u of net.urls.slice(from, to)) {
    const match = /^GET \/sync\/(\w+)\/pull\?(.*)$/.exec(u);
    if (!match) continue;
    out.set(match[1], [...(out.get(match[1]) ?? []), Number(new URLSearchParams(match[2]).get('checkpoint'))]);
  }
  return out;
}

function created(res: ApiResponse): any {
  assert.ok(res.status === 201 || res.status === 200, JSON.stringify(res.body));
  return res.body;
}

describe('kith migrate-store: a SQLite data dir into an empty PostgreSQL database', () => {
  const dirs: string[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });
  const dataDir = (prefix: string) => {
    const dir = tempDataDir(prefix);
    dirs.push(dir);
    cleanups.push(() => dropTestDatabase(dir));
    return dir;
  };

  test('copies every table; keys, sessions, versions and client checkpoints go on working on PostgreSQL', async () => {
    // a webhook receiver that accepts everything
    const received: string[] = [];
    const receiver = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push(String(req.headers['kith-event'] ?? req.url));
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => receiver.close(resolve)));
    process.env.KITH_WEBHOOK_ALLOW_PRIVATE = '1';
    cleanups.push(async () => delete process.env.KITH_WEBHOOK_ALLOW_PRIVATE);

    // ---- the embedded deployment: a server on a SQLite data dir
    const sqliteDir = dataDir('kith-migrate-sqlite-');
    let ownerKey = '';
    let setupToken = '';
    const source: RunningServer = await startServer({
      dataDir: sqliteDir,
      port: 0,
      host: '127.0.0.1',
      log: null,
      uiDir: null,
      webhooks: { pollMs: 50 },
      onFirstStart: (first) => {
        ownerKey = first.key;
        setupToken = first.setupToken;
      },
    });
    assert.equal(source.services.store.dialect, 'sqlite');
    const port = source.port;
    const api = (method: string, url: string, body?: unknown, key = ownerKey) => apiCall(source.url, key, method, url, body);

    const hook = created(await api('POST', '/crm/webhooks', { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, events: ['organization.*', 'deal.won'] }));
    created(await api('POST', '/crm/fields', { entity: 'deals', key: 'tier', label: 'Tier', type: 'select', options: [{ value: 'gold' }, { value: 'silver' }] }));
    created(await api('POST', '/crm/fields', { entity: 'deals', key: 'seats', label: 'Seats', type: 'number' }));
    created(await api('POST', '/crm/objects', { key: 'project', singular: 'Project', plural: 'Projects' }));
    created(await api('POST', '/crm/fields', { entity: 'project', key: 'status', label: 'Status', type: 'select', options: [{ value: 'active' }, { value: 'done' }] }));
    const orgs: string[] = [];
    for (let i = 0; i < 40; i++) orgs.push(created(await api('POST', '/crm/organizations', { name: `Org ${i}`, labels: i % 3 ? [] : ['vip'] })).id);
    const people: string[] = [];
    for (let i = 0; i < 60; i++) people.push(created(await api('POST', '/crm/people', { name: `Person ${i}`, email: `p${i}@migrate.test`, organizationId: orgs[i % 40] })).id);
    const deals: any[] = [];
    for (let i = 0; i < 50; i++) {
      deals.push(
        created(
          await api('POST', '/crm/deals', {
            title: `Deal ${i}`,
            organizationId: orgs[i % 40],
            primaryPersonId: people[i],
            amount: 1000 + i * 12.5,
            currency: 'USD',
            custom: { tier: i % 2 ? 'gold' : 'silver', seats: i },
          }),
        ),
      );
    }
    for (let i = 0; i < 40; i++) {
      created(
        await api('POST', '/crm/activities', {
          type: i % 4 ? 'call' : 'follow_up',
          subject: `Activity ${i}`,
          dealId: deals[i].id,
          occurredAt: new Date(Date.now() - i * 3_600_000).toISOString(),
          ...(i % 4 ? {} : { dueAt: new Date(Date.now() + i * 86_400_000).toISOString() }),
        }),
      );
    }
    const stages = (await api('GET', `/crm/pipelines/${deals[0].pipelineId}/stages`)).body.data as { id: string }[];
    assert.equal((await api('PATCH', `/crm/deals/${deals[0].id}`, { stageId: stages[2].id })).status, 200);
    assert.equal((await api('PATCH', `/crm/deals/${deals[1].id}`, { status: 'won' })).status, 200);
    for (let i = 0; i < 5; i++) created(await api('POST', '/crm/objects/project/records', { name: `Project ${i}`, custom: { status: i % 2 ? 'done' : 'active' } }));
    created(await api('POST', '/crm/views', { name: 'Gold deals', table: 'deals', filters: { status: 'open' }, shared: true }));
    assert.equal((await api('POST', `/crm/organizations/${orgs[1]}/archive`)).status, 200);
    assert.equal((await api('DELETE', `/crm/people/${people[59]}`)).status, 204);
    const apiKey = created(await api('POST', '/crm/keys', { name: 'Reporting script' })).key as string;
    // a signed-in person (the owner, through the first-start setup link)
    const browser = (base: string, method: string, url: string, body?: unknown, cookie?: string) => apiCall(base, null, method, url, body, { origin: base, ...(cookie ? { cookie } : {}) });
    assert.equal((await browser(source.url, 'POST', '/auth/setup', { token: setupToken, name: 'Olivia Owner', password: PASSWORD })).status, 200);
    const login = await browser(source.url, 'POST', '/auth/login', { email: 'owner@kith.local', password: PASSWORD });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const cookie = login.headers
      .getSetCookie()
      .find((c) => c.startsWith('kith_session='))!
      .split(';')[0];
    await waitFor(async () => received.filter((e) => e.startsWith('organization')).length >= 40, 'the webhook deliveries sent');

    // an RxDB client syncs everything from the SQLite server
    const net = new NetworkSwitch();
    const client: TestClient = await openClient(source.url, apiKey, 'migrate-store-client', { net, retryTime: 200 });
    cleanups.push(() => client.store.close());
    await waitSameAsServer(client.store, source.services);
    await waitSynced(client);

    // ---- the move: stop the server, copy, start a server on PostgreSQL on the same address
    await source.close();
    const sqliteFile = path.join(sqliteDir, 'kith.sqlite');
    const sourceHash = sha(sqliteFile);
    const pgDir = dataDir('kith-migrate-pg-');
    const url = await testDatabaseUrl(pgDir);
    const run = await migrate(sqliteDir, url);
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as { rows: number; changeSequence: number; tables: { table: string; rows: number }[] };
    assert.match(run.stderr, /organizations\s+40 \/ 40 rows/, 'progress names each table with rows copied / total');
    assert.match(run.stderr, /auditEntries\s+[\d,]+ \/ [\d,]+ rows/);
    assert.equal(sha(sqliteFile), sourceHash, 'the data dir is only read');

    const before = await dumpOf(sqliteDir);
    const after = await dumpOf(pgDir, url);
    assert.deepEqual(Object.keys(after), Object.keys(before), 'the same tables');
    for (const table of Object.keys(before)) assert.deepEqual(after[table], before[table], `table ${table} is the same on PostgreSQL`);
    for (const table of [
      'organizations',
      'people',
      'deals',
      'activities',
      'stageChanges',
      'fields',
      'objectTypes',
      'records',
      'views',
      'webhookEndpoints',
      'webhookDeliveries',
      'apiKeys',
      'sessions',
      'auditEntries',
    ]) {
      assert.ok(before[table].length > 0, `the seed filled ${table}`);
    }
    assert.equal(
      summary.rows,
      Object.values(before).reduce((n, rows) => n + rows.length, 0),
    );
    const maxVersion = Math.max(...['organizations', 'people', 'deals', 'activities', 'records', 'views'].flatMap((t) => before[t].map((r) => JSON.parse(r).version as number)));
    assert.equal(summary.changeSequence, maxVersion, "the change sequence is the source's");

    const target: TestServer = await startTestServer({ dataDir: pgDir, port, webhooks: { pollMs: 50 } });
    cleanups.push(() => target.stop({ keepData: true }));
    assert.equal(target.services.store.dialect, 'postgres');
    assert.equal(target.url, source.url);

    // keys and sessions made on SQLite work
    const listed = await apiCall(target.url, apiKey, 'GET', '/crm/deals?custom.tier=gold&limit=100');
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.equal(listed.body.data.length, 25, 'custom field filters work on the copied values');
    assert.equal((await apiCall(target.url, ownerKey, 'GET', '/crm/organizations?limit=1')).status, 200, 'the owner key too');
    const me = await browser(target.url, 'GET', '/auth/me', undefined, cookie);
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.user.email, 'owner@kith.local');

    // the client goes on incrementally: no pull from zero, nothing to repair
    const mark = net.urls.length;
    await waitSameAsServer(client.store, target.services, 60_000);
    const made = created(await apiCall(target.url, apiKey, 'POST', '/crm/organizations', { name: 'Made on PostgreSQL' }));
    assert.ok(made.version > summary.changeSequence, `a new record's version (${made.version}) is above every copied one (${summary.changeSequence})`);
    await waitFor(async () => (await client.store.db.collections.organizations.findOne(made.id).exec()) !== null, 'the new record in the client', 60_000);
    await waitSameAsServer(client.store, target.services, 60_000);
    await waitSynced(client, 60_000);
    const reached = pullCheckpoints(net, 0, mark);
    const afterMove = pullCheckpoints(net, mark);
    assert.ok(afterMove.get('organizations')?.length, 'the client pulled from the PostgreSQL server');
    for (const [collection, checkpoints] of afterMove) {
      const last = Math.max(...(reached.get(collection) ?? [0]));
      assert.ok(
        checkpoints.every((c) => c >= last),
        `${collection}: every pull after the move went on from the client's checkpoint ${last}, none from further back: ${checkpoints.join(', ')}`,
      );
    }
    // which collections pull after the move depends on timing (the stream's reconnect, the
    // self-check); whichever did, none of those holding data started from zero
    for (const collection of ['organizations', 'people', 'deals', 'activities', 'records', 'views']) {
      const checkpoints = afterMove.get(collection) ?? [];
      assert.ok(
        checkpoints.every((c) => c > 0),
        `${collection}: no pull from zero: ${checkpoints.join(', ')}`,
      );
    }
    assert.equal(client.status().healed, 0, 'the self-check found nothing to repair');

    // audit entries and webhook deliveries continue after the copied seq (identity columns reset)
    const audit = await apiCall(target.url, ownerKey, 'GET', `/crm/audit?entityId=${made.id}`);
    assert.equal(audit.status, 200, JSON.stringify(audit.body));
    assert.equal(audit.body.data.length, 1);
    await waitFor(async () => received.filter((e) => e.startsWith('organization')).length >= 41, 'the new webhook delivery sent', 30_000);
    const deliveries = await apiCall(target.url, ownerKey, 'GET', `/crm/webhooks/${hook.id}/deliveries?limit=100`);
    assert.equal(deliveries.status, 200);
    assert.ok(deliveries.body.data.length > 40);

    // ---- a second run into the now non-empty database is refused and changes nothing
    await target.stop({ keepData: true });
    const full = await dumpOf(pgDir, url);
    const again = await migrate(sqliteDir, url);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /the target database already holds data \(in .*organizations.*\): migrate-store copies into an empty database only.*nothing was written/);
    assert.deepEqual(await dumpOf(pgDir, url), full, 'the refused run changed nothing');

    // ---- a failure part-way (a value PostgreSQL refuses, in a table copied late) leaves the target empty
    const badDir = dataDir('kith-migrate-bad-');
    fs.copyFileSync(sqliteFile, path.join(badDir, 'kith.sqlite'));
    const bad = new BetterSqlite3(path.join(badDir, 'kith.sqlite'));
    bad.prepare(`update "views" set "name" = ?`).run('nul \u0000 inside');
    bad.close();
    const badUrl = await testDatabaseUrl(badDir);
    const failed = await migrate(badDir, badUrl);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /kith: migrate-store: copying views \(rows 1–1 of 1\) failed: .*; nothing was written/);
    const empty = await dumpOf(badDir, badUrl);
    for (const [table, rows] of Object.entries(empty)) {
      if (table === 'changeSequence')
        assert.deepEqual(
          rows.map((r) => JSON.parse(r).value),
          [0],
        );
      else assert.deepEqual(rows, [], `${table} is empty after the failed run`);
    }

    // ---- a data dir whose migrations are not all applied is refused before anything is written
    const oldDir = dataDir('kith-migrate-old-');
    fs.copyFileSync(sqliteFile, path.join(oldDir, 'kith.sqlite'));
    const old = new BetterSqlite3(path.join(oldDir, 'kith.sqlite'));
    old.prepare(`delete from kysely_migration where name = '0016_pg_custom_indexes'`).run();
    old.close();
    const behind = await migrate(oldDir, badUrl);
    assert.equal(behind.code, 1);
    assert.match(behind.stderr, /is not at this Kith's schema \(not applied: 0016_pg_custom_indexes\): start this version's server/);
  });
});
