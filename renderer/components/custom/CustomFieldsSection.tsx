/**
 * The custom fields of an entity inside a record form (organization, person, deal, activity,
 * a custom object type's record): one input per live definition, in order, bound to the form's
 * `custom.<key>` values, with the shared validator's errors at their fields.
 */
import { Grid } from '@mantine/core';
import { CustomFieldInput } from './CustomFieldInput.js';
import { customError } from './customValues.js';
import { useCustomFields } from './useCustomFields.js';

/** The parts of a Mantine form (whose values have `custom`) the section uses. */
interface CustomForm {
  values: { custom?: Record<string, unknown> };
  errors: Record<string, unknown>;
  setFieldValue: (path: any, value: any) => void;
}

const WIDE = new Set(['long_text', 'multi_select']);

export function CustomFieldsSection({ entity, form, readOnly, columns = 2 }: { entity: string; form: CustomForm; readOnly?: boolean; columns?: 1 | 2 | 3 }) {
  const { fields } = useCustomFields(entity);
  if (fields.length === 0) return null;
  const span = (type: string) => (WIDE.has(type) || columns === 1 ? 12 : { base: 12, sm: 12 / columns });
  return (
    <Grid gap="sm" data-testid={`custom-fields-${entity}`}>
      {fields.map((def) => (
        <Grid.Col key={def.id} span={span(def.type)}>
          <CustomFieldInput
            def={def}
            value={form.values.custom?.[def.key]}
            onChange={(v) => form.setFieldValue(`custom.${def.key}`, v)}
            error={customError(form.errors, def.key)}
            readOnly={readOnly}
          />
        </Grid.Col>
      ))}
    </Grid>
  );
}
