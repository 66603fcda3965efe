/**
 * What an import's columns can be (SPEC §3 Import): the entity's writable standard fields, its
 * custom fields (`custom.<key>`) and references given by name (`organization`, `stage`, …), how a
 * file's headers map to them (an explicit mapping, else a header equal to a field's key or label),
 * and how a cell's text becomes the field's value (numbers, labels split on `;`, select options by
 * value or label, money as "1200 EUR").
 */
import { z } from 'zod';
import type { FieldDefinition } from '../../../shared/customFields.js';
import { normalizeHeader as normalize, targetKey, targetLookup, type Target } from '../../../shared/importColumns.js';
import type { FieldError } from '../errors.js';

/** The column → target map of a file's headers: the mapping's choices (null or '' ignores a column), else a header equal to a key or label. */
export function mapColumns(
  headers: string[],
  mapping: Record<string, string | null> | undefined,
  all: { target: Target; names: string[] }[],
  readOnly: readonly string[] = [],
): { columns: (Target | null)[]; errors: FieldError[] } {
  const ignored = new Set(readOnly.map(normalize));
  const errors: FieldError[] = [];
  const lookup = targetLookup(all);
  const known = all.map(({ target }) => targetKey(target));
  const columns = headers.map((header) => {
    const chosen = mapping && Object.hasOwn(mapping, header) ? mapping[header] : undefined;
    if (chosen === null || chosen === '') return null;
    const name = chosen ?? header;
    const target = lookup(name);
    if (!target && !chosen && ignored.has(normalize(header))) return null; // set by the server (an export's createdAt, version…): left out
    if (!target) {
      errors.push({
        path: `columns.${header}`,
        message: `${chosen ? `mapped to '${chosen}', which is` : 'is'} not a field of this entity; the fields are ${known.join(', ')} (map it with mapping, or map it to null to leave it out)`,
      });
      return null;
    }
    return target;
  });
  for (const [header] of Object.entries(mapping ?? {}))
    if (!headers.includes(header)) errors.push({ path: `mapping.${header}`, message: `the file has no column '${header}'; its columns are ${headers.join(', ')}` });
  const seen = new Map<string, string>();
  headers.forEach((header, i) => {
    const t = columns[i];
    if (!t) return;
    const key = targetKey(t);
    if (seen.has(key)) errors.push({ path: `columns.${header}`, message: `maps to ${key}, as column '${seen.get(key)}' does already` });
    else seen.set(key, header);
  });
  return { columns, errors };
}

const isBlank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

function number(value: unknown): number | string {
  if (typeof value === 'number') return value;
  const text = String(value).trim();
  const n = Number(text);
  return text !== '' && Number.isFinite(n) ? n : `must be a number, got '${text}'`;
}

const splitList = (value: unknown): unknown =>
  typeof value === 'string'
    ? value
        .split(';')
        .map((s) => s.trim())
        .filter(Boolean)
    : value;

/** Option value of a select: the value itself, or the value of the option with that label (case-insensitive). */
function option(def: FieldDefinition, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  const found = def.options.find((o) => o.value === text) ?? def.options.find((o) => o.value.toLowerCase() === text.toLowerCase() || o.label.toLowerCase() === text.toLowerCase());
  return found ? found.value : text;
}

/**
 * A cell as the field's value: a string converted for numbers, booleans, lists and money; typed
 * JSON values pass as they are (the record service checks them). A string result starting with
 * `!` is not a value but an error message.
 */
export function convert(target: Target, value: unknown, defaultCurrency: string): { value: unknown } | { error: string } {
  if (target.kind === 'standard') {
    if (['amount', 'probability', 'position'].includes(target.key) && typeof value === 'string') {
      const n = number(value);
      return typeof n === 'number' ? { value: n } : { error: n };
    }
    if (target.key === 'labels') return { value: splitList(value) };
    return { value: typeof value === 'string' ? value.trim() : value };
  }
  if (target.kind !== 'custom') return { value: typeof value === 'string' ? value.trim() : value };
  const def = target.def;
  if (typeof value !== 'string') return { value: def.type === 'multi_select' && Array.isArray(value) ? value.map((v) => option(def, v)) : def.type === 'select' ? option(def, value) : value };
  const text = value.trim();
  switch (def.type) {
    case 'number': {
      const n = number(text);
      return typeof n === 'number' ? { value: n } : { error: n };
    }
    case 'boolean': {
      const t = text.toLowerCase();
      if (['true', 'yes', '1', 'y'].includes(t)) return { value: true };
      if (['false', 'no', '0', 'n'].includes(t)) return { value: false };
      return { error: `must be true or false (yes/no, 1/0), got '${text}'` };
    }
    case 'money': {
      const m = /^(?:([A-Za-z]{3})\s*)?([0-9.]+)(?:\s*([A-Za-z]{3}))?$/.exec(text);
      if (!m || (m[1] && m[3])) return { error: `must be an amount with an optional currency, e.g. 1200 EUR, got '${text}'` };
      return { value: { amount: Number(m[2]), currency: (m[1] ?? m[3] ?? defaultCurrency).toUpperCase() } };
    }
    case 'select':
      return { value: option(def, text) };
    case 'multi_select':
      return { value: (splitList(text) as string[]).map((v) => option(def, v)) };
    default:
      return { value: text };
  }
}

export { isBlank };

/** The query and body options of an import (SPEC §3): entity, match, mode, mapping, createMissing. */
export const ImportOptions = z.strictObject({
  entity: z.string({ error: 'is required: organizations, people, deals, activities or a custom object type key' }).trim().min(1, { error: 'must not be empty' }),
  match: z.string().trim().optional().describe('email (people), domain (organizations), id, a custom field key, or none'),
  mode: z.enum(['create', 'update', 'upsert'], { error: 'must be one of create, update, upsert' }).optional(),
  mapping: z.record(z.string(), z.string().nullable()).optional().describe('Column → field (key, label, custom.<key>, organization, stage…); null leaves a column out'),
  createMissing: z.boolean().optional().describe('Create organizations named in people, deals or activities rows that do not exist (default true)'),
});
export type ImportOptions = z.infer<typeof ImportOptions>;
