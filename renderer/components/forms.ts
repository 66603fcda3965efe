/**
 * Form helpers: map the shared schemas' validation errors ({path, message}[]) onto Mantine form
 * fields, and run a store write with toasts for success and failure.
 */
import { useCallback, useState } from 'react';
import { notifications } from '@mantine/notifications';
import type { z } from 'zod';
import { zodErrors, type FieldError } from '../../shared/validation.js';

export type { FieldError };

/** "must not be empty" → "Must not be empty" */
export function sentence(message: string): string {
  return message.length > 0 ? message[0].toUpperCase() + message.slice(1) : message;
}

/**
 * `[{path: 'amount', message: 'must be 0 or more'}]` → `{amount: 'Must be 0 or more'}` (first message
 * per field; `labels.2` → `labels`, as the tags input shows one message for the list).
 */
function errorsToForm(errors: FieldError[] | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of errors ?? []) {
    const key = (e.path || '').replace(/^\//, '').replace(/\//g, '.') || '_form';
    const field = key.startsWith('labels.') ? 'labels' : key;
    if (!(field in out)) out[field] = sentence(e.message);
  }
  return out;
}

/** Validation errors carried by an error thrown by the store (KithValidationError) or a problem+json body. */
function validationErrorsOf(error: unknown): FieldError[] | null {
  const errors = (error as { errors?: unknown } | null)?.errors;
  if (Array.isArray(errors) && errors.every((e) => e && typeof e === 'object' && 'message' in e)) {
    return errors.map((e: any) => ({ path: String(e.path ?? ''), message: String(e.message) }));
  }
  return null;
}

/** A human sentence for any error. */
export function errorMessage(error: unknown): string {
  const errors = validationErrorsOf(error);
  if (errors && errors.length > 0) return errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
  if (error instanceof Error) return error.message;
  return String(error);
}

interface FormLike {
  setErrors(errors: Record<string, string>): void;
}

export interface SaveOptions {
  /** Toast shown on success (none when omitted). */
  success?: string;
  /** Title of the error toast. */
  errorTitle?: string;
  /** Mantine form that receives field errors. */
  form?: FormLike;
}

/**
 * `const { save, saving } = useSave();  await save(() => store.update('deals', id, patch), {success: 'Saved', form})`
 * Returns the call's result, or undefined when it failed (the error is shown, never swallowed silently).
 */
export function useSave() {
  const [saving, setSaving] = useState(false);
  const save = useCallback(async <T>(run: () => Promise<T>, options: SaveOptions = {}): Promise<T | undefined> => {
    setSaving(true);
    try {
      const result = await run();
      if (options.success) notifications.show({ color: 'teal', message: options.success, autoClose: 2500 });
      return result;
    } catch (error) {
      const errors = validationErrorsOf(error);
      if (errors && options.form) options.form.setErrors(errorsToForm(errors));
      notifications.show({ color: 'red', title: options.errorTitle ?? (errors ? 'Please check the highlighted fields' : 'Could not save'), message: errorMessage(error), autoClose: 6000 });
      return undefined;
    } finally {
      setSaving(false);
    }
  }, []);
  return { save, saving };
}

/** Validate `value` with a shared zod schema (the server's messages); field → message, empty when valid. */
export function schemaErrors(schema: z.ZodType, value: unknown): Record<string, string> {
  const result = schema.safeParse(value);
  return result.success ? {} : errorsToForm(zodErrors(result.error));
}

/**
 * Fields of `next` that differ from `prev` (arrays compared by value): the patch a form sends.
 * `custom` is compared key by key and carries only the changed values (an update merges it by key,
 * and a required field the user did not touch is not checked again).
 */
export function changedFields<T extends Record<string, unknown>>(prev: Record<string, unknown>, next: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(next) as (keyof T & string)[]) {
    if (key === 'custom' && next[key] && typeof next[key] === 'object') {
      const before = (prev[key] ?? {}) as Record<string, unknown>;
      const after = next[key] as Record<string, unknown>;
      const changed: Record<string, unknown> = {};
      for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) if (JSON.stringify(before[k] ?? null) !== JSON.stringify(after[k] ?? null)) changed[k] = after[k] ?? null;
      if (Object.keys(changed).length > 0) out[key] = changed as T[typeof key];
      continue;
    }
    if (JSON.stringify(prev[key] ?? null) !== JSON.stringify(next[key] ?? null)) out[key] = next[key];
  }
  return out;
}

/** Form text → request value: trimmed, empty → null. */
export function textOrNull(value: string | null | undefined): string | null {
  const t = (value ?? '').trim();
  return t === '' ? null : t;
}

/** NumberInput value → number or null. */
export function numberOrNull(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}
