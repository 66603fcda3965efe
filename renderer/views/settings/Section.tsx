/**
 * The frame of a settings panel (title, description, anchor), the API key as settings show it
 * (masked), and what panels share: their write actions and the delete confirmation.
 */
import { useState, type ReactNode } from 'react';
import { Box, Button, Group, Modal, Paper, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { errorMessage } from '../../components/forms.js';

export function Section({ title, description, children, id }: { title: string; description?: string; children: ReactNode; id?: string }) {
  return (
    <Paper withBorder radius="md" p="lg" id={id} data-testid={id ? `settings-${id}` : undefined}>
      <Title order={4}>{title}</Title>
      {description && (
        <Text size="sm" c="dimmed" mb="md">
          {description}
        </Text>
      )}
      {!description && <Box mb="md" />}
      {children}
    </Paper>
  );
}

export function maskKey(key: string): string {
  return key.length > 10 ? `${key.slice(0, 5)}${'•'.repeat(8)}${key.slice(-4)}` : '••••';
}

/**
 * A settings panel's writes: clears the panel's error, marks it busy, runs the action, says `done`
 * and reloads the panel; a failure shows in the panel's error.
 */
export function useSettingsAction(reload: () => Promise<unknown>, setError: (message: string | null) => void) {
  const [busy, setBusy] = useState(false);
  async function run(action: () => Promise<unknown>, done?: string) {
    setError(null);
    setBusy(true);
    try {
      await action();
      if (done) notifications.show({ color: 'teal', message: done });
      await reload();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }
  return { run, busy };
}

/** "Delete this …?" with what deleting it does, Cancel and a red Delete. */
export function ConfirmDelete({ what, consequence, confirmTestId, onCancel, onConfirm }: { what: string | null; consequence: ReactNode; confirmTestId: string; onCancel(): void; onConfirm(): void }) {
  return (
    <Modal opened={what !== null} onClose={onCancel} size="sm" title={<Text fw={600}>Delete this {what}?</Text>}>
      <Text size="sm" mb="md">
        {consequence}
      </Text>
      <Group justify="flex-end">
        <Button variant="default" onClick={onCancel}>
          Cancel
        </Button>
        <Button color="red" data-testid={confirmTestId} onClick={onConfirm}>
          Delete
        </Button>
      </Group>
    </Modal>
  );
}
