/**
 * A filter on one custom field, run over records in the local store (tables and the board):
 * selects, multi-selects and yes/no by "any of" (a multi-select matches when it has one of them),
 * text-like fields by "contains", numbers and money by a range (money compares amounts), dates
 * and date-times by a day range, references by the record picked.
 */
import type { FieldDefinition } from '../../../shared/customFields.js';
import { valueText } from './customValues.js';

export interface CustomCondition {
  key: string;
  /** select, multi_select, boolean ('true' / 'false'), reference: any of these */
  values?: string[];
  /** text, long_text, url, email, phone: contains (case-insensitive) */
  text?: string;
  /** number, money (amount): at least / at most */
  min?: number | null;
  max?: number | null;
  /** date, datetime: from / to, YYYY-MM-DD (inclusive) */
  from?: string | null;
  to?: string | null;
}

export type FilterKind = 'choice' | 'text' | 'range' | 'dates' | 'reference';

export function filterKind(type: FieldDefinition['type']): FilterKind {
  switch (type) {
    case 'select':
    case 'multi_select':
    case 'boolean':
      return 'choice';
    case 'number':
    case 'money':
      return 'range';
    case 'date':
    case 'datetime':
      return 'dates';
    case 'reference':
      return 'reference';
    default:
      return 'text';
  }
}

/** Whether the condition constrains anything yet (a field chosen with no value yet matches every record). */
export function conditionActive(condition: CustomCondition | null | undefined): condition is CustomCondition {
  if (!condition) return false;
  return !!(condition.values?.length || condition.text?.trim() || condition.min != null || condition.max != null || condition.from || condition.to);
}

/** A predicate over a record's `custom` for the condition (null when it constrains nothing or the field is gone). */
export function customPredicate(condition: CustomCondition | null | undefined, fields: readonly FieldDefinition[]): ((custom: Record<string, unknown> | null | undefined) => boolean) | null {
  if (!conditionActive(condition)) return null;
  const def = fields.find((f) => f.key === condition.key);
  if (!def) return null;
  const key = def.key;
  switch (filterKind(def.type)) {
    case 'choice':
    case 'reference': {
      const wanted = new Set(condition.values ?? []);
      if (wanted.size === 0) return null;
      return (custom) => {
        const v = custom?.[key];
        if (Array.isArray(v)) return v.some((x) => wanted.has(String(x)));
        return v !== null && v !== undefined && wanted.has(String(v));
      };
    }
    case 'text': {
      const term = (condition.text ?? '').trim().toLowerCase();
      if (!term) return null;
      return (custom) => valueText(def, custom?.[key]).toLowerCase().includes(term);
    }
    case 'range': {
      const { min, max } = condition;
      return (custom) => {
        const v = custom?.[key];
        const n = def.type === 'money' ? Number((v as { amount?: unknown } | null | undefined)?.amount ?? NaN) : typeof v === 'number' ? v : NaN;
        if (!Number.isFinite(n)) return false;
        return (min == null || n >= min) && (max == null || n <= max);
      };
    }
    case 'dates': {
      const { from, to } = condition;
      return (custom) => {
        const v = custom?.[key];
        if (typeof v !== 'string' || !v) return false;
        // a date-time counts on its local day
        const day = def.type === 'datetime' ? localDay(v) : v.slice(0, 10);
        return (!from || day >= from) && (!to || day <= to);
      };
    }
  }
}

function localDay(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
