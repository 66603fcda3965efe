/**
 * Custom values between a record, a form and a request: the form keeps each value as its input
 * holds it (a NumberInput's '' or partial text, a money amount being typed), and the payload turns
 * empties into null (clear) and leaves everything else to the shared validator
 * (shared/customFields.ts, run by the local store before a write), whose messages name
 * `custom.<key>` — the path the form shows them at.
 */
import type { FieldDefinition } from '../../../shared/customFields.js';

export type CustomValues = Record<string, unknown>;

/** The form's copy of a record's custom values. */
export function customFormValues(custom: CustomValues | null | undefined): CustomValues {
  return { ...(custom ?? {}) };
}

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object' && 'amount' in (value as object)) {
    const amount = (value as { amount: unknown }).amount;
    return amount === null || amount === undefined || amount === '';
  }
  return false;
}

/** Form values → the request's `custom` (every key; null clears). Money: a numeric amount text becomes a number, the currency upper case. */
export function customPayload(values: CustomValues | null | undefined): CustomValues {
  const out: CustomValues = {};
  for (const [key, value] of Object.entries(values ?? {})) {
    if (isEmpty(value)) {
      out[key] = null;
      continue;
    }
    if (value && typeof value === 'object' && !Array.isArray(value) && 'amount' in value) {
      const money = value as { amount: unknown; currency?: unknown };
      const amount = typeof money.amount === 'string' && money.amount.trim() !== '' && Number.isFinite(Number(money.amount)) ? Number(money.amount) : money.amount;
      out[key] = { amount, currency: typeof money.currency === 'string' ? money.currency.trim().toUpperCase() : money.currency };
      continue;
    }
    out[key] = value;
  }
  return out;
}

/** The error the form holds for a field: its own, or the first of a part (`custom.budget.amount`, `custom.regions.1`). */
export function customError(errors: Record<string, unknown>, key: string): string | undefined {
  const own = errors[`custom.${key}`];
  if (own) return String(own);
  const prefix = `custom.${key}.`;
  for (const [path, message] of Object.entries(errors)) if (path.startsWith(prefix) && message) return `${path.slice(prefix.length)}: ${String(message)}`.replace(/^(\d+): /, '');
  return undefined;
}

/** A stored value as text (tables' sort keys and search, filters' "contains"). */
export function valueText(def: Pick<FieldDefinition, 'type' | 'options'>, value: unknown): string {
  if (value === null || value === undefined) return '';
  switch (def.type) {
    case 'select':
      return def.options.find((o) => o.value === value)?.label ?? String(value);
    case 'multi_select':
      return Array.isArray(value) ? value.map((v) => def.options.find((o) => o.value === v)?.label ?? String(v)).join(', ') : String(value);
    case 'money':
      return typeof value === 'object' ? `${(value as { amount: number }).amount} ${(value as { currency: string }).currency}` : String(value);
    case 'boolean':
      return value ? 'Yes' : 'No';
    default:
      return String(value);
  }
}

/** A sort key that orders numbers, money amounts and dates correctly as strings. */
export function sortKey(def: Pick<FieldDefinition, 'type' | 'options'>, value: unknown): string {
  if (value === null || value === undefined) return '';
  if (def.type === 'number' || def.type === 'money') {
    const n = def.type === 'money' ? Number((value as { amount?: number }).amount) : Number(value);
    if (!Number.isFinite(n)) return '';
    // offset so negatives sort first, zero-padded to a fixed width
    return (n + 1e15).toFixed(6).padStart(24, '0');
  }
  return valueText(def, value);
}

/** A stored value as a person reads it (not references: their names come from the store). */
export function formatCustom(
  def: Pick<FieldDefinition, 'type' | 'options'>,
  value: unknown,
  format: { money(amount: number, currency: string): string; date(iso: string): string; dateTime(iso: string): string },
): string {
  if (value === null || value === undefined || value === '') return '';
  switch (def.type) {
    case 'money': {
      const money = value as { amount: number; currency: string };
      return format.money(money.amount, money.currency);
    }
    case 'number':
      return typeof value === 'number' ? value.toLocaleString('en-US', { maximumFractionDigits: 6 }) : String(value);
    case 'date':
      return format.date(String(value));
    case 'datetime':
      return format.dateTime(String(value));
    case 'url':
      return String(value).replace(/^https?:\/\//, '');
    default:
      return valueText(def, value);
  }
}
