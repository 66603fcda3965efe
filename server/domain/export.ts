/**
 * CSV export of a list (SPEC §3 "Export"): the same query as the list (filters, operators, search,
 * sort), read page by page with the list's own keyset pagination, so memory stays flat however many
 * rows match. A header row of field keys (custom fields as `custom.<key>`), labels and multi-selects
 * joined with `;`, money as "1200 EUR" — the forms an import reads back.
 */
import { COLLECTIONS, type CollectionName } from '../../shared/collections.js';
import { CUSTOMIZABLE, type FieldDefinition } from '../../shared/customFields.js';
import { SqlRecordReader } from '../store/reader.js';
import type { Row } from '../store/records.js';
import type { Ctx } from './context.js';
import type { RecordService } from './records.js';

const PAGE = 500;

function cell(value: unknown): string {
  if (value == null) return '';
  if (Array.isArray(value)) return value.map((v) => cell(v)).join(';');
  if (typeof value === 'object') {
    const money = value as { amount?: unknown; currency?: unknown };
    if (money.amount !== undefined && typeof money.currency === 'string') return `${String(money.amount)} ${money.currency}`;
    return JSON.stringify(value);
  }
  return String(value);
}

/** The rows of a list's CSV, a page at a time (the header row first), for an adapter to write as CSV. */
export async function* exportRows(records: RecordService, ctx: Ctx, collection: CollectionName, query: Row, extra: Row = {}): AsyncGenerator<string[][]> {
  const { format: _format, cursor: _cursor, limit: _limit, count: _count, ...filters } = query;
  const entity = collection === 'records' && typeof query.type === 'string' ? query.type : collection;
  const custom: FieldDefinition[] =
    (CUSTOMIZABLE as readonly string[]).includes(entity) || collection === 'records'
      ? (await new SqlRecordReader(records.store.db, ctx.workspaceId).customFields(entity)).filter((d) => !d.archivedAt)
      : [];
  const standard = Object.keys(COLLECTIONS[collection].record.shape).filter((k) => k !== 'workspaceId' && k !== 'custom');
  const header = [...standard, ...custom.map((d) => `custom.${d.key}`)];
  yield [header];
  let cursor: string | null = null;
  do {
    const page = await records.list(ctx, collection, { ...filters, limit: String(PAGE), ...(cursor ? { cursor } : {}) }, extra);
    const lines = page.data.map((record) => [...standard.map((k) => cell(record[k])), ...custom.map((d) => cell((record.custom as Row | undefined)?.[d.key]))]);
    if (lines.length) yield lines;
    cursor = page.nextCursor;
  } while (cursor);
}
