/**
 * Pending local writes: every write to a pushable collection not made by the replication is kept
 * per document (its latest state) until the server acknowledges that exact state, or its answer
 * replaces it. The set counts in the status, is saved in a local document (so it survives a
 * reload), and holds back a push of records that reference a record the server has not
 * acknowledged yet (a person made offline is not pushed before its new organization).
 */
import type { Subscription } from 'rxjs';
import { deepEqual, type RxDatabase } from 'rxdb';
import { COLLECTIONS, COLLECTION_NAMES, REFERENCE_FIELDS, type CollectionName } from '../../shared/collections.js';

/** A push waits at most this long for the records its documents reference. */
const REFERENCE_WAIT_MS = 120_000;
/** Changes to the set are saved after this pause (one save for a burst). */
const SAVE_DELAY_MS = 100;

/** The document without RxDB's own fields (`_deleted`, `_meta`, `_rev`, `_attachments`). */
export function stripMeta(doc: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (!k.startsWith('_')) out[k] = v;
  return out;
}

/** Key of a document in the pending set (also the saved form: keep it stable). */
export const pendingKey = (collection: string, id: string) => `${collection}\u0000${id}`;

/** The pending set as saved: [key, the latest local state with `_deleted`]. */
export type PendingEntries = [string, Record<string, unknown>][];

/** Where the pending set is kept between sessions. */
export interface PendingStore {
  load(): Promise<PendingEntries | undefined>;
  save(entries: PendingEntries): Promise<unknown>;
}

/** The pending set in the database's local document `kith-pending`. */
export function localPendingStore(db: RxDatabase): PendingStore {
  return {
    load: async () => (await db.getLocal<{ entries: PendingEntries }>('kith-pending'))?.get('entries'),
    save: (entries) => db.upsertLocal('kith-pending', { entries }),
  };
}

/** One bulk of a collection's change events (RxDB's `eventBulks$`). */
export interface WriteBulk {
  /** The write context: `replication-…` for writes made by the replication. */
  context: string;
  events: readonly { documentId: string; operation: string; documentData: unknown }[];
}

export interface PendingDeps {
  store: PendingStore;
  isClosed(): boolean;
  /** Called after every change to the set (the status shows the count). */
  onChange(): void;
}

export class PendingWrites {
  private readonly entries = new Map<string, Record<string, unknown>>();
  /** Pushes waiting for references; woken on every change to the set. */
  private readonly waiters = new Set<() => void>();
  private saveTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly deps: PendingDeps) {}

  /** Takes over the set an earlier session saved (nothing saved, or unreadable: stays empty). */
  async restore(): Promise<void> {
    try {
      for (const [k, v] of (await this.deps.store.load()) ?? []) this.entries.set(k, v);
    } catch {
      // nothing saved
    }
  }

  get size(): number {
    return this.entries.size;
  }

  has(collection: CollectionName, id: string): boolean {
    return this.entries.has(pendingKey(collection, id));
  }

  /** True while the collection has any local write the server has not acknowledged. */
  hasAny(collection: CollectionName): boolean {
    const prefix = pendingKey(collection, '');
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) return true;
    return false;
  }

  /**
   * A bulk of changes to a collection: local writes to a pushable collection become pending
   * (their latest state); the replication's writes replace whatever was pending for the document.
   */
  noteWrites(collection: CollectionName, pushable: boolean, bulk: WriteBulk): void {
    const fromReplication = bulk.context.startsWith('replication-');
    let changed = false;
    for (const ev of bulk.events) {
      const key = pendingKey(collection, ev.documentId);
      if (fromReplication) {
        if (this.entries.delete(key)) changed = true;
      } else if (pushable) {
        const doc = stripMeta(ev.documentData as Record<string, unknown>);
        this.entries.set(key, { ...doc, _deleted: ev.operation === 'DELETE' || (ev.documentData as { _deleted?: boolean })._deleted === true });
        changed = true;
      }
    }
    if (changed) this.changed();
  }

  /** The server acknowledged a pushed state (the replication's `sent$`): no longer pending if it is still the latest local state. */
  noteSent(collection: CollectionName, doc: Record<string, unknown>): void {
    const key = pendingKey(collection, doc.id as string);
    const mine = this.entries.get(key);
    if (mine && deepEqual(stripMeta(doc), stripMeta(mine)) && Boolean(doc._deleted) === Boolean(mine._deleted)) {
      this.entries.delete(key);
      this.changed();
    }
  }

  /** The server's answer replaced a pushed state (`conflict$`): no longer pending — unless the user changed the record again meanwhile. */
  noteReplaced(collection: CollectionName, pushed: Record<string, unknown>): void {
    const key = pendingKey(collection, pushed.id as string);
    const mine = this.entries.get(key);
    if (mine && deepEqual(stripMeta(pushed), stripMeta(mine))) {
      this.entries.delete(key);
      this.changed();
    }
  }

  /**
   * Before pushing documents, waits (bounded) until the local records they reference (an
   * organization made offline before the person who works there) have reached the server, so
   * the server does not refuse the child for a missing parent.
   */
  async waitForReferences(docs: Record<string, unknown>[]): Promise<void> {
    const keys: string[] = [];
    for (const doc of docs) {
      for (const [field, target] of REFERENCE_FIELDS) {
        const id = doc[field];
        if (typeof id === 'string' && this.entries.has(pendingKey(target, id))) keys.push(pendingKey(target, id));
      }
    }
    // Pending entries clear when the server acknowledges or replaces them; the bound only guards
    // against an entry that can never clear (then the server's answer decides).
    const deadline = Date.now() + REFERENCE_WAIT_MS;
    while (!this.deps.isClosed() && Date.now() < deadline && keys.some((k) => this.entries.has(k))) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.waiters.delete(done);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(done, 250);
        this.waiters.add(done);
      });
    }
  }

  /** Saves the set now (on close); a failed save is ignored. */
  async save(): Promise<void> {
    await this.deps.store.save([...this.entries.entries()]).catch(() => undefined);
  }

  /** Cancels a scheduled save (on close, before the final `save()`). */
  stopSaving(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
  }

  private changed(): void {
    for (const w of [...this.waiters]) w();
    this.deps.onChange();
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      if (this.deps.isClosed()) return;
      void this.deps.store.save([...this.entries.entries()]).catch(() => undefined);
    }, SAVE_DELAY_MS);
  }
}

/** Feeds every collection's writes into the pending set. */
export function trackLocalWrites(db: RxDatabase, pending: PendingWrites): Subscription[] {
  return COLLECTION_NAMES.map((name) => {
    const pushable = COLLECTIONS[name].pushable;
    return db.collections[name].eventBulks$.subscribe((bulk) => pending.noteWrites(name, pushable, bulk));
  });
}
