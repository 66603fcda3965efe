/**
 * What the data-model settings share: the entities that take custom fields, the field types as
 * people read them, keys made from labels, the option colors, and the order writes of a drag.
 */
import { FIELD_KEY, FIELD_TYPES, type FieldType } from '../../../../shared/customFields.js';
import { useCallback, useState } from 'react';
import { notifications } from '@mantine/notifications';
import type { z } from 'zod';
import type { FieldRecord, ObjectTypeRecord } from '../../../../shared/schemas.js';
import { sentence } from '../../../components/forms.js';

export type Field = FieldRecord;
export type ObjectType = z.infer<typeof ObjectTypeRecord>;

/** The standard entities that take custom fields, as the field editor names them. */
export const STANDARD_ENTITIES = [
  { value: 'organizations', label: 'Organizations' },
  { value: 'people', label: 'People' },
  { value: 'deals', label: 'Deals' },
  { value: 'activities', label: 'Activities' },
] as const;

/** Standard entities, then the live custom object types (by their plural). */
export function entityChoices(types: ObjectType[]): { value: string; label: string }[] {
  return [...STANDARD_ENTITIES, ...types.filter((t) => !t.archivedAt).map((t) => ({ value: t.key, label: t.plural }))];
}

export const TYPE_LABELS: Record<FieldType, string> = {
  text: 'Text',
  long_text: 'Long text',
  number: 'Number',
  money: 'Money (amount + currency)',
  date: 'Date',
  datetime: 'Date and time',
  boolean: 'Yes / no',
  select: 'Select (one option)',
  multi_select: 'Multi-select (several options)',
  url: 'URL',
  email: 'Email',
  phone: 'Phone',
  reference: 'Reference (to a record)',
};

export const TYPE_CHOICES = FIELD_TYPES.map((t) => ({ value: t, label: TYPE_LABELS[t] }));

export const isSelect = (type: string) => type === 'select' || type === 'multi_select';

/** "Renewal date" → "renewal_date": a key the server accepts ([a-z][a-z0-9_]{0,62}), or '' when none can be made. */
export function keyFrom(label: string): string {
  const key = label
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^[^a-z]+/, '')
    .replace(/_+$/, '')
    .slice(0, 63)
    .replace(/_+$/, '');
  return FIELD_KEY.test(key) ? key : '';
}

/** Mantine palette names, which the server accepts as option colors. */
export const OPTION_COLORS = ['gray', 'red', 'pink', 'grape', 'violet', 'indigo', 'blue', 'cyan', 'teal', 'green', 'lime', 'yellow', 'orange'] as const;

/** A color as CSS: a palette name through Mantine's variables, #rrggbb as it is. */
export function cssColor(color: string | null | undefined): string | undefined {
  if (!color) return undefined;
  return color.startsWith('#') ? color : `var(--mantine-color-${color}-6)`;
}

/** Active fields in order (position, then key); archived ones in the order they had. */
export function orderFields(fields: Field[]): { active: Field[]; archived: Field[] } {
  const sorted = [...fields].sort((a, b) => a.position - b.position || a.key.localeCompare(b.key));
  return { active: sorted.filter((f) => !f.archivedAt), archived: sorted.filter((f) => !!f.archivedAt) };
}

/**
 * The position writes that put `ordered` (ids in their new order) at 0..n-1: only the items whose
 * position changes, in increasing new position. Applied one after another — as the server applies
 * pushed stage moves, renumbering the others each time — they end in exactly this order.
 */
export function positionWrites(ordered: string[], positionOf: (id: string) => number): { id: string; position: number }[] {
  return ordered.map((id, position) => ({ id, position })).filter((w) => positionOf(w.id) !== w.position);
}

/**
 * The form errors of a refused write (the store's KithValidationError or the server's answer):
 * `{options.1.value: 'Repeats …'}`, a message without a field under `_form`. Shown at the fields,
 * so no toast repeats them.
 */
export function formErrorsOf(error: unknown): Record<string, string> {
  const errors = (error as { errors?: { path?: string; message?: string }[] } | null)?.errors;
  const out: Record<string, string> = {};
  for (const e of Array.isArray(errors) ? errors : []) {
    const key =
      String(e.path ?? '')
        .replace(/^\//, '')
        .replace(/\//g, '.') || '_form';
    if (!(key in out)) out[key] = sentence(String(e.message ?? ''));
  }
  if (Object.keys(out).length === 0) out._form = error instanceof Error ? error.message : String(error);
  return out;
}

/**
 * `const { write, busy } = useFormWrite();  await write(form, () => store.create(…), 'Tier added')`:
 * a toast when it worked, the errors at the form's fields when it did not; the result or undefined.
 */
export function useFormWrite() {
  const [busy, setBusy] = useState(false);
  const write = useCallback(async <T>(form: { setErrors(errors: Record<string, string>): void }, run: () => Promise<T>, success: string): Promise<T | undefined> => {
    setBusy(true);
    try {
      const result = await run();
      notifications.show({ color: 'teal', message: success, autoClose: 2500 });
      return result;
    } catch (error) {
      form.setErrors(formErrorsOf(error));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { write, busy };
}
