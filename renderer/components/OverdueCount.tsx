/**
 * The number of overdue follow-ups (yours when signed in as a person, else everyone's) as a red
 * badge beside "Activities" in the navigation; nothing when none are overdue. From the local
 * store, re-evaluated each minute.
 */
import { useEffect, useState } from 'react';
import { Badge } from '@mantine/core';
import type { ActivityRecord } from '../../shared/schemas.js';
import { useKith } from '../app/KithContext.js';
import { useRxQuery } from '../hooks/useRx.js';

export function OverdueCount() {
  const { info } = useKith();
  const [now, setNow] = useState(() => new Date().toISOString());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date().toISOString()), 60_000);
    return () => clearInterval(timer);
  }, []);
  const { data } = useRxQuery<ActivityRecord>('activities', { selector: { type: 'follow_up', completedAt: null, dueAt: { $lt: now } } });
  const count = data.filter((a) => !a.archivedAt && (!info.userId || a.actorId === info.userId)).length;
  if (count === 0) return null;
  return (
    <Badge size="xs" color="red" variant="filled" circle={count < 10} title={`${count} overdue follow-up${count === 1 ? '' : 's'}`} data-testid="nav-overdue">
      {count}
    </Badge>
  );
}
