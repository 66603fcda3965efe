/**
 * The client's sync status (renderer/data/status.ts) without a server: which state the facts
 * the store reports add up to, what the error says, when `lastSyncedAt` moves, what `loaded`
 * shows, and that a status is published only when something the UI sees changed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { deriveStatus, StatusState, type StatusFacts, type SyncStatus } from '../../renderer/data/status.js';

const T1 = new Date('2026-12-01T10:00:00.000Z');
const T2 = new Date('2026-12-01T10:05:00.000Z');

const caughtUp: StatusFacts = { network: 'up', failure: null, networkError: null, active: false, initialDone: true, firstLoadWritten: 0, loadsLeft: 0, healed: 0 };
const initial: SyncStatus = { state: 'syncing', pending: 0, error: null, lastSyncedAt: null, loaded: null, healed: 0 };

/** A status state with the pending count, browser flag and clock under the test's control, recording what it publishes. */
function harness(collections = 2) {
  const env = { pending: 0, browserOffline: false, closed: false, now: T1 };
  const state = new StatusState({ collections, pending: () => env.pending, browserOffline: () => env.browserOffline, isClosed: () => env.closed, now: () => env.now });
  const published: SyncStatus[] = [];
  state.status$.subscribe((s) => published.push(s));
  return { env, state, published, last: () => published[published.length - 1] };
}

describe('deriveStatus', () => {
  test('the state: a failure wins over offline, offline over syncing, syncing until caught up and idle', () => {
    const state = (facts: Partial<StatusFacts>, browserOffline = false) => deriveStatus({ ...caughtUp, ...facts }, 0, browserOffline, initial, () => T1).state;
    assert.equal(state({}), 'online');
    assert.equal(state({ network: 'unknown' }), 'syncing', 'nothing reached the server yet');
    assert.equal(state({ initialDone: false }), 'syncing', 'a first pull is still running');
    assert.equal(state({ active: true }), 'syncing');
    assert.equal(state({ network: 'down', active: true, initialDone: false }), 'offline');
    assert.equal(state({}, true), 'offline', 'the browser says it has no network');
    assert.equal(state({ failure: 'access denied: revoked', network: 'down' }, true), 'error');
  });

  test('the error: the failure, else the network error while offline, else none', () => {
    const error = (facts: Partial<StatusFacts>, browserOffline = false) => deriveStatus({ ...caughtUp, ...facts }, 0, browserOffline, initial, () => T1).error;
    assert.equal(error({ failure: 'the server answered 500: boom', networkError: 'cannot reach the server: x' }), 'the server answered 500: boom');
    assert.equal(error({ network: 'down', networkError: 'cannot reach the server: x' }), 'cannot reach the server: x');
    assert.equal(error({ networkError: 'stale message' }), null, 'not shown while online');
    assert.equal(error({ networkError: null }, true), null, 'browser offline with nothing learnt from a request');
  });

  test('lastSyncedAt is set on becoming online with nothing pending, and kept while that lasts', () => {
    const first = deriveStatus(caughtUp, 0, false, initial, () => T1);
    assert.equal(first.lastSyncedAt, T1.toISOString());
    const still = deriveStatus(caughtUp, 0, false, first, () => T2);
    assert.equal(still.lastSyncedAt, T1.toISOString(), 'staying online does not move it');
    const withPending = deriveStatus(caughtUp, 3, false, still, () => T2);
    assert.equal(withPending.state, 'online');
    assert.equal(withPending.lastSyncedAt, T1.toISOString(), 'pending writes: not synced, the last time stays');
    const again = deriveStatus(caughtUp, 0, false, withPending, () => T2);
    assert.equal(again.lastSyncedAt, T2.toISOString(), 'the writes were acknowledged');
    const offline = deriveStatus({ ...caughtUp, network: 'down' }, 0, false, again, () => T1);
    assert.equal(offline.lastSyncedAt, T2.toISOString());
  });

  test('loaded: the first-load count while a load is unfinished and wrote something, otherwise null', () => {
    const loaded = (facts: Partial<StatusFacts>) => deriveStatus({ ...caughtUp, ...facts }, 0, false, initial, () => T1).loaded;
    assert.equal(loaded({ loadsLeft: 3, firstLoadWritten: 0 }), null);
    assert.equal(loaded({ loadsLeft: 3, firstLoadWritten: 5000 }), 5000);
    assert.equal(loaded({ loadsLeft: 0, firstLoadWritten: 5000 }), null, 'every load finished');
  });
});

describe('StatusState', () => {
  test('starts syncing; publishes only changes the UI would see', () => {
    const { state, published, env } = harness();
    assert.deepEqual(published, [initial]);
    state.emit();
    assert.equal(published.length, 1, 'nothing changed');
    state.networkUp();
    state.emit();
    assert.equal(published.length, 1, 'still syncing: first loads and first pulls are not done');
    env.pending = 2;
    state.emit();
    assert.equal(published.length, 2);
    assert.deepEqual(published[1], { ...initial, pending: 2 });
  });

  test('a client catching up: first-load progress, then online with a sync time', () => {
    const { state, last, env } = harness(2);
    state.networkUp();
    state.firstLoadWrote(5000);
    state.emit();
    assert.equal(last().loaded, 5000);
    state.firstLoadWrote(1200);
    state.firstLoadFinished();
    state.emit();
    assert.equal(last().loaded, 6200, 'one collection still loading');
    state.firstLoadFinished();
    state.setActive(true);
    state.emit();
    assert.deepEqual(last(), { ...initial, loaded: null });
    assert.equal(state.caughtUp, false);
    state.setCaughtUp();
    state.setActive(false);
    state.emit();
    assert.equal(state.caughtUp, true);
    assert.deepEqual(last(), { state: 'online', pending: 0, error: null, lastSyncedAt: env.now.toISOString(), loaded: null, healed: 0 });
  });

  test('failures: an error until cleared; a network failure is offline with its reason', () => {
    const { state, last } = harness(0);
    state.networkUp();
    state.setCaughtUp();
    state.emit();
    assert.equal(last().state, 'online');
    state.fail('the server refused the API key: revoked');
    state.emit();
    assert.deepEqual([last().state, last().error], ['error', 'the server refused the API key: revoked']);
    state.networkDown('cannot reach the server: fetch failed');
    state.emit();
    assert.equal(last().state, 'error', 'a failure outranks being offline');
    state.clearFailure();
    state.emit();
    assert.deepEqual([last().state, last().error], ['offline', 'cannot reach the server: fetch failed']);
    state.networkUp();
    state.emit();
    assert.deepEqual([last().state, last().error], ['online', null]);
  });

  test('the browser going offline shows at the next emit; heals are counted', () => {
    const { state, last, env } = harness(0);
    state.networkUp();
    state.setCaughtUp();
    env.browserOffline = true;
    state.emit();
    assert.equal(last().state, 'offline');
    env.browserOffline = false;
    state.healedOne();
    state.healedOne();
    state.emit();
    assert.deepEqual([last().state, last().healed], ['online', 2]);
  });

  test('nothing is published once the store is closed', () => {
    const { state, published, env } = harness(0);
    let completed = false;
    state.status$.subscribe({ complete: () => (completed = true) });
    env.closed = true;
    state.networkUp();
    state.setCaughtUp();
    state.emit();
    assert.deepEqual(published, [initial]);
    state.complete();
    assert.equal(completed, true);
    assert.deepEqual(state.value, initial);
  });
});
