/**
 * Regression test for RxDB 17.6's dropped RESYNC, with RxDB alone (memory storage, an in-memory
 * "server", no HTTP): while a push runs, the downstream holds stream events back; when the push
 * ends, a held document event and a held `RESYNC` are drained in one batch and the `RESYNC` is
 * dropped (downstream.js: the `else { break; }` after `openTasks.shift()`). The document event's
 * checkpoint then moves past rows that were never pulled, and they stay missing for good.
 *
 * Kith's client hands every stream event to RxDB through `toReplicationTask` (renderer/data/
 * stream.ts), which turns it into a `RESYNC` poke, so the replication always pulls from its own
 * checkpoint. The same scenario is run once with RxDB's stock handling of document events (which
 * must lose rows: it proves the scenario still reproduces the bug) and once through Kith's mapping
 * (which must lose nothing). Reverting the mapping to pass documents through fails the second test.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { Subject } from 'rxjs';
import { createRxDatabase, type RxReplicationPullStreamItem } from 'rxdb';
import { replicateRxCollection } from 'rxdb/plugins/replication';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { RESYNC, type StreamEvent } from '../../shared/sync.js';
import { toReplicationTask } from '../../renderer/data/stream.js';

type Doc = { id: string; value: string; version: number; _deleted: boolean };
type Item = RxReplicationPullStreamItem<Doc, { sequence: number }>;

const schema = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: { id: { type: 'string', maxLength: 100 }, value: { type: 'string' }, version: { type: 'number' } },
  required: ['id', 'value', 'version'],
} as const;

/** Runs the scenario; `deliver` is how a server stream event reaches RxDB's pull.stream$. Returns the ids the client holds. */
async function scenario(name: string, deliver: (event: StreamEvent) => Item): Promise<{ local: string[]; server: string[] }> {
  const db = await createRxDatabase({ name, storage: getRxStorageMemory() });
  try {
    await db.addCollections({ docs: { schema } });
    // the "server": documents with a change sequence
    const server: Doc[] = [];
    let sequence = 0;
    const serverWrite = (id: string, value: string) => {
      const doc = { id, value, version: ++sequence, _deleted: false };
      const at = server.findIndex((d) => d.id === id);
      if (at >= 0) server.splice(at, 1);
      server.push(doc);
      return doc;
    };
    const stream$ = new Subject<Item>();
    let releasePush!: () => void;
    const pushGate = new Promise<void>((resolve) => (releasePush = resolve));
    let pushStarted!: () => void;
    const pushRunning = new Promise<void>((resolve) => (pushStarted = resolve));

    const replication = replicateRxCollection<Doc, { sequence: number }>({
      collection: db.docs,
      replicationIdentifier: `${name}-replication`,
      live: true,
      retryTime: 50,
      pull: {
        batchSize: 100,
        stream$: stream$.asObservable(),
        handler: async (checkpoint, batchSize) => {
          const from = checkpoint?.sequence ?? 0;
          const documents = server
            .filter((d) => d.version > from)
            .sort((a, b) => a.version - b.version)
            .slice(0, batchSize);
          return { documents, checkpoint: documents.length > 0 ? { sequence: documents[documents.length - 1].version } : (checkpoint ?? { sequence: 0 }) };
        },
      },
      push: {
        handler: async (rows) => {
          pushStarted();
          await pushGate;
          for (const row of rows) serverWrite(row.newDocumentState.id, row.newDocumentState.value);
          return [];
        },
      },
    });
    await replication.awaitInitialReplication();

    // a local write starts a push, which the "network" holds
    await db.docs.insert({ id: 'local-1', value: 'made offline', version: 0 });
    await pushRunning;

    // meanwhile the server changes rows the stream does not announce (the client was reconnecting) …
    for (let i = 1; i <= 4; i++) serverWrite(`missed-${i}`, `written while the push ran ${i}`);
    // … then the stream delivers a change, and the RESYNC of its reconnect, both held by the push
    const announced = serverWrite('announced', 'on the stream');
    stream$.next(deliver({ collection: 'organizations', documents: [announced], checkpoint: { sequence: announced.version } }));
    await new Promise((resolve) => setTimeout(resolve, 10)); // the stream reconnects …
    stream$.next(RESYNC); // … and says RESYNC
    await new Promise((resolve) => setTimeout(resolve, 20));

    releasePush();
    await replication.awaitInSync();
    // give any further (lost) work a chance to happen
    await new Promise((resolve) => setTimeout(resolve, 200));
    await replication.awaitInSync();
    const local = (await db.docs.find().exec()).map((d) => d.id).sort();
    await replication.cancel();
    return { local, server: server.map((d) => d.id).sort() };
  } finally {
    await db.close();
  }
}

/** RxDB's stock handling: the event's documents and checkpoint go straight into the downstream. */
const documentsAsIs = (event: StreamEvent): Item => ({ documents: event.documents as Doc[], checkpoint: event.checkpoint });

describe('RxDB 17.6 dropped RESYNC (RxDB alone, memory storage)', () => {
  test('the scenario reproduces the bug with document events: rows written before the announced one are never pulled', async () => {
    const { local, server } = await scenario('dropped-resync-stock', documentsAsIs);
    const missing = server.filter((id) => !local.includes(id));
    assert.deepEqual(missing, ['missed-1', 'missed-2', 'missed-3', 'missed-4'], 'RxDB dropped the RESYNC and skipped the rows below the event checkpoint');
  });

  test("with Kith's stream mapping (every event a RESYNC poke) the client holds every server row", async () => {
    const { local, server } = await scenario('dropped-resync-kith', toReplicationTask);
    assert.deepEqual(local, server);
    assert.equal(local.length, 6);
  });
});
