/**
 * The sync status the UI shows (`KithStore.status$`): the facts the other parts of the store
 * report (network, failure, replication activity, first-load progress, heals) and the one
 * derivation of `online | offline | syncing | error` from them.
 *
 * Setters only record a fact; `emit()` derives the status and publishes it when anything the UI
 * sees changed, so a caller records what it learned and emits once. No server, database or timer
 * is involved: the pending count, the browser's offline flag and the clock come in as functions.
 */
import { BehaviorSubject, type Observable } from 'rxjs';

export interface SyncStatus {
  state: 'online' | 'offline' | 'syncing' | 'error';
  pending: number;
  error: string | null;
  lastSyncedAt: string | null;
  /** While a first load runs: the records it has written so far; otherwise null. */
  loaded: number | null;
  /** Divergences from the server (a local copy missing or holding a wrong version of server rows) found by the self-check and healed in this session. */
  healed: number;
}

/** What the status is derived from. */
export interface StatusFacts {
  /** What the last request or stream connection found ('unknown' before the first). */
  network: 'unknown' | 'up' | 'down';
  /** Why the server refused (401/403/5xx, with its message) or sync could not start: the status says 'error'. */
  failure: string | null;
  /** Why the server could not be reached (shown while offline). */
  networkError: string | null;
  /** Some replication is pulling or pushing. */
  active: boolean;
  /** Every replication has completed its first pull. */
  initialDone: boolean;
  /** Records written by first loads in this session (shown while any load is still running). */
  firstLoadWritten: number;
  /** Collections whose first-load step has not finished yet. */
  loadsLeft: number;
  /** Divergences the self-check found and healed in this session. */
  healed: number;
}

/**
 * The status for these facts, given the last status published (`prev`): `lastSyncedAt` becomes
 * `now` when the client becomes online with nothing pending, and stays while it remains so.
 */
export function deriveStatus(facts: StatusFacts, pending: number, browserOffline: boolean, prev: SyncStatus, now: () => Date): SyncStatus {
  const offline = facts.network === 'down' || browserOffline;
  const state: SyncStatus['state'] = facts.failure ? 'error' : offline ? 'offline' : facts.active || !facts.initialDone || facts.network === 'unknown' ? 'syncing' : 'online';
  let lastSyncedAt = prev.lastSyncedAt;
  if (state === 'online' && pending === 0 && !(prev.state === 'online' && prev.pending === 0 && lastSyncedAt)) lastSyncedAt = now().toISOString();
  return {
    state,
    pending,
    error: facts.failure ?? (offline ? facts.networkError : null),
    lastSyncedAt,
    loaded: facts.loadsLeft > 0 && facts.firstLoadWritten > 0 ? facts.firstLoadWritten : null,
    healed: facts.healed,
  };
}

export function sameStatus(a: SyncStatus, b: SyncStatus): boolean {
  return a.state === b.state && a.pending === b.pending && a.error === b.error && a.lastSyncedAt === b.lastSyncedAt && a.loaded === b.loaded && a.healed === b.healed;
}

export interface StatusSources {
  /** Collections to first-load (each reports when its first-load step has finished). */
  collections: number;
  /** Local writes the server has not acknowledged yet. */
  pending(): number;
  /** True when the browser says it has no network. */
  browserOffline(): boolean;
  /** Once the store is closed nothing is published any more. */
  isClosed(): boolean;
  now?(): Date;
}

export class StatusState {
  private readonly subject = new BehaviorSubject<SyncStatus>({ state: 'syncing', pending: 0, error: null, lastSyncedAt: null, loaded: null, healed: 0 });
  private readonly facts: StatusFacts;

  constructor(private readonly sources: StatusSources) {
    this.facts = { network: 'unknown', failure: null, networkError: null, active: false, initialDone: false, firstLoadWritten: 0, loadsLeft: sources.collections, healed: 0 };
  }

  get status$(): Observable<SyncStatus> {
    return this.subject.asObservable();
  }

  /** The status last published. */
  get value(): SyncStatus {
    return this.subject.getValue();
  }

  /** True once every replication has completed its first pull. */
  get caughtUp(): boolean {
    return this.facts.initialDone;
  }

  /** A request got an answer, or the stream connected. */
  networkUp(): void {
    this.facts.network = 'up';
    this.facts.networkError = null;
  }

  /** A request or the stream could not reach the server. */
  networkDown(message: string): void {
    this.facts.network = 'down';
    this.facts.networkError = message;
  }

  /** The server refused (the status says 'error' with this message until cleared). */
  fail(message: string): void {
    this.facts.failure = message;
  }

  clearFailure(): void {
    this.facts.failure = null;
  }

  setActive(active: boolean): void {
    this.facts.active = active;
  }

  setCaughtUp(): void {
    this.facts.initialDone = true;
  }

  firstLoadWrote(records: number): void {
    this.facts.firstLoadWritten += records;
  }

  firstLoadFinished(): void {
    this.facts.loadsLeft--;
  }

  healedOne(): void {
    this.facts.healed++;
  }

  /** Derives the status from the facts and publishes it if it changed. */
  emit(): void {
    if (this.sources.isClosed()) return;
    const prev = this.subject.getValue();
    const next = deriveStatus(this.facts, this.sources.pending(), this.sources.browserOffline(), prev, this.sources.now ?? (() => new Date()));
    if (!sameStatus(prev, next)) this.subject.next(next);
  }

  complete(): void {
    this.subject.complete();
  }
}
