/**
 * Always-visible sync state: online / offline / syncing / error, and the number of local changes
 * the server does not have yet. Opens a panel with details, rejected changes and "Sync now".
 */
import { Badge, Button, Divider, Group, Popover, Stack, Text, UnstyledButton, useMatches } from '@mantine/core';
import { IconAlertTriangle, IconCloudCheck, IconCloudOff, IconRefresh, IconCloudUpload } from '@tabler/icons-react';
import { useEffect, useRef } from 'react';
import { notifications } from '@mantine/notifications';
import { Link } from 'wouter';
import { useKith } from '../app/KithContext.js';
import { useRejectedChanges, useSyncStatus } from '../hooks/useRx.js';
import { formatRelative } from '../lib/format.js';
import { useLastSynced } from '../hooks/useLastSynced.js';

const LOOK = {
  online: { color: 'teal', label: 'Online', Icon: IconCloudCheck },
  syncing: { color: 'blue', label: 'Syncing', Icon: IconRefresh },
  offline: { color: 'gray', label: 'Offline', Icon: IconCloudOff },
  error: { color: 'red', label: 'Sync error', Icon: IconAlertTriangle },
} as const;

export function SyncIndicator() {
  const store = useKith();
  const status = useSyncStatus();
  const rejected = useRejectedChanges();
  const look = LOOK[status.state] ?? LOOK.error;
  const lastSyncedAt = useLastSynced(status.lastSyncedAt);
  // smaller badges on a phone, so the state and the unsent count fit beside the menu and search
  const size = useMatches({ base: 'md', sm: 'lg' });
  // A change the server refused is announced once (the list in settings keeps them all).
  const seen = useRef(new Set<string>());
  const openedAt = useRef(Date.now());
  useEffect(() => {
    for (const r of rejected) {
      if (seen.current.has(r.id)) continue;
      seen.current.add(r.id);
      if (Date.parse(r.at) < openedAt.current - 60_000) continue; // from an earlier session
      notifications.show({
        color: 'red',
        title: 'The server refused a change',
        message: `${r.collection}: ${r.reason}. It was reverted on this device; see Settings → Rejected changes.`,
        autoClose: 10_000,
      });
    }
  }, [rejected]);
  return (
    <Popover width={320} position="bottom-end" shadow="md" withArrow>
      <Popover.Target>
        <UnstyledButton
          data-testid="sync-indicator"
          data-state={status.state}
          data-pending={status.pending}
          data-last-synced={lastSyncedAt ?? ''}
          aria-label={`Sync: ${look.label}, ${status.pending} unsent`}
        >
          <Group gap={6} wrap="nowrap">
            <Badge
              size={size}
              variant="light"
              color={look.color}
              bg={`${look.color}.0`}
              c={`${look.color}.9`}
              style={{ flexShrink: 0 }}
              leftSection={<look.Icon size={14} />}
              styles={{ label: { textTransform: 'none' } }}
            >
              {look.label}
              {status.loaded !== null && <span data-testid="loaded-count"> · {status.loaded.toLocaleString()} records</span>}
            </Badge>
            {status.pending > 0 && (
              <Badge
                size={size}
                variant="filled"
                color="orange"
                style={{ flexShrink: 0 }}
                leftSection={<IconCloudUpload size={14} />}
                data-testid="pending-count"
                title="Local changes not yet on the server"
                styles={{ label: { textTransform: 'none' } }}
              >
                {status.pending} unsent
              </Badge>
            )}
            {rejected.length > 0 && (
              <Badge size={size} variant="light" color="red" style={{ flexShrink: 0 }} data-testid="rejected-count" styles={{ label: { textTransform: 'none' } }}>
                {rejected.length} rejected
              </Badge>
            )}
          </Group>
        </UnstyledButton>
      </Popover.Target>
      <Popover.Dropdown data-testid="sync-panel">
        <Stack gap="xs">
          <Group justify="space-between">
            <Text fw={600}>{look.label}</Text>
            <Button size="xs" variant="light" leftSection={<IconRefresh size={14} />} onClick={() => store.reconnect()}>
              Sync now
            </Button>
          </Group>
          {status.loaded !== null && <Text size="sm">First download of this workspace: {status.loaded.toLocaleString()} records so far. Everything already here can be used.</Text>}
          <Text size="sm">{status.pending === 0 ? 'Every change is on the server.' : `${status.pending} local change${status.pending === 1 ? '' : 's'} not yet on the server.`}</Text>
          <Text size="sm" c="dimmed">
            Last synced: <span data-testid="last-synced">{lastSyncedAt ? formatRelative(lastSyncedAt) : 'not yet'}</span>
          </Text>
          {status.healed > 0 && (
            <Text size="sm" data-testid="healed-count">
              Self-check: this device was missing server data {status.healed} time{status.healed === 1 ? '' : 's'} this session; it was found and restored automatically.
            </Text>
          )}
          {status.state === 'offline' && (
            <Text size="sm" c="dimmed">
              You can keep working; changes are sent when the server is reachable again.
            </Text>
          )}
          {status.error && (
            <Text size="sm" c="var(--kith-danger-text)">
              {status.error}
            </Text>
          )}
          {rejected.length > 0 && (
            <>
              <Divider />
              <Text size="sm">
                The server refused {rejected.length} change{rejected.length === 1 ? '' : 's'}; they were reverted. <Link href="/settings#rejected">See why</Link>
              </Text>
            </>
          )}
        </Stack>
      </Popover.Dropdown>
    </Popover>
  );
}
