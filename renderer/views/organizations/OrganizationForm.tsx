/**
 * Every editable field of an organization, validated with the shared OrganizationCreate schema
 * before it is sent; field errors from the data layer land under the fields too.
 * Used by the "New organization" dialog and the organization page's details card.
 */
import { Stack, TagsInput, TextInput, Textarea } from '@mantine/core';
import { IconWorld } from '@tabler/icons-react';
import { OrganizationCreate, type OrganizationRecord } from '../../../shared/schemas.js';
import { MemberSelect } from '../../components/pickers.js';
import { textOrNull } from '../../components/forms.js';
import { FormActions } from '../../components/records/FormActions.js';
import { useRecordForm } from '../../components/records/useRecordForm.js';
import { LockedFields } from '../../components/Permitted.js';
import { CustomFieldsSection } from '../../components/custom/CustomFieldsSection.js';
import { customFormValues, customPayload } from '../../components/custom/customValues.js';
import { useCan } from '../../hooks/usePermissions.js';
import { DomainDuplicateWarning } from '../duplicates/DuplicateWarning.js';

interface OrganizationFormValues {
  name: string;
  website: string;
  labels: string[];
  notes: string;
  ownerId: string | null;
  /** custom field values by key, as the inputs hold them */
  custom: Record<string, unknown>;
}

function organizationValues(o: Partial<OrganizationRecord> | null | undefined): OrganizationFormValues {
  return { name: o?.name ?? '', website: o?.website ?? '', labels: o?.labels ?? [], notes: o?.notes ?? '', ownerId: o?.ownerId ?? null, custom: customFormValues(o?.custom) };
}

function organizationPayload(v: OrganizationFormValues) {
  return {
    name: v.name.trim(),
    website: textOrNull(v.website),
    labels: v.labels.map((l) => l.trim()).filter(Boolean),
    notes: textOrNull(v.notes),
    ownerId: v.ownerId ?? null,
    custom: customPayload(v.custom),
  };
}

export interface OrganizationFormProps {
  /** the record being edited; absent for a new organization */
  organization?: OrganizationRecord | null;
  defaults?: Partial<OrganizationRecord>;
  labelSuggestions?: string[];
  onSubmit: (payload: ReturnType<typeof organizationPayload>, form: { setErrors(e: Record<string, string>): void }) => Promise<unknown>;
  onCancel?: () => void;
  submitLabel: string;
  autoFocus?: boolean;
}

export function OrganizationForm({ organization, defaults, labelSuggestions = [], onSubmit, onCancel, submitLabel, autoFocus }: OrganizationFormProps) {
  const permission = useCan(organization ? 'update' : 'create', 'organizations');
  const readOnly = !permission.allowed;
  const { form, submit, dirty } = useRecordForm({
    record: organization,
    initialValues: organizationValues(organization ?? defaults),
    values: (r) => organizationValues(r as OrganizationRecord),
    payload: organizationPayload,
    schema: OrganizationCreate,
    onSubmit,
  });
  return (
    <form onSubmit={submit} noValidate data-testid="organization-form">
      <LockedFields permission={permission}>
        <Stack gap="sm">
          <TextInput label="Name" required autoFocus={autoFocus} data-autofocus={autoFocus || undefined} readOnly={readOnly} {...form.getInputProps('name')} data-testid="organization-field-name" />
          <TextInput
            label="Website"
            placeholder="https://example.com"
            description={organization?.domain ? `Domain: ${organization.domain}` : 'The domain is derived from it (used to spot duplicates)'}
            leftSection={<IconWorld size={16} />}
            readOnly={readOnly}
            {...form.getInputProps('website')}
            data-testid="organization-field-website"
          />
          {!readOnly && <DomainDuplicateWarning website={form.values.website} selfId={organization?.id} />}
          <TagsInput
            label="Labels"
            placeholder={readOnly ? undefined : 'Type a label and press Enter'}
            data={labelSuggestions}
            readOnly={readOnly}
            clearable={!readOnly}
            acceptValueOnBlur
            {...form.getInputProps('labels')}
            data-testid="organization-field-labels"
          />
          <MemberSelect
            label="Owner"
            readOnly={readOnly}
            value={form.values.ownerId}
            onChange={(id) => form.setFieldValue('ownerId', id)}
            error={form.errors.ownerId}
            data-testid="organization-field-owner"
          />
          <CustomFieldsSection entity="organizations" form={form} readOnly={readOnly} />
          <Textarea label="Notes" autosize minRows={3} maxRows={12} readOnly={readOnly} {...form.getInputProps('notes')} data-testid="organization-field-notes" />
          {!readOnly && (
            <FormActions
              testId="organization-form"
              editing={!!organization}
              dirty={dirty}
              submitting={form.submitting}
              submitLabel={submitLabel}
              onReset={() => organization && form.setValues(organizationValues(organization))}
              onCancel={onCancel}
            />
          )}
        </Stack>
      </LockedFields>
    </form>
  );
}
