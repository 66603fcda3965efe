/**
 * Per-transaction memo: what a write transaction reads many times and does not change itself —
 * the custom field definitions the rules check every record against, the active webhook endpoints
 * and automations every audited change is matched with — is read once per transaction instead of
 * once per record (an import commits hundreds of records per transaction). Outside a transaction
 * nothing is kept: every call loads. A transaction that changes what it memoized forgets it.
 */
import type { Db } from './database.js';

const memos = new WeakMap<Db, Map<string, Promise<unknown>>>();

/** `load()`'s result, loaded once per transaction `db` and key (every call when `db` is not a transaction). */
export function memoInTransaction<T>(db: Db, key: string, load: () => Promise<T>): Promise<T> {
  if (!db.isTransaction) return load();
  let memo = memos.get(db);
  if (!memo) memos.set(db, (memo = new Map()));
  let value = memo.get(key) as Promise<T> | undefined;
  if (!value) memo.set(key, (value = load()));
  return value;
}

/** Forgets what transaction `db` memoized under keys starting with `prefix` (after it wrote those rows). */
export function forgetInTransaction(db: Db, prefix: string): void {
  const memo = memos.get(db);
  if (!memo) return;
  for (const key of memo.keys()) if (key.startsWith(prefix)) memo.delete(key);
}
