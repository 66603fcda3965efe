/**
 * The store: the database — a data directory's SQLite file, or PostgreSQL when KITH_DATABASE_URL
 * names one — plus the change feed that tells live clients (the /sync stream) about writes: from
 * this process at once; from other processes (the CLI, a direct `kith-mcp`, other servers on one
 * PostgreSQL) by watching the change sequence (SQLite) or through LISTEN/NOTIFY (PostgreSQL).
 */
import { EventEmitter } from 'node:events';
import type { CollectionName } from '../../shared/collections.js';
import { openDatabase, type Db, type OpenedDatabase } from './database.js';
import { openPostgres } from './pg/database.js';
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
  /** Announcements to other processes still being sent (closing waits for them: a CLI exits right after). */
  private readonly publishing = new Set<Promise<void>>();

  /** @param opened PostgreSQL: where other processes' commits and account changes are heard (LISTEN) and announced. */
  constructor(private readonly opened?: Pick<OpenedDatabase, 'listen' | 'publishAccess'>) {
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
    const sent = this.opened?.publishAccess?.(notice).catch((error) => console.error('kith: could not announce an account change to other processes:', error));
    if (!sent) return;
    this.publishing.add(sent);
    void sent.finally(() => this.publishing.delete(sent));
  }

  /** Waits for the account changes being announced to other processes. */
  async flush(): Promise<void> {
    await Promise.all([...this.publishing]);
  }

  private heard(sequence: number): void {
    if (sequence > this.lastSeen) {
      this.lastSeen = sequence;
      this.emit('change', { workspaceId: null, collections: null, sequence });
    }
  }

  /**
   * Follows writes by other processes so they reach live clients too: SQLite polls the change
   * sequence; PostgreSQL LISTENs (and after a lost connection every stream re-reads from its own
   * checkpoint, and access is re-checked).
   */
  watch(db: Db, intervalMs = 250): void {
    if (this.opened?.listen) {
      void currentSequence(db).then((s) => {
        this.lastSeen = Math.max(this.lastSeen, s);
      });
      void this.opened.listen({
        commit: (sequence) => this.heard(sequence),
        access: (notice) => this.emit('access', notice),
        resumed: () => {
          this.emit('change', { workspaceId: null, collections: null, sequence: this.lastSeen });
          this.emit('access', { kind: 'workspace', workspaceId: null, userId: null, keyId: null });
        },
      });
      return;
    }
    if (this.timer) return;
    const tick = async () => {
      try {
        this.heard(await currentSequence(db));
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
  /** Runs `fn` as the only process doing first-start work on this database (PostgreSQL: an advisory lock; SQLite: as is). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** One cheap read (the change sequence): throws when the database cannot answer (GET /health). */
  ping(): Promise<void>;
  /**
   * Runs `fn` in one write transaction (SQLite: IMMEDIATE; PostgreSQL: the change-sequence row
   * locked first). Collections passed to `touch` are announced on the
   * feed after the commit, with the sequence value the transaction reached.
   */
  write<T>(workspaceId: string, fn: (tx: Db, touch: (collection: CollectionName, version: number) => void) => Promise<T>): Promise<T>;
}

export interface StoreOptions {
  /** false: refuse to create a new SQLite database (the CLI's commands other than init). */
  create?: boolean;
  /** A PostgreSQL URL (postgres://…); by default KITH_DATABASE_URL, else the data directory's SQLite file. */
  databaseUrl?: string;
}

/** The PostgreSQL URL the store uses, or null for SQLite. */
export function databaseUrlOf(options: StoreOptions = {}): string | null {
  return options.databaseUrl || process.env.KITH_DATABASE_URL || null;
}

export async function openStore(dataDir: string, options: StoreOptions = {}): Promise<Store> {
  const url = databaseUrlOf(options);
  const opened = url ? await openPostgres(url) : await openDatabase(dataDir, options);
  const feed = new ChangeFeed(opened);
  return {
    ...opened,
    dataDir,
    feed,
    exclusive: (fn) => (opened.exclusive ? opened.exclusive(fn) : fn()),
    async ping() {
      await currentSequence(opened.db);
    },
    async close() {
      feed.stop();
      await feed.flush();
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
