/**
 * The OAuth consent page (`/consent#request=…`, SPEC §1 "OAuth for agents"): an AI app (a remote
 * MCP client) asked to use Kith; /oauth/authorize checked the request and sent the browser here.
 * The person signs in with their password if needed, picks the workspace the app may use and
 * read-only or full access, and allows or denies; the server answers with the app's address to
 * return to (with the code, or access_denied). The request token is in the fragment, so it never
 * reaches a server log.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Alert, Anchor, Box, Button, Center, Group, Loader, Paper, PasswordInput, Radio, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { IconAlertCircle } from '@tabler/icons-react';
import { Logo } from '../components/Logo.js';
import { signInWithPassword, signOutSession } from './connection.js';

export const CONSENT_PATH = '/consent';

/** True when this page load is the consent page. */
export function isConsentPage(): boolean {
  return typeof location !== 'undefined' && location.pathname === CONSENT_PATH;
}

interface Preview {
  client: { id: string; name: string; uri: string | null; redirectUri: string };
  scopes: string[];
  user: { id: string; name: string; email: string } | null;
  workspaces: { id: string; slug: string; name: string; role: string | null }[];
}

/** POST to /oauth/… on this server (JSON in and out); throws with the server's message. */
async function oauthPost<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`/oauth${path}`, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await res.json().catch(() => null);
  if (!res.ok) throw new Error(answer?.detail ? String(answer.detail) : `The server answered ${res.status}`);
  return answer as T;
}

export function ConsentPage() {
  const request = new URLSearchParams(location.hash.slice(1)).get('request') ?? '';
  const [preview, setPreview] = useState<Preview | null>(null);
  const [failure, setFailure] = useState<string | null>(request ? null : 'This page needs the link an app opened; start connecting the app again.');
  const [busy, setBusy] = useState(false);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [workspace, setWorkspace] = useState<string | null>(null);
  const [access, setAccess] = useState<'read' | 'full'>('read');

  const load = useCallback(async () => {
    if (!request) return;
    try {
      const p = await oauthPost<Preview>('/consent/preview', { request });
      setPreview(p);
      setWorkspace((current) => current ?? p.workspaces[0]?.slug ?? null);
      setAccess(p.scopes.length === 0 || p.scopes.includes('crm:write') ? 'full' : 'read');
    } catch (e) {
      setFailure(e instanceof Error ? e.message : String(e));
    }
  }, [request]);

  useEffect(() => {
    void load();
  }, [load]);

  async function signIn(event: FormEvent) {
    event.preventDefault();
    setFailure(null);
    setBusy(true);
    try {
      await signInWithPassword(email.trim(), password);
      setPassword('');
      await load();
    } catch (e) {
      setFailure(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }

  async function answer(decision: 'allow' | 'deny') {
    setFailure(null);
    setBusy(true);
    try {
      const { redirect } = await oauthPost<{ redirect: string }>('/consent', { request, decision, ...(decision === 'allow' ? { workspace, access } : {}) });
      window.location.assign(redirect);
    } catch (e) {
      setFailure(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  }

  async function switchAccount() {
    await signOutSession();
    setPreview(null);
    setWorkspace(null);
    await load();
  }

  const readOnlyAsked = !!preview && preview.scopes.length > 0 && !preview.scopes.includes('crm:write');
  const returnHost = preview ? new URL(preview.client.redirectUri).host || preview.client.redirectUri : '';
  return (
    <Box mih="100vh" bg="var(--mantine-color-body)">
      <Center mih="100vh" p="md">
        <Paper withBorder shadow="md" radius="md" p="xl" w={480} data-testid="consent-page">
          <Stack gap="md">
            <Logo size={34} />
            <Title order={1} size="h3">
              {preview ? `Connect ${preview.client.name} to Kith` : 'Connect an app to Kith'}
            </Title>
            {failure && (
              <Alert color="red" icon={<IconAlertCircle size={18} />} data-testid="consent-error">
                {failure}
              </Alert>
            )}
            {!preview && !failure && <Loader size="sm" />}
            {preview && !preview.user && (
              <form onSubmit={(e) => void signIn(e)}>
                <Stack gap="sm">
                  <Text size="sm">Sign in to choose what {preview.client.name} may do in Kith.</Text>
                  <TextInput label="Email" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.currentTarget.value)} required data-testid="consent-email" />
                  <PasswordInput label="Password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} required data-testid="consent-password" />
                  <Button type="submit" loading={busy} data-testid="consent-signin">
                    Sign in
                  </Button>
                </Stack>
              </form>
            )}
            {preview?.user && (
              <>
                <Text size="sm" data-testid="consent-summary">
                  {`${preview.client.name} wants to use Kith as you (${preview.user.email}). It will act with your role in the workspace you choose. `}
                  <Anchor component="button" size="sm" onClick={() => void switchAccount()} data-testid="consent-switch">
                    Not you?
                  </Anchor>
                </Text>
                {preview.workspaces.length === 0 ? (
                  <Alert color="yellow">You are not a member of any workspace, so there is nothing to grant.</Alert>
                ) : (
                  <Select
                    label="Workspace"
                    data={preview.workspaces.map((w) => ({ value: w.slug, label: w.role ? `${w.name} (${w.role.toLowerCase()})` : w.name }))}
                    value={workspace}
                    onChange={setWorkspace}
                    allowDeselect={false}
                    data-testid="consent-workspace"
                  />
                )}
                <Radio.Group label="Access" value={access} onChange={(v) => setAccess(v as 'read' | 'full')}>
                  <Stack gap="xs" mt={6}>
                    <Radio value="read" label="Read-only: look up and read records" data-testid="consent-access-read" />
                    <Radio
                      value="full"
                      disabled={readOnlyAsked}
                      label={readOnlyAsked ? 'Full access (the app asked for read-only)' : 'Full access: also create, change and archive records'}
                      data-testid="consent-access-full"
                    />
                  </Stack>
                </Radio.Group>
                <Text size="xs" c="dimmed">
                  {`You will return to ${returnHost}. You can disconnect the app any time in Settings → Connected apps.`}
                </Text>
                <Group justify="flex-end">
                  <Button variant="default" disabled={busy} onClick={() => void answer('deny')} data-testid="consent-deny">
                    Deny
                  </Button>
                  <Button loading={busy} disabled={!workspace} onClick={() => void answer('allow')} data-testid="consent-allow">
                    Allow
                  </Button>
                </Group>
              </>
            )}
          </Stack>
        </Paper>
      </Center>
    </Box>
  );
}
