/**
 * The store: the database of a data directory plus the change feed that tells live clients
 * (the /sync stream) about writes — from this process at once, from other processes on the same
 * file (the CLI, a direct `kith-mcp`) by watching the change sequence.
 */
import { EventEmitter } from 'node:events';
import type { CollectionName } from '../../shared/collections.js';
import { openDatabase, type Db, type OpenedDatabase } from './database.js';
import { beginWrite, currentSequence, finishSequence } from './records.js';

export interface ChangeNotice {
  /** null when the change came from another process and its workspace is unknown. */
  workspaceId: string | null;
  collections: CollectionName[] | null;
  sequence: number;
}

/**
 * Who may read what changed: an API key revoked, a membership removed or re-roled, a workspace's
 * settings changed. Announced by the account service after the write (this process only: open
 * streams also re-check on a short timer, which catches other processes such as the CLI).
 */
export interface AccessNotice {
  kind: 'key' | 'membership' | 'workspace';
  workspaceId: string | null;
  userId: string | null;
  keyId: string | null;
}

export class ChangeFeed extends EventEmitter<{ change: [ChangeNotice]; access: [AccessNotice] }> {
  private lastSeen = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor() {
    super();
    this.setMaxListeners(0);
  }

  /** Called after a commit in this process. */
  notify(notice: ChangeNotice): void {
    if (notice.sequence > this.lastSeen) this.lastSeen = notice.sequence;
    this.emit('change', notice);
  }

  /** Called after a committed change of keys, memberships, roles or workspace settings. */
  notifyAccess(notice: AccessNotice): void {
    this.emit('access', notice);
  }

  /** Polls the change sequence so writes by other processes reach live clients too. */
  watch(db: Db, intervalMs = 250): void {
    if (this.timer) return;
    const tick = async () => {
      try {
        const sequence = await currentSequence(db);
        if (sequence > this.lastSeen) {
          this.lastSeen = sequence;
          this.emit('change', { workspaceId: null, collections: null, sequence });
        }
      } catch {
        // the database is closing; the next tick (if any) tries again
      }
    };
    void currentSequence(db).then((s) => {
      this.lastSeen = Math.max(this.lastSeen, s);
    });
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

export interface Store extends OpenedDatabase {
  dataDir: string;
  feed: ChangeFeed;
  /**
   * Runs `fn` in one IMMEDIATE transaction. Collections passed to `touch` are announced on the
   * feed after the commit, with the sequence value the transaction reached.
   */
  write<T>(workspaceId: string, fn: (tx: Db, touch: (collection: CollectionName, version: number) => void) => Promise<T>): Promise<T>;
}

export async function openStore(dataDir: string, options: { create?: boolean } = {}): Promise<Store> {
  const opened = await openDatabase(dataDir, options);
  const feed = new ChangeFeed();
  return {
    ...opened,
    dataDir,
    feed,
    async close() {
      feed.stop();
      await opened.close();
    },
    async write(workspaceId, fn) {
      const touched = new Set<CollectionName>();
      let sequence = 0;
      const result = await opened.db.transaction().execute(async (tx) => {
        beginWrite(tx, opened);
        const value = await fn(tx, (collection, version) => {
          touched.add(collection);
          if (version > sequence) sequence = version;
        });
        await finishSequence(tx);
        return value;
      });
      if (touched.size > 0) feed.notify({ workspaceId, collections: [...touched], sequence });
      return result;
    },
  };
}
