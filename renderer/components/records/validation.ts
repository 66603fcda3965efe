/**
 * Client-side validation of a form payload against the shared request schemas (the same ones the
 * server and the data layer use), mapped onto Mantine form field errors.
 */
import type { z } from 'zod';

/** `{field: 'Must be an email address'}` for every failing field (first message per field). */
export function schemaErrors(schema: z.ZodType, payload: unknown): Record<string, string> {
  const result = schema.safeParse(payload);
  if (result.success) return {};
  const out: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const key = issue.path.length > 0 ? issue.path.map(String).join('.') : '_form';
    // labels.2 → labels (the TagsInput shows one message for the list)
    const field = key.startsWith('labels.') ? 'labels' : key;
    if (!(field in out)) out[field] = sentence(issue.message);
  }
  return out;
}

/** "must not be empty" → "Must not be empty" */
export function sentence(message: string): string {
  return message.length > 0 ? message[0].toUpperCase() + message.slice(1) : message;
}

/** Trimmed text, or null when empty (what the schemas store for empty optional text). */
export function textOrNull(value: string | null | undefined): string | null {
  const v = (value ?? '').trim();
  return v === '' ? null : v;
}

/** Fields of `next` that differ from `prev` (arrays compared by value). */
export function changedFields<T extends Record<string, unknown>>(prev: Record<string, unknown>, next: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(next) as (keyof T & string)[]) {
    const a = prev[key] ?? null;
    const b = next[key] ?? null;
    if (JSON.stringify(a) !== JSON.stringify(b)) out[key] = next[key];
  }
  return out;
}
