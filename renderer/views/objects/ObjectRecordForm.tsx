/**
 * The fields of a custom object type's record: its name, labels, owner and the type's custom
 * fields, validated with the shared CustomRecordCreate schema and then, in the local store, by the
 * shared custom-field validator (its messages show at the fields). Used by the "New …" dialog and
 * the record's page.
 */
import { SimpleGrid, Stack, TagsInput, TextInput } from '@mantine/core';
import { CustomRecordCreate } from '../../../shared/schemas.js';
import { CustomFieldsSection } from '../../components/custom/CustomFieldsSection.js';
import { customFormValues, customPayload } from '../../components/custom/customValues.js';
import type { ObjectType } from '../../components/custom/useCustomFields.js';
import { MemberSelect } from '../../components/pickers.js';
import { FormActions } from '../../components/records/FormActions.js';
import { useRecordForm } from '../../components/records/useRecordForm.js';
import { LockedFields } from '../../components/Permitted.js';
import { useCan } from '../../hooks/usePermissions.js';

export interface CustomRecordRow {
  id: string;
  type: string;
  name: string;
  labels: string[];
  ownerId: string | null;
  custom: Record<string, unknown>;
  archivedAt: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

interface Values {
  type: string;
  name: string;
  labels: string[];
  ownerId: string | null;
  custom: Record<string, unknown>;
}

function recordValues(type: string, r: Partial<CustomRecordRow> | null | undefined): Values {
  return { type, name: r?.name ?? '', labels: r?.labels ?? [], ownerId: r?.ownerId ?? null, custom: customFormValues(r?.custom) };
}

function recordPayload(v: Values) {
  return { type: v.type, name: v.name.trim(), labels: v.labels.map((l) => l.trim()).filter(Boolean), ownerId: v.ownerId ?? null, custom: customPayload(v.custom) };
}

export interface ObjectRecordFormProps {
  objectType: ObjectType;
  /** the record being edited; absent for a new one */
  record?: CustomRecordRow | null;
  labelSuggestions?: string[];
  onSubmit: (payload: ReturnType<typeof recordPayload>, form: { setErrors(e: Record<string, string>): void }) => Promise<unknown>;
  onCancel?: () => void;
  submitLabel: string;
  autoFocus?: boolean;
}

export function ObjectRecordForm({ objectType, record, labelSuggestions = [], onSubmit, onCancel, submitLabel, autoFocus }: ObjectRecordFormProps) {
  const permission = useCan(record ? 'update' : 'create', 'records');
  const readOnly = !permission.allowed;
  const { form, submit, dirty } = useRecordForm({
    record,
    initialValues: recordValues(objectType.key, record),
    values: (r) => recordValues(objectType.key, r as CustomRecordRow),
    payload: recordPayload,
    schema: CustomRecordCreate,
    onSubmit,
  });
  return (
    <form onSubmit={submit} noValidate data-testid="object-record-form">
      <LockedFields permission={permission}>
        <Stack gap="sm">
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput label="Name" required autoFocus={autoFocus} data-autofocus={autoFocus || undefined} readOnly={readOnly} {...form.getInputProps('name')} data-testid="object-field-name" />
            <MemberSelect
              label="Owner"
              readOnly={readOnly}
              value={form.values.ownerId}
              onChange={(id) => form.setFieldValue('ownerId', id)}
              error={form.errors.ownerId}
              data-testid="object-field-owner"
            />
          </SimpleGrid>
          <CustomFieldsSection entity={objectType.key} form={form} readOnly={readOnly} />
          <TagsInput
            label="Labels"
            placeholder={readOnly ? undefined : 'Type a label and press Enter'}
            data={labelSuggestions}
            readOnly={readOnly}
            clearable={!readOnly}
            acceptValueOnBlur
            {...form.getInputProps('labels')}
            data-testid="object-field-labels"
          />
          {!readOnly && (
            <FormActions
              testId="object-record-form"
              editing={!!record}
              dirty={dirty}
              submitting={form.submitting}
              submitLabel={submitLabel}
              onReset={() => record && form.setValues(recordValues(objectType.key, record))}
              onCancel={onCancel}
            />
          )}
        </Stack>
      </LockedFields>
    </form>
  );
}
