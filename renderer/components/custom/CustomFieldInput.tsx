/**
 * One input per custom field type (SPEC §2): text, long text, number, money (amount + currency),
 * date and date-time pickers, yes/no, selects as chips in their option colors (a dropdown when
 * there are many options), URL, email, phone, and a record picker for references (organizations,
 * people, deals, activities or a custom object type's records). Required fields are marked; the
 * error shown is the shared validator's, at the field.
 */
import { Chip, Group, Input, MultiSelect, NumberInput, Select, Textarea, TextInput, ColorSwatch } from '@mantine/core';
import { DatePickerInput, DateTimePicker } from '@mantine/dates';
import { IconAt, IconLink, IconPhone } from '@tabler/icons-react';
import dayjs from 'dayjs';
import type { FieldDefinition, FieldOption } from '../../../shared/customFields.js';
import { useKith } from '../../app/KithContext.js';
import { OrganizationSelect, PersonSelect, RecordPicker } from '../pickers.js';
import { DealSelect } from '../records/RecordSelect.js';
import { optionColor } from './CustomFieldValue.js';

/** Up to this many options show as chips; more as a dropdown. */
const CHIP_LIMIT = 6;

export interface CustomFieldInputProps {
  def: FieldDefinition;
  value: unknown;
  onChange(value: unknown): void;
  error?: string;
  readOnly?: boolean;
}

function swatch(option: FieldOption | undefined) {
  return <ColorSwatch color={colorValue(optionColor(option))} size={10} withShadow={false} />;
}

/** A CSS color for an option color (a Mantine color name or #rrggbb). */
function colorValue(color: string): string {
  return color.startsWith('#') ? color : `var(--mantine-color-${color}-6, ${color})`;
}

function ChipChoices({
  def,
  options,
  selected,
  toggle,
  error,
  readOnly,
}: {
  def: FieldDefinition;
  options: FieldOption[];
  selected: string[];
  toggle(value: string): void;
  error?: string;
  readOnly?: boolean;
}) {
  return (
    <Input.Wrapper label={def.label} required={def.required} error={error} data-testid={`custom-field-${def.key}`}>
      <Group gap={6} mt={4} wrap="wrap">
        {options.map((o) => (
          <Chip
            key={o.value}
            size="xs"
            color={optionColor(o)}
            variant="light"
            checked={selected.includes(o.value)}
            onChange={() => !readOnly && toggle(o.value)}
            readOnly={readOnly}
            data-option={o.value}
          >
            {o.label}
          </Chip>
        ))}
      </Group>
    </Input.Wrapper>
  );
}

const YES_NO: FieldOption[] = [
  { value: 'true', label: 'Yes', color: 'teal' },
  { value: 'false', label: 'No', color: 'gray' },
];

function ReferenceInput({ def, value, onChange, error, readOnly }: CustomFieldInputProps) {
  const common = {
    label: def.label,
    required: def.required,
    error,
    readOnly,
    value: typeof value === 'string' ? value : null,
    onChange: (id: string | null) => onChange(id),
    'data-testid': `custom-field-${def.key}`,
  };
  switch (def.referenceTo) {
    case 'organizations':
      return <OrganizationSelect {...common} allowCreate={false} />;
    case 'people':
      return <PersonSelect {...common} allowCreate={false} />;
    case 'deals':
      return <DealSelect {...common} />;
    case 'activities':
      return <RecordPicker {...common} collection="activities" labelField="subject" describe={(r: { type?: string }) => r.type} placeholder="Search activities" />;
    default:
      return <RecordPicker {...common} collection="records" where={{ type: def.referenceTo ?? '' }} describe={() => undefined} placeholder="Search" />;
  }
}

export function CustomFieldInput(props: CustomFieldInputProps) {
  const { def, value, onChange, error, readOnly } = props;
  const { defaultCurrency } = useKith().info;
  const testId = `custom-field-${def.key}`;
  const common = { label: def.label, required: def.required, error, readOnly, 'data-testid': testId };
  const str = typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value);
  switch (def.type) {
    case 'text':
      return <TextInput {...common} value={str} onChange={(e) => onChange(e.currentTarget.value)} />;
    case 'long_text':
      return <Textarea {...common} autosize minRows={2} maxRows={10} value={str} onChange={(e) => onChange(e.currentTarget.value)} />;
    case 'number':
      return <NumberInput {...common} clampBehavior="none" value={typeof value === 'number' || typeof value === 'string' ? value : ''} onChange={(v) => onChange(v)} />;
    case 'money': {
      const money = (value && typeof value === 'object' ? value : {}) as { amount?: number | string; currency?: string };
      return (
        <Input.Wrapper label={def.label} required={def.required} error={error} data-testid={testId}>
          <Group gap={6} wrap="nowrap" mt={2}>
            <NumberInput
              aria-label={`${def.label} amount`}
              clampBehavior="none"
              thousandSeparator=","
              readOnly={readOnly}
              error={!!error}
              value={money.amount ?? ''}
              onChange={(amount) => onChange({ amount, currency: money.currency ?? defaultCurrency })}
              style={{ flex: 1 }}
              data-testid={`${testId}-amount`}
            />
            <TextInput
              aria-label={`${def.label} currency`}
              maxLength={3}
              w={72}
              readOnly={readOnly}
              error={!!error}
              value={money.currency ?? defaultCurrency}
              onChange={(e) => onChange({ amount: money.amount ?? '', currency: e.currentTarget.value.toUpperCase() })}
              data-testid={`${testId}-currency`}
            />
          </Group>
        </Input.Wrapper>
      );
    }
    case 'date':
      return <DatePickerInput {...common} clearable valueFormat="MMM D, YYYY" placeholder="Pick a date" value={str || null} onChange={(v) => onChange(v ?? null)} />;
    case 'datetime':
      return (
        <DateTimePicker
          {...common}
          clearable
          valueFormat="MMM D, YYYY HH:mm"
          placeholder="Pick a date and time"
          value={str ? dayjs(str).format('YYYY-MM-DD HH:mm:ss') : null}
          onChange={(v) => onChange(v ? dayjs(v).toISOString() : null)}
        />
      );
    case 'boolean':
      return (
        <ChipChoices
          def={def}
          options={YES_NO}
          selected={value === true ? ['true'] : value === false ? ['false'] : []}
          toggle={(v) => onChange(value === (v === 'true') ? null : v === 'true')}
          error={error}
          readOnly={readOnly}
        />
      );
    case 'select':
      if (def.options.length <= CHIP_LIMIT) {
        return <ChipChoices def={def} options={def.options} selected={str ? [str] : []} toggle={(v) => onChange(v === str ? null : v)} error={error} readOnly={readOnly} />;
      }
      return (
        <Select
          {...common}
          clearable
          searchable
          data={def.options.map((o) => ({ value: o.value, label: o.label }))}
          value={str || null}
          onChange={(v) => onChange(v)}
          renderOption={({ option }) => (
            <Group gap={8} wrap="nowrap">
              {swatch(def.options.find((o) => o.value === option.value))}
              {option.label}
            </Group>
          )}
        />
      );
    case 'multi_select': {
      const list = Array.isArray(value) ? (value as string[]) : [];
      if (def.options.length <= CHIP_LIMIT + 2) {
        return (
          <ChipChoices def={def} options={def.options} selected={list} toggle={(v) => onChange(list.includes(v) ? list.filter((x) => x !== v) : [...list, v])} error={error} readOnly={readOnly} />
        );
      }
      return (
        <MultiSelect
          {...common}
          clearable
          searchable
          data={def.options.map((o) => ({ value: o.value, label: o.label }))}
          value={list}
          onChange={(v) => onChange(v)}
          renderOption={({ option }) => (
            <Group gap={8} wrap="nowrap">
              {swatch(def.options.find((o) => o.value === option.value))}
              {option.label}
            </Group>
          )}
        />
      );
    }
    case 'url':
      return <TextInput {...common} type="url" placeholder="https://" leftSection={<IconLink size={16} />} value={str} onChange={(e) => onChange(e.currentTarget.value)} />;
    case 'email':
      return <TextInput {...common} type="email" leftSection={<IconAt size={16} />} value={str} onChange={(e) => onChange(e.currentTarget.value)} />;
    case 'phone':
      return <TextInput {...common} type="tel" leftSection={<IconPhone size={16} />} value={str} onChange={(e) => onChange(e.currentTarget.value)} />;
    case 'reference':
      return <ReferenceInput {...props} />;
    default:
      return <TextInput {...common} value={str} onChange={(e) => onChange(e.currentTarget.value)} />;
  }
}
