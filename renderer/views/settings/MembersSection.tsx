/**
 * Settings → Members: who belongs to the workspace with their roles; owners change roles, remove
 * members, invite by email with a role (the one-time link is shown to copy; valid 7 days) and
 * revoke pending invites. The server protects the last owner and audits every change.
 */
import { useCallback, useEffect, useState } from 'react';
import { Alert, Badge, Button, Code, CopyButton, Group, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { useKith } from '../../app/KithContext.js';
import { useSession } from '../../app/session.js';
import { crmGet, crmSend } from '../../app/connection.js';
import { errorMessage } from '../../components/forms.js';
import { Section, useSettingsAction } from './Section.js';

interface Member {
  id: string;
  name: string;
  email: string;
  role: string;
}

interface Invite {
  id: string;
  email: string;
  role: string;
  status: string;
  expiresAt: string;
}

const ROLES = [
  { value: 'OWNER', label: 'Owner' },
  { value: 'MEMBER', label: 'Member' },
  { value: 'VIEWER', label: 'Viewer' },
];

export function MembersSection() {
  const { info } = useKith();
  const { connection } = useSession();
  const isOwner = info.role === 'OWNER' && !info.readOnly;
  const [members, setMembers] = useState<Member[]>([]);
  const [invites, setInvites] = useState<Invite[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('MEMBER');
  const [link, setLink] = useState<{ email: string; url: string; mailed: boolean; mailError?: string } | null>(null);

  const load = useCallback(async () => {
    try {
      setMembers((await crmGet<{ data: Member[] }>(connection, '/workspace/members')).data);
      if (isOwner) setInvites((await crmGet<{ data: Invite[] }>(connection, '/workspace/invites')).data.filter((i) => i.status === 'pending'));
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [connection, isOwner]);

  useEffect(() => {
    void load();
  }, [load]);

  const { run, busy } = useSettingsAction(load, setError);

  // the last owner cannot be demoted or removed (the server refuses it): not offered
  const lastOwner = (m: Member) => m.role === 'OWNER' && members.filter((x) => x.role === 'OWNER').length === 1;

  const invite = () =>
    run(async () => {
      const created = await crmSend<{ url: string; email: string; mailed: boolean; mailError?: string }>(connection, 'POST', '/workspace/invites', { email: email.trim(), role });
      setLink({ email: created.email, url: created.url, mailed: created.mailed, mailError: created.mailError });
      setEmail('');
    });

  return (
    <Section id="members" title="Members" description="People in this workspace and their roles. Owners invite, change roles and remove members.">
      <Stack gap="md">
        {error && (
          <Alert color="red" data-testid="members-error">
            {error}
          </Alert>
        )}
        <Table data-testid="members-table">
          <Table.Tbody>
            {members.map((m) => (
              <Table.Tr key={m.id} data-testid={`member-${m.email}`}>
                <Table.Td>
                  <Text size="sm" fw={500}>
                    {m.name}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {m.email}
                  </Text>
                </Table.Td>
                <Table.Td w={170}>
                  {isOwner ? (
                    <Select
                      aria-label={`Role of ${m.name}`}
                      data={ROLES}
                      value={m.role}
                      allowDeselect={false}
                      disabled={busy || lastOwner(m)}
                      title={lastOwner(m) ? 'The last owner: make another member an owner first' : undefined}
                      onChange={(next) =>
                        next && next !== m.role && void run(() => crmSend(connection, 'PATCH', `/workspace/members/${m.id}`, { role: next }), `${m.name} is now ${next.toLowerCase()}`)
                      }
                    />
                  ) : (
                    <Badge variant="light">{m.role.toLowerCase()}</Badge>
                  )}
                </Table.Td>
                {isOwner && (
                  <Table.Td w={100}>
                    <Button
                      variant="subtle"
                      color="red"
                      size="xs"
                      disabled={busy || lastOwner(m)}
                      onClick={() => void run(() => crmSend(connection, 'DELETE', `/workspace/members/${m.id}`), `${m.name} removed`)}
                    >
                      Remove
                    </Button>
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        {isOwner && (
          <>
            <Group align="flex-end" gap="sm">
              <TextInput label="Invite by email" placeholder="name@example.com" value={email} onChange={(e) => setEmail(e.currentTarget.value)} style={{ flex: 1 }} data-testid="invite-email" />
              <Select label="Role" data={ROLES} value={role} onChange={(v) => v && setRole(v)} allowDeselect={false} w={140} data-testid="invite-role" />
              <Button onClick={() => void invite()} loading={busy} disabled={!email.trim()} data-testid="invite-submit">
                Create invite link
              </Button>
            </Group>
            {link && (
              <Alert color="teal" title={`Invite link for ${link.email} (shown once, valid 7 days)${link.mailed ? ' — also mailed to them' : ''}`}>
                {link.mailError && (
                  <Text size="sm" c="orange.8" mb="xs" data-testid="invite-mail-error">
                    {`Not mailed (${link.mailError}): copy the link to them.`}
                  </Text>
                )}
                <Group gap="sm" wrap="nowrap">
                  <Code style={{ overflowWrap: 'anywhere' }} data-testid="invite-link">
                    {link.url}
                  </Code>
                  <CopyButton value={link.url}>
                    {({ copied, copy }) => (
                      <Button size="xs" variant="light" onClick={copy}>
                        {copied ? 'Copied' : 'Copy'}
                      </Button>
                    )}
                  </CopyButton>
                </Group>
              </Alert>
            )}
            {invites.length > 0 && (
              <Table data-testid="invites-table">
                <Table.Tbody>
                  {invites.map((i) => (
                    <Table.Tr key={i.id}>
                      <Table.Td>
                        <Text size="sm">{i.email}</Text>
                        <Text size="xs" c="dimmed">
                          {`${i.role.toLowerCase()} · pending until ${new Date(i.expiresAt).toLocaleDateString()}`}
                        </Text>
                      </Table.Td>
                      <Table.Td w={100}>
                        <Button
                          variant="subtle"
                          color="red"
                          size="xs"
                          disabled={busy}
                          onClick={() => void run(() => crmSend(connection, 'DELETE', `/workspace/invites/${i.id}`), `Invite for ${i.email} revoked`)}
                        >
                          Revoke
                        </Button>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
          </>
        )}
      </Stack>
    </Section>
  );
}
