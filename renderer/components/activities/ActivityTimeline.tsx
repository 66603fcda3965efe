/**
 * The activity timeline of one record (organization, person or deal): newest first, open
 * follow-ups pinned on top, live from the local store.
 */
import { EmptyState, Skeleton, Stack } from '@mantine/core';
import { IconTimeline } from '@tabler/icons-react';
import { useMemo } from 'react';
import type { ActivityRecord } from '../../../shared/schemas.js';
import { useRowsWhere } from '../records/useCollectionRows.js';
import { ActivityFeed } from './ActivityFeed.js';

export interface ActivityTimelineProps {
  organizationId?: string;
  personId?: string;
  dealId?: string;
}

/** Open follow-ups first (soonest due first), then everything else newest first. */
function timelineOrder(a: ActivityRecord, b: ActivityRecord): number {
  const openA = a.type === 'follow_up' && !a.completedAt;
  const openB = b.type === 'follow_up' && !b.completedAt;
  if (openA !== openB) return openA ? -1 : 1;
  if (openA && openB) return (a.dueAt ?? '9999') < (b.dueAt ?? '9999') ? -1 : (a.dueAt ?? '9999') > (b.dueAt ?? '9999') ? 1 : 0;
  return a.occurredAt < b.occurredAt ? 1 : a.occurredAt > b.occurredAt ? -1 : 0;
}

export function ActivityTimeline({ organizationId, personId, dealId }: ActivityTimelineProps) {
  // activities have no index on these references: filter the shared in-memory copy
  const [field, value] = organizationId ? ['organizationId', organizationId] : personId ? ['personId', personId] : ['dealId', dealId];
  const { data, loading } = useRowsWhere<ActivityRecord>('activities', field, value);
  const activities = useMemo(() => data.filter((a) => !a.archivedAt).sort(timelineOrder), [data]);

  if (loading) {
    return (
      <Stack gap="sm" data-testid="activity-timeline-loading">
        {[0, 1, 2].map((i) => (
          <Skeleton key={i} height={52} radius="md" />
        ))}
      </Stack>
    );
  }
  if (activities.length === 0) {
    return (
      <EmptyState
        size="sm"
        icon={<IconTimeline size={22} />}
        withIndicatorBackground
        title="No activity yet"
        description="Calls, emails, meetings, notes and follow-ups logged here will show up in this timeline."
        data-testid="activity-timeline-empty"
      />
    );
  }
  return (
    <div data-testid="activity-timeline" data-count={activities.length}>
      <ActivityFeed activities={activities} hide={{ organizationId, personId, dealId }} />
    </div>
  );
}
