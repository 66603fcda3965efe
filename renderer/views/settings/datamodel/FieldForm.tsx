/**
 * The form of one custom field definition, new or existing: label, key (made from the label until
 * typed; fixed once made), type (the 13 of SPEC §2), options of selects (label, value, color; an
 * existing option's value is fixed, it may be removed), the target of a reference, required.
 *
 * Writes go to the local store (offline too), except a change the server has to check against the
 * values records hold — the type, the reference target, an option removed: that goes to
 * PATCH /crm/fields/:id, so a refusal ("2 deals have values … that would not convert …") shows at
 * its field at once. Errors show at their fields; Enter submits.
 */
import { useMemo, useState } from 'react';
import { ActionIcon, Alert, Button, ColorSwatch, Group, Modal, Select, Stack, Switch, Text, TextInput, Tooltip } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import { FieldCreate, FieldUpdate } from '../../../../shared/schemas.js';
import type { FieldType } from '../../../../shared/customFields.js';
import { useKith } from '../../../app/KithContext.js';
import { useSession } from '../../../app/session.js';
import { crmSend } from '../../../app/connection.js';
import { changedFields, schemaErrors } from '../../../components/forms.js';
import { cssColor, isSelect, keyFrom, OPTION_COLORS, TYPE_CHOICES, useFormWrite, type Field } from './model.js';

interface OptionValues {
  value: string;
  label: string;
  color: string | null;
  /** Already saved: its value is fixed (records hold it). */
  saved: boolean;
}

interface FormValues {
  label: string;
  key: string;
  type: FieldType;
  options: OptionValues[];
  referenceTo: string | null;
  required: boolean;
}

const COLOR_DATA = OPTION_COLORS.map((c) => ({ value: c, label: c }));

function ColorPick({ value, onChange, label }: { value: string | null; onChange(value: string | null): void; label: string }) {
  return (
    <Select
      aria-label={label}
      placeholder="Color"
      data={COLOR_DATA}
      value={value}
      onChange={onChange}
      clearable
      w={130}
      leftSection={value ? <ColorSwatch color={cssColor(value)!} size={14} /> : undefined}
      renderOption={({ option }) => (
        <Group gap={8} wrap="nowrap">
          <ColorSwatch color={cssColor(option.value)!} size={14} />
          <Text size="sm">{option.label}</Text>
        </Group>
      )}
    />
  );
}

/** The request body of the form's values (options only for selects, the target only for references). */
function bodyOf(v: FormValues) {
  return {
    label: v.label.trim(),
    type: v.type,
    options: isSelect(v.type) ? v.options.map((o) => ({ value: o.value.trim() || keyFrom(o.label), label: o.label.trim() || o.value.trim(), color: o.color })) : [],
    referenceTo: v.type === 'reference' ? v.referenceTo : null,
    required: v.required,
  };
}

export function FieldForm({
  entity,
  entityLabel,
  field,
  targets,
  onClose,
}: {
  entity: string;
  entityLabel: string;
  /** The field to edit; undefined for a new one. */
  field?: Field;
  /** What a reference may point to. */
  targets: { value: string; label: string }[];
  onClose(): void;
}) {
  const store = useKith();
  const { connection } = useSession();
  const { write, busy } = useFormWrite();
  const [keyTyped, setKeyTyped] = useState(!!field);
  const form = useForm<FormValues>({
    initialValues: {
      label: field?.label ?? '',
      key: field?.key ?? '',
      type: (field?.type ?? 'text') as FieldType,
      options: (field?.options ?? []).map((o) => ({ value: o.value, label: o.label, color: o.color, saved: true })),
      referenceTo: field?.referenceTo ?? null,
      required: field?.required ?? false,
    },
  });
  const v = form.values;
  const savedValues = useMemo(() => new Set((field?.options ?? []).map((o) => o.value)), [field]);

  async function submit(values: FormValues) {
    const body = bodyOf(values);
    if (!field) {
      const input = { entity, key: values.key.trim(), ...body };
      const errors = schemaErrors(FieldCreate, input);
      if (Object.keys(errors).length) return form.setErrors(errors);
      const created = await write(form, () => store.create('fields', input), `${input.label} added to ${entityLabel}`);
      if (created) onClose();
      return;
    }
    const patch = changedFields(field as unknown as Record<string, unknown>, body);
    if (Object.keys(patch).length === 0) return onClose();
    const errors = schemaErrors(FieldUpdate, patch);
    if (Object.keys(errors).length) return form.setErrors(errors);
    const removesOption = isSelect(field.type) && !!patch.options && [...savedValues].some((value) => !patch.options!.some((o) => o.value === value));
    const checkedByServer = patch.type !== undefined || patch.referenceTo !== undefined || removesOption;
    const viaServer = () =>
      crmSend(connection, 'PATCH', `/fields/${field.id}`, patch).catch((e: { status?: number | null; message?: string }) => {
        // offline: say why this change, unlike the others, needs the server
        if (e.status === null) throw new Error(`A change of type, reference target or options is checked by the server against the values records hold, and it cannot be reached: ${e.message}`);
        throw e;
      });
    const saved = await write(form, () => (checkedByServer ? viaServer() : store.update('fields', field.id, patch)), `${body.label} saved`);
    if (saved) onClose();
  }

  const optionsError = form.errors.options;

  return (
    <Modal opened onClose={onClose} size="lg" title={<Text fw={600}>{field ? `Edit ${field.label}` : `New field of ${entityLabel}`}</Text>}>
      <form onSubmit={form.onSubmit((values) => void submit(values))} noValidate data-testid="field-form">
        <Stack gap="sm">
          {form.errors._form && (
            <Alert color="red" data-testid="field-form-error">
              {form.errors._form}
            </Alert>
          )}
          <Group grow align="flex-start">
            <TextInput
              label="Label"
              required
              data-autofocus
              {...form.getInputProps('label')}
              onChange={(e) => {
                const label = e.currentTarget.value;
                form.setFieldValue('label', label);
                if (!keyTyped) form.setFieldValue('key', keyFrom(label));
              }}
              data-testid="field-label"
            />
            <TextInput
              label="Key"
              description={field ? 'Fixed once the field exists' : 'In the API: custom.<key>'}
              required={!field}
              disabled={!!field}
              {...form.getInputProps('key')}
              onChange={(e) => {
                setKeyTyped(true);
                form.setFieldValue('key', e.currentTarget.value);
              }}
              data-testid="field-key"
            />
          </Group>
          <Select
            label="Type"
            description={field ? 'A change is checked against the values records hold' : undefined}
            data={TYPE_CHOICES}
            allowDeselect={false}
            {...form.getInputProps('type')}
            onChange={(value) => value && form.setFieldValue('type', value as FieldType)}
            data-testid="field-type"
          />
          {isSelect(v.type) && (
            <Stack gap={6} data-testid="field-options">
              <Text size="sm" fw={500}>
                Options
              </Text>
              {v.options.map((o, i) => (
                <Group key={i} gap="xs" wrap="nowrap" align="flex-start" data-testid={`field-option-${i}`}>
                  <TextInput
                    aria-label={`Option ${i + 1} label`}
                    placeholder="Label"
                    style={{ flex: 2 }}
                    {...form.getInputProps(`options.${i}.label`)}
                    onChange={(e) => form.setFieldValue(`options.${i}.label`, e.currentTarget.value)}
                  />
                  <Tooltip label="The stored value; fixed once saved (records hold it)" disabled={!o.saved}>
                    <TextInput
                      aria-label={`Option ${i + 1} value`}
                      placeholder={keyFrom(o.label) || 'value'}
                      disabled={o.saved}
                      style={{ flex: 1 }}
                      ff="monospace"
                      {...form.getInputProps(`options.${i}.value`)}
                    />
                  </Tooltip>
                  <ColorPick label={`Option ${i + 1} color`} value={o.color} onChange={(color) => form.setFieldValue(`options.${i}.color`, color)} />
                  <ActionIcon variant="subtle" color="red" mt={6} aria-label={`Remove option ${o.label || o.value || i + 1}`} onClick={() => form.removeListItem('options', i)}>
                    <IconTrash size={16} />
                  </ActionIcon>
                </Group>
              ))}
              {optionsError && (
                <Text size="xs" c="red" data-testid="field-options-error">
                  {optionsError}
                </Text>
              )}
              <Group>
                <Button
                  size="xs"
                  variant="light"
                  leftSection={<IconPlus size={14} />}
                  onClick={() => form.insertListItem('options', { value: '', label: '', color: null, saved: false })}
                  data-testid="field-option-add"
                >
                  Add option
                </Button>
              </Group>
            </Stack>
          )}
          {v.type === 'reference' && <Select label="Points to" placeholder="Choose what it links to" data={targets} {...form.getInputProps('referenceTo')} data-testid="field-reference" />}
          <Switch label="Required: a new record must have a value, and no write may clear it" {...form.getInputProps('required', { type: 'checkbox' })} data-testid="field-required" />
          <Group justify="flex-end" mt="xs">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy} data-testid="field-save">
              {field ? 'Save' : 'Add field'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
