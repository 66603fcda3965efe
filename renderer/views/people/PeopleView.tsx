// Placeholder by the UI-core engineer; the UI-records engineer replaces this file.
import { Text } from '@mantine/core';

export function PeopleView() {
  return <Text c="dimmed">People are coming soon.</Text>;
}
