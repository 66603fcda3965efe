/**
 * Custom fields (SPEC §2): the field types, the schema of each type's value, and the one validator
 * every write path runs on a record's `custom` values — the server's record service (REST, MCP,
 * sync push, the CLI) and the offline client before a local write, through the shared rules
 * (shared/rules.ts). The definitions are read through the `RecordReader` port
 * (`customFields(entity)`), so each runtime validates against the definitions it has.
 *
 * Messages name the value as `custom.<key>` (and `custom.<key>.amount` inside a money value) and
 * say what was expected.
 */
import { z } from 'zod';
import { decimalPlaces } from './money.js';
import { Amount, CalendarDate, Currency, FIELD_KEY, FIELD_TYPES, IsoDateTime, maxChars } from './schemas.js';
import { zodErrors, type FieldError } from './validation.js';

export { FIELD_KEY, FIELD_TYPES };
export type FieldType = (typeof FIELD_TYPES)[number];

/** The standard collections owners may add custom fields to (custom object types too, by their key). */
export const CUSTOMIZABLE = ['organizations', 'people', 'deals', 'activities'] as const;
/** What a reference field may point to (custom object types later, by their key). */
export const REFERENCE_TARGETS = CUSTOMIZABLE;

/** Singular names accepted for an entity and stored as the collection name ("deal" → "deals"). */
export const ENTITY_ALIASES: Readonly<Record<string, string>> = { organization: 'organizations', person: 'people', deal: 'deals', activity: 'activities' };

export const TEXT_MAX = 1000;
export const LONG_TEXT_MAX = 20000;
/** Custom numbers are finite, within ±1e15, with at most 6 decimal places (exactly summable). */
const NUMBER_LIMIT = 1e15;

export interface FieldOption {
  value: string;
  label: string;
  color: string | null;
}

/** A custom field definition as the validator reads it (the stored `fields` record). */
export interface FieldDefinition {
  id: string;
  entity: string;
  key: string;
  label: string;
  type: FieldType;
  options: FieldOption[];
  referenceTo: string | null;
  required: boolean;
  position: number;
  archivedAt: string | null;
}

const quoteList = (values: string[]) => values.map((v) => JSON.stringify(v)).join(', ');

function optionValues(def: Pick<FieldDefinition, 'options'>): string[] {
  return def.options.map((o) => o.value);
}

const PHONE = /^\+?[0-9 ()./-]{3,40}$/;

/** The schema of one field's value (references: the id's shape; whether the record exists is checked by `applyCustom`). */
export function valueSchema(def: Pick<FieldDefinition, 'type' | 'options' | 'referenceTo'>): z.ZodType {
  switch (def.type) {
    case 'text':
      return maxChars(z.string({ error: 'must be a string' }).trim(), TEXT_MAX);
    case 'long_text':
      return maxChars(z.string({ error: 'must be a string' }).trim(), LONG_TEXT_MAX);
    case 'number':
      return z
        .number({ error: 'must be a number' })
        .min(-NUMBER_LIMIT, { error: `must be between -${NUMBER_LIMIT} and ${NUMBER_LIMIT}` })
        .max(NUMBER_LIMIT, { error: `must be between -${NUMBER_LIMIT} and ${NUMBER_LIMIT}` })
        .refine((v) => decimalPlaces(v) <= 6, { error: 'must have at most 6 decimal places' });
    case 'money':
      return z.strictObject(
        { amount: Amount.describe('Amount (decimal, ≥ 0, at most 4 decimal places)'), currency: Currency },
        { error: 'must be an object {amount, currency}, e.g. {"amount": 1200, "currency": "EUR"}' },
      );
    case 'date':
      return z.string({ error: 'must be a calendar date YYYY-MM-DD' }).pipe(CalendarDate);
    case 'datetime':
      return z.string({ error: 'must be an ISO 8601 date-time, e.g. 2026-01-31T14:00:00Z' }).trim().pipe(IsoDateTime);
    case 'boolean':
      return z.boolean({ error: 'must be true or false' });
    case 'select': {
      const values = optionValues(def);
      return z.string({ error: `must be one of ${quoteList(values)}` }).refine((v) => values.includes(v), { error: `must be one of ${quoteList(values)}` });
    }
    case 'multi_select': {
      const values = optionValues(def);
      const message = `must be a list of option values, each one of ${quoteList(values)}`;
      return z
        .array(
          z.string({ error: message }).refine((v) => values.includes(v), { error: `must be one of ${quoteList(values)}` }),
          { error: message },
        )
        .refine((list) => new Set(list).size === list.length, { error: 'must not repeat a value' });
    }
    case 'url':
      return maxChars(z.string({ error: 'must be a URL' }).trim(), 2000).refine(
        (v) => {
          try {
            const url = new URL(v);
            return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
          } catch {
            return false;
          }
        },
        { error: 'must be an http(s) URL, e.g. https://example.com' },
      );
    case 'email':
      return z
        .string({ error: 'must be an email address' })
        .trim()
        .toLowerCase()
        .pipe(z.email({ error: 'must be an email address' }).max(320, { error: 'must be at most 320 characters' }));
    case 'phone':
      return z.string({ error: 'must be a phone number' }).trim().regex(PHONE, { error: 'must be a phone number: digits, spaces and + ( ) . - / only, 3 to 40 characters' });
    case 'reference':
      return z.uuid({ error: `must be the id (UUID) of ${targetNoun(def.referenceTo)}` });
  }
}

function targetNoun(referenceTo: string | null): string {
  const singular = Object.entries(ENTITY_ALIASES).find(([, plural]) => plural === referenceTo)?.[0];
  return singular ? `${/^[aeiou]/.test(singular) ? 'an' : 'a'} ${singular}` : `a ${referenceTo ?? 'record'} record`;
}

/** Structural equality of JSON values (null and undefined alike). */
function same(a: unknown, b: unknown): boolean {
  if (a == null || b == null) return a == null && b == null;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** What `applyCustom` needs to check a reference: whether the record exists in the workspace. */
export type ReferenceCheck = (collection: string, id: string) => Promise<boolean>;

/** A refusal of custom values: field errors, each naming `custom.<key>`. */
export class CustomValueError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.path}: ${e.message}`).join('; '));
    this.name = 'CustomValueError';
  }
}

/**
 * The record's `custom` after a write: `incoming` (a create's values, or an update's by key: a key
 * set to null or '' clears it, keys not sent keep their values) applied to `before` (null for a
 * create), each changed value validated against its definition. A value the write leaves as it was
 * is not checked again (an option since removed, a field since archived), so unrelated edits and
 * sync round trips of whole documents go through. Required fields must have a value on create and
 * cannot be cleared. Throws CustomValueError with every bad value.
 */
export async function applyCustom(
  entity: string,
  definitions: readonly FieldDefinition[],
  incoming: unknown,
  before: Record<string, unknown> | null,
  exists: ReferenceCheck,
): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = { ...(before ?? {}) };
  const errors: FieldError[] = [];
  const byKey = new Map(definitions.map((d) => [d.key, d]));
  const values = (incoming ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(values)) {
    const path = `custom.${key}`;
    const previous = before?.[key];
    const def = byKey.get(key);
    const empty = value == null || value === '' || (Array.isArray(value) && value.length === 0 && def?.type === 'multi_select');
    if (empty && def?.required && !def.archivedAt) {
      errors.push({ path, message: 'is required' });
      continue;
    }
    if (before && same(previous, value === '' ? null : value)) continue;
    if (!def) {
      const active = definitions.filter((d) => !d.archivedAt).map((d) => d.key);
      errors.push({
        path,
        message: active.length
          ? `unknown custom field '${key}' of ${entity}; the fields are ${active.join(', ')} (see GET /crm/fields)`
          : `unknown custom field '${key}' (this workspace defines no custom fields for ${entity})`,
      });
      continue;
    }
    if (def.archivedAt) {
      errors.push({ path, message: `custom field '${key}' is archived; restore it to set its value` });
      continue;
    }
    if (empty) {
      delete result[key];
      continue;
    }
    const parsed = valueSchema(def).safeParse(value);
    if (!parsed.success) {
      errors.push(...zodErrors(parsed.error, path));
      continue;
    }
    let out = parsed.data;
    if (typeof out === 'string' && out === '') {
      if (def.required) errors.push({ path, message: 'is required' });
      else delete result[key];
      continue;
    }
    if (def.type === 'reference' && def.referenceTo && !(await exists(def.referenceTo, out as string))) {
      errors.push({ path, message: `${targetNoun(def.referenceTo).replace(/^an? /, '')} ${String(out)} does not exist in this workspace` });
      continue;
    }
    if (def.type === 'datetime') out = new Date(out as string).toISOString();
    result[key] = out;
  }
  if (!before) {
    for (const def of definitions)
      if (def.required && !def.archivedAt && result[def.key] == null && !errors.some((e) => e.path === `custom.${def.key}`)) errors.push({ path: `custom.${def.key}`, message: 'is required' });
  }
  if (errors.length > 0) throw new CustomValueError(errors);
  return result;
}

/**
 * A stored value as the field's new type would have it (a type or options change), or undefined
 * when it would not convert: scalars become text, numeric text a number, a single value a
 * one-element multi-select and back, anything else must already be valid as it is.
 */
export function convertValue(value: unknown, def: Pick<FieldDefinition, 'type' | 'options' | 'referenceTo'>): unknown {
  const candidates: unknown[] = [value];
  if (['text', 'long_text', 'url', 'email', 'phone', 'select'].includes(def.type) && (typeof value === 'number' || typeof value === 'boolean')) candidates.push(String(value));
  if (def.type === 'number' && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) candidates.push(Number(value));
  if (def.type === 'multi_select' && typeof value === 'string') candidates.push([value]);
  if (def.type !== 'multi_select' && Array.isArray(value) && value.length === 1) candidates.push(value[0]);
  const schema = valueSchema(def);
  for (const candidate of candidates) {
    const parsed = schema.safeParse(candidate);
    if (parsed.success) return parsed.data;
  }
  return undefined;
}
