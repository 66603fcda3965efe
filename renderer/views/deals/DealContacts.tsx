/**
 * People on a deal, each with a role (decision-maker, champion, …). Add, change role, remove —
 * each offered only to whoever may (viewers see the roles as text).
 */
import { useMemo, useState } from 'react';
import { ActionIcon, Anchor, Autocomplete, Badge, Button, Group, Paper, Stack, Text, Title, Tooltip } from '@mantine/core';
import { IconTrash, IconUserPlus } from '@tabler/icons-react';
import { Link } from 'wouter';
import type { DealContactRecord, PersonRecord } from '../../../shared/schemas.js';
import { useKith } from '../../app/KithContext.js';
import { usePermissions } from '../../hooks/usePermissions.js';
import { useRxQuery } from '../../hooks/useRx.js';
import { useSave } from '../../components/forms.js';
import { PersonSelect } from '../../components/pickers.js';

const CONTACT_ROLES = ['decision-maker', 'champion', 'end-user', 'influencer', 'economic buyer', 'technical buyer', 'blocker'];

function RoleInput({ contact }: { contact: DealContactRecord }) {
  const store = useKith();
  const { save } = useSave();
  const [value, setValue] = useState(contact.role ?? '');
  const commit = (next: string) => {
    const role = next.trim() || null;
    if (role !== contact.role) void save(() => store.update('dealContacts', contact.id, { role }), { success: 'Role saved' });
  };
  return (
    <Autocomplete
      size="xs"
      w={170}
      placeholder="Role"
      data={CONTACT_ROLES}
      value={value}
      onChange={setValue}
      onOptionSubmit={(v) => commit(v)}
      onBlur={() => commit(value)}
      onKeyDown={(e) => e.key === 'Enter' && commit(value)}
      aria-label="Role"
      data-testid="contact-role"
    />
  );
}

export function DealContacts({ dealId, primaryPersonId, organizationId = null }: { dealId: string; primaryPersonId: string | null; organizationId?: string | null }) {
  const store = useKith();
  const { can } = usePermissions();
  const [canAdd, canEditRole, canRemove] = [can('create', 'dealContacts'), can('update', 'dealContacts'), can('delete', 'dealContacts')];
  const { save, saving } = useSave();
  const { data: contacts } = useRxQuery<DealContactRecord>('dealContacts', { selector: { dealId } });
  const personIds = useMemo(() => [...new Set([...contacts.map((c) => c.personId), ...(primaryPersonId ? [primaryPersonId] : [])])].sort(), [contacts, primaryPersonId]);
  const { data: people } = useRxQuery<PersonRecord>('people', personIds.length ? { selector: { id: { $in: personIds } } } : null);
  const byId = useMemo(() => new Map(people.map((p) => [p.id, p])), [people]);
  const [personId, setPersonId] = useState<string | null>(null);
  const [role, setRole] = useState('');
  const alreadyOn = personId !== null && contacts.some((c) => c.personId === personId);

  async function add() {
    if (!personId) return;
    const done = await save(() => store.create('dealContacts', { dealId, personId, role: role.trim() || null }), { success: 'Contact added' });
    if (done) {
      setPersonId(null);
      setRole('');
    }
  }

  const sorted = [...contacts].sort((a, b) => (byId.get(a.personId)?.name ?? '').localeCompare(byId.get(b.personId)?.name ?? ''));
  return (
    <Paper withBorder radius="md" p="md" data-testid="deal-contacts">
      <Title order={5} mb="sm">
        Contacts
      </Title>
      <Stack gap="xs">
        {sorted.length === 0 && (
          <Text size="sm" c="dimmed">
            No contacts yet.{canAdd && ' Add the people involved and their role in the decision.'}
          </Text>
        )}
        {sorted.map((c) => {
          const person = byId.get(c.personId);
          return (
            <Group key={c.id} justify="space-between" wrap="nowrap" data-testid={`contact-${c.personId}`}>
              <div style={{ minWidth: 0 }}>
                <Group gap={6}>
                  <Anchor component={Link} href={`/people/${c.personId}`} fw={500} size="sm">
                    {person?.name ?? 'Unknown person'}
                  </Anchor>
                  {c.personId === primaryPersonId && (
                    <Badge size="xs" variant="light">
                      primary
                    </Badge>
                  )}
                </Group>
                <Text size="xs" c="dimmed" lineClamp={1}>
                  {[person?.title, person?.email].filter(Boolean).join(' · ') || ' '}
                </Text>
              </div>
              <Group gap={4} wrap="nowrap">
                {canEditRole ? (
                  <RoleInput key={`${c.id}-${c.role}`} contact={c} />
                ) : (
                  c.role && (
                    <Text size="sm" c="dimmed" data-testid="contact-role">
                      {c.role}
                    </Text>
                  )
                )}
                {canRemove && (
                  <Tooltip label="Remove from deal">
                    <ActionIcon variant="subtle" color="red" onClick={() => void save(() => store.remove('dealContacts', c.id), { success: 'Contact removed' })} aria-label="Remove contact">
                      <IconTrash size={16} />
                    </ActionIcon>
                  </Tooltip>
                )}
              </Group>
            </Group>
          );
        })}
        {canAdd && (
          <Group align="flex-end" gap="xs" wrap="nowrap" mt="xs">
            <PersonSelect
              value={personId}
              onChange={setPersonId}
              organizationId={organizationId}
              style={{ flex: 1 }}
              size="xs"
              label="Add a person"
              error={alreadyOn ? 'Already on this deal' : undefined}
              data-testid="contact-person"
            />
            <Autocomplete size="xs" w={150} label="Role" placeholder="e.g. champion" data={CONTACT_ROLES} value={role} onChange={setRole} data-testid="contact-new-role" />
            <Button size="xs" leftSection={<IconUserPlus size={14} />} onClick={() => void add()} disabled={!personId || alreadyOn} loading={saving} data-testid="contact-add">
              Add
            </Button>
          </Group>
        )}
      </Stack>
    </Paper>
  );
}
