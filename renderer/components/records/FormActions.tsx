/**
 * The buttons under a record form: Cancel (when the form is in a dialog), Discard changes (an
 * existing record edited in place, with changes), and the submit button, disabled while an
 * existing record is unchanged. Test ids: `<testId>-reset`, `<testId>-submit`.
 */
import { Button, Group, type MantineSpacing } from '@mantine/core';

export function FormActions(props: {
  testId: string;
  /** Editing an existing record (vs. creating one). */
  editing: boolean;
  dirty: boolean;
  submitting: boolean;
  submitLabel: string;
  onReset: () => void;
  onCancel?: () => void;
  mt?: MantineSpacing;
}) {
  const { testId, editing, dirty, submitting, submitLabel, onReset, onCancel, mt } = props;
  return (
    <Group justify="flex-end" gap="sm" mt={mt}>
      {onCancel && (
        <Button variant="default" onClick={onCancel}>
          Cancel
        </Button>
      )}
      {editing && dirty && !onCancel && (
        <Button variant="default" onClick={onReset} data-testid={`${testId}-reset`}>
          Discard changes
        </Button>
      )}
      <Button type="submit" loading={submitting} disabled={editing && !dirty} data-testid={`${testId}-submit`}>
        {submitLabel}
      </Button>
    </Group>
  );
}
