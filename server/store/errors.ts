/**
 * Errors of the store that callers answer without knowing the dialect: the database is busy (a
 * lock or statement timeout, a deadlock; HTTP 503 with Retry-After) or a write broke a unique
 * constraint that the domain's own checks did not catch (HTTP 409). PostgreSQL's errors are
 * translated into these by its driver (server/store/pg/database.ts).
 */
export class StoreBusyError extends Error {
  readonly status = 503;
  readonly expose = true;
  /** Seconds after which a retry may succeed. */
  readonly retryAfter = 1;
}

export class StoreConflictError extends Error {
  readonly status = 409;
  readonly expose = true;
}

/** PostgreSQL SQLSTATEs of a busy database: lock timeout, statement timeout, idle-in-transaction timeout, serialization failure, deadlock, too many connections. */
const BUSY = new Set(['55P03', '57014', '25P03', '40001', '40P01', '53300']);

/** A PostgreSQL error as a store error (or unchanged). */
export function translatePgError(error: unknown): unknown {
  const e = error as { code?: unknown; constraint?: unknown; message?: string; detail?: string };
  if (typeof e?.code !== 'string') return error;
  if (BUSY.has(e.code)) return Object.assign(new StoreBusyError(`the database is busy (${e.message ?? e.code}); retry shortly`), { cause: error });
  if (e.code === '23505') {
    const what = typeof e.detail === 'string' ? e.detail.replace(/^Key /, '') : `the unique constraint ${String(e.constraint ?? '')}`;
    return Object.assign(new StoreConflictError(`conflict: ${what}`), { cause: error });
  }
  return error;
}
