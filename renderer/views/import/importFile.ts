/**
 * The import page's work on this device, before and after the server's session: reading a file's
 * columns and a few sample rows (CSV through csv-parse's browser build, or JSON rows), the column
 * mapping (auto-mapped by header with the server's own rule from shared/importColumns.ts, the
 * choices remembered per entity on this device), and the error report as a CSV file.
 */
import { parse } from 'csv-parse/browser/esm/sync';
import { stringify } from 'csv-stringify/browser/esm/sync';
import type { CollectionName } from '../../../shared/collections.js';
import type { FieldDefinition } from '../../../shared/customFields.js';
import { normalizeHeader, readOnlyFields, sniffDelimiter, targetKey, targetLookup, targets, type Target } from '../../../shared/importColumns.js';
import { download } from '../../components/records/exportCsv.js';

/** JSON bodies the server takes (larger files go as CSV, streamed). */
export const JSON_LIMIT = 1024 * 1024;
const SAMPLE_ROWS = 3;

export interface ParsedFile {
  kind: 'csv' | 'json';
  name: string;
  size: number;
  headers: string[];
  /** the first rows, by header, to show beside the mapping */
  sample: Record<string, string>[];
  /** JSON files: every row (sent as JSON); CSV files are sent as they are */
  rows: Record<string, unknown>[] | null;
}

export class FileProblem extends Error {}

const cellText = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** The columns and first rows of a CSV (any delimiter, quotes, BOM) or JSON-rows file; a FileProblem says what is wrong with it. */
export async function readImportFile(file: File): Promise<ParsedFile> {
  if (file.size === 0) throw new FileProblem(`${file.name} is empty.`);
  const json = /\.json$/i.test(file.name) || file.type === 'application/json';
  if (json) {
    if (file.size > JSON_LIMIT) throw new FileProblem(`${file.name} is larger than 1 MB: JSON rows are sent in one request, so save larger files as CSV.`);
    let rows: unknown;
    try {
      rows = JSON.parse(await file.text());
    } catch (error) {
      throw new FileProblem(`${file.name} is not valid JSON: ${(error as Error).message}`);
    }
    if (!Array.isArray(rows) || rows.length === 0 || !rows.every((r) => r && typeof r === 'object' && !Array.isArray(r)))
      throw new FileProblem(`${file.name} must hold a JSON array of rows, each an object by column ([{"name": "Ada", "email": "ada@example.com"}]).`);
    const objects = rows as Record<string, unknown>[];
    const headers = [...new Set(objects.flatMap((r) => Object.keys(r)))];
    return { kind: 'json', name: file.name, size: file.size, headers, sample: objects.slice(0, SAMPLE_ROWS).map((r) => Object.fromEntries(headers.map((h) => [h, cellText(r[h])]))), rows: objects };
  }
  // the header and a few rows are enough here: the server reads the whole file as it streams in
  const head = (await file.slice(0, 256 * 1024).text()).replace(/^\uFEFF/, '');
  if (head.includes('\u0000')) throw new FileProblem(`${file.name} is not a text file: choose a CSV (or a JSON file of rows).`);
  const firstLine = head.split(/\r?\n/, 1)[0] ?? '';
  let records: string[][];
  try {
    records = parse(head, { delimiter: sniffDelimiter(firstLine), relax_column_count: true, skip_empty_lines: true, to: SAMPLE_ROWS + 1, relax_quotes: true }) as string[][];
  } catch (error) {
    throw new FileProblem(`${file.name} could not be read as CSV: ${(error as Error).message}`);
  }
  const headers = (records[0] ?? []).map((h) => h.trim());
  if (headers.length === 0 || headers.every((h) => h === '')) throw new FileProblem(`${file.name} has no header row: the first line must name the columns.`);
  const blank = headers.findIndex((h) => h === '');
  if (blank >= 0) throw new FileProblem(`Column ${blank + 1} of ${file.name} has no name in the header row.`);
  const sample = records.slice(1).map((r) => Object.fromEntries(headers.map((h, i) => [h, r[i] ?? ''])));
  return { kind: 'csv', name: file.name, size: file.size, headers, sample, rows: null };
}

/** What a column can be imported as, for the mapping's select. */
export interface TargetOption {
  value: string;
  label: string;
  group: string;
}

const words = (key: string) => key.replace(/([A-Z])/g, ' $1').replace(/^./, (c) => c.toUpperCase());

function optionOf(target: Target): TargetOption {
  switch (target.kind) {
    case 'standard':
      return { value: target.key, label: words(target.key), group: 'Fields' };
    case 'ref':
      return { value: target.key, label: `${words(target.key)} (by ${target.ref.by})`, group: 'Related records' };
    case 'owner':
      return { value: 'owner', label: 'Owner (member email)', group: 'Related records' };
    case 'custom':
      return { value: targetKey(target), label: target.def.label, group: 'Custom fields' };
  }
}

export interface ImportTargets {
  options: TargetOption[];
  /** header → the target key the server would map it to (null: left out) */
  auto(header: string): string | null;
  /** a header the server leaves out by itself (an export's createdAt, version…) */
  serverSet(header: string): boolean;
  has(key: string): boolean;
}

/** The targets of an import into `collection` with these custom fields — the ones the server maps to. */
export function importTargets(collection: CollectionName, custom: FieldDefinition[]): ImportTargets {
  const all = targets(collection, custom);
  const lookup = targetLookup(all);
  const readOnly = new Set(readOnlyFields(collection).map(normalizeHeader));
  const options = all.map(({ target }) => optionOf(target));
  const keys = new Set(options.map((o) => o.value));
  return {
    options,
    auto: (header) => {
      const target = lookup(header);
      return target ? targetKey(target) : null;
    },
    serverSet: (header) => !lookup(header) && readOnly.has(normalizeHeader(header)),
    has: (key) => keys.has(key),
  };
}

/** header → target key, or null to leave the column out */
export type Mapping = Record<string, string | null>;

const mappingKey = (workspaceId: string, entity: string) => `kith.import.mapping.${workspaceId}.${entity}`;

/** The mapping remembered on this device for this entity (by header). */
export function loadSavedMapping(workspaceId: string, entity: string): Mapping {
  try {
    const saved = JSON.parse(localStorage.getItem(mappingKey(workspaceId, entity)) ?? '{}') as unknown;
    return saved && typeof saved === 'object' && !Array.isArray(saved) ? (saved as Mapping) : {};
  } catch {
    return {};
  }
}

/** Remembers the choices for these headers (merged with what other files had). */
export function saveMapping(workspaceId: string, entity: string, mapping: Mapping): void {
  try {
    localStorage.setItem(mappingKey(workspaceId, entity), JSON.stringify({ ...loadSavedMapping(workspaceId, entity), ...mapping }));
  } catch {
    // storage full or blocked: the mapping is simply not remembered
  }
}

/** Each header's target: the remembered choice, else the server's auto-mapping by header, else left out. */
export function initialMapping(headers: string[], saved: Mapping, t: ImportTargets): Mapping {
  return Object.fromEntries(headers.map((h) => [h, Object.hasOwn(saved, h) && (saved[h] === null || t.has(saved[h]!)) ? saved[h] : t.auto(h)]));
}

export interface ReportRow {
  row: number;
  outcome: string;
  record: Record<string, unknown> | null;
  errors: { column: string; message: string }[];
}

/** The error report as CSV: one line per error (row, column, message), then the row's values. */
export function reportCsv(rows: ReportRow[]): string {
  const valueColumns = [...new Set(rows.flatMap((r) => Object.keys(r.record ?? {})))];
  const lines: string[][] = [['row', 'column', 'message', ...valueColumns]];
  for (const r of rows) for (const e of r.errors) lines.push([String(r.row), e.column, e.message, ...valueColumns.map((c) => cellText(r.record?.[c]))]);
  return stringify(lines);
}

/** Saves text as a file (a download in the browser). */
export function downloadText(name: string, text: string, type = 'text/csv'): void {
  download(new Blob([text], { type: `${type};charset=utf-8` }), name);
}
