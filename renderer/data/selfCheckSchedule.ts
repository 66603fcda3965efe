/**
 * When the self-check (selfCheck.ts) runs: 2 s after the first catch-up, 2 s after every stream
 * (re)connect, every `selfCheckInterval`, and on `verify()`. One run at a time, one collection
 * after another; a collection whose replication is behind or busy is re-synced and looked at
 * again (three tries). Only replicating collections are checked (the leader tab's).
 */
import type { RxDatabase } from 'rxdb';
import type { RxReplicationState } from 'rxdb/plugins/replication';
import { COLLECTION_NAMES, type CollectionName } from '../../shared/collections.js';
import type { SyncCheckpoint } from '../../shared/sync.js';
import type { ServerRequest } from './connection.js';
import type { PendingWrites } from './pending.js';
import type { Replications } from './replication.js';
import { selfCheck, type SelfCheckResult } from './selfCheck.js';
import type { StatusState } from './status.js';

/** After catching up or reconnecting, the self-check waits this long for the replications to settle. */
export const SELF_CHECK_SETTLE_MS = 2000;
/** Milliseconds between periodic self-checks unless `selfCheckInterval` says otherwise. */
const DEFAULT_INTERVAL_MS = 10 * 60_000;

/** Waits until the collection's replication is idle (bounded); false when it did not settle. */
async function settled(replication: RxReplicationState<any, SyncCheckpoint>): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 10_000)));
  try {
    return await Promise.race([replication.awaitInSync().then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface SelfCheckScheduleDeps {
  db: RxDatabase;
  replications: Replications;
  pending: PendingWrites;
  request: ServerRequest;
  /** `caughtUp` gates the schedule; a heal counts in `healed`. */
  status: StatusState;
  isClosed(): boolean;
}

export class SelfCheckSchedule {
  private timer: ReturnType<typeof setInterval> | null = null;
  private delay: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<Record<CollectionName, SelfCheckResult>> | null = null;

  constructor(private readonly deps: SelfCheckScheduleDeps) {}

  /** Once every replication caught up: a check after the settle time, then every `interval` ms (default 10 minutes; 0 = none). */
  afterCatchUp(interval: number | undefined): void {
    this.schedule(SELF_CHECK_SETTLE_MS);
    const every = interval ?? DEFAULT_INTERVAL_MS;
    if (every > 0) this.timer = setInterval(() => this.schedule(0), every);
  }

  /** A check after `delay` ms (nothing while one is scheduled, before catching up, or once closed). */
  schedule(delay: number): void {
    if (this.deps.isClosed() || !this.deps.status.caughtUp || this.delay) return;
    this.delay = setTimeout(() => {
      this.delay = null;
      void this.run().catch((error) => console.error('kith sync self-check failed', error));
    }, delay);
  }

  /** A check of every collection now; a check already running may have looked before the caller's moment, so a fresh one runs after it. */
  async verify(): Promise<Record<CollectionName, SelfCheckResult>> {
    await this.running?.catch(() => undefined);
    return this.run();
  }

  /** Stops the schedule; a running check stops at its next step (waited for at most 1 s; its errors end as 'inconclusive'). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.delay) clearTimeout(this.delay);
    if (this.running) await Promise.race([this.running.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1000))]);
  }

  private run(): Promise<Record<CollectionName, SelfCheckResult>> {
    if (this.running) return this.running;
    this.running = (async () => {
      const results = {} as Record<CollectionName, SelfCheckResult>;
      for (const name of COLLECTION_NAMES) results[name] = this.deps.isClosed() ? { outcome: 'inconclusive', reason: 'closed' } : await this.checkCollection(name);
      return results;
    })().finally(() => (this.running = null));
    return this.running;
  }

  private async checkCollection(name: CollectionName): Promise<SelfCheckResult> {
    const { db, replications, pending, request, status, isClosed } = this.deps;
    const replication = replications.byName.get(name);
    if (!replication) return { outcome: 'inconclusive', reason: 'not replicating (another tab is the leader, or sync has not started)' };
    let result: SelfCheckResult = { outcome: 'inconclusive', reason: 'not settled' };
    // behind or busy: let the replication catch up and look again (a few times)
    for (let attempt = 0; attempt < 3 && !isClosed(); attempt++) {
      if (!(await settled(replication))) continue;
      result = await selfCheck({
        db,
        name,
        identifier: replications.identifierOf(name),
        checkpoint: () => replications.checkpoint(name),
        hasPending: () => pending.hasAny(name),
        isPending: (id) => pending.has(name, id),
        get: async <T>(path: string): Promise<T> => (await request(path)).json() as Promise<T>,
        writeContext: () => replication.internalReplicationState!.downstreamBulkWriteFlag,
      });
      if (result.outcome !== 'inconclusive') break;
      replication.reSync();
      await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
    }
    if (result.outcome === 'healed') {
      status.healedOne();
      status.emit();
    } else if (result.outcome === 'diverged') {
      console.error(`kith sync self-check: ${name} ${result.reason}`);
    }
    return result;
  }
}
