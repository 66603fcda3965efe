/** Settings → Sync and rejected changes: the sync status, "Sync now", and each change the server refused with its reason and what was sent. */
import { useEffect, useState } from 'react';
import { Alert, Anchor, Button, Code, Group, Table, Text, Tooltip } from '@mantine/core';
import { IconAlertTriangle, IconRefresh } from '@tabler/icons-react';
import { Link } from 'wouter';
import type { RejectedChange } from '../../data/index.js';
import { useKith } from '../../app/KithContext.js';
import { useRejectedChanges, useSyncStatus } from '../../hooks/useRx.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { Section } from './Section.js';

const DETAIL_ROUTES: Record<string, string> = { deals: '/deals/', organizations: '/organizations/', people: '/people/' };

function RejectedRow({ change }: { change: RejectedChange }) {
  const [open, setOpen] = useState(false);
  const route = DETAIL_ROUTES[change.collection];
  return (
    <>
      <Table.Tr data-testid="rejected-row">
        <Table.Td>
          <Tooltip label={formatDateTime(change.at)}>
            <Text size="sm">{formatRelative(change.at)}</Text>
          </Tooltip>
        </Table.Td>
        <Table.Td>
          <Text size="sm">{change.collection}</Text>
          {route ? (
            <Anchor component={Link} href={route + change.documentId} size="xs" ff="monospace">
              {change.documentId.slice(0, 8)}…
            </Anchor>
          ) : (
            <Text size="xs" ff="monospace" c="dimmed">
              {change.documentId.slice(0, 8)}…
            </Text>
          )}
        </Table.Td>
        <Table.Td>
          <Text size="sm" c="red.8">
            {change.reason}
          </Text>
        </Table.Td>
        <Table.Td>
          {change.attempted && (
            <Button size="compact-xs" variant="subtle" onClick={() => setOpen((v) => !v)}>
              {open ? 'Hide' : 'Show'} what was sent
            </Button>
          )}
        </Table.Td>
      </Table.Tr>
      {open && change.attempted && (
        <Table.Tr>
          <Table.Td colSpan={4}>
            <Code block style={{ fontSize: 11 }}>
              {JSON.stringify(change.attempted, null, 2)}
            </Code>
          </Table.Td>
        </Table.Tr>
      )}
    </>
  );
}

export function SyncSection() {
  const store = useKith();
  const status = useSyncStatus();
  const rejected = useRejectedChanges();
  useEffect(() => {
    if (location.hash === '#rejected') document.getElementById('rejected')?.scrollIntoView();
  }, []);
  return (
    <Section
      id="rejected"
      title="Sync and rejected changes"
      description="Changes the server refused (for example a read-only key or an invalid value) were reverted on this device. Nothing is dropped silently: here is each one and why."
    >
      <Group mb="md" gap="lg">
        <Text size="sm">
          Status: <b>{status.state}</b>
        </Text>
        <Text size="sm">
          Unsent changes: <b>{status.pending}</b>
        </Text>
        <Text size="sm">
          Last synced: <b>{status.lastSyncedAt ? formatRelative(status.lastSyncedAt) : 'not yet'}</b>
        </Text>
        <Button size="xs" variant="light" leftSection={<IconRefresh size={14} />} onClick={() => store.reconnect()}>
          Sync now
        </Button>
      </Group>
      {status.error && (
        <Alert color="red" mb="md" icon={<IconAlertTriangle size={16} />}>
          {status.error}
        </Alert>
      )}
      {rejected.length === 0 ? (
        <Text size="sm" c="dimmed" data-testid="rejected-empty">
          No rejected changes. Everything you changed was accepted.
        </Text>
      ) : (
        <Table striped verticalSpacing="xs" data-testid="rejected-list">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={120}>When</Table.Th>
              <Table.Th w={160}>Record</Table.Th>
              <Table.Th>Reason</Table.Th>
              <Table.Th w={160} />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rejected.map((c) => (
              <RejectedRow key={c.id} change={c} />
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Section>
  );
}
