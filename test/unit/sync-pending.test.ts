/**
 * Pending local writes (renderer/data/pending.ts) without a server or database: which writes
 * become pending and which clear them, when an acknowledgement counts, how the set is saved and
 * restored, and how a push waits for the records it references.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test, vi } from 'vitest';
import { REFERENCE_FIELDS } from '../../shared/collections.js';
import { PendingWrites, stripMeta, type PendingEntries, type WriteBulk } from '../../renderer/data/pending.js';

const ORG = '01a2337c-4cd4-749e-bb3f-9dd982ca1f88';
const PERSON = '01a2337c-4c59-77cb-a3b0-f6926f652b56';

/** A pending set over an in-memory store, counting changes and saves. */
function harness(saved?: PendingEntries | Error) {
  const env = { closed: false, changes: 0, saves: [] as PendingEntries[] };
  const pending = new PendingWrites({
    store: {
      load: async () => {
        if (saved instanceof Error) throw saved;
        return saved;
      },
      save: async (entries) => void env.saves.push(entries),
    },
    isClosed: () => env.closed,
    onChange: () => env.changes++,
  });
  return { env, pending };
}

const local = (events: WriteBulk['events']): WriteBulk => ({ context: 'rx-write', events });
const replicated = (events: WriteBulk['events']): WriteBulk => ({ context: 'replication-downstream-abc', events });
const org = (fields: Record<string, unknown> = {}) => ({ id: ORG, name: 'Acme', version: 3, _deleted: false, _rev: '2-x', _meta: { lwt: 1 }, _attachments: {}, ...fields });

afterEach(() => {
  vi.useRealTimers();
});

describe('tracking', () => {
  test('local writes to a pushable collection are pending (latest state, without RxDB fields); other collections are not', () => {
    const { pending, env } = harness();
    pending.noteWrites('organizations', true, local([{ documentId: ORG, operation: 'INSERT', documentData: org() }]));
    pending.noteWrites('organizations', true, local([{ documentId: ORG, operation: 'UPDATE', documentData: org({ name: 'Acme Ltd' }) }]));
    assert.equal(pending.size, 1, 'one entry per document');
    assert.equal(env.changes, 2);
    assert.ok(pending.has('organizations', ORG));
    assert.ok(pending.hasAny('organizations'));
    assert.ok(!pending.hasAny('people'));
    assert.ok(!pending.has('people', ORG), 'kept per collection');

    pending.noteWrites('stageChanges', false, local([{ documentId: 'sc-1', operation: 'INSERT', documentData: { id: 'sc-1' } }]));
    assert.equal(pending.size, 1, 'a pull-only collection has nothing to push');
    assert.equal(env.changes, 2, 'and nothing changed');
  });

  test("the replication's writes clear what was pending for their documents", () => {
    const { pending, env } = harness();
    pending.noteWrites('organizations', true, local([{ documentId: ORG, operation: 'INSERT', documentData: org() }]));
    pending.noteWrites('people', true, replicated([{ documentId: PERSON, operation: 'INSERT', documentData: { id: PERSON } }]));
    assert.equal(env.changes, 1, 'nothing was pending for that one');
    pending.noteWrites('organizations', true, replicated([{ documentId: ORG, operation: 'UPDATE', documentData: org({ version: 4 }) }]));
    assert.equal(pending.size, 0);
    assert.equal(env.changes, 2);
  });

  test('an acknowledgement clears only the exact state that is pending', () => {
    const { pending } = harness();
    pending.noteWrites('organizations', true, local([{ documentId: ORG, operation: 'UPDATE', documentData: org({ name: 'Acme Ltd' }) }]));
    pending.noteSent('organizations', org({ name: 'Acme' }));
    assert.equal(pending.size, 1, 'an earlier state was sent; the user changed the record again since');
    pending.noteSent('organizations', org({ name: 'Acme Ltd', _deleted: true }));
    assert.equal(pending.size, 1, 'deleted differs');
    pending.noteSent('organizations', org({ name: 'Acme Ltd', _rev: '9-y', _meta: { lwt: 99 } }));
    assert.equal(pending.size, 0, 'RxDB fields do not matter');
  });

  test('a delete is pending as deleted until the deletion is acknowledged', () => {
    const { pending } = harness();
    pending.noteWrites('organizations', true, local([{ documentId: ORG, operation: 'DELETE', documentData: org() }]));
    pending.noteSent('organizations', org());
    assert.equal(pending.size, 1, 'the live state is not the deletion');
    pending.noteSent('organizations', org({ _deleted: true }));
    assert.equal(pending.size, 0);
  });

  test('a server answer replacing the pushed state clears it, unless the user changed the record again', () => {
    const { pending } = harness();
    pending.noteWrites('organizations', true, local([{ documentId: ORG, operation: 'UPDATE', documentData: org({ name: 'Second' }) }]));
    pending.noteReplaced('organizations', org({ name: 'First' }));
    assert.equal(pending.size, 1);
    pending.noteReplaced('organizations', org({ name: 'Second' }));
    assert.equal(pending.size, 0);
  });

  test('stripMeta drops every field starting with an underscore', () => {
    assert.deepEqual(stripMeta(org()), { id: ORG, name: 'Acme', version: 3 });
  });
});

describe('saved between sessions', () => {
  test('restored from what an earlier session saved; an unreadable save leaves the set empty', async () => {
    const saved: PendingEntries = [[`organizations\u0000${ORG}`, { id: ORG, name: 'Acme', _deleted: false }]];
    const { pending, env } = harness(saved);
    await pending.restore();
    assert.ok(pending.has('organizations', ORG), 'the saved key format is collection NUL id');
    assert.equal(env.changes, 0, 'restoring is not a change');

    const broken = harness(new Error('storage unavailable'));
    await broken.pending.restore();
    assert.equal(broken.pending.size, 0);
  });

  test('a burst of changes is saved once, 100 ms after the first; nothing is saved after close', async () => {
    vi.useFakeTimers();
    const { pending, env } = harness();
    pending.noteWrites('organizations', true, local([{ documentId: ORG, operation: 'INSERT', documentData: org() }]));
    pending.noteWrites('people', true, local([{ documentId: PERSON, operation: 'INSERT', documentData: { id: PERSON, organizationId: ORG } }]));
    await vi.advanceTimersByTimeAsync(99);
    assert.equal(env.saves.length, 0);
    await vi.advanceTimersByTimeAsync(1);
    assert.equal(env.saves.length, 1);
    assert.deepEqual(
      env.saves[0].map(([key]) => key),
      [`organizations\u0000${ORG}`, `people\u0000${PERSON}`],
    );

    pending.noteSent('organizations', org());
    env.closed = true;
    await vi.advanceTimersByTimeAsync(200);
    assert.equal(env.saves.length, 1, 'closed before the save was due');
    await pending.save();
    assert.equal(env.saves.length, 2, 'the final save on close');
    assert.deepEqual(env.saves[1], [[`people\u0000${PERSON}`, { id: PERSON, organizationId: ORG, _deleted: false }]]);
  });

  test('a failing save is ignored', async () => {
    const pending = new PendingWrites({ store: { load: async () => undefined, save: () => Promise.reject(new Error('quota')) }, isClosed: () => false, onChange: () => undefined });
    await pending.save();
  });
});

describe('waiting for references', () => {
  test('every reference field holds a push back while its target is pending', async () => {
    assert.deepEqual(REFERENCE_FIELDS.map(([field]) => field).sort(), ['dealId', 'organizationId', 'personId', 'pipelineId', 'primaryPersonId', 'stageId']);
    for (const [field, target] of REFERENCE_FIELDS) {
      const { pending } = harness();
      pending.noteWrites(target, true, local([{ documentId: 'parent', operation: 'INSERT', documentData: { id: 'parent' } }]));
      const waiting = pending.waitForReferences([{ id: 'child', [field]: 'parent' }]).then(() => 'done');
      const first = await Promise.race([waiting, new Promise((resolve) => setTimeout(() => resolve('waiting'), 20))]);
      assert.equal(first, 'waiting', `${field} → ${target}`);
      pending.noteSent(target, { id: 'parent' });
      assert.equal(await waiting, 'done');
    }
  });

  test('a push of a person waits until the organization it references is acknowledged', async () => {
    const { pending } = harness();
    pending.noteWrites('organizations', true, local([{ documentId: ORG, operation: 'INSERT', documentData: org() }]));
    let done = false;
    const waiting = pending.waitForReferences([{ id: PERSON, organizationId: ORG }]).then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(done, false);
    pending.noteSent('organizations', org());
    await waiting;
  });

  test('nothing to wait for: unknown or acknowledged references, non-reference fields', async () => {
    const { pending } = harness();
    pending.noteWrites('organizations', true, local([{ documentId: ORG, operation: 'INSERT', documentData: org() }]));
    const started = Date.now();
    await pending.waitForReferences([
      { id: PERSON, organizationId: 'someone-else' },
      { id: 'x', ownerId: ORG },
      { id: 'y', dealId: ORG },
    ]);
    assert.ok(Date.now() - started < 50, 'returned at once');
  });

  test('closing the store ends the wait; so does the two-minute bound', async () => {
    vi.useFakeTimers();
    const { pending, env } = harness();
    pending.noteWrites('organizations', true, local([{ documentId: ORG, operation: 'INSERT', documentData: org() }]));
    let done = false;
    void pending.waitForReferences([{ id: PERSON, organizationId: ORG }]).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(119_000);
    assert.equal(done, false, 'still waiting after 119 s');
    await vi.advanceTimersByTimeAsync(1_250);
    assert.equal(done, true, 'gave up after 120 s');

    done = false;
    void pending.waitForReferences([{ id: PERSON, organizationId: ORG }]).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(1_000);
    assert.equal(done, false);
    env.closed = true;
    await vi.advanceTimersByTimeAsync(250);
    assert.equal(done, true);
  });
});
