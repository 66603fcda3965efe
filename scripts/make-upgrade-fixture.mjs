#!/usr/bin/env node
// Makes an upgrade fixture (docs/sync.md, "Upgrades"): the state a user of an earlier release
// leaves behind — the server's data directory and a Chromium profile's IndexedDB + Local Storage
// with a completed first load and unsent offline edits — for test/e2e/upgrade.test.ts.
//
//   node scripts/make-upgrade-fixture.mjs [<commit>]        (default: a6c515f)
//
// It checks the release out in a temporary git worktree (removed afterwards), links this
// checkout's node_modules into it, builds it with its own `npm run build`, starts ITS server on
// 127.0.0.1:47391 (IndexedDB is per origin, so the test serves the same origin), seeds records over
// its REST API, signs in through its web UI in headless Chromium (persistent profile), waits for
// the first load and the sync to finish, makes a few server writes the client receives live (so
// the profile holds replication checkpoints beyond the first load), goes offline, makes edits in
// the UI, checks they show as unsent, closes the browser while offline and stops the server
// (the owner key is the one it prints on first start). It writes
// test/fixtures/upgrade/<commit>/fixture.tar.gz (data/ + profile/) and manifest.json.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const release = process.argv[2] ?? 'a6c515f';
const PORT = Number(process.env.KITH_FIXTURE_PORT ?? 47391);
const ORIGIN = `http://127.0.0.1:${PORT}`;
const CHROMIUM_PATH = process.env.KITH_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const COLLECTIONS = ['organizations', 'people', 'deals', 'dealContacts', 'activities', 'pipelines', 'stages', 'stageChanges'];

const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
const commit = git('rev-parse', '--verify', `${release}^{commit}`);
const short = git('rev-parse', '--short=7', commit);
const outDir = path.join(root, 'test/fixtures/upgrade', short);
const work = fs.mkdtempSync(path.join(os.tmpdir(), `kith-upgrade-${short}-`));
const tree = path.join(work, 'release');
const dataDir = path.join(work, 'data');
const profileDir = path.join(work, 'profile');
const log = (line) => process.stdout.write(`[fixture] ${line}\n`);

let server = null;
let context = null;
try {
  await portIsFree(PORT);

  // ---- the release, built with its own scripts
  log(`release ${short} → ${tree}`);
  git('worktree', 'add', '--detach', tree, commit);
  const theirs = JSON.parse(fs.readFileSync(path.join(tree, 'package.json'), 'utf8'));
  const ours = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const differ = Object.entries(theirs.dependencies ?? {}).filter(([name, version]) => ours.dependencies?.[name] !== version);
  if (differ.length > 0)
    throw new Error(`the release's runtime dependencies differ from this checkout's node_modules: ${differ.map(([n, v]) => `${n}@${v}`).join(', ')} — install them in the worktree instead of linking`);
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(tree, 'node_modules'), 'dir');
  execFileSync('npm', ['run', 'build'], { cwd: tree, stdio: ['ignore', 'ignore', 'inherit'] });

  // ---- its server, on a fresh data directory
  server = await startReleaseServer();
  const key = server.key;
  log(`server ${ORIGIN}, owner key ${key.slice(0, 9)}…`);
  const api = makeApi(key);
  const seeded = await seed(api);

  // ---- its web UI: sign in, first load, synced
  fs.mkdirSync(profileDir);
  context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true, viewport: { width: 1400, height: 900 } });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => console.error(`[browser pageerror] ${error.message}`));
  await page.goto(ORIGIN + '/');
  await page.getByTestId('signin-key').fill(key);
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('app-shell').waitFor({ timeout: 30_000 });
  await waitForIndicator(page, (state, pending) => state === 'online' && pending === 0, 'online, 0 unsent');
  await sameAsServer(page, api, 'after the first load');
  log('first load done');

  // ---- server changes the running client receives through its replication (not the first load),
  // so the fixture holds replication checkpoints and meta rows beyond the first load's
  const later = await changeAfterFirstLoad(api, seeded);
  await sameAsServer(page, api, 'after the live changes');
  await waitForIndicator(page, (state, pending) => state === 'online' && pending === 0, 'online, 0 unsent');
  const serverCounts = await countOnServer(api);
  log(`live changes received: ${COLLECTIONS.map((c) => `${c} ${serverCounts[c].stored}`).join(', ')}`);

  // ---- offline edits through the UI
  await context.setOffline(true);
  await waitForIndicator(page, (state) => state === 'offline', 'offline');
  const edits = [];

  await navigate(page, `/deals/${seeded.dealToRename}`);
  await page.getByTestId('deal-detail').waitFor();
  const newTitle = 'Enterprise rollout (renamed offline)';
  await page.getByTestId('field-title').fill(newTitle);
  await page.getByTestId('deal-save').click();
  await page.getByTestId('deal-title-heading').getByText(newTitle).waitFor();
  edits.push({ collection: 'deals', id: seeded.dealToRename, kind: 'update', fields: { title: newTitle } });

  const noteSubject = 'Offline note: call back about the rollout';
  await page.getByTestId('composer-type-note').click();
  await page.getByTestId('composer-subject').fill(noteSubject);
  await page.getByTestId('composer-submit').click();
  const noteId = await eventually(() => page.evaluate(findLocal, { collection: 'activities', field: 'subject', value: noteSubject }), 'the offline note in IndexedDB');
  edits.push({ collection: 'activities', id: noteId, kind: 'create', fields: { type: 'note', subject: noteSubject, dealId: seeded.dealToRename } });

  await navigate(page, `/people/${seeded.personToEdit}`);
  await page.getByTestId('person-detail').waitFor();
  const newJobTitle = 'Head of Procurement (edited offline)';
  await page.getByTestId('person-field-title').fill(newJobTitle);
  await page.getByTestId('person-form-submit').click();
  edits.push({ collection: 'people', id: seeded.personToEdit, kind: 'update', fields: { title: newJobTitle } });

  const orgName = 'Offline Ventures';
  await page.keyboard.press('Control+k');
  await page.getByTestId('palette-input').fill(orgName);
  await page.getByText(`New organization “${orgName}”`).click();
  await page.getByTestId('create-submit').click();
  await page.waitForURL(/\/organizations\/[0-9a-f-]{36}$/);
  const orgId = page.url().split('/').pop();
  edits.push({ collection: 'organizations', id: orgId, kind: 'create', fields: { name: orgName } });

  await waitForIndicator(page, (state, pending) => state === 'offline' && pending === edits.length, `${edits.length} unsent`);
  const pendingText = (await page.getByTestId('pending-count').textContent())?.trim() ?? '';
  // the pending set is saved 100 ms after a change; give IndexedDB time to commit everything
  await page.waitForTimeout(1500);
  const clientCounts = await page.evaluate(readLocalCollections, COLLECTIONS);
  for (const edit of edits) {
    const res = await api('GET', `/crm/${edit.collection}/${edit.id}`);
    if (edit.kind === 'create' ? res.status !== 404 : res.body?.[Object.keys(edit.fields)[0]] === Object.values(edit.fields)[0])
      throw new Error(`an offline edit reached the server: ${JSON.stringify(edit)}`);
  }
  log(`offline: ${pendingText} (${edits.map((e) => `${e.kind} ${e.collection}`).join(', ')})`);
  const localStorageKeys = await page.evaluate(() => Object.keys(window.localStorage).sort());
  await context.close();
  context = null;

  // ---- stop the server; the data directory is complete once SQLite's WAL is checkpointed
  await server.stop();
  server = null;
  const db = new Database(path.join(dataDir, 'kith.sqlite'));
  db.pragma('wal_checkpoint(TRUNCATE)');
  const migrations = db
    .prepare('SELECT name FROM kysely_migration ORDER BY name')
    .all()
    .map((r) => r.name);
  db.close();
  for (const f of ['kith.sqlite-wal', 'kith.sqlite-shm']) fs.rmSync(path.join(dataDir, f), { force: true });

  // ---- the fixture: data/ + the profile's IndexedDB and Local Storage, and a manifest
  const stage = path.join(work, 'fixture');
  fs.mkdirSync(path.join(stage, 'profile/Default'), { recursive: true });
  fs.cpSync(dataDir, path.join(stage, 'data'), { recursive: true });
  for (const sub of ['IndexedDB', 'Local Storage']) {
    const from = path.join(profileDir, 'Default', sub);
    if (!fs.existsSync(from)) throw new Error(`the profile has no Default/${sub}`);
    fs.cpSync(from, path.join(stage, 'profile/Default', sub), { recursive: true, filter: (f) => path.basename(f) !== 'LOCK' });
  }
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  execFileSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-cf', path.join(work, 'fixture.tar'), '-C', stage, 'data', 'profile']);
  execFileSync('gzip', ['-n', '-9', path.join(work, 'fixture.tar')]);
  fs.copyFileSync(path.join(work, 'fixture.tar.gz'), path.join(outDir, 'fixture.tar.gz'));
  const manifest = {
    about: 'Made by scripts/make-upgrade-fixture.mjs from the release named here; read by test/e2e/upgrade.test.ts (docs/sync.md, "Upgrades").',
    release: { commit, short, subject: git('log', '-1', '--format=%s', commit) },
    made: { at: new Date().toISOString(), chromium: chromiumVersion(), node: process.version },
    origin: ORIGIN,
    port: PORT,
    key,
    workspaceId: seeded.workspaceId,
    files: { archive: 'fixture.tar.gz', dataDir: 'data', profileDir: 'profile', sqlite: 'data/kith.sqlite' },
    server: { migrations, counts: serverCounts },
    client: { databaseName: clientCounts.databaseName, schemaVersions: clientCounts.schemaVersions, counts: clientCounts.collections, localStorageKeys, pending: edits.length, pendingText },
    seeded,
    changedAfterFirstLoad: later,
    unsentEdits: edits,
  };
  fs.writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  log(`wrote ${path.relative(root, outDir)}: fixture.tar.gz ${(fs.statSync(path.join(outDir, 'fixture.tar.gz')).size / 1024).toFixed(0)} KiB, manifest.json`);
} finally {
  await context?.close().catch(() => undefined);
  await server?.stop().catch(() => undefined);
  try {
    git('worktree', 'remove', '--force', tree);
  } catch {
    // never added
  }
  fs.rmSync(work, { recursive: true, force: true });
}

// ---------------------------------------------------------------- helpers

function chromiumVersion() {
  try {
    return execFileSync(CHROMIUM_PATH, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function portIsFree(port) {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', () => reject(new Error(`port ${port} is in use; the fixture's origin must be ${ORIGIN} (KITH_FIXTURE_PORT to change it)`)));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

/** `node dist/server/main.js` of the release; resolves with the owner key it prints on first start. */
function startReleaseServer() {
  const child = spawn(process.execPath, ['dist/server/main.js'], {
    cwd: tree,
    env: { ...process.env, KITH_DATA_DIR: dataDir, KITH_PORT: String(PORT), KITH_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the release's server did not start:\n${out}`)), 30_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const key = /\b(kith_[A-Za-z0-9]{32})\b/.exec(out)?.[1];
      if (key && /Kith listening on/.test(out)) {
        clearTimeout(timer);
        resolve({
          key,
          async stop() {
            child.kill('SIGTERM');
            const { code, signal } = await exited;
            if (code !== 0) throw new Error(`the release's server exited with ${code ?? signal}`);
          },
        });
      }
    });
    exited.then(({ code, signal }) => reject(new Error(`the release's server exited (${code ?? signal}):\n${out}`)));
  });
}

function makeApi(key) {
  return async (method, urlPath, body) => {
    const res = await fetch(ORIGIN + urlPath, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}

async function must(api, method, urlPath, body) {
  const res = await api(method, urlPath, body);
  if (res.status >= 300) throw new Error(`${method} ${urlPath} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A small workspace touching every collection: archived and deleted records, stage moves, won/lost deals, a second pipeline. */
async function seed(api) {
  const info = await must(api, 'GET', '/crm');
  const sales = (await must(api, 'GET', '/crm/pipelines')).data.find((p) => p.isDefault);
  const stages = Object.fromEntries((await must(api, 'GET', `/crm/pipelines/${sales.id}/stages`)).data.map((s) => [s.name, s.id]));
  const partners = await must(api, 'POST', '/crm/pipelines', { name: 'Partners', stages: [{ name: 'Intro', probability: 0.1 }, { name: 'Pilot', probability: 0.5 }, { name: 'Signed' }] });

  const orgs = [];
  for (const [i, name] of ['Acme Rockets', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark Industries', 'Wayne Enterprises', 'Tyrell', 'Cyberdyne', 'Soylent'].entries()) {
    orgs.push(await must(api, 'POST', '/crm/organizations', { name, website: `https://www.${name.toLowerCase().replace(/\s+/g, '-')}.example`, labels: i % 3 === 0 ? ['key-account'] : [] }));
  }
  const people = [];
  const names = [
    'Ada Lovelace',
    'Grace Hopper',
    'Alan Turing',
    'Edsger Dijkstra',
    'Barbara Liskov',
    'Donald Knuth',
    'Margaret Hamilton',
    'Ken Thompson',
    'Dennis Ritchie',
    'Frances Allen',
    'John McCarthy',
    'Radia Perlman',
    'Leslie Lamport',
    'Hedy Lamarr',
    'Claude Shannon',
  ];
  for (const [i, name] of names.entries()) {
    const org = orgs[i % orgs.length];
    people.push(await must(api, 'POST', '/crm/people', { name, email: `${name.split(' ')[0].toLowerCase()}@${org.domain}`, title: i % 2 ? 'Engineer' : 'Buyer', organizationId: org.id }));
  }
  const deals = [];
  const titles = ['Enterprise rollout', 'Pilot project', 'Support renewal', 'Data migration', 'Training package', 'Hardware refresh', 'Cloud upgrade', 'Security audit'];
  for (const [i, title] of titles.entries()) {
    deals.push(await must(api, 'POST', '/crm/deals', { title, organizationId: orgs[i].id, primaryPersonId: people[i].id, amount: 5000 + i * 2500, expectedCloseDate: `2027-0${(i % 9) + 1}-15` }));
  }
  // stage moves (each records a stage change), a won and a lost deal
  await must(api, 'PATCH', `/crm/deals/${deals[0].id}`, { stageId: stages.Qualified });
  await must(api, 'PATCH', `/crm/deals/${deals[0].id}`, { stageId: stages.Proposal });
  await must(api, 'PATCH', `/crm/deals/${deals[1].id}`, { stageId: stages.Negotiation });
  await must(api, 'PATCH', `/crm/deals/${deals[2].id}`, { stageId: stages.Qualified });
  await must(api, 'PATCH', `/crm/deals/${deals[3].id}`, { status: 'won' });
  await must(api, 'PATCH', `/crm/deals/${deals[4].id}`, { status: 'lost', lostReason: 'Went with a competitor' });
  const partnerDeal = await must(api, 'POST', '/crm/deals', { title: 'Reseller agreement', pipelineId: partners.id, organizationId: orgs[5].id, amount: 12000, currency: 'EUR' });
  const partnerStages = (await must(api, 'GET', `/crm/pipelines/${partners.id}/stages`)).data;
  await must(api, 'PATCH', `/crm/deals/${partnerDeal.id}`, { stageId: partnerStages[1].id });
  // deal contacts, one of them removed again (a tombstone)
  await must(api, 'POST', `/crm/deals/${deals[0].id}/contacts`, { personId: people[0].id, role: 'champion' });
  await must(api, 'POST', `/crm/deals/${deals[0].id}/contacts`, { personId: people[10].id, role: 'decision-maker' });
  await must(api, 'POST', `/crm/deals/${deals[1].id}/contacts`, { personId: people[1].id, role: 'end-user' });
  await must(api, 'DELETE', `/crm/deals/${deals[1].id}/contacts/${people[1].id}`);
  // activities: notes, calls, a meeting, follow-ups (one completed), one deleted
  const activities = [];
  for (let i = 0; i < 12; i++) {
    const type = ['note', 'call', 'email', 'meeting'][i % 4];
    activities.push(
      await must(api, 'POST', '/crm/activities', {
        type,
        subject: `${type} #${i + 1}`,
        body: i % 2 ? 'Details of the conversation.' : null,
        dealId: deals[i % deals.length].id,
        personId: people[i].id,
      }),
    );
  }
  const due = new Date(Date.now() + 3 * 86_400_000).toISOString();
  activities.push(await must(api, 'POST', '/crm/activities', { type: 'follow_up', subject: 'Send the proposal', dueAt: due, dealId: deals[0].id }));
  const done = await must(api, 'POST', '/crm/activities', { type: 'follow_up', subject: 'Book the demo', dueAt: due, personId: people[2].id });
  await must(api, 'PATCH', `/crm/activities/${done.id}`, { completed: true });
  await must(api, 'DELETE', `/crm/activities/${activities[11].id}`);
  // an edited and an archived organization
  await must(api, 'PATCH', `/crm/organizations/${orgs[1].id}`, { notes: 'Prefers email.' });
  await must(api, 'POST', `/crm/organizations/${orgs[9].id}/archive`);

  return {
    workspaceId: info.workspace.id,
    pipelines: { sales: sales.id, partners: partners.id },
    organizations: orgs.map((o) => o.id),
    people: people.map((p) => p.id),
    deals: [...deals.map((d) => d.id), partnerDeal.id],
    archivedOrganization: orgs[9].id,
    deletedActivity: activities[11].id,
    dealToRename: deals[0].id,
    personToEdit: people[3].id,
  };
}

/** Writes made on the server while the client is online (after its first load). */
async function changeAfterFirstLoad(api, seeded) {
  await must(api, 'PATCH', `/crm/deals/${seeded.deals[5]}`, { amount: 31000, notes: 'Budget approved.' });
  await must(api, 'PATCH', `/crm/deals/${seeded.deals[6]}`, { stageId: (await must(api, 'GET', `/crm/pipelines/${seeded.pipelines.sales}/stages`)).data[1].id });
  const person = await must(api, 'POST', '/crm/people', { name: 'Katherine Johnson', email: 'katherine@initech.example', organizationId: seeded.organizations[2] });
  const call = await must(api, 'POST', '/crm/activities', { type: 'call', subject: 'Intro call', personId: person.id });
  await must(api, 'PATCH', `/crm/organizations/${seeded.organizations[4]}`, { labels: ['partner'] });
  return { deals: [seeded.deals[5], seeded.deals[6]], people: [person.id], activities: [call.id], organizations: [seeded.organizations[4]] };
}

/** Waits until the client's IndexedDB holds exactly the server's documents (id and version, tombstones included). */
async function sameAsServer(page, api, when) {
  let diff = '';
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await page.waitForTimeout(250)) {
    const local = await page.evaluate(readLocalVersions, COLLECTIONS);
    diff = '';
    for (const c of COLLECTIONS) {
      const docs = (await must(api, 'GET', `/sync/${c}/pull?checkpoint=0&limit=5000`)).documents;
      const server = docs.map((d) => `${d.id}:${d.version}:${d._deleted ? 1 : 0}`).sort();
      const mine = (local[c] ?? []).sort();
      if (server.join() !== mine.join()) diff += ` ${c}: server ${server.length}, client ${mine.length};`;
    }
    if (!diff) return;
  }
  throw new Error(`the client does not hold the server's documents ${when}:${diff}`);
}

/** Per collection: documents on the server (tombstones included), live ones, and the head sequence. */
async function countOnServer(api) {
  const out = {};
  for (const c of COLLECTIONS) {
    const page = await must(api, 'GET', `/sync/${c}/pull?checkpoint=0&limit=5000`);
    out[c] = { stored: page.documents.length, live: page.documents.filter((d) => !d._deleted).length, sequence: page.checkpoint?.sequence ?? 0 };
  }
  return out;
}

/** Client-side navigation without a reload (offline, a reload could not fetch the app). */
async function navigate(page, to) {
  await page.evaluate((target) => {
    window.history.pushState(null, '', target);
    window.dispatchEvent(new PopStateEvent('popstate'));
  }, to);
}

async function waitForIndicator(page, predicate, what, timeout = 60_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const el = page.getByTestId('sync-indicator');
    const state = await el.getAttribute('data-state').catch(() => null);
    const pending = Number(await el.getAttribute('data-pending').catch(() => NaN));
    if (predicate(state, pending)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for the sync indicator to say ${what} (it says ${state}, ${pending} unsent)`);
    await page.waitForTimeout(100);
  }
}

async function eventually(fn, what, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

// ---------------------------------------------------------------- run in the page

/* global window, indexedDB, PopStateEvent */

/**
 * The app's RxDB collections as stored by Dexie (one IndexedDB database per collection, named
 * `rxdb-dexie-<db>--<schema version>--<collection>`, documents in the `docs` store, `_deleted`
 * stored as '1'/'0'): per collection, documents stored and live. The same reader is in
 * test/e2e/upgrade.test.ts.
 */
async function readLocalCollections(names) {
  const request = (req) => new Promise((resolve, reject) => ((req.onsuccess = () => resolve(req.result)), (req.onerror = () => reject(req.error))));
  const out = { databaseName: null, schemaVersions: {}, collections: {} };
  for (const { name } of await indexedDB.databases()) {
    const m = /^rxdb-dexie-(kith-[a-z0-9]+)--(\d+)--([A-Za-z]+)$/.exec(name ?? '');
    if (!m || !names.includes(m[3])) continue;
    out.databaseName = m[1];
    out.schemaVersions[m[3]] = Number(m[2]);
    const db = await request(indexedDB.open(name));
    try {
      const docs = await request(db.transaction('docs', 'readonly').objectStore('docs').getAll());
      out.collections[m[3]] = { stored: docs.length, live: docs.filter((d) => !(d._deleted === true || d._deleted === '1')).length };
    } finally {
      db.close();
    }
  }
  return out;
}

/** Per collection: `id:version:deleted` of every stored document. */
async function readLocalVersions(names) {
  const request = (req) => new Promise((resolve, reject) => ((req.onsuccess = () => resolve(req.result)), (req.onerror = () => reject(req.error))));
  const out = {};
  for (const { name } of await indexedDB.databases()) {
    const m = /^rxdb-dexie-(kith-[a-z0-9]+)--(\d+)--([A-Za-z]+)$/.exec(name ?? '');
    if (!m || !names.includes(m[3])) continue;
    const db = await request(indexedDB.open(name));
    try {
      const docs = await request(db.transaction('docs', 'readonly').objectStore('docs').getAll());
      out[m[3]] = docs.map((d) => `${d.id}:${d.version}:${d._deleted === true || d._deleted === '1' ? 1 : 0}`);
    } finally {
      db.close();
    }
  }
  return out;
}

/** The id of the local document of `collection` whose `field` equals `value`, or null. */
async function findLocal({ collection, field, value }) {
  const request = (req) => new Promise((resolve, reject) => ((req.onsuccess = () => resolve(req.result)), (req.onerror = () => reject(req.error))));
  for (const { name } of await indexedDB.databases()) {
    if (!new RegExp(`^rxdb-dexie-kith-[a-z0-9]+--\\d+--${collection}$`).test(name ?? '')) continue;
    const db = await request(indexedDB.open(name));
    try {
      const docs = await request(db.transaction('docs', 'readonly').objectStore('docs').getAll());
      const doc = docs.find((d) => d[field] === value);
      if (doc) return doc.id;
    } finally {
      db.close();
    }
  }
  return null;
}
