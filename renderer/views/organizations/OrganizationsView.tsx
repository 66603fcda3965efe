// Placeholder by the UI-core engineer; the UI-records engineer replaces this file.
import { Text } from '@mantine/core';

export function OrganizationsView() {
  return <Text c="dimmed">Organizations are coming soon.</Text>;
}
