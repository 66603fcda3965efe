// Placeholder by the UI-core engineer; the UI-records engineer replaces this file.
import { Text } from '@mantine/core';

export function PersonDetail(_props: { id: string }) {
  return <Text c="dimmed">Person details are coming soon.</Text>;
}
