// Placeholder by the UI-core engineer; the UI-records engineer replaces this file.
import { Text } from '@mantine/core';

export function ActivitiesView() {
  return <Text c="dimmed">Activities are coming soon.</Text>;
}
