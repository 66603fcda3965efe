/**
 * Upgrades keep users' data (docs/sync.md, "Upgrades"). For every fixture in
 * test/fixtures/upgrade/<release>/ (made by scripts/make-upgrade-fixture.mjs from that release: its
 * server's data directory, and a Chromium profile with a completed first load, changes received
 * live afterwards and unsent offline edits), this build's server starts on the old data directory
 * on the fixture's origin (IndexedDB is per origin) and Chromium opens this build's web app with
 * the old profile. Then: the server's migrations ran and it holds every old record; the app opens
 * signed in, its RxDB collections at this build's schema versions (migrated when a version was
 * bumped) holding the old documents and the unsent edits; the edits reach the server once the
 * client is online (no conflict, no refusal); nothing is downloaded again (no pull below the
 * checkpoint the old client had reached; only the records the server changed since come back: the
 * edited ones, the records whose computed values (lastActivityAt, …) the server's migrations filled
 * in, and those the edits recomputed) and nothing else is pushed; and the client ends with exactly
 * the server's documents (ids, versions, tombstones, computed values).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { SCHEMA_VERSIONS } from '../../renderer/data/schemas.js';
import { MIGRATIONS } from '../../server/store/migrations.js';
import { COLLECTION_NAMES, type CollectionName } from '../../shared/collections.js';
import { apiCall, startTestServer, type TestServer } from '../helpers/server.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH, WEB_DIR, assertWebBuilt, eventually, waitForSynced } from './helpers.js';

const FIXTURES = path.resolve('test/fixtures/upgrade');
/** A collection the release did not have: empty on the server and in the old client. */
const NEW_COLLECTION = { stored: 0, live: 0, sequence: 0 };
/** The computed fields of a collection (SPEC §2), which releases before them did not send. */
const COMPUTED: Partial<Record<CollectionName, string[]>> = {
  organizations: ['lastActivityAt', 'nextFollowUpAt'],
  people: ['lastActivityAt', 'nextFollowUpAt'],
  deals: ['lastActivityAt', 'nextFollowUpAt', 'stageEnteredAt'],
};
/**
 * Whether a live server document has computed values an old client, once migrated, lacks: its
 * migration step leaves them null, but a deal's stageEnteredAt its createdAt (a deal never moved).
 */
function computedToSend(collection: CollectionName, doc: Record<string, any>): boolean {
  if (doc._deleted || !COMPUTED[collection]) return false;
  return doc.lastActivityAt != null || doc.nextFollowUpAt != null || (collection === 'deals' && doc.stageEnteredAt !== doc.createdAt);
}

interface Counts {
  stored: number;
  live: number;
}
interface Edit {
  collection: CollectionName;
  id: string;
  kind: 'create' | 'update';
  fields: Record<string, unknown>;
}
interface Manifest {
  release: { commit: string; short: string };
  origin: string;
  port: number;
  key: string;
  workspaceId: string;
  files: { archive: string; dataDir: string; profileDir: string; sqlite: string };
  /** Collections added after the release are missing from its counts. */
  server: { migrations: string[]; counts: Partial<Record<CollectionName, Counts & { sequence: number }>> };
  client: { databaseName: string; schemaVersions: Partial<Record<CollectionName, number>>; counts: Partial<Record<CollectionName, Counts>>; pending: number };
  seeded: { organizations: string[]; people: string[]; deals: string[]; archivedOrganization: string; deletedActivity: string };
  changedAfterFirstLoad: Partial<Record<CollectionName, string[]>>;
  unsentEdits: Edit[];
}

const releases = fs.existsSync(FIXTURES)
  ? fs
      .readdirSync(FIXTURES)
      .filter((d) => fs.existsSync(path.join(FIXTURES, d, 'manifest.json')))
      .sort()
  : [];

test('there is an upgrade fixture', () => {
  assert.ok(releases.length > 0, `no fixtures under ${FIXTURES}: run node scripts/make-upgrade-fixture.mjs <release>`);
});

for (const release of releases) {
  describe(`upgrade from ${release}`, () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(FIXTURES, release, 'manifest.json'), 'utf8')) as Manifest;
    const editedIds = new Set(manifest.unsentEdits.map((e) => e.id));
    let work: string;
    let server: TestServer;
    let context: BrowserContext | null = null;
    let page: Page;
    /** What the upgraded client asked the server for. */
    const pulls: { collection: CollectionName; checkpoint: number; ids: string[] }[] = [];
    const pushes: { collection: CollectionName; ids: string[] }[] = [];
    const digests = new Set<string>();
    /** Per collection, the ids of the records the migrations gave a new version (computed values to send). */
    const sentByMigration: Partial<Record<CollectionName, string[]>> = {};

    const api = (method: string, urlPath: string, body?: unknown) => apiCall(server.url, manifest.key, method, urlPath, body);
    async function get(urlPath: string): Promise<any> {
      const res = await api('GET', urlPath);
      assert.equal(res.status, 200, `GET ${urlPath} → ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    }
    async function post(urlPath: string, body: unknown): Promise<any> {
      const res = await api('POST', urlPath, body);
      assert.equal(res.status, 201, `POST ${urlPath} → ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    }
    /** Every document of a collection on the server, tombstones included. */
    async function serverDocuments(collection: CollectionName): Promise<any[]> {
      const body = await get(`/sync/${collection}/pull?checkpoint=0&limit=5000`);
      return body.documents;
    }

    beforeAll(async () => {
      assertWebBuilt();
      work = fs.mkdtempSync(path.join(os.tmpdir(), `kith-upgrade-${release}-`));
      execFileSync('tar', ['-xzf', path.join(FIXTURES, release, manifest.files.archive), '-C', work]);
      server = await startTestServer({ dataDir: path.join(work, manifest.files.dataDir), port: manifest.port, uiDir: WEB_DIR });
      assert.equal(server.url, manifest.origin, 'the app must be served on the origin the fixture profile was made on');
    });

    afterAll(async () => {
      await context?.close();
      await server?.stop();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    test("the server starts on the old data directory: its migrations ran and every old record is there, the client's edits not yet", async () => {
      // no owner key printed again: the old data directory was taken as it is
      assert.equal(server.key, '');
      const db = new Database(path.join(work, manifest.files.sqlite), { readonly: true });
      try {
        const applied = (db.prepare('SELECT name FROM kysely_migration ORDER BY name').all() as { name: string }[]).map((r) => r.name);
        assert.deepEqual(applied, Object.keys(MIGRATIONS).sort(), 'every migration of this build is applied');
        for (const name of manifest.server.migrations) assert.ok(applied.includes(name), `the release's migration ${name} is still recorded`);
      } finally {
        db.close();
      }

      for (const c of COLLECTION_NAMES) {
        const docs = await serverDocuments(c);
        const old = manifest.server.counts[c] ?? NEW_COLLECTION;
        assert.deepEqual({ stored: docs.length, live: docs.filter((d) => !d._deleted).length }, { stored: old.stored, live: old.live }, `server ${c}`);
        // versions stay, but those of the records whose computed values an old client lacks: a new
        // version each, above the sequence the release had reached, so its next pull brings them
        const renewed = docs.filter((d) => Number(d.version) > old.sequence);
        const toSend = docs.filter((d) => computedToSend(c, d));
        assert.deepEqual(renewed.map((d) => d.id).sort(), toSend.map((d) => d.id).sort(), `server ${c}: new versions for exactly the records with computed values to send`);
        sentByMigration[c] = toSend.map((d) => d.id);
      }
      const sent = Object.values(sentByMigration).flat();
      const held = ['organizations', 'people', 'deals'].reduce((n, c) => n + (manifest.server.counts[c as CollectionName]?.live ?? 0), 0);
      assert.ok(sent.length > 0, 'the old records have activities: some computed values to send');
      assert.ok(sent.length < held, `not every record is sent again (${sent.length} of ${held})`);
      assert.equal((await get('/crm')).workspace.id, manifest.workspaceId);
      for (const id of manifest.seeded.deals) await get(`/crm/deals/${id}`);
      assert.ok((await get(`/crm/organizations/${manifest.seeded.archivedOrganization}`)).archivedAt, 'the archived organization stays archived');
      assert.equal((await api('GET', `/crm/activities/${manifest.seeded.deletedActivity}`)).status, 404, 'the deleted activity stays deleted');

      for (const edit of manifest.unsentEdits) {
        const res = await api('GET', `/crm/${edit.collection}/${edit.id}`);
        if (edit.kind === 'create') assert.equal(res.status, 404, `${edit.collection} ${edit.id} was created offline`);
        else for (const [field, value] of Object.entries(edit.fields)) assert.notEqual(res.body[field], value, `${edit.collection}.${field} was edited offline`);
      }
    });

    test('the app opens signed in, its local collections migrated to this build and holding the old documents and the unsent edits', async () => {
      // only the profile's IndexedDB and Local Storage come from the fixture
      context = await chromium.launchPersistentContext(path.join(work, manifest.files.profileDir), {
        executablePath: CHROMIUM_PATH,
        args: CHROMIUM_ARGS,
        headless: true,
        viewport: { width: 1400, height: 900 },
      });
      context.on('request', (req) => {
        const m = /\/sync\/(\w+)\/push$/.exec(new URL(req.url()).pathname);
        if (m && req.method() === 'POST') pushes.push({ collection: m[1] as CollectionName, ids: (req.postDataJSON() as { newDocumentState: { id: string } }[]).map((r) => r.newDocumentState.id) });
        const d = /\/sync\/(\w+)\/digest$/.exec(new URL(req.url()).pathname);
        if (d) digests.add(d[1]);
      });
      context.on('response', async (res) => {
        const url = new URL(res.url());
        const m = /\/sync\/(\w+)\/pull$/.exec(url.pathname);
        if (!m || res.status() !== 200) return;
        const entry = { collection: m[1] as CollectionName, checkpoint: Number(url.searchParams.get('checkpoint') ?? 0), ids: [] as string[] };
        pulls.push(entry);
        entry.ids = ((await res.json().catch(() => ({ documents: [] }))) as { documents: { id: string }[] }).documents.map((doc) => doc.id);
      });
      page = context.pages()[0] ?? (await context.newPage());
      page.on('pageerror', (error) => console.error(`[browser pageerror] ${error.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error' && !/Failed to load resource|net::ERR/.test(msg.text())) console.error(`[browser console.error] ${msg.text()}`);
      });
      await page.goto(manifest.origin + '/');
      await page
        .getByTestId('app-shell')
        .waitFor({ timeout: 30_000 })
        .catch(async (error) => {
          throw new Error(`the app did not open on the old profile; it shows: ${(await page.locator('body').innerText()).replace(/\s+/g, ' ').slice(0, 600)}`, { cause: error });
        });
      assert.equal(await page.getByTestId('signin').count(), 0, 'no sign-in screen: the stored connection was kept');

      const local = await page.evaluate(readLocal, [...COLLECTION_NAMES]);
      assert.equal(local.databaseName, manifest.client.databaseName, 'the same local database');
      for (const c of COLLECTION_NAMES) {
        // RxDB migrates a collection whose schema version changed into a new IndexedDB database
        // and clears the old one (Dexie leaves it empty)
        const left = Object.entries(local.versions[c] ?? {}).filter(([version, count]) => Number(version) !== SCHEMA_VERSIONS[c] && count > 0);
        assert.deepEqual(left, [], `${c}: no documents left at an older schema version (the release had ${manifest.client.schemaVersions[c]}, this build has ${SCHEMA_VERSIONS[c]})`);
        assert.ok(SCHEMA_VERSIONS[c] in (local.versions[c] ?? {}), `${c} is stored at schema version ${SCHEMA_VERSIONS[c]}`);
        const docs = local.docs[c] ?? [];
        const { stored, live } = manifest.client.counts[c] ?? NEW_COLLECTION;
        assert.deepEqual({ stored: docs.length, live: docs.filter((d) => !d.deleted).length }, { stored, live }, `local ${c}`);
      }
      for (const edit of manifest.unsentEdits) {
        const doc = local.docs[edit.collection].find((d) => d.id === edit.id);
        assert.ok(doc, `the unsent ${edit.kind} of ${edit.collection} ${edit.id} is in the local store`);
        for (const [field, value] of Object.entries(edit.fields)) assert.equal(doc.fields[field], value, `local ${edit.collection}.${field}`);
      }
    });

    test('the unsent edits reach the server once the client is online, without conflict or refusal', async () => {
      await waitForSynced(page, 30_000);
      for (const edit of manifest.unsentEdits) {
        const record = await eventually(async () => (await api('GET', `/crm/${edit.collection}/${edit.id}`)).body, { message: `${edit.collection} ${edit.id} on the server` });
        for (const [field, value] of Object.entries(edit.fields)) assert.equal(record[field], value, `${edit.collection}.${field} on the server`);
      }
      assert.deepEqual((await get('/crm/audit?action=conflict')).data, [], 'no conflict');
      assert.deepEqual((await get('/sync/rejections')).data, [], 'no refused push');
      assert.equal(await page.getByTestId('rejected-count').count(), 0);
    });

    test('nothing is downloaded again (only what changed on the server since: the computed values and what the edits recomputed) and nothing but the edits is pushed; the client holds exactly the server’s documents', async () => {
      // the self-check runs 2 s after catching up: let it compare every collection (it would heal
      // a lost record by pulling it, which the pull log below would show)
      await eventually(async () => COLLECTION_NAMES.every((c) => digests.has(c)), { timeout: 30_000, message: 'the self-check on every collection' });
      await waitForSynced(page);

      // id, version, tombstone and, for live records, the computed values
      const key = (c: CollectionName, id: string, version: unknown, deleted: boolean, doc: Record<string, unknown>) =>
        `${id}:${version}:${deleted ? 1 : 0}${deleted ? '' : (COMPUTED[c] ?? []).map((f) => `:${doc[f] ?? ''}`).join('')}`;
      const changedSince: Record<string, Set<string>> = {};
      for (const c of COLLECTION_NAMES) {
        const serverDocs = await serverDocuments(c);
        changedSince[c] = new Set(serverDocs.filter((d) => Number(d.version) > (manifest.server.counts[c] ?? NEW_COLLECTION).sequence).map((d) => d.id));
        const server = serverDocs.map((d) => key(c, d.id, d.version, !!d._deleted, d)).sort();
        const local = await eventually(
          async () => {
            const docs = ((await page.evaluate(readLocal, [c])).docs[c] ?? []).map((d) => key(c, d.id, d.fields.version, d.deleted, d.fields)).sort();
            return docs.join() === server.join() && docs;
          },
          { message: `the client's ${c} equal to the server's` },
        );
        assert.equal(local.length, server.length);
      }
      for (const c of ['organizations', 'people', 'deals'] as const) {
        for (const id of sentByMigration[c] ?? [])
          assert.ok(
            pulls.some((p) => p.collection === c && p.ids.includes(id)),
            `${c} ${id}: its computed values were pulled`,
          );
      }

      const loaded = Object.values(manifest.client.counts).reduce((n, c) => n + c.stored, 0);
      const pulledIds = pulls.flatMap((p) => p.ids);
      assert.ok(pulls.length > 0, 'the client pulled after reconnecting');
      for (const pull of pulls) {
        assert.ok(
          pull.checkpoint >= (manifest.server.counts[pull.collection] ?? NEW_COLLECTION).sequence,
          `${pull.collection} pulled from ${pull.checkpoint}, below the ${(manifest.server.counts[pull.collection] ?? NEW_COLLECTION).sequence} the old client had reached`,
        );
        // what comes back: the edited records, those whose computed values the migrations sent and
        // those the edits recomputed (the offline note counts for its deal's organization and people)
        const foreign = pull.ids.filter((id) => !editedIds.has(id) && !changedSince[pull.collection].has(id));
        assert.deepEqual(foreign, [], `${pull.collection}: only records changed on the server since the old client's checkpoint come back`);
      }
      assert.ok(new Set(pulledIds).size < loaded / 2, `no re-download (pulled ${new Set(pulledIds).size} documents of the ${loaded} held)`);

      const pushedIds = pushes.flatMap((p) => p.ids);
      assert.deepEqual([...new Set(pushedIds)].sort(), [...editedIds].sort(), 'exactly the unsent edits were pushed');
      for (const push of pushes) for (const id of push.ids) assert.equal(manifest.unsentEdits.find((e) => e.id === id)?.collection, push.collection);
    });

    test('a custom field, an object type and its record made on the server after the upgrade reach the upgraded client, and a deal’s value of the field', async () => {
      const field = await post('/crm/fields', { entity: 'deals', key: 'tier', label: 'Tier', type: 'select', options: [{ value: 'gold' }, { value: 'silver' }] });
      const type = await post('/crm/objects', { key: 'project', singular: 'Project', plural: 'Projects' });
      const record = await post('/crm/objects/project/records', { name: 'Upgrade rollout' });
      const deal = (await get('/crm/deals?limit=1')).data[0];
      const patched = await api('PATCH', `/crm/deals/${deal.id}`, { custom: { tier: 'gold' } });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      const before = pulls.length;
      await eventually(
        async () => {
          const local = (await page.evaluate(readLocal, ['fields', 'objectTypes', 'records', 'deals'])).docs;
          return (
            local.fields?.some((d) => d.id === field.id && d.fields.key === 'tier') &&
            local.objectTypes?.some((d) => d.id === type.id) &&
            local.records?.some((d) => d.id === record.id && d.fields.name === 'Upgrade rollout') &&
            local.deals?.some((d) => d.id === deal.id && (d.fields.custom as Record<string, unknown> | undefined)?.tier === 'gold')
          );
        },
        { timeout: 30_000, message: 'the new field, object type, record and value in the client' },
      );
      // pulled incrementally: only the new documents came
      const since = pulls.slice(before).flatMap((p) => p.ids);
      assert.ok(since.length <= 10, `pulled ${since.length} documents for 4 changes`);
    });
  });
}

/**
 * Runs in the page: the app's RxDB collections as Dexie stores them (one IndexedDB database per
 * collection, `rxdb-dexie-<db>--<schema version>--<collection>`, documents in `docs`, `_deleted`
 * stored as '1'/'0'): per collection, the documents stored at each schema version present, and
 * every document stored at the newest one.
 */
async function readLocal(names: string[]) {
  const request = <T>(req: IDBRequest<T>) =>
    new Promise<T>((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  const out = {
    databaseName: null as string | null,
    versions: {} as Record<string, Record<number, number>>,
    docs: {} as Record<string, { id: string; deleted: boolean; fields: Record<string, unknown> }[]>,
  };
  const newest: Record<string, number> = {};
  for (const { name } of await indexedDB.databases()) {
    const m = /^rxdb-dexie-(kith-[a-z0-9]+)--(\d+)--([A-Za-z]+)$/.exec(name ?? '');
    if (!m || !names.includes(m[3])) continue;
    const [collection, version] = [m[3], Number(m[2])];
    out.databaseName = m[1];
    const db = await request(indexedDB.open(name!));
    try {
      const docs = await request(db.transaction('docs', 'readonly').objectStore('docs').getAll());
      (out.versions[collection] ??= {})[version] = docs.length;
      if (version >= (newest[collection] ?? -1)) {
        newest[collection] = version;
        out.docs[collection] = docs.map((d) => ({ id: d.id, deleted: d._deleted === true || d._deleted === '1', fields: d }));
      }
    } finally {
      db.close();
    }
  }
  return out;
}
