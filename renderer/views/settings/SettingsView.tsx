/**
 * Settings: connection (web: server + key; desktop: local or remote), workspace switch, agent
 * access (MCP configuration blocks, filled in), sync status and the rejected changes.
 */
import { useEffect, useState } from 'react';
import {
  Alert,
  Anchor,
  Badge,
  Box,
  Button,
  Code,
  CopyButton,
  Divider,
  Group,
  Kbd,
  Paper,
  PasswordInput,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle, IconCheck, IconCopy, IconLogout, IconPlugConnected, IconRefresh } from '@tabler/icons-react';
import { Link } from 'wouter';
import type { Connection, RejectedChange } from '../../data/index.js';
import { useKith } from '../../app/KithContext.js';
import { useSession } from '../../app/session.js';
import { checkConnection, desktopBridge, loadConnection, normalizeServerUrl } from '../../app/connection.js';
import { SHORTCUTS } from '../../app/shortcuts.js';
import { useRejectedChanges, useSyncStatus } from '../../hooks/useRx.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { errorMessage } from '../../components/forms.js';

function Section({ title, description, children, id }: { title: string; description?: string; children: React.ReactNode; id?: string }) {
  return (
    <Paper withBorder radius="md" p="lg" id={id} data-testid={id ? `settings-${id}` : undefined}>
      <Title order={4}>{title}</Title>
      {description && (
        <Text size="sm" c="dimmed" mb="md">
          {description}
        </Text>
      )}
      {!description && <Box mb="md" />}
      {children}
    </Paper>
  );
}

function maskKey(key: string): string {
  return key.length > 10 ? `${key.slice(0, 5)}${'•'.repeat(8)}${key.slice(-4)}` : '••••';
}

function CopyBlock({ text, shown, testId }: { text: string; shown: string; testId?: string }) {
  return (
    <Box pos="relative">
      <Code block data-testid={testId} style={{ fontSize: 12, whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
        {shown}
      </Code>
      <CopyButton value={text} timeout={1500}>
        {({ copied, copy }) => (
          <Button
            size="compact-xs"
            variant={copied ? 'filled' : 'default'}
            color={copied ? 'teal' : undefined}
            onClick={copy}
            leftSection={copied ? <IconCheck size={12} /> : <IconCopy size={12} />}
            pos="absolute"
            top={8}
            right={8}
          >
            {copied ? 'Copied' : 'Copy'}
          </Button>
        )}
      </CopyButton>
    </Box>
  );
}

function ConnectionSection() {
  const { connection, switchConnection, signOut } = useSession();
  const bridge = desktopBridge();
  const [mode, setMode] = useState<'local' | 'remote'>('remote');
  const [serverUrl, setServerUrl] = useState(connection.serverUrl);
  const [apiKey, setApiKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function apply() {
    setError(null);
    setBusy(true);
    try {
      if (bridge && mode === 'local') {
        await bridge.setConnection({ mode: 'local' });
        const next = await loadConnection();
        if (!next) throw new Error('The local server did not start');
        await switchConnection(next);
        return;
      }
      const next: Connection = { serverUrl: normalizeServerUrl(serverUrl), apiKey: apiKey.trim() || connection.apiKey, workspace: null };
      await checkConnection(next);
      if (bridge) await bridge.setConnection({ mode: 'remote', serverUrl: next.serverUrl, apiKey: next.apiKey });
      await switchConnection(next);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Section
      id="connection"
      title="Connection"
      description={bridge ? 'Run a sync server on this computer, or connect to a remote one.' : 'The server this browser syncs with and the API key it uses.'}
    >
      <Stack gap="sm">
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <div>
            <Text size="xs" c="dimmed">
              Server
            </Text>
            <Text size="sm" data-testid="settings-server">
              {connection.serverUrl}
            </Text>
          </div>
          <div>
            <Text size="xs" c="dimmed">
              API key
            </Text>
            <Text size="sm" ff="monospace">
              {maskKey(connection.apiKey)}
            </Text>
          </div>
        </SimpleGrid>
        <Divider label="Change" labelPosition="left" />
        {bridge && (
          <SegmentedControl
            w={320}
            value={mode}
            onChange={(v) => setMode(v as 'local' | 'remote')}
            data={[
              { value: 'local', label: 'This computer' },
              { value: 'remote', label: 'Remote server' },
            ]}
          />
        )}
        {mode === 'remote' && (
          <Group grow align="flex-start">
            <TextInput label="Server URL" value={serverUrl} onChange={(e) => setServerUrl(e.currentTarget.value)} />
            <PasswordInput label="API key" placeholder="Keep the current key" value={apiKey} onChange={(e) => setApiKey(e.currentTarget.value)} />
          </Group>
        )}
        {error && (
          <Alert color="red" icon={<IconAlertTriangle size={16} />}>
            {error}
          </Alert>
        )}
        <Group justify="space-between">
          <Button leftSection={<IconPlugConnected size={16} />} onClick={() => void apply()} loading={busy}>
            Save and reconnect
          </Button>
          <Button variant="subtle" color="red" leftSection={<IconLogout size={16} />} onClick={() => void signOut()} data-testid="sign-out">
            Sign out of this device
          </Button>
        </Group>
      </Stack>
    </Section>
  );
}

function WorkspaceSection() {
  const store = useKith();
  const { connection, switchConnection } = useSession();
  const [target, setTarget] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { info } = store;

  async function switchTo() {
    const workspace = target.trim();
    if (!workspace) return;
    setError(null);
    setBusy(true);
    try {
      const next = { ...connection, workspace };
      const checked = await checkConnection(next);
      await switchConnection({ ...next, workspace: checked.workspace.slug });
      notifications.show({ color: 'teal', message: `Switched to ${checked.workspace.name}` });
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Section id="workspace" title="Workspace" description="Each workspace has its own records; this device keeps a separate local copy of each.">
      <SimpleGrid cols={{ base: 2, sm: 4 }} mb="md">
        <div>
          <Text size="xs" c="dimmed">
            Name
          </Text>
          <Text size="sm" fw={500}>
            {info.workspaceName}
          </Text>
        </div>
        <div>
          <Text size="xs" c="dimmed">
            Slug
          </Text>
          <Text size="sm" ff="monospace">
            {info.workspaceSlug}
          </Text>
        </div>
        <div>
          <Text size="xs" c="dimmed">
            Your role
          </Text>
          <Group gap={4}>
            <Badge variant="light">{info.role.toLowerCase()}</Badge>
            {info.readOnly && (
              <Badge variant="light" color="gray">
                read-only key
              </Badge>
            )}
          </Group>
        </div>
        <div>
          <Text size="xs" c="dimmed">
            Default currency
          </Text>
          <Text size="sm">{info.defaultCurrency}</Text>
        </div>
      </SimpleGrid>
      <Group align="flex-end">
        <TextInput label="Switch to workspace" placeholder="slug or id" value={target} onChange={(e) => setTarget(e.currentTarget.value)} error={error} w={300} data-testid="workspace-switch" />
        <Button variant="light" onClick={() => void switchTo()} loading={busy} disabled={!target.trim()}>
          Switch
        </Button>
      </Group>
    </Section>
  );
}

function AgentSection() {
  const { connection } = useSession();
  const bridge = desktopBridge();
  const [reveal, setReveal] = useState(false);
  const [desktopConfig, setDesktopConfig] = useState<{ stdio: unknown; http: unknown } | null>(null);
  const [test, setTest] = useState<{ ok: boolean; toolCount?: number; error?: string } | null>(null);
  const [testing, setTesting] = useState(false);
  useEffect(() => {
    if (bridge)
      bridge
        .agentConfig()
        .then(setDesktopConfig)
        .catch((e) => console.error('agentConfig failed', e));
  }, [bridge]);

  const env: Record<string, string> = { KITH_URL: connection.serverUrl, KITH_API_KEY: connection.apiKey };
  if (connection.workspace) env.KITH_WORKSPACE = connection.workspace;
  const headers: Record<string, string> = { Authorization: `Bearer ${connection.apiKey}` };
  if (connection.workspace) headers['X-Kith-Workspace'] = connection.workspace;
  const stdio = desktopConfig?.stdio ?? { mcpServers: { kith: { command: 'kith-mcp', env } } };
  const http = desktopConfig?.http ?? { mcpServers: { kith: { type: 'http', url: `${connection.serverUrl}/mcp`, headers } } };
  const render = (value: unknown) => {
    const text = JSON.stringify(value, null, 2);
    return { text, shown: reveal ? text : text.split(connection.apiKey).join(maskKey(connection.apiKey)) };
  };
  const stdioBlock = render(stdio);
  const httpBlock = render(http);

  return (
    <Section
      id="agents"
      title="Agent access"
      description="Give an AI agent the same CRM tools: paste one of these blocks into your MCP client's configuration. The key gives the agent your permissions."
    >
      <Stack gap="md">
        <Switch label="Show the API key in the blocks" checked={reveal} onChange={(e) => setReveal(e.currentTarget.checked)} />
        <div>
          <Text fw={600} size="sm">
            Hosted MCP (streamable HTTP)
          </Text>
          <Text size="xs" c="dimmed" mb={6}>
            Endpoint <Code>{connection.serverUrl}/mcp</Code>; works for any agent that can reach this server.
          </Text>
          <CopyBlock text={httpBlock.text} shown={httpBlock.shown} testId="mcp-http-config" />
        </div>
        <div>
          <Text fw={600} size="sm">
            Local stdio process (kith-mcp)
          </Text>
          <Text size="xs" c="dimmed" mb={6}>
            Runs next to the agent. Without <Code>KITH_URL</Code> it opens the local data directory directly and works with no server running.
          </Text>
          <CopyBlock text={stdioBlock.text} shown={stdioBlock.shown} testId="mcp-stdio-config" />
        </div>
        {bridge && (
          <Group>
            <Button
              variant="light"
              loading={testing}
              onClick={async () => {
                setTesting(true);
                try {
                  setTest(await bridge.testMcp());
                } catch (e) {
                  setTest({ ok: false, error: errorMessage(e) });
                } finally {
                  setTesting(false);
                }
              }}
            >
              Test the local MCP process
            </Button>
            {test &&
              (test.ok ? (
                <Text c="teal" size="sm">
                  Works: {test.toolCount ?? 0} tools available.
                </Text>
              ) : (
                <Text c="red" size="sm">
                  Failed: {test.error}
                </Text>
              ))}
          </Group>
        )}
        <Text size="xs" c="dimmed">
          REST reference:{' '}
          <Anchor
            href={`${connection.serverUrl}/crm/docs`}
            target="_blank"
            onClick={(e) => {
              if (bridge) {
                e.preventDefault();
                void bridge.openExternal(`${connection.serverUrl}/crm/docs`);
              }
            }}
          >
            {connection.serverUrl}/crm/docs
          </Anchor>
        </Text>
      </Stack>
    </Section>
  );
}

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

function SyncSection() {
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

function ShortcutsSection() {
  return (
    <Section title="Keyboard shortcuts">
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing={6}>
        {SHORTCUTS.map(([keys, what]) => (
          <Group key={keys} gap="sm" wrap="nowrap">
            <Kbd w={90} style={{ textAlign: 'center' }}>
              {keys}
            </Kbd>
            <Text size="sm">{what}</Text>
          </Group>
        ))}
      </SimpleGrid>
    </Section>
  );
}

export function SettingsView() {
  return (
    <Stack maw={980} mx="auto" gap="md" data-testid="settings">
      <Title order={2}>Settings</Title>
      <ConnectionSection />
      <WorkspaceSection />
      <AgentSection />
      <SyncSection />
      <ShortcutsSection />
    </Stack>
  );
}
