/**
 * Sign in. On the web: email and password (the server sets a session cookie, nothing secret is
 * stored in the page); below it, as the advanced option, the server and an API key. In the
 * desktop app: this computer's local server, or a remote server with a key. A key is checked
 * against the server before anything is stored.
 */
import { useState } from 'react';
import { Alert, Anchor, Box, Button, Center, Collapse, Divider, Group, Paper, PasswordInput, SegmentedControl, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconAlertCircle, IconAt, IconKey, IconLock, IconServer } from '@tabler/icons-react';
import type { Connection } from '../data/index.js';
import { checkConnection, defaultServerUrl, desktopBridge, loadConnection, normalizeServerUrl, sessionConnection, signInWithPassword } from './connection.js';
import { Logo } from '../components/Logo.js';

interface Props {
  error: string | null;
  initial: Connection | null;
  onConnect(connection: Connection): Promise<void>;
}

export function SignIn({ error, initial, onConnect }: Props) {
  const bridge = desktopBridge();
  const [mode, setMode] = useState<'local' | 'remote'>(bridge ? 'local' : 'remote');
  const [checking, setChecking] = useState<'password' | 'key' | null>(null);
  const [failure, setFailure] = useState<string | null>(error);
  const [advanced, setAdvanced] = useState(!!initial?.workspace);
  const passwordForm = useForm({
    initialValues: { email: '', password: '' },
    validate: {
      email: (v: string) => (/^\S+@\S+$/.test(v.trim()) ? null : 'Enter the email address of your account'),
      password: (v: string) => (v ? null : 'Enter your password'),
    },
  });
  const form = useForm({
    initialValues: { serverUrl: initial?.serverUrl ?? defaultServerUrl(), apiKey: initial?.apiKey ?? '', workspace: initial?.workspace ?? '' },
    validate: {
      apiKey: (v: string) => (/^kith_[A-Za-z0-9]{32}$/.test(v.trim()) ? null : 'An API key looks like kith_ followed by 32 letters and digits'),
      serverUrl: (v: string) => (mode === 'local' || /^(https?:\/\/)?[^\s/]+(:\d+)?(\/.*)?$/i.test(v.trim()) ? null : 'Enter the server address, e.g. http://127.0.0.1:4317'),
    },
  });

  async function submitPassword(values: typeof passwordForm.values) {
    setFailure(null);
    setChecking('password');
    try {
      const me = await signInWithPassword(values.email.trim(), values.password);
      if (me.workspaces.length === 0) throw new Error('You are not a member of any workspace yet: ask an owner for an invite.');
      await onConnect(sessionConnection(me));
    } catch (e) {
      setFailure(e instanceof Error ? e.message : String(e));
    } finally {
      setChecking(null);
    }
  }

  async function submit(values: typeof form.values) {
    setFailure(null);
    setChecking('key');
    try {
      if (bridge && mode === 'local') {
        await bridge.setConnection({ mode: 'local' });
        const connection = await loadConnection();
        if (!connection) throw new Error('The local server did not start');
        await onConnect(connection);
        return;
      }
      const connection: Connection = { serverUrl: normalizeServerUrl(values.serverUrl), apiKey: values.apiKey.trim(), workspace: values.workspace.trim() || null };
      await checkConnection(connection);
      if (bridge) await bridge.setConnection({ mode: 'remote', serverUrl: connection.serverUrl, apiKey: connection.apiKey });
      await onConnect(connection);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (/workspace/i.test(message)) setAdvanced(true);
      setFailure(message);
    } finally {
      setChecking(null);
    }
  }

  return (
    <Box mih="100vh" bg="var(--mantine-color-gray-0)">
      <Center mih="100vh" p="md">
        <Paper withBorder shadow="md" radius="md" p="xl" w={440} data-testid="signin">
          <Stack gap="md">
            <Group gap="sm">
              <Logo size={34} />
              <div>
                <Title order={3}>Sign in to Kith</Title>
                <Text size="sm" c="dimmed">
                  Your CRM, on this device and in sync.
                </Text>
              </div>
            </Group>
            {bridge && (
              <SegmentedControl
                fullWidth
                value={mode}
                onChange={(v) => setMode(v as 'local' | 'remote')}
                data={[
                  { value: 'local', label: 'This computer' },
                  { value: 'remote', label: 'Remote server' },
                ]}
              />
            )}
            {failure && (
              <Alert color="red" icon={<IconAlertCircle size={18} />} data-testid="signin-error">
                {failure}
              </Alert>
            )}
            {!bridge && (
              <form onSubmit={passwordForm.onSubmit(submitPassword)}>
                <Stack gap="md">
                  <TextInput label="Email" type="email" autoComplete="username" leftSection={<IconAt size={16} />} autoFocus data-testid="signin-email" {...passwordForm.getInputProps('email')} />
                  <PasswordInput label="Password" autoComplete="current-password" leftSection={<IconLock size={16} />} data-testid="signin-password" {...passwordForm.getInputProps('password')} />
                  <Button type="submit" loading={checking === 'password'} data-testid="signin-password-submit" fullWidth>
                    Sign in
                  </Button>
                </Stack>
              </form>
            )}
            {!bridge && <Divider label="Advanced: sign in with an API key" labelPosition="center" />}
            <form onSubmit={form.onSubmit(submit)}>
              <Stack gap="md">
                {mode === 'remote' && (
                  <>
                    <TextInput label="Server" leftSection={<IconServer size={16} />} data-testid="signin-server" {...form.getInputProps('serverUrl')} />
                    <PasswordInput
                      label="API key"
                      description="For programs and agents; the owner key is printed when the server starts for the first time."
                      placeholder="kith_…"
                      leftSection={<IconKey size={16} />}
                      autoFocus={!!bridge}
                      data-testid="signin-key"
                      {...form.getInputProps('apiKey')}
                    />
                    <Anchor component="button" type="button" size="sm" onClick={() => setAdvanced((v) => !v)}>
                      {advanced ? 'Hide workspace' : 'Choose a workspace'}
                    </Anchor>
                    <Collapse expanded={advanced}>
                      <TextInput
                        label="Workspace"
                        description="Slug or id; leave empty when the key reaches one workspace."
                        placeholder="default"
                        data-testid="signin-workspace"
                        {...form.getInputProps('workspace')}
                      />
                    </Collapse>
                  </>
                )}
                {mode === 'local' && <Text size="sm">Kith runs its own sync server on this computer and keeps your data in your user folder.</Text>}
                <Button type="submit" loading={checking === 'key'} variant={bridge ? 'filled' : 'default'} data-testid="signin-submit" fullWidth>
                  {mode === 'local' ? 'Open local workspace' : bridge ? 'Sign in' : 'Sign in with the key'}
                </Button>
              </Stack>
            </form>
          </Stack>
        </Paper>
      </Center>
    </Box>
  );
}
