/**
 * `kith migrate-store` (SPEC §7, issue 17): copies every table of a SQLite data directory into an
 * empty PostgreSQL database, keeping what clients and keys depend on — ids, versions, the change
 * sequence, audit entries (with their `seq`), accounts, API key hashes, sessions, custom fields and
 * objects, saved views, webhooks, automations, imports — so sync checkpoints stay valid, keys keep
 * working and nothing is renumbered.
 *
 * - The source is opened read-only and read in one read transaction: a consistent snapshot, and
 *   the data directory is never changed. Its migrations must be exactly this Kith's (all applied,
 *   none unknown); the target is migrated by Kith's own PostgreSQL migrations (the same names).
 * - The whole copy is one PostgreSQL transaction (holding the change-sequence lock, like every
 *   write, and the first-start lock, so a server starting meanwhile waits and then finds the data):
 *   the target must hold no data (no account, workspace or record row, change sequence 0); on any
 *   error nothing is written.
 * - Values go over as the SQLite store holds them: both stores write the same row mapping
 *   (server/store/records.ts; 0/1 booleans, JSON as text, money in integer units), the PostgreSQL
 *   columns are BIGINT / DOUBLE PRECISION / TEXT (server/store/pg/migrations.ts). The change
 *   sequence row is overwritten with the source's; identity columns (`seq`) continue after the
 *   largest value copied (or SQLite's AUTOINCREMENT high-water mark, if higher); custom field
 *   expression indexes are made for the copied fields; each table's row count is checked before
 *   the commit; ANALYZE runs after it.
 */
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, sql } from 'kysely';
import { ensureCustomIndexes } from './customIndexes.js';
import { databaseFile, type Db } from './database.js';
import { MIGRATIONS } from './migrations.js';
import { openPostgres, redactUrl } from './pg/database.js';

/** Rows per INSERT. */
const BATCH_ROWS = 5_000;
/** Kysely's own bookkeeping (each store has its own) and SQLite's internal tables are not copied. */
const NOT_COPIED = /^(sqlite_|kysely_)/;
const SEQUENCE_TABLE = 'changeSequence';

export interface MigrateProgress {
  table: string;
  copied: number;
  total: number;
}

export interface MigrateResult {
  from: string;
  to: string;
  tables: { table: string; rows: number }[];
  rows: number;
  changeSequence: number;
  /** The whole run (opening, migrating the target, copying, ANALYZE). */
  seconds: number;
  /** The copy transaction alone (from the emptiness check to the commit). */
  copySeconds: number;
}

/** A refusal or failure with a message for the person running the command. */
export class MigrateStoreError extends Error {}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

interface SourceTable {
  name: string;
  columns: string[];
  rows: number;
}

/** Opens the data directory's SQLite file read-only and checks its migrations against this Kith's. */
function openSource(dataDir: string): BetterSqlite3.Database {
  const file = databaseFile(dataDir);
  if (!fs.existsSync(file)) throw new MigrateStoreError(`no Kith database in ${path.resolve(dataDir)} (expected ${file})`);
  const source = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    source.pragma('busy_timeout = 10000');
    const hasMigrations = source.prepare(`select 1 from sqlite_master where type = 'table' and name = 'kysely_migration'`).get();
    const applied = hasMigrations ? (source.prepare(`select name from kysely_migration`).all() as { name: string }[]).map((r) => r.name) : [];
    const known = Object.keys(MIGRATIONS);
    const unknown = applied.filter((name) => !known.includes(name));
    if (unknown.length > 0) {
      throw new MigrateStoreError(`${file} has migrations this Kith does not know (${unknown.join(', ')}): it was written by a newer Kith; run migrate-store with that version`);
    }
    const missing = known.filter((name) => !applied.includes(name));
    if (missing.length > 0) {
      throw new MigrateStoreError(
        `${file} is not at this Kith's schema (not applied: ${missing.join(', ')}): start this version's server (or any kith command) on the data dir once, stop it, then run migrate-store`,
      );
    }
    return source;
  } catch (error) {
    source.close();
    throw error;
  }
}

/** The tables to copy, each after the tables its foreign keys reference (PostgreSQL checks them on insert). */
function sourceTables(source: BetterSqlite3.Database): SourceTable[] {
  const names = (source.prepare(`select name from sqlite_master where type = 'table' order by name`).all() as { name: string }[]).map((r) => r.name).filter((name) => !NOT_COPIED.test(name));
  const references = (name: string) => (source.prepare(`select "table" from pragma_foreign_key_list(?)`).all(name) as { table: string }[]).map((r) => r.table).filter((t) => t !== name);
  const ordered: string[] = [];
  const visit = (name: string, path: string[]) => {
    if (ordered.includes(name) || !names.includes(name)) return;
    if (path.includes(name)) throw new MigrateStoreError(`the tables' foreign keys form a cycle (${[...path, name].join(' → ')})`);
    for (const referenced of references(name)) visit(referenced, [...path, name]);
    ordered.push(name);
  };
  for (const name of names) visit(name, []);
  return ordered.map((name) => ({
    name,
    columns: (source.prepare(`select name from pragma_table_info(?) order by cid`).all(name) as { name: string }[]).map((r) => r.name),
    rows: (source.prepare(`select count(*) as n from ${quote(name)}`).get() as { n: number }).n,
  }));
}

/** SQLite's AUTOINCREMENT high-water marks (a deleted last row's `seq` is never given again). */
function autoincrementMarks(source: BetterSqlite3.Database): Map<string, number> {
  const exists = source.prepare(`select 1 from sqlite_master where type = 'table' and name = 'sqlite_sequence'`).get();
  if (!exists) return new Map();
  return new Map((source.prepare(`select name, seq from sqlite_sequence`).all() as { name: string; seq: number }[]).map((r) => [r.name, r.seq]));
}

async function rowsOf<T>(db: Db, query: string, parameters: unknown[] = []): Promise<T[]> {
  return (await db.executeQuery<T>(CompiledQuery.raw(query, parameters))).rows;
}

/** The target's tables (besides Kysely's), their columns and each column's type. */
async function targetColumns(db: Db): Promise<Map<string, Map<string, string>>> {
  const rows = await rowsOf<{ table: string; column: string; type: string }>(
    db,
    `select table_name as "table", column_name as "column", data_type as "type" from information_schema.columns
      where table_schema = current_schema() and table_name not like 'kysely\\_%'`,
  );
  const out = new Map<string, Map<string, string>>();
  for (const r of rows) {
    if (!out.has(r.table)) out.set(r.table, new Map());
    out.get(r.table)!.set(r.column, r.type);
  }
  return out;
}

/** Refuses a target that holds any data: only an empty, freshly migrated database is written. */
async function checkEmpty(db: Db, tables: string[]): Promise<void> {
  const probes = tables.map((t) =>
    t === SEQUENCE_TABLE ? `select '${t}' as "table" where exists (select 1 from "${t}" where "value" <> 0)` : `select '${t}' as "table" where exists (select 1 from ${quote(t)})`,
  );
  const full = (await rowsOf<{ table: string }>(db, probes.join(' union all '))).map((r) => r.table);
  if (full.length > 0) {
    throw new MigrateStoreError(
      `the target database already holds data (in ${full.sort().join(', ')}): migrate-store copies into an empty database only (a new one, never started a server on); nothing was written`,
    );
  }
}

/**
 * Copies the SQLite data directory `from` into the PostgreSQL database at `to` (see the file's
 * comment). Throws MigrateStoreError with what to do when it refuses or fails; nothing is written then.
 */
export async function migrateStore(from: string, to: string, onProgress: (progress: MigrateProgress) => void = () => {}): Promise<MigrateResult> {
  const started = performance.now();
  const source = openSource(from);
  let target: Awaited<ReturnType<typeof openPostgres>> | null = null;
  try {
    source.exec('begin'); // one read snapshot for the counts and every row
    const tables = sourceTables(source);
    const marks = autoincrementMarks(source);
    const sourceSequence = (source.prepare(`select value from "changeSequence" where id = 1`).get() as { value: number } | undefined)?.value ?? 0;

    try {
      target = await openPostgres(to); // Kith's PostgreSQL migrations, under the first-start lock
    } catch (error) {
      throw new MigrateStoreError(`cannot open the target database ${redactUrl(to)}: ${(error as Error).message}`);
    }
    const pg = target;
    let copyStarted = 0;
    const copied = await pg.exclusive!(() =>
      pg.db.transaction().execute(async (tx) => {
        copyStarted = performance.now();
        const columns = await targetColumns(tx);
        for (const t of tables) {
          const have = columns.get(t.name);
          if (!have) throw new MigrateStoreError(`the data dir's table ${t.name} is not in the target database (its migrations differ from this Kith's)`);
          const lacking = t.columns.filter((c) => !have.has(c));
          if (lacking.length > 0) throw new MigrateStoreError(`the target's table ${t.name} lacks the column(s) ${lacking.join(', ')} (its migrations differ from this Kith's)`);
        }
        await checkEmpty(tx, [...columns.keys()]);

        const result: { table: string; rows: number }[] = [];
        for (const t of tables) {
          result.push({ table: t.name, rows: await copyTable(source, tx, t, columns.get(t.name)!, onProgress) });
        }
        await tx.executeQuery(CompiledQuery.raw(`update "changeSequence" set "value" = $1 where "id" = 1`, [sourceSequence]));

        // identity columns continue after what was copied (else the next insert collides)
        const identities = await rowsOf<{ table: string; column: string }>(
          tx,
          `select table_name as "table", column_name as "column" from information_schema.columns where table_schema = current_schema() and is_identity = 'YES'`,
        );
        for (const { table, column } of identities) {
          const [{ top }] = await rowsOf<{ top: number | null }>(tx, `select max(${quote(column)}) as "top" from ${quote(table)}`);
          const next = Math.max(Number(top ?? 0), marks.get(table) ?? 0);
          if (next > 0) await tx.executeQuery(CompiledQuery.raw(`select setval(pg_get_serial_sequence($1, $2), $3, true)`, [quote(table), column, next]));
        }
        await ensureCustomIndexes(tx); // the expression indexes of the copied custom fields

        for (const t of tables) {
          const [{ n }] = await rowsOf<{ n: number }>(tx, `select count(*) as "n" from ${quote(t.name)}`);
          if (Number(n) !== t.rows) throw new MigrateStoreError(`${t.name}: ${t.rows} rows read but ${n} in the target before commit; nothing was written`);
        }
        return result;
      }),
    );
    const copySeconds = (performance.now() - copyStarted) / 1000;
    await sql`analyze`.execute(pg.db); // fresh planner statistics for the copied rows
    const rows = copied.reduce((sum, t) => sum + t.rows, 0);
    return { from: databaseFile(from), to: redactUrl(to), tables: copied, rows, changeSequence: sourceSequence, seconds: (performance.now() - started) / 1000, copySeconds };
  } finally {
    if (source.inTransaction) source.exec('rollback');
    source.close();
    await target?.close();
  }
}

/**
 * Copies one table (inside the caller's transaction) in batches of up to 5,000 rows, each one
 * `INSERT … SELECT * FROM unnest(<one array per column>)`: a parameter per column rather than per
 * value, so a batch is one small statement whatever its width. Returns the rows copied.
 */
async function copyTable(source: BetterSqlite3.Database, tx: Db, table: SourceTable, types: Map<string, string>, onProgress: (progress: MigrateProgress) => void): Promise<number> {
  const total = table.rows;
  onProgress({ table: table.name, copied: 0, total });
  if (table.name === SEQUENCE_TABLE || total === 0) {
    if (table.name === SEQUENCE_TABLE) onProgress({ table: table.name, copied: total, total });
    return total;
  }
  const columnList = table.columns.map(quote).join(', ');
  const arrays = table.columns.map((c, i) => `$${i + 1}::${types.get(c)}[]`).join(', ');
  const insert = `insert into ${quote(table.name)} (${columnList}) select * from unnest(${arrays})`;

  let copied = 0;
  let batch: unknown[][] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const columns = table.columns.map((_c, i) => batch.map((row) => row[i]));
    try {
      await tx.executeQuery(CompiledQuery.raw(insert, columns));
    } catch (error) {
      const what = `rows ${(copied + 1).toLocaleString('en-US')}–${(copied + batch.length).toLocaleString('en-US')} of ${total.toLocaleString('en-US')}`;
      throw new MigrateStoreError(`copying ${table.name} (${what}) failed: ${(error as Error).message}; nothing was written`);
    }
    copied += batch.length;
    batch = [];
    onProgress({ table: table.name, copied, total });
  };
  const rows = source.prepare(`select ${columnList} from ${quote(table.name)}`).raw(true);
  for (const row of rows.iterate() as IterableIterator<unknown[]>) {
    batch.push(row);
    if (batch.length === BATCH_ROWS) await flush();
  }
  await flush();
  if (copied !== total) throw new MigrateStoreError(`${table.name}: counted ${plural(total, 'row')} but read ${copied}; nothing was written`);
  return copied;
}
