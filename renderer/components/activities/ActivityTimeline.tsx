// Placeholder by the UI-core engineer; the UI-records engineer replaces this file.
import { Text } from '@mantine/core';

export function ActivityTimeline(_props: { organizationId?: string; personId?: string; dealId?: string }) {
  return <Text c="dimmed">Activity timeline is coming soon.</Text>;
}
