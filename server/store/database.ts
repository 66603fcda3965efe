/**
 * Opens the SQLite database of a data directory: WAL, busy timeout, cached prepared statements,
 * IMMEDIATE write transactions (so two processes on one file queue instead of failing), and the
 * migrations. Everything SQLite-specific lives in server/store/; the PostgreSQL store beside it is
 * server/store/pg/.
 */
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type MigrationProvider } from 'kysely';
import { MIGRATIONS } from './migrations.js';
import type { PgListenHandlers } from './pg/database.js';
import type { AccessNotice } from './store.js';

// The schema is dynamic (one table per collection, custom objects later), so queries are built
// against an untyped database and records are typed at the domain boundary.
export type Db = Kysely<any>;

export interface OpenedDatabase {
  db: Db;
  /** SQLite (a data directory's file, the embedded default) or PostgreSQL (KITH_DATABASE_URL). */
  dialect: 'sqlite' | 'postgres';
  /** The raw handle, for the few SQLite-only operations in server/store/ (throws on PostgreSQL). */
  raw: BetterSqlite3.Database;
  /** A prepared statement from the connection's statement cache (the one Kysely uses too; SQLite only). */
  prepare(sql: string): BetterSqlite3.Statement;
  /** The SQLite file, or the PostgreSQL URL without its password. */
  file: string;
  /**
   * A value that changes whenever a write is committed to the file — by this connection or by
   * another one (another process such as the CLI). Cheap (no query through Kysely): caches of
   * rarely changing rows (API keys, memberships) validate against it on every request.
   */
  changeStamp(): string;
  /** PostgreSQL: LISTEN for other processes' commits and account changes (SQLite: the feed polls). */
  listen?(handlers: PgListenHandlers): Promise<void>;
  /** PostgreSQL: tells every process about an account change. */
  publishAccess?(notice: AccessNotice): Promise<void>;
  /**
   * PostgreSQL: runs `fn` while holding the database's setup lock (a session advisory lock), so
   * processes starting at once on an empty database migrate and bootstrap one after the other.
   */
  exclusive?<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function databaseFile(dataDir: string): string {
  return path.join(dataDir, 'kith.sqlite');
}

export async function openDatabase(dataDir: string, options: { create?: boolean } = {}): Promise<OpenedDatabase> {
  const file = databaseFile(dataDir);
  if (options.create === false && !fs.existsSync(file)) {
    throw new Error(`no Kith database in ${path.resolve(dataDir)} (expected ${file}); start the server once or set KITH_DATA_DIR`);
  }
  // a new data directory and database are readable by their owner only (SQLite gives the -wal and
  // -shm files the database file's mode); existing ones keep the mode an administrator gave them
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const isNew = !fs.existsSync(file);
  if (isNew) fs.closeSync(fs.openSync(file, 'a', 0o600));
  const raw = new BetterSqlite3(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('busy_timeout = 10000');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('foreign_keys = ON');
  raw.pragma('cache_size = -65536');

  const statements = new Map<string, BetterSqlite3.Statement>();
  const database = {
    close: () => raw.close(),
    prepare(query: string): BetterSqlite3.Statement {
      // Write transactions take the lock up front: a deferred one could fail with SQLITE_BUSY
      // when another process commits between its first read and first write.
      const text = query === 'begin' ? 'begin immediate' : query;
      let statement = statements.get(text);
      if (!statement) {
        statement = raw.prepare(text);
        if (statements.size > 5000) statements.clear();
        statements.set(text, statement);
      }
      return statement;
    },
  };
  const db: Db = new Kysely({ dialect: new SqliteDialect({ database }) });

  const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };
  // unordered: a migration landed with a lower name than one already applied (0010 after 0011,
  // written at the same time) still runs on data directories that have the later one
  const { error, results } = await new Migrator({ db, provider, allowUnorderedMigrations: true }).migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? error}`);
  }
  // data_version moves when another connection commits; total_changes when this one writes
  const dataVersion = raw.prepare('pragma data_version').pluck();
  const totalChanges = raw.prepare('select total_changes()').pluck();
  let closed = false;
  return {
    db,
    dialect: 'sqlite',
    raw,
    prepare: database.prepare,
    file,
    changeStamp: () => `${dataVersion.get() as number}:${totalChanges.get() as number}`,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}
