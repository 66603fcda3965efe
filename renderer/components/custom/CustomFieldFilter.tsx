/**
 * The filter bar's custom-field filter: pick a field, then what it must hold (options for
 * selects, text for text fields, a range for numbers, money and dates, a record for references).
 * The matching runs on the local store (customFilter.ts).
 */
import { Group, MultiSelect, NumberInput, Select, TextInput } from '@mantine/core';
import type { FieldDefinition } from '../../../shared/customFields.js';
import { CustomFieldInput } from './CustomFieldInput.js';
import { filterKind, type CustomCondition } from './customFilter.js';

export interface CustomFieldFilterProps {
  fields: readonly FieldDefinition[];
  value: CustomCondition | null;
  onChange(value: CustomCondition | null): void;
  /** prefix of the data-testids: `<testId>-field`, `<testId>-value`, … */
  testId: string;
  size?: 'xs' | 'sm';
}

const numberOrNull = (v: string | number) => (v === '' || v === null || v === undefined ? null : Number.isFinite(Number(v)) ? Number(v) : null);

export function CustomFieldFilter({ fields, value, onChange, testId, size = 'sm' }: CustomFieldFilterProps) {
  if (fields.length === 0) return null;
  const def = value ? fields.find((f) => f.key === value.key) : undefined;
  const set = (patch: Partial<CustomCondition>) => value && onChange({ ...value, ...patch });
  let control = null;
  if (def && value) {
    switch (filterKind(def.type)) {
      case 'choice': {
        const options =
          def.type === 'boolean'
            ? [
                { value: 'true', label: 'Yes' },
                { value: 'false', label: 'No' },
              ]
            : def.options.map((o) => ({ value: o.value, label: o.label }));
        control = (
          <MultiSelect
            size={size}
            aria-label={`${def.label}: any of`}
            placeholder={value.values?.length ? undefined : 'Any of…'}
            data={options}
            value={value.values ?? []}
            onChange={(values) => set({ values })}
            clearable
            w={170}
            data-testid={`${testId}-value`}
            comboboxProps={{ withinPortal: true }}
          />
        );
        break;
      }
      case 'text':
        control = (
          <TextInput
            size={size}
            aria-label={`${def.label} contains`}
            placeholder="Contains…"
            value={value.text ?? ''}
            onChange={(e) => set({ text: e.currentTarget.value })}
            w={160}
            data-testid={`${testId}-value`}
          />
        );
        break;
      case 'range':
        control = (
          <Group gap={4} wrap="nowrap">
            <NumberInput
              size={size}
              aria-label={`${def.label} at least`}
              placeholder="Min"
              value={value.min ?? ''}
              onChange={(v) => set({ min: numberOrNull(v) })}
              w={90}
              hideControls
              data-testid={`${testId}-min`}
            />
            <NumberInput
              size={size}
              aria-label={`${def.label} at most`}
              placeholder="Max"
              value={value.max ?? ''}
              onChange={(v) => set({ max: numberOrNull(v) })}
              w={90}
              hideControls
              data-testid={`${testId}-max`}
            />
          </Group>
        );
        break;
      case 'dates':
        control = (
          <Group gap={4} wrap="nowrap">
            <TextInput
              size={size}
              type="date"
              aria-label={`${def.label} from`}
              value={value.from ?? ''}
              onChange={(e) => set({ from: e.currentTarget.value || null })}
              w={140}
              data-testid={`${testId}-from`}
            />
            <TextInput
              size={size}
              type="date"
              aria-label={`${def.label} to`}
              value={value.to ?? ''}
              onChange={(e) => set({ to: e.currentTarget.value || null })}
              w={140}
              data-testid={`${testId}-to`}
            />
          </Group>
        );
        break;
      case 'reference':
        control = (
          <div style={{ width: 200 }} data-testid={`${testId}-value`}>
            <CustomFieldInput def={{ ...def, label: '', required: false }} value={value.values?.[0] ?? null} onChange={(id) => set({ values: id ? [String(id)] : [] })} />
          </div>
        );
        break;
    }
  }
  return (
    <Group gap={4} wrap="nowrap">
      <Select
        size={size}
        aria-label="Filter by field"
        placeholder="Filter by field"
        data={fields.map((f) => ({ value: f.key, label: f.label }))}
        value={value?.key ?? null}
        onChange={(key) => onChange(key ? { key } : null)}
        clearable
        w={140}
        data-testid={`${testId}-field`}
        comboboxProps={{ withinPortal: true }}
      />
      {control}
    </Group>
  );
}
