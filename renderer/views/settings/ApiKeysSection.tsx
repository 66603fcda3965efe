/**
 * Settings → API keys: one's own keys for programs and agents (GET|POST|DELETE /crm/keys). A key
 * is named and scoped when it is made — pinned to this workspace or not, read-only, an expiry — and
 * its secret is shown once, to copy. Each key shows its scope, expiry and last use, and can be
 * revoked (it stops working at once). Owners can also list everyone's keys that reach this
 * workspace, with whose they are, and revoke any of them. The server audits every change.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Alert, Badge, Button, Checkbox, Code, CopyButton, Group, SegmentedControl, Select, Stack, Table, Text, TextInput, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import dayjs from 'dayjs';
import { useKith } from '../../app/KithContext.js';
import { useSession } from '../../app/session.js';
import { crmGet, crmSend } from '../../app/connection.js';
import { errorMessage } from '../../components/forms.js';
import { formatDate, formatRelative } from '../../lib/format.js';
import { Section } from './Section.js';

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  status: 'active' | 'expired' | 'revoked';
  user: { id: string; name: string; email: string };
  workspace: { id: string; slug: string; name: string } | null;
  readOnly: boolean;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
  current: boolean;
}

const EXPIRY = [
  { value: 'never', label: 'Never' },
  { value: '30', label: 'In 30 days' },
  { value: '90', label: 'In 90 days' },
  { value: '365', label: 'In a year' },
  { value: 'date', label: 'On a date…' },
];

/** The expiry chosen in the form as an ISO date-time (the end of the chosen day), null for never, or why not. */
function expiryOf(choice: string, date: string): { expiresAt: string | null } | { error: string } {
  if (choice === 'never') return { expiresAt: null };
  if (choice !== 'date') return { expiresAt: dayjs().add(Number(choice), 'day').toISOString() };
  if (!date) return { error: 'Pick the day the key stops working' };
  const end = dayjs(`${date}T23:59:59`);
  if (!end.isValid() || end.isBefore(dayjs())) return { error: 'The day must be today or later' };
  return { expiresAt: end.toISOString() };
}

export function ApiKeysSection() {
  const { info } = useKith();
  const { connection } = useSession();
  const isOwner = info.role === 'OWNER';
  const canChange = !info.readOnly;
  const [scope, setScope] = useState<'mine' | 'all'>('mine');
  const [keys, setKeys] = useState<ApiKey[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | null>(null);
  const [workspaceOnly, setWorkspaceOnly] = useState(true);
  const [readOnly, setReadOnly] = useState(false);
  const [expiry, setExpiry] = useState('never');
  const [expiryDate, setExpiryDate] = useState('');
  const [expiryError, setExpiryError] = useState<string | null>(null);
  const [secret, setSecret] = useState<{ name: string; key: string } | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const all = isOwner && scope === 'all';

  const load = useCallback(async () => {
    try {
      setKeys((await crmGet<{ data: ApiKey[] }>(connection, all ? '/keys?all=true' : '/keys')).data);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [connection, all]);

  useEffect(() => {
    void load();
  }, [load]);

  async function create(event: FormEvent) {
    event.preventDefault();
    setError(null);
    const trimmed = name.trim();
    setNameError(trimmed ? null : 'Name the key: what will use it?');
    const chosen = expiryOf(expiry, expiryDate);
    setExpiryError('error' in chosen ? chosen.error : null);
    if (!trimmed || 'error' in chosen) return;
    setBusy(true);
    try {
      const made = await crmSend<ApiKey & { key: string }>(connection, 'POST', '/keys', { name: trimmed, workspaceOnly, readOnly, expiresAt: chosen.expiresAt });
      setSecret({ name: made.name, key: made.key });
      setName('');
      await load();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  async function revoke(key: ApiKey) {
    setError(null);
    setBusy(true);
    try {
      await crmSend(connection, 'DELETE', `/keys/${key.id}`);
      setConfirming(null);
      notifications.show({ color: 'teal', message: `Key “${key.name}” revoked: it no longer works` });
      await load();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  const scopeText = (k: ApiKey) => [k.workspace ? `Only ${k.workspace.name}` : all ? 'All their workspaces' : 'All your workspaces', k.readOnly ? 'read-only' : 'read and write'].join(' · ');

  return (
    <Section
      id="api-keys"
      title="API keys"
      description="Keys let scripts, integrations and agents act as you. A key can do what your role allows, or less: pin it to this workspace, make it read-only, let it expire."
    >
      <Stack gap="md">
        {error && (
          <Alert color="red" data-testid="keys-error" role="alert">
            {error}
          </Alert>
        )}
        {secret && (
          <Alert color="teal" title={`Your new key “${secret.name}”: copy it now, it will not be shown again`} data-testid="key-secret-alert">
            <Stack gap="xs">
              <Group gap="sm" wrap="nowrap">
                <Code style={{ overflowWrap: 'anywhere' }} data-testid="key-secret">
                  {secret.key}
                </Code>
                <CopyButton value={secret.key}>
                  {({ copied, copy }) => (
                    <Button size="xs" variant="light" onClick={copy} data-testid="key-secret-copy">
                      {copied ? 'Copied' : 'Copy'}
                    </Button>
                  )}
                </CopyButton>
              </Group>
              <Text size="xs">
                Send it as <Code>Authorization: Bearer kith_…</Code>. Keep it somewhere safe, like a password manager.
              </Text>
              <Group>
                <Button size="xs" variant="default" onClick={() => setSecret(null)} data-testid="key-secret-done">
                  I have copied it
                </Button>
              </Group>
            </Stack>
          </Alert>
        )}
        {isOwner && (
          <SegmentedControl
            aria-label="Whose keys"
            value={scope}
            onChange={(v) => setScope(v as 'mine' | 'all')}
            data={[
              { value: 'mine', label: 'Your keys' },
              { value: 'all', label: 'Everyone in this workspace' },
            ]}
            style={{ alignSelf: 'flex-start' }}
            data-testid="keys-scope"
          />
        )}
        {keys.length === 0 ? (
          <Text size="sm" c="dimmed" data-testid="keys-empty">
            {all ? 'No key reaches this workspace.' : 'You have no API keys yet.'}
          </Text>
        ) : (
          <Table data-testid="keys-table" verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Key</Table.Th>
                {all && <Table.Th>Whose</Table.Th>}
                <Table.Th>Scope</Table.Th>
                <Table.Th>Expires</Table.Th>
                <Table.Th style={{ whiteSpace: 'nowrap' }}>Last used</Table.Th>
                <Table.Th w={170}>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {keys.map((k) => (
                <Table.Tr key={k.id} data-testid={`key-${k.name}`} style={k.status === 'active' ? undefined : { opacity: 0.6 }}>
                  <Table.Td>
                    <Group gap={6}>
                      <Text size="sm" fw={500}>
                        {k.name}
                      </Text>
                      {k.current && (
                        <Badge size="xs" variant="light" color="grape">
                          this connection
                        </Badge>
                      )}
                      {k.status !== 'active' && (
                        <Badge size="xs" variant="light" color={k.status === 'revoked' ? 'red' : 'gray'} data-testid="key-status">
                          {k.status}
                        </Badge>
                      )}
                    </Group>
                    <Text size="xs" c="dimmed" ff="monospace">
                      {k.prefix}…
                    </Text>
                  </Table.Td>
                  {all && (
                    <Table.Td>
                      <Text size="sm">{k.user.name}</Text>
                      <Text size="xs" c="dimmed">
                        {k.user.email}
                      </Text>
                    </Table.Td>
                  )}
                  <Table.Td>
                    <Text size="sm">{scopeText(k)}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{k.status === 'revoked' ? `revoked ${formatDate(k.revokedAt)}` : k.expiresAt ? formatDate(k.expiresAt) : 'never'}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" title={k.lastUsedAt ?? undefined}>
                      {k.lastUsedAt ? formatRelative(k.lastUsedAt) : 'never'}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    {k.status !== 'revoked' && canChange && confirming !== k.id && (
                      <Button variant="subtle" color="red" size="xs" disabled={busy} onClick={() => setConfirming(k.id)} aria-label={`Revoke ${k.name}`}>
                        Revoke
                      </Button>
                    )}
                    {confirming === k.id && (
                      <Group gap={4} wrap="nowrap">
                        <Button color="red" size="xs" loading={busy} onClick={() => void revoke(k)} data-testid="key-revoke-confirm" autoFocus>
                          {k.current ? 'Revoke, sign this out' : 'Revoke'}
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
        {canChange ? (
          <form onSubmit={(e) => void create(e)} aria-label="Create an API key" data-testid="key-create-form">
            <Stack gap="sm">
              <Group align="flex-start" gap="sm">
                <TextInput
                  label="New key"
                  placeholder="What uses it, e.g. Reporting script"
                  value={name}
                  onChange={(e) => setName(e.currentTarget.value)}
                  error={nameError}
                  maxLength={100}
                  style={{ flex: 1, minWidth: 220 }}
                  data-testid="key-name"
                />
                <Select label="Expires" data={EXPIRY} value={expiry} onChange={(v) => v && setExpiry(v)} allowDeselect={false} w={160} data-testid="key-expiry" />
                {expiry === 'date' && (
                  <TextInput
                    label="Stops working after"
                    type="date"
                    value={expiryDate}
                    min={dayjs().format('YYYY-MM-DD')}
                    onChange={(e) => setExpiryDate(e.currentTarget.value)}
                    error={expiryError}
                    w={170}
                    data-testid="key-expiry-date"
                  />
                )}
              </Group>
              <Group gap="lg">
                <Checkbox label={`Only this workspace (${info.workspaceName})`} checked={workspaceOnly} onChange={(e) => setWorkspaceOnly(e.currentTarget.checked)} data-testid="key-workspace-only" />
                <Checkbox label="Read-only" checked={readOnly} onChange={(e) => setReadOnly(e.currentTarget.checked)} data-testid="key-read-only" />
              </Group>
              {expiryError && expiry !== 'date' && (
                <Text size="xs" c="red">
                  {expiryError}
                </Text>
              )}
              <Group>
                <Button type="submit" loading={busy} data-testid="key-create">
                  Create key
                </Button>
              </Group>
            </Stack>
          </form>
        ) : (
          <Text size="sm" c="dimmed">
            This connection’s key is read-only: it cannot create or revoke keys.
          </Text>
        )}
      </Stack>
    </Section>
  );
}
