/**
 * Form helpers: map the shared schemas' validation errors ({path, message}[]) onto Mantine form
 * fields, and run a store write with toasts for success and failure.
 */
import { useCallback, useState } from 'react';
import { notifications } from '@mantine/notifications';

export interface FieldError {
  path: string;
  message: string;
}

/** `[{path: 'amount', message: 'must be 0 or more'}]` → `{amount: 'must be 0 or more'}` (first message per field). */
export function errorsToForm(errors: FieldError[] | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of errors ?? []) {
    const key = (e.path || '').replace(/^\//, '').replace(/\//g, '.') || '_form';
    if (!(key in out)) out[key] = e.message;
  }
  return out;
}

/** Validation errors carried by an error thrown by the store (KithValidationError) or a problem+json body. */
export function validationErrorsOf(error: unknown): FieldError[] | null {
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
  const save = useCallback(async <T,>(run: () => Promise<T>, options: SaveOptions = {}): Promise<T | undefined> => {
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

interface SafeParseSchema {
  safeParse(value: unknown): { success: true; data: unknown } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
}

/** Validate `value` with a shared zod schema; field → message (empty when valid). */
export function schemaErrors(schema: SafeParseSchema, value: unknown): Record<string, string> {
  const result = schema.safeParse(value);
  if (result.success) return {};
  return errorsToForm(result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })));
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
