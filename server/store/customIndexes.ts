/**
 * Custom field values in SQL: the expression that reads one (`json_extract` with the path as a
 * literal, so SQLite can match it to an expression index) and the index behind it, created when a
 * field is defined (server/domain/entities/fields.ts) or, for fields defined before, by migration
 * 0010_computed (remade in the current form by 0015_list_indexes). One index per table and key
 * (shared by every workspace with such a key), on ("workspaceId"[, "type" for custom object
 * records], value, "deleted", "archivedAt", "createdAt", "id"): equality, ranges and `empty` on
 * scalar custom values use it, a count reads it alone, the default order follows it;
 * multi-selects (json_each) and `contains` (LIKE) scan the workspace's rows as before.
 */
import { sql, type RawBuilder } from 'kysely';
import type { CollectionName } from '../../shared/collections.js';
import { FIELD_KEY } from '../../shared/schemas.js';
import type { Db } from './database.js';
import { isPostgres, jsonScalar } from './dialect.js';

/** The JSON path of a custom value (a money value compares by its amount). */
function pathOf(key: string, type: string): string {
  if (!FIELD_KEY.test(key)) throw new Error(`not a custom field key: ${key}`);
  return `$.${key}${type === 'money' ? '.amount' : ''}`;
}

const valueExpression = (key: string, type: string) => `json_extract("custom", '${pathOf(key, type)}')`;

/** SQL of a record's custom value of `key` (a field of `type`), for comparisons (server/store/dialect.ts `jsonScalar` on PostgreSQL). */
export function customValueSql(db: Db, key: string, type: string): RawBuilder<unknown> {
  if (isPostgres(db)) return jsonScalar(db, 'custom', pathOf(key, type), type === 'money' || type === 'number' ? 'number' : type === 'boolean' ? 'boolean' : 'text');
  return sql.raw(valueExpression(key, type));
}

/** Types whose filters compare the value itself (multi-selects are matched through json_each, long text is not filtered by equality). */
const INDEXED_TYPES = new Set(['text', 'number', 'money', 'date', 'datetime', 'boolean', 'select', 'url', 'email', 'phone', 'reference']);

/** Creates the index of a custom field's values unless it exists; `table` is the collection holding the values. */
export async function ensureCustomIndex(db: Db, table: CollectionName, key: string, type: string): Promise<void> {
  // PostgreSQL: not yet (its expression would have to match jsonScalar's exactly)
  if (!INDEXED_TYPES.has(type) || isPostgres(db)) return;
  const name = `${table}_custom_${key}${type === 'money' ? '_amount' : ''}`;
  // then "deleted" and "archivedAt" (a count of the live records with a value reads the index alone)
  // and "createdAt", "id" (their default order, newest first, is the index's: no sort)
  const columns = `"workspaceId", ${table === 'records' ? '"type", ' : ''}${valueExpression(key, type)}, "deleted", "archivedAt", "createdAt", "id"`;
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
