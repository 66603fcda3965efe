/**
 * Replication per collection: a first load (firstLoad.ts) of a collection never pulled — one
 * collection at a time, the board's first — then RxDB's replication against
 * `/sync/<collection>/pull` and `/push`, poked by the stream, and what its answers mean for the
 * pending set, the rejected changes and the status. Only the leader tab replicates.
 */
import { combineLatest, type Subject, type Subscription } from 'rxjs';
import type { RxCollection, RxDatabase } from 'rxdb';
import { replicateRxCollection, type RxReplicationState } from 'rxdb/plugins/replication';
import { COLLECTION_NAMES, type CollectionName } from '../../shared/collections.js';
import { PULL_MAX_LIMIT, type PullResponse, type PushRow, type SyncCheckpoint } from '../../shared/sync.js';
import type { ServerRequest } from './connection.js';
import { firstLoad } from './firstLoad.js';
import { REPLICATED_PUSH_CHECKPOINT } from './marks.js';
import type { PendingWrites } from './pending.js';
import { changedBeyondServerFields, type Rejections } from './rejections.js';
import type { StatusState } from './status.js';
import type { StreamItem } from './stream.js';

/** Collections in the order a first load fetches them: the board's pipelines, stages and deals first. */
const FIRST_LOAD_ORDER: CollectionName[] = [...new Set<CollectionName>(['pipelines', 'stages', 'deals', ...COLLECTION_NAMES])];

/**
 * Resolves once a replication's push side runs (bounded). RxDB 17.6 starts it asynchronously when
 * it has an initial checkpoint and, if cancelled in between, fails with an unhandled EmptyError
 * ("no elements in sequence"); closing waits for it first.
 */
async function pushStarted(replication: RxReplicationState<any, any>): Promise<void> {
  const deadline = Date.now() + 2000;
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  await Promise.race([replication.startPromise.catch(() => undefined), pause(2000)]);
  while (Date.now() < deadline && replication.internalReplicationState?.stats.up.upstreamInitialSync === 0) await pause(5);
}

export interface ReplicationDeps {
  db: RxDatabase;
  /** The server URL and the workspace id, which name the replications (their identifiers). */
  base: string;
  workspaceId: string;
  request: ServerRequest;
  /** The stream's pokes, per collection. */
  streams: Record<CollectionName, Subject<StreamItem>>;
  pending: PendingWrites;
  rejections: Rejections;
  status: StatusState;
  isClosed(): boolean;
  /** Milliseconds before a failed pull/push (or first-load page) is tried again. */
  retryTime: number;
  pullBatchSize: number;
  pushBatchSize: number;
}

export class Replications {
  /** The running replications (a collection appears once its first load is done). */
  readonly byName = new Map<CollectionName, RxReplicationState<any, SyncCheckpoint>>();
  /** Per collection, the sequence the pulls have reached (the replication's checkpoint). */
  private readonly pulledTo = new Map<CollectionName, number>();
  private readonly subs: Subscription[] = [];
  /** First loads run one collection at a time (IndexedDB does not write faster in parallel). */
  private firstLoads: Promise<unknown> = Promise.resolve();
  /** First loads waiting to fetch a page again; reconnect() (and close()) wakes them. */
  private readonly retryWaiters = new Set<() => void>();

  constructor(private readonly deps: ReplicationDeps) {}

  identifierOf(name: CollectionName): string {
    return `kith-sync|${this.deps.base}|${this.deps.workspaceId}|${name}`;
  }

  /** The sequence the collection's pulls have reached. */
  checkpoint(name: CollectionName): number {
    return this.pulledTo.get(name) ?? 0;
  }

  /** Starts every collection (first load, then replication); resolves once every replication runs. */
  startAll(): Promise<void[]> {
    return Promise.all(FIRST_LOAD_ORDER.map((name) => this.start(name)));
  }

  /** Keeps the status's `active` flag: true while any replication pulls or pushes. */
  watchActivity(): void {
    const { status } = this.deps;
    this.subs.push(
      combineLatest([...this.byName.values()].map((r) => r.active$)).subscribe((flags) => {
        status.setActive(flags.some(Boolean));
        status.emit();
      }),
    );
  }

  /** Resolves once every replication has completed its first pull. */
  awaitInitialReplication(): Promise<void[]> {
    return Promise.all([...this.byName.values()].map((r) => r.awaitInitialReplication()));
  }

  /** Wakes first loads waiting to fetch a page again (on reconnect and close). */
  wakeRetries(): void {
    for (const wake of [...this.retryWaiters]) wake();
  }

  reSyncAll(): void {
    for (const r of this.byName.values()) r.reSync();
  }

  /** Resolves when no first load runs any more (after close: when the running one stopped). */
  firstLoadsSettled(): Promise<unknown> {
    return this.firstLoads;
  }

  unsubscribe(): void {
    for (const s of this.subs) s.unsubscribe();
  }

  async cancel(): Promise<void> {
    await Promise.all([...this.byName.values()].map(async (r) => (await pushStarted(r), r.cancel())));
  }

  private pullHandler(name: CollectionName) {
    return async (checkpoint: SyncCheckpoint | undefined, batchSize: number) => {
      const res = await this.deps.request(`/sync/${name}/pull?checkpoint=${checkpoint?.sequence ?? 0}&limit=${Math.min(batchSize, PULL_MAX_LIMIT)}`);
      const body = (await res.json()) as PullResponse;
      const reached = body.checkpoint?.sequence ?? checkpoint?.sequence ?? 0;
      if (reached > (this.pulledTo.get(name) ?? 0)) this.pulledTo.set(name, reached);
      return { documents: body.documents as any[], checkpoint: body.checkpoint ?? checkpoint };
    };
  }

  /** The retry time, cut short by reconnect() or close(). */
  private waitToRetry(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.retryWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.deps.retryTime);
      this.retryWaiters.add(done);
    });
  }

  private async start(name: CollectionName): Promise<void> {
    const { db, status, pending, rejections, isClosed, pullBatchSize } = this.deps;
    const collection = db.collections[name] as RxCollection<any>;
    if (isClosed()) return;
    // only the leader tab replicates (and so first-loads)
    if (db.multiInstance) await db.waitForLeadership();
    if (isClosed()) return;
    const loading = this.firstLoads.then(async () => {
      if (isClosed()) return { pullCheckpoint: undefined };
      const result = await firstLoad({
        db,
        name,
        identifier: this.identifierOf(name),
        pageSize: pullBatchSize,
        fetchPage: (sequence) => this.pullHandler(name)({ sequence }, pullBatchSize),
        retryWait: () => this.waitToRetry(),
        isClosed,
        onProgress(written) {
          status.firstLoadWrote(written);
          status.emit();
        },
      });
      status.firstLoadFinished();
      status.emit();
      return result;
    });
    this.firstLoads = loading.catch(() => undefined);
    const { pullCheckpoint } = await loading;
    if (isClosed()) return;
    if (pullCheckpoint && pullCheckpoint.sequence > (this.pulledTo.get(name) ?? 0)) this.pulledTo.set(name, pullCheckpoint.sequence);

    const replication = replicateRxCollection<any, SyncCheckpoint>({
      collection,
      replicationIdentifier: this.identifierOf(name),
      deletedField: '_deleted',
      live: true,
      retryTime: this.deps.retryTime,
      waitForLeadership: true,
      autoStart: true,
      pull: {
        batchSize: pullBatchSize,
        initialCheckpoint: pullCheckpoint,
        stream$: this.deps.streams[name].asObservable(),
        handler: this.pullHandler(name),
      },
      // Every collection pushes, the pull-only one (stage changes) too: RxDB scans the local
      // documents for changes only when a push is set, from its initial checkpoint, which keeps
      // first-loaded documents out of the scan. Nothing writes stage changes locally; if anything
      // did, the server would refuse it and the client revert, like any refused push.
      push: {
        batchSize: this.deps.pushBatchSize,
        initialCheckpoint: REPLICATED_PUSH_CHECKPOINT,
        handler: async (rows) => {
          await pending.waitForReferences(rows.map((r) => r.newDocumentState as Record<string, unknown>));
          const res = await this.deps.request(`/sync/${name}/push`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(rows.map((r): PushRow => ({ assumedMasterState: r.assumedMasterState ?? null, newDocumentState: r.newDocumentState }))),
          });
          const conflicts = (await res.json()) as Record<string, unknown>[];
          // answers that only carry the server's bookkeeping are routine; others may be refusals
          const pushed = new Map(rows.map((r) => [(r.newDocumentState as { id: string }).id, r.newDocumentState as Record<string, unknown>]));
          if (conflicts.some((doc) => changedBeyondServerFields(doc, pushed.get(doc.id as string)))) rejections.refresh();
          return conflicts as any[];
        },
      },
    });
    this.byName.set(name, replication);

    // acknowledged pushes (and server answers that replaced the local state) are no longer pending
    this.subs.push(
      replication.sent$.subscribe((doc) => pending.noteSent(name, doc as Record<string, unknown>)),
      replication.conflict$.subscribe((c) => pending.noteReplaced(name, c.input.newDocumentState as Record<string, unknown>)),
      replication.error$.subscribe(() => status.emit()),
    );
  }
}
