/**
 * The few SQL expressions that differ between SQLite and PostgreSQL, for the domain's raw-SQL call
 * sites: JSON values of the TEXT columns holding JSON (`custom`, `labels`, `detail`), array
 * membership, case-insensitive matching, the larger of two values, a table's columns. Each takes
 * the connection or transaction it will run on and builds the expression for its dialect, so the
 * domain stays dialect-free.
 *
 * JSON paths are SQLite's `$.a.b` form (object keys only) on both dialects.
 */
import { PostgresAdapter, sql, type Expression, type RawBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Db } from './database.js';

/** Whether `db` (a connection or a transaction) talks to PostgreSQL. */
export function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** `$.a.b` → the keys ['a', 'b'] (PostgreSQL's `#>` path). */
function pathKeys(path: string): string[] {
  if (path === '$') return [];
  if (!path.startsWith('$.')) throw new Error(`unsupported JSON path ${path}`);
  return path.slice(2).split('.');
}

/** The JSON value at `path` of a JSON text column, as jsonb (PostgreSQL only). */
function pgJson(column: string, path: string): RawBuilder<unknown> {
  return sql`(${sql.ref(column)}::jsonb #> ${pathKeys(path)}::text[])`;
}

/**
 * The scalar at `path` of a JSON text column, for comparisons: SQLite's `json_extract` (numbers as
 * numbers, true/false as 1/0, strings as text); on PostgreSQL the same, by the kind of value the
 * caller compares with (a number, a 0/1 boolean, or text).
 */
export function jsonScalar(db: Db, column: string, path: string, as: 'text' | 'number' | 'boolean' = 'text'): RawBuilder<unknown> {
  if (!isPostgres(db)) return sql`json_extract(${sql.ref(column)}, ${path})`;
  const value = pgJson(column, path);
  if (as === 'number') return sql`(case when jsonb_typeof(${value}) = 'number' then (${value})::text::double precision end)`;
  if (as === 'boolean') return sql`(case when jsonb_typeof(${value}) = 'boolean' then (case when (${value})::text = 'true' then 1 else 0 end) end)`;
  return sql`(${sql.ref(column)}::jsonb #>> ${pathKeys(path)}::text[])`;
}

/**
 * The value at `path` of a JSON text column, to select beside its `jsonType`: objects and arrays as
 * JSON text, strings as text, numbers as SQLite's `json_extract` gives them (PostgreSQL: as text;
 * the caller converts by the type).
 */
export function jsonSelect(db: Db, column: string, path: string): RawBuilder<unknown> {
  if (!isPostgres(db)) return sql`json_extract(${sql.ref(column)}, ${path})`;
  const value = pgJson(column, path);
  return sql`(case when jsonb_typeof(${value}) = 'string' then (${value}) #>> '{}' else (${value})::text end)`;
}

/**
 * SQLite's `json_type` of the value at `path` ('null', 'true', 'false', 'integer', 'real', 'text',
 * 'array', 'object'; null when absent), on both dialects.
 */
export function jsonType(db: Db, column: string, path: string): RawBuilder<string | null> {
  if (!isPostgres(db)) return sql<string | null>`json_type(${sql.ref(column)}, ${path})`;
  const value = pgJson(column, path);
  return sql<string | null>`(case jsonb_typeof(${value})
    when 'boolean' then (${value})::text
    when 'number' then (case when (${value})::text ~ '^-?[0-9]+$' then 'integer' else 'real' end)
    when 'string' then 'text'
    else jsonb_typeof(${value}) end)`;
}

/** The JSON array at `path` of a JSON text column (`$` for the column itself) contains the string `value`. */
export function jsonArrayContains(db: Db, column: string, path: string, value: string): Expression<SqlBool> {
  if (!isPostgres(db)) return sql<SqlBool>`exists (select 1 from json_each(${sql.ref(column)}, ${path}) where json_each.value = ${value})`;
  return sql<SqlBool>`coalesce(${pgJson(column, path)} @> jsonb_build_array(${value}::text), false)`;
}

/** The length of the JSON array at `path` (null when absent; 0 when not an array). */
export function jsonArrayLength(db: Db, column: string, path: string): RawBuilder<number | null> {
  if (!isPostgres(db)) return sql<number | null>`json_array_length(${sql.ref(column)}, ${path})`;
  const value = pgJson(column, path);
  return sql<number | null>`(case jsonb_typeof(${value}) when 'array' then jsonb_array_length(${value}) when null then null else 0 end)`;
}

/** `target` contains `text`, ignoring ASCII case (SQLite's LIKE; PostgreSQL's ILIKE); `%`, `_` and `\` in `text` match themselves. */
export function containsText(db: Db, target: Expression<unknown>, text: string): Expression<SqlBool> {
  const pattern = `%${text.replace(/[\\%_]/g, (ch) => '\\' + ch)}%`;
  return isPostgres(db) ? sql<SqlBool>`${target} ilike ${pattern} escape '\\'` : sql<SqlBool>`${target} like ${pattern} escape '\\'`;
}

/** The larger of two values (SQLite's two-argument `max`, PostgreSQL's `greatest`). */
export function greatest(db: Db, a: Expression<unknown>, b: Expression<unknown>): RawBuilder<unknown> {
  return isPostgres(db) ? sql`greatest(${a}, ${b})` : sql`max(${a}, ${b})`;
}

/**
 * The rows of a claim's `select` that no other transaction is claiming: PostgreSQL's
 * `FOR UPDATE SKIP LOCKED` (several server processes claim scheduled work side by side, none waits
 * for another's claim and no row is claimed twice); SQLite has one writer at a time, so the select
 * stands as it is. Used as `update … where id in (<this>)`.
 */
export function skipLocked<QB extends SelectQueryBuilder<any, any, any>>(db: Db, query: QB): QB {
  return isPostgres(db) ? (query.forUpdate().skipLocked() as QB) : query;
}

/** The column names of a table. */
export async function tableColumns(db: Db, table: string): Promise<Set<string>> {
  const { rows } = isPostgres(db)
    ? await sql<{ name: string }>`select column_name as name from information_schema.columns where table_schema = current_schema() and table_name = ${table}`.execute(db)
    : await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(db);
  return new Set(rows.map((r) => r.name));
}
