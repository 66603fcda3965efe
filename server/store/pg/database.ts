/**
 * Opens a PostgreSQL database (KITH_DATABASE_URL) as the store: Kysely's PostgresDialect over a
 * `pg` pool, the migrations (server/store/pg/migrations.ts; Kysely's migrator holds an advisory
 * lock while it runs them, so processes starting at once migrate once), and the two things that
 * make PostgreSQL behave like the embedded SQLite store:
 *
 * - Every transaction locks the change-sequence row as its first statement (SQLite's
 *   `BEGIN IMMEDIATE`). Write transactions are then serialized from their first read, so a
 *   read-modify-write never loses an update under READ COMMITTED, and versions commit in sequence
 *   order, so a puller advancing by checkpoint never skips a row that committed late.
 * - Every commit sends `NOTIFY kith_commit` with the sequence it reached, inside the transaction
 *   (delivered only if it commits); each process LISTENs, which drives its change feed and the
 *   change stamp of its authentication caches. Account changes (revoked keys, ended memberships)
 *   also go out on `kith_access`.
 *
 * Timeouts (lock, statement, idle in transaction) and unique violations surface as the store's
 * errors (server/store/errors.ts): 503 with Retry-After, 409.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { CompiledQuery, Kysely, Migrator, PostgresDialect, PostgresDriver, type DatabaseConnection, type Driver, type MigrationProvider, type TransactionSettings } from 'kysely';
import type { Db, OpenedDatabase } from '../database.js';
import { translatePgError } from '../errors.js';
import type { AccessNotice } from '../store.js';
import { PG_MIGRATIONS } from './migrations.js';

/** Waiting for a lock (the change sequence's, mostly) longer than this answers 503. */
export const LOCK_TIMEOUT_MS = 10_000;
export const STATEMENT_TIMEOUT_MS = 60_000;
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;
const POOL_SIZE = 10;

/** The advisory lock key of first-start work (migrations, owner and workspace): 'kith' in ASCII. */
const SETUP_LOCK = 0x6b697468;
const COMMIT_CHANNEL = 'kith_commit';
const ACCESS_CHANNEL = 'kith_access';
const LOCK_SEQUENCE_SQL = `select "value" from "changeSequence" where "id" = 1 for update`;
const LOCK_SEQUENCE = CompiledQuery.raw(LOCK_SEQUENCE_SQL);
const NOTIFY_COMMIT_SQL = `select pg_notify('${COMMIT_CHANNEL}', (select "value"::text from "changeSequence" where "id" = 1))`;
/**
 * Begin + lock, and notify + commit, each as one round trip: without parameters pg sends a string
 * through the simple query protocol, which runs several statements in order and stops at the first
 * error (a failed notify leaves the commit unsent; Kysely then rolls back). Two of a small write's
 * dozen round trips.
 */
const BEGIN_LOCKED = CompiledQuery.raw(`begin; ${LOCK_SEQUENCE_SQL}`);
const NOTIFY_AND_COMMIT = CompiledQuery.raw(`${NOTIFY_COMMIT_SQL}; commit`);

/** int8 (counts, BIGINT columns) and numeric (sums) as JavaScript numbers: every stored value is a safe integer or a double. */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === 20 || oid === 1700) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

function poolConfig(url: string, max: number): pg.PoolConfig {
  return {
    connectionString: url,
    max,
    types: TYPES,
    application_name: 'kith',
    lock_timeout: LOCK_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
  };
}

const WRITE_NODES = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode']);

/** Whether a query may change rows (a raw statement counts unless it is a plain SELECT). */
function mayWrite(query: CompiledQuery): boolean {
  const kind = query.query.kind;
  if (WRITE_NODES.has(kind)) return true;
  return kind === 'RawNode' && !/^\s*select\b/i.test(query.sql);
}

/**
 * Errors of every query in PostgreSQL terms → the store's errors; `wrote` after each statement
 * that may have changed rows, so the change stamp also moves on writes made outside a transaction
 * (account and workspace updates through `store.db`), not only on commits.
 */
function translating(connection: DatabaseConnection, wrote: () => void): DatabaseConnection {
  const marked = connection as DatabaseConnection & { kithTranslating?: true };
  if (marked.kithTranslating) return connection;
  const execute = connection.executeQuery.bind(connection);
  connection.executeQuery = async <R>(query: CompiledQuery) => {
    try {
      const result = await execute<R>(query);
      if (mayWrite(query)) wrote();
      return result;
    } catch (error) {
      throw translatePgError(error);
    }
  };
  marked.kithTranslating = true;
  return connection;
}

/** PostgresDriver whose transactions take the sequence lock first and announce their commit. */
class SerializedDriver extends PostgresDriver {
  constructor(
    config: ConstructorParameters<typeof PostgresDriver>[0],
    private readonly committed: () => void,
  ) {
    super(config);
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    return translating(await super.acquireConnection(), this.committed);
  }

  override async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (settings.isolationLevel || settings.accessMode) {
      await super.beginTransaction(connection, settings);
      await connection.executeQuery(LOCK_SEQUENCE);
    } else await connection.executeQuery(BEGIN_LOCKED);
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(NOTIFY_AND_COMMIT);
    this.committed();
  }
}

class SerializedDialect extends PostgresDialect {
  constructor(
    private readonly config: ConstructorParameters<typeof PostgresDialect>[0],
    private readonly committed: () => void,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    return new SerializedDriver(this.config, this.committed);
  }
}

export interface PgListenHandlers {
  /** Another (or this) process committed; `sequence` is the change sequence it reached. */
  commit(sequence: number): void;
  /** An account change announced by another process. */
  access(notice: AccessNotice): void;
  /** The listening connection was lost and is back: notices in between may be missing. */
  resumed(): void;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}

/**
 * Runs `fn` holding the setup lock: a session-level advisory lock on a connection of its own (ended
 * afterwards, which also releases the lock if the process dies while holding it).
 */
async function withSetupLock<T>(url: string, fn: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'kith-setup' });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [SETUP_LOCK]);
    return await fn();
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function migrate(url: string): Promise<void> {
  const migrationDb = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool(poolConfig(url, 1)) }) });
  try {
    const provider: MigrationProvider = { getMigrations: async () => PG_MIGRATIONS };
    const { error, results } = await new Migrator({ db: migrationDb, provider }).migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error');
      throw new Error(`database migration ${failed?.migrationName ?? ''} failed on ${redactUrl(url)}: ${(error as Error).message ?? error}`);
    }
  } finally {
    await migrationDb.destroy();
  }
}

export async function openPostgres(url: string): Promise<OpenedDatabase> {
  // processes starting at once: one migrates (Kysely's migration table included), the others wait
  await withSetupLock(url, () => migrate(url));

  let localCommits = 0;
  let remoteNotices = 0;
  const pool = new pg.Pool(poolConfig(url, POOL_SIZE));
  // an idle client's connection dropping (a server restart) must not crash the process
  pool.on('error', (error) => console.error('kith: PostgreSQL connection lost:', error.message));
  // nor a checked-out one's between two statements (the pool listens only to idle clients): the
  // next statement on it fails with its own error, and the pool drops it when it is released
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db: Db = new Kysely({
    dialect: new SerializedDialect({ pool }, () => {
      localCommits++;
    }),
  });

  const origin = randomUUID();
  let listener: pg.Client | null = null;
  let listening: PgListenHandlers | null = null;
  let retry: NodeJS.Timeout | null = null;
  let closed = false;

  const connectListener = async (resumed: boolean): Promise<void> => {
    if (closed || !listening) return;
    const client = new pg.Client({ connectionString: url, application_name: 'kith-listen' });
    client.on('notification', (message) => {
      remoteNotices++;
      const handlers = listening;
      if (!handlers) return;
      if (message.channel === COMMIT_CHANNEL) handlers.commit(Number(message.payload ?? 0));
      else if (message.channel === ACCESS_CHANNEL && message.payload) {
        const { from, notice } = JSON.parse(message.payload) as { from: string; notice: AccessNotice };
        if (from !== origin) handlers.access(notice);
      }
    });
    const lost = () => {
      if (listener !== client) return;
      listener = null;
      remoteNotices++;
      void client.end().catch(() => undefined);
      if (!closed) retry = setTimeout(() => void connectListener(true), 500);
    };
    client.on('error', lost);
    client.on('end', lost);
    try {
      await client.connect();
      await client.query(`listen ${COMMIT_CHANNEL}; listen ${ACCESS_CHANNEL}`);
      listener = client;
      if (closed) {
        await client.end();
        return;
      }
      if (resumed) {
        remoteNotices++;
        listening?.resumed();
      }
    } catch (error) {
      void client.end().catch(() => undefined);
      if (!closed) {
        console.error('kith: could not LISTEN on PostgreSQL; retrying:', (error as Error).message);
        retry = setTimeout(() => void connectListener(true), 1000);
      }
    }
  };

  const sqliteOnly = (what: string) => () => {
    throw new Error(`${what} is SQLite's; this store is PostgreSQL (${redactUrl(url)})`);
  };

  return {
    db,
    dialect: 'postgres',
    // any use of the SQLite handle throws, naming the store
    raw: new Proxy({} as OpenedDatabase['raw'], { get: sqliteOnly('store.raw') }),
    prepare: sqliteOnly('store.prepare'),
    file: redactUrl(url),
    changeStamp: () => `${localCommits}:${remoteNotices}`,
    async listen(handlers: PgListenHandlers) {
      if (listening) return;
      listening = handlers;
      await connectListener(false);
    },
    exclusive: (fn) => withSetupLock(url, fn),
    async publishAccess(notice: AccessNotice) {
      await db.executeQuery(CompiledQuery.raw(`select pg_notify('${ACCESS_CHANNEL}', $1)`, [JSON.stringify({ from: origin, notice })]));
    },
    async close() {
      if (closed) return;
      closed = true;
      if (retry) clearTimeout(retry);
      const client = listener;
      listener = null;
      if (client) await client.end().catch(() => undefined);
      await db.destroy();
    },
  };
}
