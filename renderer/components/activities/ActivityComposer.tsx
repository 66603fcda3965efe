// Placeholder by the UI-core engineer; the UI-records engineer replaces this file.
import { Text } from '@mantine/core';

export function ActivityComposer(_props: { organizationId?: string | null; personId?: string | null; dealId?: string | null; defaultType?: string; onDone?: () => void }) {
  return <Text c="dimmed">Activity composer is coming soon.</Text>;
}
