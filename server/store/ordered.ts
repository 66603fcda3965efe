/**
 * The first rows of a list in its order, fast whatever share of the rows its filters match
 * (issue 12, bench/query.ts). SQLite's planner picks one index per table: given a filter with an
 * index (`status=open`, `lastActivityAt[lt]=…`) and an order another index gives (newest first),
 * it may read every match through the filter's index and sort them all — 70,000 rows for 50 when
 * the filter matches 70% of 100,000 deals — or, with other statistics, walk the order's index
 * past every non-match of a rare filter. Which one it picks depends on `sqlite_stat1` (absent,
 * sampled by `PRAGMA optimize`, or skewed by an index added since), so it is not left to chance:
 *
 * 1. when the planner's plan reads in the list's order (no `TEMP B-TREE FOR ORDER BY`), that plan;
 * 2. otherwise, through the order's index (`INDEXED BY`), the matches among the first `span` rows
 *    in the list's order — enough when the filters match a fair share (≥ 1 in 20);
 * 3. the rest of the page, if any, from the rows after those, by the planner's plan (a rare
 *    filter: its index and a sort of its few matches).
 *
 * The rows and their order are the plain query's; only the reading differs. PostgreSQL, whose
 * planner has statistics and weighs the LIMIT, runs the plain query.
 */
import { CompiledQuery, type ExpressionBuilder, type SelectQueryBuilder } from 'kysely';
import type { Db } from './database.js';
import { isPostgres } from './dialect.js';
import type { Row } from './records.js';

type Select = SelectQueryBuilder<any, any, any>;

export interface OrderedRead {
  table: string;
  /** The list's query, every condition but the order and limit. */
  filtered: Select;
  /**
   * The same without the filters: the workspace, live records, the part of the list read (empty
   * values or not) and the cursor — what the order's index answers by itself.
   */
  unfiltered: Select;
  /** The order: columns, each in `dir` (the last one `id`). */
  order: string[];
  dir: 'asc' | 'desc';
  /** The columns an index must start with (after "workspaceId") to give the order. */
  indexKey: string[];
  /** Only live, not archived records (the query says `"deleted" = 0` and `"archivedAt" is null`): a partial index of those may serve. */
  live: boolean;
  limit: number;
}

/** How many rows in order are read through the order's index before leaving a rare filter to the planner. */
const SPAN_PER_ROW = 20;
const MIN_SPAN = 1000;

export async function readInOrder(db: Db, read: OrderedRead): Promise<Row[]> {
  const ordered = (q: Select) => read.order.reduce((acc, column) => acc.orderBy(column, read.dir), q);
  const plain = ordered(read.filtered).limit(read.limit);
  if (isPostgres(db)) return plain.execute();
  if (!(await sortsEveryMatch(db, plain.compile()))) return plain.execute();
  const index = await orderIndex(db, read.table, read.indexKey, read.live);
  if (!index) return plain.execute();

  const span = Math.max(MIN_SPAN, SPAN_PER_ROW * read.limit);
  const [last] = await indexedBy<Row>(
    db,
    ordered(read.unfiltered)
      .clearSelect()
      .select(read.order)
      .limit(1)
      .offset(span - 1),
    read.table,
    index,
  );
  const bound = (op: string) => (eb: ExpressionBuilder<any, any>) =>
    read.order.length === 1 ? eb(read.order[0], op as '<', last[read.order[0]]) : eb(eb.refTuple(read.order[0], read.order[1]), op as '<', eb.tuple(last[read.order[0]], last[read.order[1]]));
  const within = last ? read.filtered.where(bound(read.dir === 'desc' ? '>=' : '<=')) : read.filtered;
  const rows = await indexedBy<Row>(db, ordered(within).limit(read.limit), read.table, index);
  if (!last || rows.length === read.limit) return rows;
  const rest = await ordered(read.filtered.where(bound(read.dir === 'desc' ? '<' : '>')))
    .limit(read.limit - rows.length)
    .execute();
  return [...rows, ...rest];
}

/** Whether SQLite's plan for `query` sorts its matches in memory (rather than reading them in order). */
async function sortsEveryMatch(db: Db, query: CompiledQuery): Promise<boolean> {
  const plan = await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]));
  return plan.rows.some((row) => /TEMP B-TREE FOR ORDER BY/.test(row.detail));
}

/** Runs `query` reading its table through `index` only (SQLite's INDEXED BY). */
async function indexedBy<R>(db: Db, query: Select, table: string, index: string): Promise<R[]> {
  const { sql: text, parameters } = query.compile();
  const from = `from "${table}"`;
  const at = text.indexOf(from);
  if (at < 0) throw new Error(`no ${from} in ${text}`);
  const indexed = `${text.slice(0, at + from.length)} indexed by "${index}"${text.slice(at + from.length)}`;
  return (await db.executeQuery<R>(CompiledQuery.raw(indexed, [...parameters]))).rows as R[];
}

const indexCache = new WeakMap<Db, Map<string, string | null>>();

/** Partial indexes of live records (server/store/migrations.ts liveIndexes) end their definition so. */
const LIVE_WHERE = /WHERE "deleted" = 0 AND "archivedAt" IS NULL$/;

/**
 * An index of `table` whose keys begin with "workspaceId" then `key`: a partial one of live records
 * first when `live`, else one on every row; null when there is none.
 */
async function orderIndex(db: Db, table: string, key: string[], live: boolean): Promise<string | null> {
  let cache = indexCache.get(db);
  if (!cache) indexCache.set(db, (cache = new Map()));
  const id = `${table}:${key.join(',')}:${live}`;
  if (cache.has(id)) return cache.get(id)!;
  const want = ['workspaceId', ...key];
  const { rows: indexes } = await db.executeQuery<{ name: string; sql: string | null }>(
    CompiledQuery.raw(`select "name", "sql" from "sqlite_master" where "type" = 'index' and "tbl_name" = ?`, [table]),
  );
  const fitting: { name: string; partial: boolean }[] = [];
  for (const index of indexes) {
    const { rows: columns } = await db.executeQuery<{ name: string | null }>(CompiledQuery.raw(`select "name" from pragma_index_info(?) order by "seqno"`, [index.name]));
    if (!want.every((column, i) => columns[i]?.name === column)) continue;
    const partial = /\bWHERE\b/i.test(index.sql ?? '');
    if (partial && !(live && LIVE_WHERE.test(index.sql ?? ''))) continue;
    fitting.push({ name: index.name, partial });
  }
  const name = (fitting.find((f) => f.partial) ?? fitting[0])?.name ?? null;
  cache.set(id, name);
  return name;
}
