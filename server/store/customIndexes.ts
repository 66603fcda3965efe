/**
 * Custom field values in SQL: the expression that reads one (the path as a literal, so the store can
 * match it to an expression index; SQLite and PostgreSQL) and the index behind it, created when a
 * field is defined (server/domain/entities/fields.ts) or, for fields defined before, by migration
 * 0010_computed (remade in the current form by 0015_list_indexes; on PostgreSQL made by
 * 0016_pg_custom_indexes). One index per table and key
 * (shared by every workspace with such a key), on ("workspaceId"[, "type" for custom object
 * records], value, "deleted", "archivedAt", "createdAt", "id"): equality, ranges and `empty` on
 * scalar custom values use it, a count reads it alone, the default order follows it;
 * multi-selects (json_each) and `contains` (LIKE) scan the workspace's rows as before.
 */
import { sql, type RawBuilder } from 'kysely';
import type { CollectionName } from '../../shared/collections.js';
import { FIELD_KEY } from '../../shared/schemas.js';
import type { Db } from './database.js';
import { isPostgres } from './dialect.js';

/** The JSON path of a custom value (a money value compares by its amount). */
function pathOf(key: string, type: string): string {
  if (!FIELD_KEY.test(key)) throw new Error(`not a custom field key: ${key}`);
  return `$.${key}${type === 'money' ? '.amount' : ''}`;
}

/**
 * The expression of a custom value as SQL text, the path written as a literal (keys are checked by
 * FIELD_KEY), so that a query's expression is the index's: SQLite's `json_extract`; on PostgreSQL
 * the jsonb scalar as `jsonScalar` (server/store/dialect.ts) reads it — numbers as double precision,
 * booleans as 1/0, the rest as text.
 */
function valueExpression(db: Db, key: string, type: string): string {
  if (!isPostgres(db)) return `json_extract("custom", '${pathOf(key, type)}')`;
  const keys = `'{${key}${type === 'money' ? ',amount' : ''}}'`;
  const value = `("custom"::jsonb #> ${keys}::text[])`;
  if (type === 'money' || type === 'number') return `(case when jsonb_typeof(${value}) = 'number' then (${value})::text::double precision end)`;
  if (type === 'boolean') return `(case when jsonb_typeof(${value}) = 'boolean' then (case when (${value})::text = 'true' then 1 else 0 end) end)`;
  return `("custom"::jsonb #>> ${keys}::text[])`;
}

/** SQL of a record's custom value of `key` (a field of `type`), for comparisons. */
export function customValueSql(db: Db, key: string, type: string): RawBuilder<unknown> {
  return sql.raw(valueExpression(db, key, type));
}

/** Types whose filters compare the value itself (multi-selects are matched through json_each, long text is not filtered by equality). */
const INDEXED_TYPES = new Set(['text', 'number', 'money', 'date', 'datetime', 'boolean', 'select', 'url', 'email', 'phone', 'reference']);

/** Creates the index of a custom field's values unless it exists; `table` is the collection holding the values. */
export async function ensureCustomIndex(db: Db, table: CollectionName, key: string, type: string): Promise<void> {
  if (!INDEXED_TYPES.has(type)) return;
  const name = `${table}_custom_${key}${type === 'money' ? '_amount' : ''}`;
  // then "deleted" and "archivedAt" (a count of the live records with a value reads the index alone)
  // and "createdAt", "id" (their default order, newest first, is the index's: no sort)
  const columns = `"workspaceId", ${table === 'records' ? '"type", ' : ''}(${valueExpression(db, key, type)}), "deleted", "archivedAt", "createdAt", "id"`;
  await sql.raw(`CREATE INDEX IF NOT EXISTS "${name}" ON "${table}" (${columns})`).execute(db);
}

const STANDARD = new Set(['organizations', 'people', 'deals', 'activities']);

/** Creates the index of every custom field defined (migrations). */
export async function ensureCustomIndexes(db: Db): Promise<void> {
  const fields = await sql<{ entity: string; key: string; type: string }>`select distinct "entity", "key", "type" from "fields" where "deleted" = 0`.execute(db);
  for (const f of fields.rows) await ensureCustomIndex(db, STANDARD.has(f.entity) ? (f.entity as CollectionName) : 'records', f.key, f.type);
}

/** Drops the custom field indexes made in an earlier form and creates them as ensureCustomIndex now does (migrations). */
export async function remakeCustomIndexes(db: Db): Promise<void> {
  if (isPostgres(db)) return;
  const { rows } = await sql<{ name: string }>`select "name" from "sqlite_master" where "type" = 'index' and "name" like '%!_custom!_%' escape '!'`.execute(db);
  for (const { name } of rows) await sql.raw(`DROP INDEX "${name.replace(/"/g, '""')}"`).execute(db);
  await ensureCustomIndexes(db);
}
