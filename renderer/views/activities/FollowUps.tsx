/**
 * "My follow-ups": open follow-ups with a due date, assigned to (logged by) the signed-in user —
 * or every open follow-up when the store does not know the user — grouped Overdue / Today /
 * Upcoming, overdue in red, each with a done toggle. Recently completed ones can be reopened.
 */
import { Anchor, Badge, Collapse, Group, Paper, Stack, Text, UnstyledButton, EmptyState } from '@mantine/core';
import { IconChecklist, IconChevronDown, IconChevronRight } from '@tabler/icons-react';
import dayjs from 'dayjs';
import { useEffect, useMemo, useState } from 'react';
import { Link } from 'wouter';
import type { ActivityRecord } from '../../../shared/schemas.js';
import { DueBadge, FollowUpToggle } from '../../components/activities/ActivityFeed.js';
import { useRecordNames } from '../../components/records/useRecordNames.js';
import { formatDateTime } from '../../lib/format.js';

/** Re-render every minute so "overdue" flips without a reload. */
function useNow(intervalMs = 60_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}

interface FollowUpGroups {
  overdue: ActivityRecord[];
  today: ActivityRecord[];
  upcoming: ActivityRecord[];
  done: ActivityRecord[];
}

/** Splits follow-ups by due date relative to `now`; open ones soonest first, done ones newest first. */
function groupFollowUps(followUps: readonly ActivityRecord[], now: number): FollowUpGroups {
  const endOfToday = dayjs(now).endOf('day').valueOf();
  const groups: FollowUpGroups = { overdue: [], today: [], upcoming: [], done: [] };
  for (const a of followUps) {
    if (a.type !== 'follow_up' || !a.dueAt || a.archivedAt) continue;
    if (a.completedAt) groups.done.push(a);
    else {
      const due = Date.parse(a.dueAt);
      if (due < now) groups.overdue.push(a);
      else if (due <= endOfToday) groups.today.push(a);
      else groups.upcoming.push(a);
    }
  }
  const byDue = (a: ActivityRecord, b: ActivityRecord) => Date.parse(a.dueAt!) - Date.parse(b.dueAt!);
  groups.overdue.sort(byDue);
  groups.today.sort(byDue);
  groups.upcoming.sort(byDue);
  groups.done.sort((a, b) => Date.parse(b.completedAt!) - Date.parse(a.completedAt!));
  groups.done = groups.done.slice(0, 20);
  return groups;
}

function FollowUpRow({ a, names }: { a: ActivityRecord; names: { people: Map<string, string>; orgs: Map<string, string>; deals: Map<string, string> } }) {
  const related = [
    a.personId ? { href: `/people/${a.personId}`, label: names.people.get(a.personId) ?? 'Person' } : null,
    a.organizationId ? { href: `/organizations/${a.organizationId}`, label: names.orgs.get(a.organizationId) ?? 'Organization' } : null,
    a.dealId ? { href: `/deals/${a.dealId}`, label: names.deals.get(a.dealId) ?? 'Deal' } : null,
  ].filter((x): x is { href: string; label: string } => !!x);
  const overdue = !a.completedAt && !!a.dueAt && Date.parse(a.dueAt) < Date.now();
  return (
    <Paper
      withBorder
      radius="md"
      px="sm"
      py={8}
      data-testid={`followup-${a.id}`}
      data-overdue={overdue ? 'true' : 'false'}
      style={overdue ? { borderColor: 'var(--mantine-color-red-4)', background: 'var(--mantine-color-red-light)' } : undefined}
    >
      <Group wrap="nowrap" align="flex-start" gap="sm">
        <div style={{ paddingTop: 2 }}>
          <FollowUpToggle activity={a} />
        </div>
        <Stack gap={2} style={{ flex: 1, minWidth: 0 }}>
          <Text size="sm" fw={500} td={a.completedAt ? 'line-through' : undefined} c={a.completedAt ? 'dimmed' : overdue ? 'red.8' : undefined} style={{ wordBreak: 'break-word' }}>
            {a.subject ?? a.body ?? 'Follow-up'}
          </Text>
          <Group gap={6} wrap="wrap">
            <DueBadge activity={a} />
            <Text size="xs" c="dimmed">
              {formatDateTime(a.dueAt)}
            </Text>
            {related.map((r) => (
              <Anchor key={r.href} component={Link} href={r.href} size="xs">
                {r.label}
              </Anchor>
            ))}
          </Group>
        </Stack>
      </Group>
    </Paper>
  );
}

function Section({ title, color, items, names, testId }: { title: string; color: string; items: ActivityRecord[]; names: Parameters<typeof FollowUpRow>[0]['names']; testId: string }) {
  if (items.length === 0) return null;
  return (
    <Stack gap={6} data-testid={testId}>
      <Group gap={6}>
        <Text size="xs" fw={700} tt="uppercase" c={color}>
          {title}
        </Text>
        <Badge size="xs" variant="light" color={color === 'dimmed' ? 'gray' : color} circle>
          {items.length}
        </Badge>
      </Group>
      {items.map((a) => (
        <FollowUpRow key={a.id} a={a} names={names} />
      ))}
    </Stack>
  );
}

export function FollowUps({ followUps, title }: { followUps: readonly ActivityRecord[]; title: string }) {
  const now = useNow();
  const groups = useMemo(() => groupFollowUps(followUps, now), [followUps, now]);
  const [showDone, setShowDone] = useState(false);
  const visible = useMemo(() => [...groups.overdue, ...groups.today, ...groups.upcoming, ...(showDone ? groups.done : [])], [groups, showDone]);
  const names = {
    people: useRecordNames(
      'people',
      useMemo(() => visible.map((a) => a.personId), [visible]),
    ),
    orgs: useRecordNames(
      'organizations',
      useMemo(() => visible.map((a) => a.organizationId), [visible]),
    ),
    deals: useRecordNames(
      'deals',
      useMemo(() => visible.map((a) => a.dealId), [visible]),
    ),
  };
  const open = groups.overdue.length + groups.today.length + groups.upcoming.length;

  return (
    <Stack gap="md" data-testid="my-followups">
      <Group justify="space-between">
        <Group gap="xs">
          <IconChecklist size={20} />
          <Text fw={600}>{title}</Text>
          <Badge variant="light" color={groups.overdue.length > 0 ? 'red' : 'gray'} data-testid="followups-open-count">
            {open} open
          </Badge>
        </Group>
        {groups.overdue.length > 0 && (
          <Text size="xs" c="var(--kith-danger-text)" fw={600} data-testid="followups-overdue-count">
            {groups.overdue.length} overdue
          </Text>
        )}
      </Group>
      {open === 0 && (
        <EmptyState
          size="sm"
          icon={<IconChecklist size={22} />}
          withIndicatorBackground
          title="All caught up"
          description="Add a follow-up from any person, organization or deal and it will wait for you here."
          data-testid="followups-empty"
        />
      )}
      <Section title="Overdue" color="red" items={groups.overdue} names={names} testId="followups-overdue" />
      <Section title="Due today" color="orange" items={groups.today} names={names} testId="followups-today" />
      <Section title="Upcoming" color="blue" items={groups.upcoming} names={names} testId="followups-upcoming" />
      {groups.done.length > 0 && (
        <Stack gap={6}>
          <UnstyledButton onClick={() => setShowDone((v) => !v)} data-testid="followups-show-done">
            <Group gap={4}>
              {showDone ? <IconChevronDown size={14} /> : <IconChevronRight size={14} />}
              <Text size="xs" fw={700} tt="uppercase" c="dimmed">
                Recently done ({groups.done.length})
              </Text>
            </Group>
          </UnstyledButton>
          <Collapse expanded={showDone}>
            <Stack gap={6} data-testid="followups-done">
              {groups.done.map((a) => (
                <FollowUpRow key={a.id} a={a} names={names} />
              ))}
            </Stack>
          </Collapse>
        </Stack>
      )}
    </Stack>
  );
}
