/**
 * The form state of a record's details card or "New …" dialog: validated with a shared request
 * schema, following changes made elsewhere (sync, another window) while the user is not editing,
 * and submitting only the changed fields of an existing record.
 */
import { useForm } from '@mantine/form';
import { useEffect } from 'react';
import type { z } from 'zod';
import { changedFields, schemaErrors } from '../forms.js';

export interface FormErrorsTarget {
  setErrors(errors: Record<string, string>): void;
}

interface Versioned {
  id: string;
  version: number;
  updatedAt: string;
}

export function useRecordForm<V extends object, P extends Record<string, unknown>>(options: {
  /** The record being edited; absent for a new one. */
  record: Versioned | null | undefined;
  initialValues: V;
  /** Form values of a record. */
  values(record: Versioned): V;
  /** Form values → request body. */
  payload(values: V): P;
  schema: z.ZodType;
  /** Writes the body (all fields for a new record, the changed ones otherwise); undefined when it failed. */
  onSubmit(payload: P, form: FormErrorsTarget): Promise<unknown>;
}) {
  const { record, values, payload, schema, onSubmit } = options;
  const form = useForm<V>({ initialValues: options.initialValues, validate: (v) => schemaErrors(schema, payload(v)) });

  const version = record ? `${record.id}:${record.version}:${record.updatedAt}` : null;
  useEffect(() => {
    if (record && !form.isDirty()) {
      form.setValues(values(record));
      form.resetDirty(values(record));
    }
  }, [version]); // eslint-disable-line react-hooks/exhaustive-deps

  const submit = form.onSubmit(async (v) => {
    const body = payload(v);
    // compare request bodies (not form values with a body: '' and null are the same empty email)
    const patch = record ? changedFields(payload(values(record)), body) : body;
    if (record && Object.keys(patch).length === 0) return;
    const result = await onSubmit(patch as P, form);
    if (result !== undefined && record) form.resetDirty(v);
  });

  return { form, submit, dirty: form.isDirty() };
}
