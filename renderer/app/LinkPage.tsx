/**
 * The pages of one-time links, opened before signing in: `/setup#token=…` (the first-start setup
 * link or an owner's reset link: set name and password) and `/invite#token=…` (join a workspace:
 * create the account, or sign in to an existing one, then accept). The token is in the fragment,
 * so it never reaches a server log. Each signs in and hands the new connection to the app.
 */
import { useEffect, useState } from 'react';
import { Alert, Box, Button, Center, Loader, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconAlertCircle } from '@tabler/icons-react';
import type { Connection } from '../data/index.js';
import { acceptInvite, applySetupLink, authMe, previewInvite, sessionConnection, signInWithPassword, signOutSession, type InvitePreview } from './connection.js';
import { Logo } from '../components/Logo.js';

export type LinkKind = 'setup' | 'invite';

/** The link page the current URL opens, if any. */
export function linkFromLocation(): { kind: LinkKind; token: string } | null {
  if (typeof location === 'undefined') return null;
  const kind = location.pathname === '/setup' ? 'setup' : location.pathname === '/invite' ? 'invite' : null;
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  return kind && token ? { kind, token } : null;
}

interface Props {
  kind: LinkKind;
  token: string;
  onConnect(connection: Connection): Promise<void>;
}

const MIN_PASSWORD = 10;

export function LinkPage({ kind, token, onConnect }: Props) {
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [invite, setInvite] = useState<InvitePreview | null>(null);
  const form = useForm({
    initialValues: { name: '', password: '', confirm: '' },
    validate: {
      password: (v: string) => ([...v].length >= MIN_PASSWORD || (kind === 'invite' && invite?.accountExists) ? null : `At least ${MIN_PASSWORD} characters`),
      confirm: (v: string, values) => ((kind === 'invite' && invite?.accountExists) || v === values.password ? null : 'The two passwords differ'),
      name: (v: string) => (kind === 'invite' && !invite?.accountExists && !v.trim() ? 'Your name, as teammates will see it' : null),
    },
  });

  useEffect(() => {
    if (kind !== 'invite') return;
    previewInvite(token).then(setInvite, (e: unknown) => setFailure(e instanceof Error ? e.message : String(e)));
  }, [kind, token]);

  async function submit(values: typeof form.values) {
    setFailure(null);
    setBusy(true);
    try {
      if (kind === 'setup') {
        const me = await applySetupLink(token, values.password, values.name.trim() || undefined);
        history.replaceState(null, '', '/');
        await onConnect(sessionConnection(me));
        return;
      }
      if (!invite) return;
      if (invite.accountExists) {
        await signInWithPassword(invite.email, values.password);
        await acceptInvite(token);
      } else {
        await signOutSession(); // someone else signed in in this browser: the new account is not theirs
        await acceptInvite(token, { name: values.name.trim(), password: values.password });
      }
      const me = await authMe({ serverUrl: location.origin, apiKey: '' });
      if (!me) throw new Error('Signed out while accepting the invite; sign in again.');
      history.replaceState(null, '', '/');
      await onConnect(sessionConnection(me, invite.workspace.slug));
    } catch (e) {
      setFailure(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }

  const title = kind === 'setup' ? 'Set your password' : invite ? `Join ${invite.workspace.name}` : 'Invitation';
  return (
    <Box mih="100vh" bg="var(--mantine-color-gray-0)">
      <Center mih="100vh" p="md">
        <Paper withBorder shadow="md" radius="md" p="xl" w={440} data-testid={`link-${kind}`}>
          <form onSubmit={form.onSubmit(submit)}>
            <Stack gap="md">
              <Logo size={34} />
              <Title order={1} size="h3">
                {title}
              </Title>
              {failure && (
                <Alert color="red" icon={<IconAlertCircle size={18} />} data-testid="link-error">
                  {failure}
                </Alert>
              )}
              {kind === 'invite' && !invite && !failure && <Loader size="sm" />}
              {kind === 'invite' && invite && (
                <Text size="sm" data-testid="invite-summary">
                  {`You are invited as ${invite.role.toLowerCase()} with ${invite.email}. `}
                  {invite.accountExists ? 'Sign in with your password to accept.' : 'Create your account to accept.'}
                </Text>
              )}
              {(kind === 'setup' || (invite && !invite.accountExists)) && (
                <TextInput label="Your name" description={kind === 'setup' ? 'Leave empty to keep it' : undefined} data-testid="link-name" {...form.getInputProps('name')} />
              )}
              {(kind === 'setup' || invite) && (
                <>
                  <PasswordInput
                    label={invite?.accountExists ? 'Password' : 'New password'}
                    autoComplete={invite?.accountExists ? 'current-password' : 'new-password'}
                    data-testid="link-password"
                    {...form.getInputProps('password')}
                  />
                  {!invite?.accountExists && <PasswordInput label="Repeat the password" autoComplete="new-password" data-testid="link-confirm" {...form.getInputProps('confirm')} />}
                  <Button type="submit" loading={busy} data-testid="link-submit" fullWidth>
                    {kind === 'setup' ? 'Set password and sign in' : invite?.accountExists ? 'Sign in and join' : 'Create account and join'}
                  </Button>
                </>
              )}
            </Stack>
          </form>
        </Paper>
      </Center>
    </Box>
  );
}
