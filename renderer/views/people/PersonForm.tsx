/**
 * Every editable field of a person, validated with the shared PersonCreate schema before it is
 * sent, and with the data layer's field errors shown under the fields when a write is refused.
 * Used by the "New person" dialog and the person page's details card.
 */
import { SimpleGrid, Stack, TagsInput, TextInput, Textarea } from '@mantine/core';
import { PersonCreate, type PersonRecord } from '../../../shared/schemas.js';
import { MemberSelect, OrganizationSelect } from '../../components/pickers.js';
import { textOrNull } from '../../components/forms.js';
import { FormActions } from '../../components/records/FormActions.js';
import { useRecordForm } from '../../components/records/useRecordForm.js';
import { LockedFields } from '../../components/Permitted.js';
import { CustomFieldsSection } from '../../components/custom/CustomFieldsSection.js';
import { customFormValues, customPayload } from '../../components/custom/customValues.js';
import { useCan } from '../../hooks/usePermissions.js';
import { EmailDuplicateWarning } from '../duplicates/DuplicateWarning.js';

interface PersonFormValues {
  name: string;
  email: string;
  phone: string;
  title: string;
  organizationId: string | null;
  labels: string[];
  notes: string;
  ownerId: string | null;
  /** custom field values by key, as the inputs hold them */
  custom: Record<string, unknown>;
}

function personValues(p: Partial<PersonRecord> | null | undefined): PersonFormValues {
  return {
    name: p?.name ?? '',
    email: p?.email ?? '',
    phone: p?.phone ?? '',
    title: p?.title ?? '',
    organizationId: p?.organizationId ?? null,
    labels: p?.labels ?? [],
    notes: p?.notes ?? '',
    ownerId: p?.ownerId ?? null,
    custom: customFormValues(p?.custom),
  };
}

function personPayload(v: PersonFormValues) {
  return {
    name: v.name.trim(),
    email: textOrNull(v.email),
    phone: textOrNull(v.phone),
    title: textOrNull(v.title),
    organizationId: v.organizationId ?? null,
    labels: v.labels.map((l) => l.trim()).filter(Boolean),
    notes: textOrNull(v.notes),
    ownerId: v.ownerId ?? null,
    custom: customPayload(v.custom),
  };
}

export interface PersonFormProps {
  /** the record being edited; absent for a new person */
  person?: PersonRecord | null;
  defaults?: Partial<PersonRecord>;
  labelSuggestions?: string[];
  /** writes the payload (create or update of the changed fields); returns undefined when it failed */
  onSubmit: (payload: ReturnType<typeof personPayload>, form: { setErrors(e: Record<string, string>): void }) => Promise<unknown>;
  onCancel?: () => void;
  submitLabel: string;
  autoFocus?: boolean;
}

export function PersonForm({ person, defaults, labelSuggestions = [], onSubmit, onCancel, submitLabel, autoFocus }: PersonFormProps) {
  const permission = useCan(person ? 'update' : 'create', 'people');
  const readOnly = !permission.allowed;
  const { form, submit, dirty } = useRecordForm({
    record: person,
    initialValues: personValues(person ?? defaults),
    values: (r) => personValues(r as PersonRecord),
    payload: personPayload,
    schema: PersonCreate,
    onSubmit,
  });
  return (
    <form onSubmit={submit} noValidate data-testid="person-form">
      <LockedFields permission={permission}>
        <Stack gap="sm">
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm" verticalSpacing="sm">
            <TextInput label="Name" required autoFocus={autoFocus} data-autofocus={autoFocus || undefined} readOnly={readOnly} {...form.getInputProps('name')} data-testid="person-field-name" />
            <TextInput label="Email" type="email" placeholder="name@company.com" readOnly={readOnly} {...form.getInputProps('email')} data-testid="person-field-email" />
            <TextInput label="Phone" placeholder="+1 555 0100" readOnly={readOnly} {...form.getInputProps('phone')} data-testid="person-field-phone" />
            <TextInput label="Title" placeholder="Role at their organization" readOnly={readOnly} {...form.getInputProps('title')} data-testid="person-field-title" />
          </SimpleGrid>
          {!readOnly && <EmailDuplicateWarning email={form.values.email} selfId={person?.id} />}
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <OrganizationSelect
              label="Organization"
              readOnly={readOnly}
              value={form.values.organizationId}
              onChange={(id) => form.setFieldValue('organizationId', id)}
              error={form.errors.organizationId}
              data-testid="person-field-organization"
            />
            <MemberSelect
              label="Owner"
              readOnly={readOnly}
              value={form.values.ownerId}
              onChange={(id) => form.setFieldValue('ownerId', id)}
              error={form.errors.ownerId}
              data-testid="person-field-owner"
            />
          </SimpleGrid>
          <TagsInput
            label="Labels"
            placeholder={readOnly ? undefined : 'Type a label and press Enter'}
            data={labelSuggestions}
            readOnly={readOnly}
            clearable={!readOnly}
            acceptValueOnBlur
            {...form.getInputProps('labels')}
            data-testid="person-field-labels"
          />
          <CustomFieldsSection entity="people" form={form} readOnly={readOnly} />
          <Textarea label="Notes" autosize minRows={3} maxRows={12} readOnly={readOnly} {...form.getInputProps('notes')} data-testid="person-field-notes" />
          {!readOnly && (
            <FormActions
              testId="person-form"
              editing={!!person}
              dirty={dirty}
              submitting={form.submitting}
              submitLabel={submitLabel}
              onReset={() => person && form.setValues(personValues(person))}
              onCancel={onCancel}
            />
          )}
        </Stack>
      </LockedFields>
    </form>
  );
}
