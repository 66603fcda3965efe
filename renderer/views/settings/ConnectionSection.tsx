/** Settings → Connection: the server and key this device syncs with (desktop: a local server or a remote one), and sign-out. */
import { useState } from 'react';
import { Alert, Button, Divider, Group, PasswordInput, SegmentedControl, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { IconAlertTriangle, IconLogout, IconPlugConnected } from '@tabler/icons-react';
import type { Connection } from '../../data/index.js';
import { useSession } from '../../app/session.js';
import { checkConnection, desktopBridge, loadConnection, normalizeServerUrl } from '../../app/connection.js';
import { errorMessage } from '../../components/forms.js';
import { maskKey, Section } from './Section.js';

export function ConnectionSection() {
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
