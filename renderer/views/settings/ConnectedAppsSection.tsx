/**
 * Settings → Connected apps: the apps (remote MCP clients such as Claude or ChatGPT connectors) a
 * person allowed into Kith through OAuth — in which workspace, read-only or full access, when
 * connected and last used — and revoking one (GET|DELETE /crm/connected-apps): its tokens are
 * refused at once and its open MCP sessions close. How to connect one is in docs/auth.md.
 */
import { useCallback, useEffect, useState } from 'react';
import { Alert, Badge, Button, Code, Group, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useKith } from '../../app/KithContext.js';
import { useSession } from '../../app/session.js';
import { crmGet, crmSend } from '../../app/connection.js';
import { errorMessage } from '../../components/forms.js';
import { formatDate, formatRelative } from '../../lib/format.js';
import { Section } from './Section.js';

interface ConnectedApp {
  id: string;
  client: { id: string; name: string; uri: string | null };
  workspace: { id: string; slug: string; name: string };
  access: 'read' | 'full';
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

export function ConnectedAppsSection() {
  const { info } = useKith();
  const { connection } = useSession();
  const [apps, setApps] = useState<ConnectedApp[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setApps((await crmGet<{ data: ConnectedApp[] }>(connection, '/connected-apps')).data);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [connection]);

  useEffect(() => {
    void load();
  }, [load]);

  async function revoke(app: ConnectedApp) {
    setError(null);
    setBusy(true);
    try {
      await crmSend(connection, 'DELETE', `/connected-apps/${app.id}`);
      setConfirming(null);
      notifications.show({ color: 'teal', message: `${app.client.name} was disconnected: it can no longer use Kith` });
      await load();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  const mcpUrl = `${connection.serverUrl.replace(/\/+$/, '')}/mcp`;
  return (
    <Section
      id="connected-apps"
      title="Connected apps"
      description="AI apps you allowed to use Kith as you, through OAuth. Each can use one workspace, read-only or with full access (what your role allows)."
    >
      <Stack gap="md">
        {error && (
          <Alert color="red" role="alert" data-testid="connected-apps-error">
            {error}
          </Alert>
        )}
        {apps.length === 0 ? (
          <Text size="sm" c="dimmed" data-testid="connected-apps-empty">
            No app is connected. To connect one (a Claude or ChatGPT connector, an MCP client), add <Code>{mcpUrl}</Code> as a remote MCP server in it; it opens Kith here to ask you.
          </Text>
        ) : (
          <Table data-testid="connected-apps-table" verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>App</Table.Th>
                <Table.Th>Workspace</Table.Th>
                <Table.Th>Access</Table.Th>
                <Table.Th>Connected</Table.Th>
                <Table.Th>Last used</Table.Th>
                <Table.Th w={170}>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {apps.map((app) => (
                <Table.Tr key={app.id} data-testid={`connected-app-${app.client.name}`}>
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {app.client.name}
                    </Text>
                    {app.client.uri && (
                      <Text size="xs" c="dimmed">
                        {app.client.uri}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{app.workspace.name}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Badge size="sm" variant="light" color={app.access === 'full' ? 'indigo' : 'gray'} data-testid="connected-app-access">
                      {app.access === 'full' ? 'full access' : 'read-only'}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{formatDate(app.createdAt)}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" title={app.lastUsedAt ?? undefined}>
                      {app.lastUsedAt ? formatRelative(app.lastUsedAt) : 'never'}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    {!info.readOnly && confirming !== app.id && (
                      <Button variant="subtle" color="red" size="xs" disabled={busy} onClick={() => setConfirming(app.id)} aria-label={`Revoke ${app.client.name}`} data-testid="connected-app-revoke">
                        Revoke
                      </Button>
                    )}
                    {confirming === app.id && (
                      <Group gap={4} wrap="nowrap">
                        <Button color="red" size="xs" loading={busy} onClick={() => void revoke(app)} data-testid="connected-app-revoke-confirm" autoFocus>
                          Revoke
                        </Button>
                        <Button variant="default" size="xs" disabled={busy} onClick={() => setConfirming(null)}>
                          Cancel
                        </Button>
                      </Group>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
    </Section>
  );
}
