/**
 * A list of activities as a timeline: type icon, subject, when, who, the related records, the
 * details, and for follow-ups the due date (red when overdue) with a done toggle.
 * The data comes from the caller (one query), names of related records from one query each.
 */
import { ActionIcon, Anchor, Badge, Button, Checkbox, Group, Menu, Modal, Spoiler, Stack, Text, ThemeIcon, Timeline, Tooltip } from '@mantine/core';
import { IconDots, IconTrash } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import { Link } from 'wouter';
import type { ActivityRecord } from '../../../shared/schemas.js';
import { useKith } from '../../app/KithContext.js';
import { useMembers, memberName } from '../../hooks/useMembers.js';
import { useCan } from '../../hooks/usePermissions.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { useSave } from '../forms.js';
import { useRecordNames } from '../records/useRecordNames.js';
import { activityTypeInfo, isOverdue } from './activityTypes.js';

export interface ActivityFeedProps {
  activities: readonly ActivityRecord[];
  /** don't repeat the record the page is about */
  hide?: { organizationId?: string | null; personId?: string | null; dealId?: string | null };
  /** how many to show before "Show more" */
  pageSize?: number;
}

/** Done toggle for a follow-up: sets or clears completedAt through the store; disabled, saying why, for whoever may not edit activities. */
export function FollowUpToggle({ activity, label }: { activity: ActivityRecord; label?: string }) {
  const store = useKith();
  const { save, saving } = useSave();
  const permission = useCan('update', 'activities');
  const done = !!activity.completedAt;
  const toggle = (
    <Checkbox
      checked={done}
      disabled={saving || !permission.allowed}
      aria-description={permission.reason ?? undefined}
      color="teal"
      radius="xl"
      label={label}
      aria-label={done ? 'Mark as not done' : 'Mark as done'}
      onChange={() => void save(() => store.update('activities', activity.id, { completed: !done }), { success: done ? 'Follow-up reopened' : 'Follow-up done' })}
      data-testid={`followup-toggle-${activity.id}`}
      data-done={done ? 'true' : 'false'}
    />
  );
  return permission.allowed ? (
    toggle
  ) : (
    <Tooltip label={permission.reason}>
      <span>{toggle}</span>
    </Tooltip>
  );
}

export function DueBadge({ activity }: { activity: ActivityRecord }) {
  if (!activity.dueAt) return null;
  if (activity.completedAt)
    return (
      <Badge size="sm" variant="light" color="teal" radius="sm" style={{ textTransform: 'none' }}>
        Done {formatRelative(activity.completedAt)}
      </Badge>
    );
  const overdue = isOverdue(activity);
  return (
    <Tooltip label={formatDateTime(activity.dueAt)}>
      <Badge size="sm" variant={overdue ? 'filled' : 'light'} color={overdue ? 'red' : 'orange'} radius="sm" style={{ textTransform: 'none' }} data-testid={overdue ? 'overdue-badge' : 'due-badge'}>
        {overdue ? `Overdue · due ${formatRelative(activity.dueAt)}` : `Due ${formatRelative(activity.dueAt)}`}
      </Badge>
    </Tooltip>
  );
}

export function ActivityFeed({ activities, hide = {}, pageSize = 30 }: ActivityFeedProps) {
  const store = useKith();
  const { byId } = useMembers();
  const [shown, setShown] = useState(pageSize);
  const visible = activities.slice(0, shown);
  const personIds = useMemo(() => visible.map((a) => a.personId), [visible]);
  const orgIds = useMemo(() => visible.map((a) => a.organizationId), [visible]);
  const dealIds = useMemo(() => visible.map((a) => a.dealId), [visible]);
  const people = useRecordNames('people', personIds);
  const orgs = useRecordNames('organizations', orgIds);
  const deals = useRecordNames('deals', dealIds);
  const { save } = useSave();
  const canDelete = useCan('delete', 'activities').allowed;

  const [deleting, setDeleting] = useState<ActivityRecord | null>(null);
  const remove = (a: ActivityRecord) => setDeleting(a);
  const confirmRemove = async () => {
    const a = deleting;
    setDeleting(null);
    if (a) await save(() => store.remove('activities', a.id), { success: 'Activity deleted' });
  };

  return (
    <Stack gap="sm">
      <Modal opened={!!deleting} onClose={() => setDeleting(null)} title={<Text fw={600}>Delete this activity?</Text>} size="sm">
        <Text size="sm">“{deleting ? (deleting.subject ?? activityTypeInfo(deleting.type).label) : ''}” will be removed for everyone. This cannot be undone.</Text>
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={() => setDeleting(null)}>
            Cancel
          </Button>
          <Button color="red" onClick={() => void confirmRemove()}>
            Delete
          </Button>
        </Group>
      </Modal>
      <Timeline bulletSize={30} lineWidth={2} data-testid="activity-feed">
        {visible.map((a) => {
          const info = activityTypeInfo(a.type);
          const overdue = isOverdue(a);
          const related: { href: string; label: string; key: string }[] = [];
          if (a.personId && a.personId !== hide.personId) related.push({ key: 'p', href: `/people/${a.personId}`, label: people.get(a.personId) ?? 'Person' });
          if (a.organizationId && a.organizationId !== hide.organizationId) related.push({ key: 'o', href: `/organizations/${a.organizationId}`, label: orgs.get(a.organizationId) ?? 'Organization' });
          if (a.dealId && a.dealId !== hide.dealId) related.push({ key: 'd', href: `/deals/${a.dealId}`, label: deals.get(a.dealId) ?? 'Deal' });
          return (
            <Timeline.Item
              key={a.id}
              data-testid={`activity-${a.id}`}
              data-type={a.type}
              bullet={
                <ThemeIcon size={30} radius="xl" variant={overdue ? 'filled' : 'light'} color={overdue ? 'red' : info.color}>
                  <info.icon size={16} />
                </ThemeIcon>
              }
              title={
                <Group justify="space-between" wrap="nowrap" gap="xs" align="flex-start">
                  <Group gap="xs" wrap="nowrap" style={{ minWidth: 0 }}>
                    {a.type === 'follow_up' && <FollowUpToggle activity={a} />}
                    <Text fw={600} size="sm" td={a.completedAt ? 'line-through' : undefined} c={a.completedAt ? 'dimmed' : overdue ? 'var(--kith-danger-text)' : undefined} truncate>
                      {a.subject ?? info.label}
                    </Text>
                  </Group>
                  {canDelete && (
                    <Menu position="bottom-end" withinPortal>
                      <Menu.Target>
                        <ActionIcon variant="subtle" color="gray" size="sm" aria-label="Activity actions">
                          <IconDots size={16} />
                        </ActionIcon>
                      </Menu.Target>
                      <Menu.Dropdown>
                        <Menu.Item color="red" leftSection={<IconTrash size={14} />} onClick={() => remove(a)}>
                          Delete
                        </Menu.Item>
                      </Menu.Dropdown>
                    </Menu>
                  )}
                </Group>
              }
            >
              <Group gap={6} mt={2} wrap="wrap">
                <Text size="xs" c={info.color === 'gray' ? 'dimmed' : info.color === 'orange' ? 'var(--kith-warning-text)' : `${info.color}.9`} fw={600}>
                  {info.label}
                </Text>
                <Text size="xs" c="dimmed">
                  ·
                </Text>
                <Tooltip label={formatDateTime(a.occurredAt)}>
                  <Text size="xs" c="dimmed">
                    {formatRelative(a.occurredAt)}
                  </Text>
                </Tooltip>
                {a.actorId && (
                  <Text size="xs" c="dimmed">
                    · by {memberName(byId, a.actorId)}
                  </Text>
                )}
                {related.map((r) => (
                  <Group key={r.key} gap={6} wrap="nowrap">
                    <Text size="xs" c="dimmed">
                      ·
                    </Text>
                    <Anchor component={Link} href={r.href} size="xs">
                      {r.label}
                    </Anchor>
                  </Group>
                ))}
                {a.type === 'follow_up' && <DueBadge activity={a} />}
              </Group>
              {a.body && (
                <Spoiler maxHeight={88} showLabel="Show more" hideLabel="Show less" mt={4}>
                  <Text size="sm" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
                    {a.body}
                  </Text>
                </Spoiler>
              )}
            </Timeline.Item>
          );
        })}
      </Timeline>
      {activities.length > shown && (
        <Button variant="subtle" size="xs" onClick={() => setShown((n) => n + pageSize * 2)} style={{ alignSelf: 'flex-start' }}>
          Show {Math.min(pageSize * 2, activities.length - shown)} more of {activities.length - shown}
        </Button>
      )}
    </Stack>
  );
}
