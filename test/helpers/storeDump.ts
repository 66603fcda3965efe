/**
 * Every table of a store, SQLite or PostgreSQL, row by row: two stores holding the same data dump
 * equal (`kith migrate-store`'s test and bench/migrate-store.ts). Rows are canonical JSON (keys
 * sorted) in a sorted list, so the two stores' row order and column order do not matter; Kysely's
 * own migration tables are left out (each store has its own, with its own times).
 */
import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../server/store/database.js';
import { isPostgres } from '../../server/store/dialect.js';

export type TableDump = Record<string, string[]>;

export async function tableNames(db: Db): Promise<string[]> {
  const { rows } = isPostgres(db)
    ? await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db)
    : await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db);
  return rows
    .map((r) => r.name)
    .filter((name) => !/^(sqlite_|kysely_)/.test(name))
    .sort();
}

function canonical(row: Record<string, unknown>): string {
  return JSON.stringify(
    Object.fromEntries(
      Object.keys(row)
        .sort()
        .map((k) => [k, row[k]]),
    ),
  );
}

async function tableRows(db: Db, table: string): Promise<string[]> {
  const rows = await db.selectFrom(table).selectAll().execute();
  return rows.map(canonical).sort();
}

/** Every table's rows (for small stores: a difference shows which rows). */
export async function dumpTables(db: Db): Promise<TableDump> {
  const out: TableDump = {};
  for (const table of await tableNames(db)) out[table] = await tableRows(db, table);
  return out;
}

/** Every table's row count and a SHA-256 over its sorted rows (for large stores). */
export async function digestTables(db: Db): Promise<Record<string, { rows: number; sha256: string }>> {
  const out: Record<string, { rows: number; sha256: string }> = {};
  for (const table of await tableNames(db)) {
    const rows = await tableRows(db, table);
    const hash = crypto.createHash('sha256');
    for (const row of rows) hash.update(row).update('\n');
    out[table] = { rows: rows.length, sha256: hash.digest('hex') };
  }
  return out;
}
