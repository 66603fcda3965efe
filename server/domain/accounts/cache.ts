/**
 * The caches of authentication: successful key lookups and resolved contexts, valid while nothing
 * at all has been written to the database file since they were read (store.changeStamp(): writes
 * by this process and by other processes such as the CLI). A revoke, a membership or workspace
 * change — any write — empties them before the next request is served, so they never answer with
 * stale access.
 */
import type { Store } from '../../store/store.js';
import type { Ctx } from '../context.js';
import type { Auth } from './auth.js';

/** Entries either cache may hold before it is emptied anyway. */
const MAX_ENTRIES = 10_000;

export class AccessCache {
  /** Key hash → the key and its user. */
  readonly auth = new Map<string, Auth>();
  /** Key id + workspace selector → the context it resolved to (without its source). */
  readonly contexts = new Map<string, Omit<Ctx, 'source'>>();
  private stamp = '';

  constructor(private readonly store: Store) {}

  /** The current change stamp; empties the caches when it moved. */
  fresh(): string {
    const stamp = this.store.changeStamp();
    if (stamp !== this.stamp || this.auth.size > MAX_ENTRIES || this.contexts.size > MAX_ENTRIES) {
      this.auth.clear();
      this.contexts.clear();
      this.stamp = stamp;
    }
    return stamp;
  }

  /** Keeps a value read under `stamp` only if nothing was written while it was being read. */
  keepIfUnchanged<T>(cache: Map<string, T>, key: string, value: T, stamp: string): void {
    if (this.store.changeStamp() === stamp && this.stamp === stamp) cache.set(key, value);
  }
}
