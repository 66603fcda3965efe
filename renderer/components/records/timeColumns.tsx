/**
 * Table columns of a record's times, shown as "3 hours ago" / "in 2 days" with the exact time on
 * hover: when it was updated, and the computed fields (SPEC §2) — its last activity, its next
 * follow-up (red once overdue) and, for deals, when it entered its stage. The computed ones are
 * optional: off until chosen in the table's Columns menu, and sortable like the others.
 */
import { Text } from '@mantine/core';
import { formatRelative } from '../../lib/format.js';
import type { Column } from './VirtualTable.js';

type TimeKey = 'updatedAt' | 'lastActivityAt' | 'nextFollowUpAt' | 'stageEnteredAt';

const HEADERS: Record<TimeKey, string> = {
  updatedAt: 'Updated',
  lastActivityAt: 'Last activity',
  nextFollowUpAt: 'Next follow-up',
  stageEnteredAt: 'In stage since',
};

/** The column of one time field; `width` as the table's other columns give theirs. */
export function timeColumn<T extends Partial<Record<TimeKey, string | null>>>(key: TimeKey, width: string | number): Column<T> {
  return {
    key,
    header: HEADERS[key],
    width,
    sortable: true,
    optional: key !== 'updatedAt',
    render: (row) => {
      const value = row[key] ?? null;
      const overdue = key === 'nextFollowUpAt' && value !== null && value < new Date().toISOString();
      return (
        <Text size="xs" c={overdue ? 'red.8' : 'dimmed'} fw={overdue ? 600 : undefined} truncate title={value ?? undefined} data-overdue={overdue || undefined}>
          {formatRelative(value)}
        </Text>
      );
    },
  };
}

/** Sort keys of those columns: ISO times sort as text. */
export function timeSortKeys<T extends Partial<Record<TimeKey, string | null>>>(...keys: TimeKey[]): Record<string, (row: T) => string | null | undefined> {
  return Object.fromEntries(keys.map((key) => [key, (row: T) => row[key]]));
}
