// Placeholder by the UI-core engineer; the UI-records engineer replaces this file.
import { Text } from '@mantine/core';

export function RecordHistory(_props: { entityType: string; entityId: string }) {
  return <Text c="dimmed">History is coming soon.</Text>;
}
