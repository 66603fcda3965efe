// Placeholder by the UI-core engineer; the UI-records engineer replaces this file.
import { Text } from '@mantine/core';

export function OrganizationDetail(_props: { id: string }) {
  return <Text c="dimmed">Organization details are coming soon.</Text>;
}
