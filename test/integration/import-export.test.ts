/**
 * Import, export, backup and restore over real HTTP (SPEC §3, issue 13): a CSV with wrong
 * columns, bad dates, an unknown stage, an unknown select option, a missing required field and
 * rows duplicated inside the file gets a per-row report and commits only what it should; `all`
 * with one error commits nothing; an upsert run twice changes nothing the second time; an export
 * imported into a fresh workspace reproduces the records; a backup restored elsewhere (REST and
 * the CLI) dumps the same apart from the workspace id.
 *
 * The CLI part runs `dist/server/cli.js`: run `npm run build:server` first.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { sql } from 'kysely';
import { collectionDigest } from '../../server/store/digest.js';
import { COLLECTION_NAMES } from '../../shared/collections.js';
import { apiCall, childOptions, openTestStore, startTestServer, tempDataDir, type TestServer } from '../helpers/server.js';

const exec = promisify(execFile);

async function waitCommitted(server: { api: TestServer['api'] }, id: string, headers: Record<string, string> = {}) {
  for (let i = 0; i < 600; i++) {
    const res = await server.api('GET', `/crm/imports/${id}`, undefined, { headers });
    if (res.body.state === 'committed' || res.body.state === 'failed') return res.body;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`import ${id} did not finish`);
}

const csvPost = (server: TestServer, query: string, csv: string, headers: Record<string, string> = {}) =>
  server.api('POST', `/crm/imports?${query}`, csv, { headers: { 'content-type': 'text/csv', ...headers } });

describe('import', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    await server.api('POST', '/crm/fields', { entity: 'deals', key: 'priority', label: 'Priority', type: 'select', options: [{ value: 'high', label: 'High' }, { value: 'low' }] });
    await server.api('POST', '/crm/organizations', { name: 'Acme', website: 'https://acme.example' });
  });
  afterAll(() => server.stop());

  const dealsCsv = [
    '\uFEFFTitle;Organization;Stage;Amount;Expected close date;Priority;Colour;Notes',
    '"Acme; renewal";Acme;Qualified;1200.50;2026-03-01;High;red;"line one',
    'line two"',
    'Bad date;Acme;Lead;10;2026-13-45;low;;',
    'Unknown stage;Beta Corp;Nope;5;;low;;',
    'Bad option;Acme;Lead;5;;urgent;;',
    ';Acme;Lead;5;;low;;',
    '"Acme; renewal";Acme;Qualified;1200.50;2026-03-01;High;red;"line one',
    'line two"',
    'Second good;Gamma Ltd;Lead;7;;;;',
  ].join('\r\n');

  test('a CSV with wrong columns is refused naming them; mapped, every row gets a precise report and only valid rows are committed', async () => {
    const refused = await csvPost(server, 'entity=deals', dealsCsv);
    assert.equal(refused.status, 422);
    assert.deepEqual(
      refused.body.errors.map((e: { path: string }) => e.path),
      ['columns.Colour'],
    );
    assert.match(refused.body.errors[0].message, /not a field of this entity; the fields are .*title/);

    const dealsBefore = (await server.api('GET', '/crm/deals?count=true')).body.total;
    const res = await csvPost(server, `entity=deals&mapping=${encodeURIComponent(JSON.stringify({ Colour: null }))}`, dealsCsv);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const session = res.body;
    assert.equal(session.state, 'validated');
    assert.equal(session.rows, 7);
    assert.deepEqual(session.counts, { create: 2, update: 0, skip: 0, error: 5 });
    assert.deepEqual(session.organizations.names.sort(), ['Beta Corp', 'Gamma Ltd'], 'unknown organizations are planned as creates, reported apart');
    assert.deepEqual(
      session.columns.map((c: { column: string; field: string | null }) => `${c.column}→${c.field}`),
      ['Title→title', 'Organization→organization', 'Stage→stage', 'Amount→amount', 'Expected close date→expectedCloseDate', 'Priority→custom.priority', 'Colour→null', 'Notes→notes'],
    );

    const rows = (await server.api('GET', `/crm/imports/${session.id}/rows?outcome=error`)).body.data;
    const report = Object.fromEntries(rows.map((r: { row: number; errors: { column: string; message: string }[] }) => [r.row, r.errors.map((e) => `${e.column}: ${e.message}`)]));
    assert.deepEqual(report[2], ['Expected close date: must be a calendar date YYYY-MM-DD']);
    assert.equal(report[3].length, 1);
    assert.match(report[3][0], /^Stage: no stage named 'Nope' in pipeline 'Sales'; its stages are Lead, /);
    assert.deepEqual(report[4], ['Priority: must be one of "high", "low"']);
    assert.deepEqual(report[5], ['Title: is required']);
    assert.deepEqual(report[6], ['(row): duplicates row 1']);
    const all = (await server.api('GET', `/crm/imports/${session.id}/rows?limit=2`)).body;
    assert.equal(all.data[0].outcome, 'create');
    assert.equal(all.data[0].record.title, 'Acme; renewal');
    assert.ok(all.nextCursor);

    // all: one error (five here) and nothing is written
    const refusedAll = await server.api('POST', `/crm/imports/${session.id}/commit`, { rows: 'all' });
    assert.equal(refusedAll.status, 409);
    assert.match(refusedAll.body.detail, /5 rows are in error \(rows 2, 3, 4, 5, 6\); nothing was written/);
    assert.equal((await server.api('GET', '/crm/deals?count=true')).body.total, dealsBefore);
    assert.equal((await server.api('GET', '/crm/organizations?q=Gamma')).body.data.length, 0);

    const commit = await server.api('POST', `/crm/imports/${session.id}/commit`, { rows: 'valid' });
    assert.equal(commit.status, 202);
    assert.equal(commit.body.state, 'committing');
    const done = await waitCommitted(server, session.id);
    assert.equal(done.state, 'committed');
    assert.deepEqual(done.progress, { done: 2, total: 2 });
    assert.equal((await server.api('POST', `/crm/imports/${session.id}/commit`, {})).status, 409, 'a committed import is not committed again');

    const deals = (await server.api('GET', '/crm/deals?q=renewal')).body.data;
    assert.equal(deals.length, 1, 'the duplicate row was not written');
    const [deal] = deals;
    assert.equal(deal.amount, 1200.5);
    assert.equal(deal.expectedCloseDate, '2026-03-01');
    assert.equal(deal.notes, 'line one\r\nline two', 'a quoted line break is kept as the file has it');
    assert.deepEqual(deal.custom, { priority: 'high' });
    const stage = (await server.api('GET', `/crm/stages/${deal.stageId}`)).body;
    assert.equal(stage.name, 'Qualified');
    const acme = (await server.api('GET', '/crm/organizations?q=Acme')).body.data[0];
    assert.equal(deal.organizationId, acme.id);
    const gamma = (await server.api('GET', '/crm/organizations?q=Gamma')).body.data;
    assert.equal(gamma.length, 1, 'the organization a valid row names was created');
    assert.equal((await server.api('GET', '/crm/organizations?q=Beta')).body.data.length, 0, 'the one only a row in error named was not');
    assert.equal((await server.api('GET', '/crm/deals?count=true')).body.total, dealsBefore + 2);

    // one audited operation: every entry carries the import id
    for (const id of [deal.id, gamma[0].id]) {
      const audit = (await server.api('GET', `/crm/audit?entityId=${id}`)).body.data;
      assert.equal(audit.length, 1);
      assert.equal(audit[0].action, 'create');
      assert.equal(audit[0].detail.operationId, session.id);
    }
  });

  test('rows: all commits everything when every row is valid; JSON rows validate the same way', async () => {
    const res = await server.api('POST', '/crm/imports', {
      entity: 'deal',
      rows: [
        { title: 'Json one', stage: 'Lead', amount: 5, priority: 'low' },
        { title: 'Json two', stage: 'won', amount: '7.25', expectedCloseDate: '2026-02-30' },
      ],
      mode: 'create',
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.counts, { create: 1, update: 0, skip: 0, error: 1 });
    const rows = (await server.api('GET', `/crm/imports/${res.body.id}/rows?outcome=error`)).body.data;
    assert.deepEqual(
      rows[0].errors.map((e: { column: string }) => e.column),
      ['stage', 'expectedCloseDate'],
    );
    assert.equal((await server.api('POST', `/crm/imports/${res.body.id}/commit`, { rows: 'all' })).status, 409);
    const ok = await server.api('POST', '/crm/imports', { entity: 'deals', rows: [{ title: 'Json three', stage: 'Lead' }] });
    assert.equal((await server.api('POST', `/crm/imports/${ok.body.id}/commit`, { rows: 'all' })).status, 202);
    assert.equal((await waitCommitted(server, ok.body.id)).state, 'committed');
    assert.equal((await server.api('GET', '/crm/deals?q=Json')).body.data.length, 1);
  });

  test('an upsert import run twice changes nothing the second time', async () => {
    await server.api('POST', '/crm/fields', { entity: 'people', key: 'tier', label: 'Tier', type: 'select', options: [{ value: 'gold' }, { value: 'silver' }] });
    const csv = ['name,email,labels,Tier,organization', 'Ann Upsert,ann@upsert.example,vip;beta,gold,Acme', 'Bob Upsert,BOB@upsert.example,,silver,', 'Cy Upsert,cy@upsert.example,x,,Acme'].join('\n');
    const first = await csvPost(server, 'entity=people&mode=upsert&match=email', csv);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(first.body.counts, { create: 3, update: 0, skip: 0, error: 0 });
    await server.api('POST', `/crm/imports/${first.body.id}/commit`, {});
    await waitCommitted(server, first.body.id);
    const people = (await server.api('GET', '/crm/people?q=upsert.example&sort=email')).body.data;
    assert.deepEqual(
      people.map((p: { email: string; labels: string[]; custom: unknown }) => [p.email, p.labels, p.custom]),
      [
        ['ann@upsert.example', ['vip', 'beta'], { tier: 'gold' }],
        ['bob@upsert.example', [], { tier: 'silver' }],
        ['cy@upsert.example', ['x'], {}],
      ],
    );
    const auditBefore = (await server.api('GET', '/crm/audit?limit=500')).body.data.length;

    const second = await csvPost(server, 'entity=people&mode=upsert&match=email', csv);
    assert.deepEqual(second.body.counts, { create: 0, update: 0, skip: 3, error: 0 });
    assert.equal((await server.api('POST', `/crm/imports/${second.body.id}/commit`, {})).status, 202);
    assert.equal((await waitCommitted(server, second.body.id)).state, 'committed');
    const after = (await server.api('GET', '/crm/people?q=upsert.example&sort=email')).body.data;
    assert.deepEqual(after, people, 'same records, same versions');
    assert.equal((await server.api('GET', '/crm/audit?limit=500')).body.data.length, auditBefore, 'no audit entry: nothing was written');

    // a changed cell is an update of that record only
    const third = await csvPost(server, 'entity=people&mode=upsert', csv.replace('silver', 'gold'));
    assert.deepEqual(third.body.counts, { create: 0, update: 1, skip: 2, error: 0 });
    // update mode: a row matching nothing is an error naming the match column
    const update = await csvPost(server, 'entity=people&mode=update', 'name,email\nNobody,nobody@upsert.example');
    const [row] = (await server.api('GET', `/crm/imports/${update.body.id}/rows`)).body.data;
    assert.deepEqual(row.errors, [{ column: 'email', message: 'no person with email nobody@upsert.example to update' }]);
  });
});

describe('export, backup and restore', () => {
  let server: TestServer;
  let other: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    other = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
    await other.stop();
  });

  async function seed(s: TestServer) {
    await s.api('POST', '/crm/fields', { entity: 'people', key: 'tier', label: 'Tier', type: 'select', options: [{ value: 'gold' }, { value: 'silver' }] });
    await s.api('POST', '/crm/fields', { entity: 'organizations', key: 'arr', label: 'ARR', type: 'money' });
  }

  test('export as CSV (format=csv and Accept: text/csv, same filters) and import into a fresh workspace reproduces the records', async () => {
    await seed(server);
    const orgs = [];
    for (let i = 0; i < 7; i++)
      orgs.push(
        (
          await server.api('POST', '/crm/organizations', {
            name: `Org "${i}", Inc`,
            website: `https://org${i}.example`,
            labels: ['a', `n${i}`],
            custom: { arr: { amount: 1000 + i, currency: 'EUR' } },
          })
        ).body,
      );
    for (let i = 0; i < 12; i++)
      await server.api('POST', '/crm/people', {
        name: `Person ${i}`,
        email: `p${i}@export.example`,
        organizationId: orgs[i % 7].id,
        notes: i === 3 ? 'multi\nline; with "quotes"' : null,
        labels: i % 2 ? ['odd'] : [],
        custom: i % 3 ? { tier: 'gold' } : {},
      });
    const csv = await fetch(`${server.url}/crm/people?format=csv&sort=email`, { headers: { authorization: `Bearer ${server.key}` } });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type')!, /^text\/csv/);
    const text = await csv.text();
    const header = text.split('\n')[0];
    assert.ok(header.startsWith('id,createdAt,updatedAt,version,archivedAt,'), header);
    assert.ok(header.trimEnd().endsWith(',custom.tier'), header);
    assert.equal(text.match(/@export\.example/g)!.length, 12);
    const filtered = await fetch(`${server.url}/crm/people?label=odd`, { headers: { authorization: `Bearer ${server.key}`, accept: 'text/csv' } });
    assert.equal((await filtered.text()).match(/@export\.example/g)!.length, 6, 'the same filters as the list');
    const orgCsv = await (await fetch(`${server.url}/crm/organizations?format=csv`, { headers: { authorization: `Bearer ${server.key}` } })).text();
    assert.match(orgCsv, /"Org ""3"", Inc"/);
    assert.match(orgCsv, /a;n3/);
    assert.match(orgCsv, /1003 EUR/);
    const bad = await server.api('GET', '/crm/people?format=xml');
    assert.equal(bad.status, 422);

    // into another server's fresh workspace: organizations first, then people (their organizationId refers to them)
    await seed(other);
    for (const [entity, file] of [
      ['organizations', orgCsv],
      ['people', text],
    ]) {
      const res = await csvPost(other, `entity=${entity}&match=id&mode=upsert`, file);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.counts.error, 0, JSON.stringify((await other.api('GET', `/crm/imports/${res.body.id}/rows?outcome=error`)).body));
      await other.api('POST', `/crm/imports/${res.body.id}/commit`, { rows: 'all' });
      assert.equal((await waitCommitted(other, res.body.id)).state, 'committed');
    }
    const strip = (list: Record<string, unknown>[]) => list.map(({ createdAt: _c, updatedAt: _u, version: _v, workspaceId: _w, ...rest }) => rest);
    for (const path of ['/crm/organizations?sort=name&limit=500', '/crm/people?sort=email&limit=500']) {
      const a = (await server.api('GET', path)).body.data;
      const b = (await other.api('GET', path)).body.data;
      assert.deepEqual(strip(b), strip(a), path);
    }
  });

  test('backup → restore (REST on another server, and the CLI into another data dir) gives an identical dump', async () => {
    const deal = (await server.api('POST', '/crm/deals', { title: 'Backup deal', amount: 10.25, labels: ['b'] })).body;
    await server.api('PATCH', `/crm/deals/${deal.id}`, { status: 'won' });
    await server.api('POST', '/crm/activities', { type: 'note', subject: 'hello', dealId: deal.id });
    await server.api('POST', '/crm/objects', { key: 'project', singular: 'Project', plural: 'Projects' });
    await server.api('POST', '/crm/objects/project/records', { name: 'Apollo' });
    const gone = (await server.api('POST', '/crm/organizations', { name: 'Gone' })).body;
    await server.api('DELETE', `/crm/organizations/${gone.id}`);
    // the workspace's webhooks and automations come along (an inactive endpoint: nothing is delivered meanwhile)
    const hook = await server.api('POST', '/crm/webhooks', { url: 'https://hooks.example.com/kith', events: ['deal.won'], active: false });
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    const automation = await server.api('POST', '/crm/automations', {
      name: 'Tag won deals',
      active: false,
      trigger: { event: 'deal.won' },
      conditions: [],
      steps: [{ type: 'add_label', label: 'closed' }],
    });
    assert.equal(automation.status, 201, JSON.stringify(automation.body));

    const backup = await fetch(`${server.url}/crm/workspace/backup`, { headers: { authorization: `Bearer ${server.key}` } });
    assert.equal(backup.status, 200);
    const document = await backup.json();
    assert.equal(document.format, 'kith-workspace-backup');
    assert.ok(
      document.tables.organizations.some((o: { id: string; deleted: number }) => o.id === gone.id && o.deleted === 1),
      'tombstones are kept',
    );

    // into the same data directory: the ids are taken
    const clash = await server.api('POST', '/crm/workspaces/restore?slug=copy', JSON.stringify(document));
    assert.equal(clash.status, 409);

    // into another server's data directory (a fresh one: the export test imported this one's ids into `other`)
    const fresh = await startTestServer();
    const restored = await fresh.api('POST', '/crm/workspaces/restore?slug=restored', JSON.stringify(document));
    assert.equal(restored.status, 200, JSON.stringify(restored.body));
    assert.equal(restored.body.restored.deals, 1);
    const again = await fetch(`${fresh.url}/crm/workspace/backup?workspace=restored`, { headers: { authorization: `Bearer ${fresh.key}` } });
    const copy = await again.json();
    const normalize = (doc: { tables: unknown; workspace: { id: string } }) => JSON.parse(JSON.stringify(doc.tables).replaceAll(doc.workspace.id, 'WS'));
    assert.notEqual(copy.workspace.id, document.workspace.id);
    assert.deepEqual(normalize(copy), normalize(document));
    // the restored workspace works: lists and sync digests match the original's
    assert.deepEqual(
      (await fresh.api('GET', '/crm/deals?workspace=restored')).body.data.map((d: { id: string; status: string }) => [d.id, d.status]),
      [[deal.id, 'won']],
    );
    assert.deepEqual(
      (await fresh.api('GET', '/crm/webhooks?workspace=restored')).body.data.map((w: { id: string; url: string; active: boolean }) => [w.id, w.url, w.active]),
      [[hook.body.id, 'https://hooks.example.com/kith', false]],
    );
    assert.deepEqual(
      (await fresh.api('GET', '/crm/automations?workspace=restored')).body.data.map((a: { id: string; name: string }) => [a.id, a.name]),
      [[automation.body.id, 'Tag won deals']],
    );
    for (const c of COLLECTION_NAMES) {
      const a = await collectionDigest(server.services.store.db, c, document.workspace.id, 0, null);
      const b = await collectionDigest(fresh.services.store.db, c, copy.workspace.id, 0, null);
      assert.deepEqual([b.count, b.hash], [a.count, a.hash], c);
    }
    await fresh.stop();

    // the CLI: kith backup <workspace> → kith restore <file> --workspace <slug> into a new data dir
    const file = path.join(server.dataDir, 'backup.json');
    await exec(process.execPath, ['dist/server/cli.js', '--data-dir', server.dataDir, 'backup', 'default', '--out', file], await childOptions(server.dataDir));
    const dir = tempDataDir('kith-restore-');
    try {
      const { stdout } = await exec(process.execPath, ['dist/server/cli.js', '--data-dir', dir, 'restore', file, '--workspace', 'from-cli', '--json'], await childOptions(dir));
      const cliRestored = JSON.parse(stdout);
      assert.equal(cliRestored.workspace.slug, 'from-cli');
      const { stdout: dumped } = await exec(process.execPath, ['dist/server/cli.js', '--data-dir', dir, 'backup', 'from-cli'], { ...(await childOptions(dir)), maxBuffer: 64 * 1024 * 1024 });
      const fromCli = JSON.parse(dumped);
      assert.deepEqual(normalize(fromCli), normalize(JSON.parse(fs.readFileSync(file, 'utf8'))));
      const store = await openTestStore(dir, { create: false });
      try {
        const sequence = (await sql<{ value: number }>`select "value" from "changeSequence"`.execute(store.db)).rows[0].value;
        const maxVersion = (await sql<{ v: number }>`select max("version") as "v" from "deals"`.execute(store.db)).rows[0].v;
        assert.ok(sequence >= maxVersion, 'the change sequence is ahead of every restored version');
      } finally {
        await store.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    void apiCall;
  });
});
