/**
 * The client's connection, local database naming, stale-state guard and rejected changes
 * (renderer/data/connection.ts, database.ts, rejections.ts) without a server: the gate's answers
 * and the offline start, what every request tells the status, database names that must never
 * change (a renamed database looks like lost data), a replicated write older than the stored
 * document refused, and rejected-change reads coalesced.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { fillWithDefaultSettings } from 'rxdb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { KithConnectionError, openConnection, requester, type InfoCache, type WorkspaceInfo } from '../../renderer/data/connection.js';
import { databaseName, withStaleGuard } from '../../renderer/data/database.js';
import { changedBeyondServerFields, Rejections } from '../../renderer/data/rejections.js';
import { StatusState } from '../../renderer/data/status.js';
import type { RejectedChange } from '../../shared/sync.js';

const WORKSPACE = '01a2337c-4c59-77cb-a3b0-f6926f652b56';
const gateBody = { workspace: { id: WORKSPACE, slug: 'acme', name: 'Acme', defaultCurrency: 'EUR' }, role: 'MEMBER', readOnly: false, user: { id: 'user-1' } };
const info: WorkspaceInfo = { workspaceId: WORKSPACE, workspaceSlug: 'acme', workspaceName: 'Acme', defaultCurrency: 'EUR', role: 'MEMBER', readOnly: false, userId: 'user-1' };

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** A fetch answering from a function, recording each request (with a copy of its headers). */
function fakeFetch(answer: (url: string, init: RequestInit) => Response | Promise<Response>) {
  const calls: { url: string; headers: Record<string, string>; method: string }[] = [];
  const fetch: typeof globalThis.fetch = async (input, init = {}) => {
    calls.push({ url: String(input), headers: { ...(init.headers as Record<string, string>) }, method: init.method ?? 'GET' });
    return answer(String(input), init);
  };
  return { fetch, calls };
}

function memoryCache(entries: Record<string, WorkspaceInfo> = {}) {
  const map = new Map(Object.entries(entries));
  const cache: InfoCache = { get: (k) => map.get(k) ?? null, set: (k, v) => void map.set(k, v), delete: (k) => void map.delete(k) };
  return { cache, map };
}

/** The cache key of ('http://localhost:4317', workspace 'acme', key 'key-1'), as released clients stored it. */
const INFO_KEY = 'kith-info:506410825e6c8174';

describe('the gate', () => {
  test('validates the key and learns the workspace; later requests name it by id; the info is remembered', async () => {
    const { fetch, calls } = fakeFetch(() => json(gateBody));
    const { cache, map } = memoryCache();
    const server = await openConnection({ serverUrl: ' http://localhost:4317// ', apiKey: ' key-1 ', workspace: 'acme' }, { fetch, infoCache: cache });
    assert.deepEqual(calls, [{ url: 'http://localhost:4317/crm', headers: { authorization: 'Bearer key-1', 'x-kith-workspace': 'acme' }, method: 'GET' }]);
    assert.equal(server.base, 'http://localhost:4317');
    assert.deepEqual(server.info, info);
    assert.deepEqual(server.headers, { authorization: 'Bearer key-1', 'x-kith-workspace': WORKSPACE });
    assert.deepEqual([...map], [[INFO_KEY, info]]);
  });

  test('an older server: no user, readOnly only when true', async () => {
    const { fetch } = fakeFetch(() => json({ ...gateBody, user: undefined, readOnly: 'yes' }));
    const server = await openConnection({ serverUrl: 'http://localhost:4317', apiKey: 'key-1' }, { fetch, infoCache: null });
    assert.equal(server.info.userId, null);
    assert.equal(server.info.readOnly, false);
  });

  test('refusals throw KithConnectionError with the status and forget the remembered info', async () => {
    for (const [status, message] of [
      [401, 'the server refused the API key: key revoked'],
      [403, 'access denied: key revoked'],
      [500, 'the server answered 500: key revoked'],
    ] as const) {
      const { fetch } = fakeFetch(() => json({ title: 'Refused', detail: 'key revoked' }, status));
      const { cache, map } = memoryCache({ [INFO_KEY]: info });
      const error = await openConnection({ serverUrl: 'http://localhost:4317', apiKey: 'key-1', workspace: 'acme' }, { fetch, infoCache: cache }).catch((e: unknown) => e);
      assert.ok(error instanceof KithConnectionError);
      assert.equal(error.name, 'KithConnectionError');
      assert.deepEqual([error.status, error.message], [status, message]);
      assert.equal(map.size, 0, 'a refused key never opens offline afterwards');
    }
  });

  test('unreachable: opens offline from the info of the last start, else throws', async () => {
    const { fetch } = fakeFetch(() => {
      throw new TypeError('fetch failed');
    });
    const { cache } = memoryCache({ [INFO_KEY]: info });
    const server = await openConnection({ serverUrl: 'http://localhost:4317', apiKey: 'key-1', workspace: 'acme' }, { fetch, infoCache: cache });
    assert.deepEqual(server.info, info);
    assert.equal(server.headers['x-kith-workspace'], WORKSPACE);

    const error = await openConnection({ serverUrl: 'http://localhost:4317', apiKey: 'another-key', workspace: 'acme' }, { fetch, infoCache: cache }).catch((e: unknown) => e);
    assert.ok(error instanceof KithConnectionError);
    assert.deepEqual([error.status, error.message], [null, 'cannot reach the Kith server at http://localhost:4317: fetch failed']);
  });

  test('a URL without http(s) is refused before any request', async () => {
    const { fetch, calls } = fakeFetch(() => json(gateBody));
    const error = await openConnection({ serverUrl: 'localhost:4317', apiKey: 'key-1' }, { fetch, infoCache: null }).catch((e: unknown) => e);
    assert.ok(error instanceof KithConnectionError);
    assert.equal(error.status, null);
    assert.match(error.message, /must start with http:\/\/ or https:\/\//);
    assert.equal(calls.length, 0);
  });
});

describe('requests and the status', () => {
  const setup = (answer: (url: string, init: RequestInit) => Response | Promise<Response>) => {
    const { fetch, calls } = fakeFetch(answer);
    const status = new StatusState({ collections: 0, pending: () => 0, browserOffline: () => false, isClosed: () => false });
    status.setCaughtUp();
    const request = requester({ base: 'http://localhost:4317', headers: { authorization: 'Bearer k', 'x-kith-workspace': WORKSPACE }, fetch, info }, status);
    return { request, status, calls };
  };

  test('the base URL and the connection headers on every request; an answer means online', async () => {
    const { request, status, calls } = setup(() => json([]));
    const res = await request('/sync/deals/push', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
    assert.equal(res.status, 200);
    assert.deepEqual(calls, [
      { url: 'http://localhost:4317/sync/deals/push', headers: { authorization: 'Bearer k', 'x-kith-workspace': WORKSPACE, 'content-type': 'application/json' }, method: 'POST' },
    ]);
    assert.equal(status.value.state, 'online');
  });

  test('no answer: offline with the reason; a refusal: error until a request succeeds', async () => {
    let answer: () => Response = () => {
      throw new TypeError('fetch failed');
    };
    const { request, status } = setup(() => answer());
    await assert.rejects(request('/sync/deals/pull'), { message: 'cannot reach the server: fetch failed' });
    assert.deepEqual([status.value.state, status.value.error], ['offline', 'cannot reach the server: fetch failed']);

    answer = () => json({ detail: 'key revoked' }, 401);
    await assert.rejects(request('/sync/deals/pull'), { message: 'the server refused the API key: key revoked' });
    assert.deepEqual([status.value.state, status.value.error], ['error', 'the server refused the API key: key revoked']);

    answer = () => json({ title: 'Not Found' }, 404);
    const published: string[] = [];
    const sub = status.status$.subscribe((s) => published.push(`${s.state}: ${s.error}`));
    await assert.rejects(request('/sync/nothing'), { message: 'the server answered 404: Not Found' });
    sub.unsubscribe();
    assert.deepEqual(
      published,
      ['error: the server refused the API key: key revoked', 'error: the server answered 404: Not Found'],
      'an error answer does not clear the failure, not even for a moment',
    );

    answer = () => json({ data: [] });
    await request('/sync/rejections');
    assert.deepEqual([status.value.state, status.value.error], ['online', null]);
  });
});

describe('local database', () => {
  test('database names stay what released clients created (trailing slashes ignored)', () => {
    assert.equal(databaseName('http://localhost:4317', 'ws-1'), 'kith-9d819bb540512cc3');
    assert.equal(databaseName('http://localhost:4317///', 'ws-1'), 'kith-9d819bb540512cc3');
    assert.equal(databaseName('https://crm.example.com', WORKSPACE), 'kith-9e7ee09a76c77a7c');
    assert.match(databaseName('https://crm.example.com', 'other'), /^kith-[0-9a-f]{16}$/);
  });

  test('the stale-state guard refuses a replicated write older than the stored document, and only that', async () => {
    const schema = fillWithDefaultSettings<any>({
      version: 0,
      primaryKey: 'id',
      type: 'object',
      properties: { id: { type: 'string', maxLength: 64 }, name: { type: 'string' }, version: { type: 'number' } },
      required: ['id', 'version'],
    });
    const storage = withStaleGuard(getRxStorageMemory());
    const params = { databaseInstanceToken: 'token', databaseName: 'stale-guard', schema, options: {}, multiInstance: false, devMode: false };
    const instance = await storage.createStorageInstance<any>({ ...params, collectionName: 'organizations' });
    const doc = (id: string, version: number, rev: number) => ({ id, name: `v${version}`, version, _deleted: false, _attachments: {}, _rev: `${rev}-token`, _meta: { lwt: 1000 + rev } });
    const stored = async (id: string) => (await instance.findDocumentsById([id], false))[0];

    assert.deepEqual((await instance.bulkWrite([{ document: doc('a', 5, 1) }, { document: doc('b', 5, 1) }], 'replication-downstream-x')).error, []);
    // a stream event computed before a push arrives after the push's answer installed version 5
    const result = await instance.bulkWrite(
      [
        { previous: doc('a', 5, 1), document: doc('a', 3, 2) },
        { previous: doc('b', 5, 1), document: doc('b', 6, 2) },
      ],
      'replication-downstream-x',
    );
    assert.deepEqual(
      result.error.map((e) => [e.documentId, e.status]),
      [['a', 409]],
    );
    assert.equal((await stored('a')).version, 5, 'the newer state stays');
    assert.equal((await stored('b')).version, 6, 'the rest of the batch is written');

    // local writes are not the guard's business
    assert.deepEqual((await instance.bulkWrite([{ previous: await stored('a'), document: doc('a', 1, 3) }], 'rx-document-save-data')).error, []);
    assert.equal((await stored('a')).version, 1);
    await instance.close();

    // collections that are not replicated are not wrapped
    const other = await storage.createStorageInstance<any>({ ...params, collectionName: 'kith-other' });
    await other.bulkWrite([{ document: doc('c', 5, 1) }], 'replication-downstream-x');
    assert.deepEqual((await other.bulkWrite([{ previous: doc('c', 5, 1), document: doc('c', 3, 2) }], 'replication-downstream-x')).error, []);
    await other.close();
  });
});

describe('rejected changes', () => {
  const rejection = (id: string): RejectedChange => ({ id, collection: 'deals', documentId: 'd1', reason: 'read-only key', at: '2026-12-01T10:00:00.000Z', attempted: null });

  test('refreshes coalesce: one request in flight, one queued behind it, and equal lists are not published again', async () => {
    const answers: ((list: RejectedChange[]) => void)[] = [];
    let closed = false;
    const rejections = new Rejections({ fetch: () => new Promise((resolve) => answers.push(resolve)), isClosed: () => closed });
    const published: RejectedChange[][] = [];
    rejections.rejected$.subscribe((list) => published.push(list));

    rejections.refresh();
    rejections.refresh();
    rejections.refresh();
    assert.equal(answers.length, 1, 'one request in flight');
    answers[0]([rejection('r1')]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(answers.length, 2, 'the queued refresh runs once after it');
    answers[1]([rejection('r1')]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(published, [[], [rejection('r1')]], 'the same list again is not published');

    rejections.refresh();
    rejections.refresh();
    closed = true;
    answers[2]([]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(answers.length, 3, 'nothing queued runs after close');
  });

  test('a failed read keeps the list and does not block the next refresh', async () => {
    let fail = true;
    const rejections = new Rejections({ fetch: async () => (fail ? Promise.reject(new Error('offline')) : [rejection('r2')]), isClosed: () => false });
    const published: RejectedChange[][] = [];
    rejections.rejected$.subscribe((list) => published.push(list));
    rejections.refresh();
    await new Promise((resolve) => setTimeout(resolve, 0));
    fail = false;
    rejections.refresh();
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(published, [[], [rejection('r2')]]);
  });

  test("a push answer is a possible refusal only when it differs beyond the server's bookkeeping", () => {
    const pushed = { id: 'd1', title: 'Deal', value: 10, _deleted: false };
    assert.equal(changedBeyondServerFields({ ...pushed, version: 7, updatedAt: 'x', createdAt: 'y', workspaceId: 'w', _rev: '3-a' }, pushed), false);
    assert.equal(changedBeyondServerFields({ ...pushed, value: 5 }, pushed), true);
    assert.equal(changedBeyondServerFields({ ...pushed, _deleted: true }, pushed), true);
    assert.equal(changedBeyondServerFields(pushed, undefined), true, 'not one of the pushed documents');
  });
});
