/**
 * Activities: the workspace-wide timeline (filter by type, search) beside "My follow-ups", and a
 * "Log activity" dialog that asks which person, organization or deal it is about.
 */
import { Button, Card, Chip, Grid, Group, Kbd, Modal, Skeleton, Stack, Text, TextInput, Title, EmptyState, CloseButton } from '@mantine/core';
import { useDebouncedValue, useHotkeys } from '@mantine/hooks';
import { IconActivity, IconPlus, IconSearch } from '@tabler/icons-react';
import { useMemo, useRef, useState } from 'react';
import type { ActivityRecord } from '../../../shared/schemas.js';
import { useKith } from '../../app/KithContext.js';
import { ActivityComposer } from '../../components/activities/ActivityComposer.js';
import { ActivityFeed } from '../../components/activities/ActivityFeed.js';
import { ACTIVITY_TYPE_INFO } from '../../components/activities/activityTypes.js';
import { useCollectionRows } from '../../components/records/useCollectionRows.js';
import { useCan } from '../../hooks/usePermissions.js';
import { FollowUps } from './FollowUps.js';

const ALL_TYPES = Object.keys(ACTIVITY_TYPE_INFO);

export function ActivitiesView() {
  const store = useKith();
  const { data, loading } = useCollectionRows<ActivityRecord>('activities');
  const [composing, setComposing] = useState(false);
  const [types, setTypes] = useState<string[]>(ALL_TYPES);
  const [search, setSearch] = useState('');
  const [query] = useDebouncedValue(search, 150);
  const searchRef = useRef<HTMLInputElement>(null);
  const canWrite = useCan('create', 'activities').allowed;

  useHotkeys([
    ['n', () => canWrite && setComposing(true)],
    ['/', () => searchRef.current?.focus()],
  ]);

  const active = useMemo(() => data.filter((a) => !a.archivedAt), [data]);
  const newestFirst = useMemo(() => [...active].sort((a, b) => (a.occurredAt < b.occurredAt ? 1 : a.occurredAt > b.occurredAt ? -1 : 0)), [active]);
  const timeline = useMemo(() => {
    const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
    return newestFirst.filter((a) => {
      if (!types.includes(a.type)) return false;
      if (terms.length === 0) return true;
      const text = `${a.subject ?? ''}\n${a.body ?? ''}`.toLowerCase();
      return terms.every((t) => text.includes(t));
    });
  }, [newestFirst, types, query]);

  // "My" follow-ups need the signed-in user's id; without it, show every open follow-up.
  const userId = store.info.userId;
  const followUps = useMemo(() => active.filter((a) => a.type === 'follow_up' && (!userId || a.actorId === userId)), [active, userId]);

  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Group gap="sm">
          <IconActivity size={26} stroke={1.6} />
          <Title order={2}>Activities</Title>
        </Group>
        {canWrite && (
          <Button leftSection={<IconPlus size={16} />} rightSection={<Kbd size="xs">N</Kbd>} onClick={() => setComposing(true)} data-testid="activities-new">
            Log activity
          </Button>
        )}
      </Group>

      <Grid gap="md">
        <Grid.Col span={{ base: 12, lg: 7 }} order={{ base: 2, lg: 1 }}>
          <Card withBorder radius="md" padding="md">
            <Stack gap="md">
              <Group justify="space-between" wrap="wrap" gap="sm">
                <Chip.Group multiple value={types} onChange={(v) => setTypes(v.length === 0 ? ALL_TYPES : v)}>
                  <Group gap={6}>
                    {Object.values(ACTIVITY_TYPE_INFO).map((t) => (
                      <Chip key={t.type} value={t.type} size="xs" color={t.color} variant="light" data-testid={`activities-type-${t.type}`}>
                        {t.label}
                      </Chip>
                    ))}
                  </Group>
                </Chip.Group>
                <TextInput
                  ref={searchRef}
                  size="xs"
                  placeholder="Search subject or details"
                  leftSection={<IconSearch size={14} />}
                  rightSection={search ? <CloseButton size="xs" onClick={() => setSearch('')} aria-label="Clear search" /> : <Kbd size="xs">/</Kbd>}
                  value={search}
                  onChange={(e) => setSearch(e.currentTarget.value)}
                  w={240}
                  data-testid="activities-search"
                />
              </Group>
              {loading ? (
                <Stack gap="sm">
                  {[0, 1, 2, 3].map((i) => (
                    <Skeleton key={i} height={56} radius="md" />
                  ))}
                </Stack>
              ) : active.length === 0 ? (
                <EmptyState
                  icon={<IconActivity size={24} />}
                  variant="light"
                  title="No activities yet"
                  description="Log calls, emails, meetings and notes, or add follow-ups — from here or from any person, organization or deal."
                  data-testid="activities-empty"
                >
                  {canWrite && (
                    <EmptyState.Actions>
                      <Button leftSection={<IconPlus size={16} />} onClick={() => setComposing(true)}>
                        Log activity
                      </Button>
                    </EmptyState.Actions>
                  )}
                </EmptyState>
              ) : timeline.length === 0 ? (
                <Text size="sm" c="dimmed" data-testid="activities-no-match">
                  No activities match.
                </Text>
              ) : (
                <div data-testid="activities-timeline" data-count={timeline.length}>
                  <ActivityFeed key={`${types.join()}|${query}`} activities={timeline} />
                </div>
              )}
            </Stack>
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 5 }} order={{ base: 1, lg: 2 }}>
          <Card withBorder radius="md" padding="md">
            {loading ? <Skeleton height={160} radius="md" /> : <FollowUps followUps={followUps} title={userId ? 'My follow-ups' : 'Open follow-ups'} />}
          </Card>
        </Grid.Col>
      </Grid>

      <Modal opened={composing} onClose={() => setComposing(false)} title={<Text fw={600}>Log activity</Text>} size="xl" data-testid="activity-compose-modal">
        <ActivityComposer onDone={() => setComposing(false)} />
      </Modal>
    </Stack>
  );
}
