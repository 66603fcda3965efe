/**
 * People: a searchable, sortable, label-filterable table over every person in the local store
 * (virtualized: 100,000 rows stay responsive), and the "New person" dialog.
 */
import { Anchor, Avatar, Group, Modal, Text } from '@mantine/core';
import { IconUsers } from '@tabler/icons-react';
import { useCallback, useMemo, useState } from 'react';
import { Link } from 'wouter';
import type { OrganizationRecord, PersonRecord } from '../../../shared/schemas.js';
import { useKith } from '../../app/KithContext.js';
import { useSave } from '../../components/forms.js';
import { LabelBadges } from '../../components/records/LabelBadges.js';
import { RecordTablePage } from '../../components/records/RecordTablePage.js';
import { timeColumn, timeSortKeys } from '../../components/records/timeColumns.js';
import type { Column } from '../../components/records/VirtualTable.js';
import { useCollectionRows } from '../../components/records/useCollectionRows.js';
import { useCan } from '../../hooks/usePermissions.js';
import { DuplicatesLink } from '../duplicates/DuplicatesLink.js';
import { initials } from '../../lib/format.js';
import { PersonForm } from './PersonForm.js';

const stop = (e: React.MouseEvent) => e.stopPropagation();

export function PeopleView() {
  const store = useKith();
  const { data: people, loading: peopleLoading, preview } = useCollectionRows<PersonRecord>('people');
  const { data: organizations, loading: organizationsLoading } = useCollectionRows<OrganizationRecord>('organizations');
  // index the people once, with their organizations' names (searchable), not twice
  const loading = peopleLoading || organizationsLoading;
  const previewRows = useMemo(() => (preview ?? []).filter((r) => !r.archivedAt), [preview]);
  const [creating, setCreating] = useState(false);
  const { save } = useSave();
  const canCreate = useCan('create', 'people').allowed;

  const orgNames = useMemo(() => {
    const map = new Map<string, string>();
    for (const o of organizations) map.set(o.id, o.name);
    return map;
  }, [organizations]);

  const labelSuggestions = useMemo(() => {
    const set = new Set<string>();
    for (const p of people) for (const l of p.labels ?? []) set.add(l);
    return [...set].sort();
  }, [people]);

  const columns = useMemo<Column<PersonRecord>[]>(
    () => [
      {
        key: 'name',
        header: 'Name',
        width: '22%',
        sortable: true,
        render: (p) => (
          <Group gap="sm" wrap="nowrap">
            <Avatar size={28} radius="xl" color="initials" name={p.name}>
              {initials(p.name)}
            </Avatar>
            <Text size="sm" fw={500} truncate c={p.archivedAt ? 'dimmed' : undefined} data-row-name>
              {p.name}
            </Text>
          </Group>
        ),
      },
      {
        key: 'email',
        header: 'Email',
        width: '22%',
        sortable: true,
        render: (p) => (
          <Text size="sm" truncate>
            {p.email ?? ''}
          </Text>
        ),
      },
      {
        key: 'title',
        header: 'Title',
        width: '15%',
        sortable: true,
        render: (p) => (
          <Text size="sm" truncate>
            {p.title ?? ''}
          </Text>
        ),
      },
      {
        key: 'organization',
        header: 'Organization',
        width: '16%',
        sortable: true,
        csv: (p) => (p.organizationId ? (orgNames.get(p.organizationId) ?? '') : ''),
        render: (p) =>
          p.organizationId ? (
            <Anchor component={Link} href={`/organizations/${p.organizationId}`} size="sm" onClick={stop} truncate>
              {orgNames.get(p.organizationId) ?? '…'}
            </Anchor>
          ) : null,
      },
      { key: 'labels', header: 'Labels', width: '13%', render: (p) => <LabelBadges labels={p.labels} max={2} size="xs" /> },
      timeColumn<PersonRecord>('updatedAt', '12%'),
      timeColumn<PersonRecord>('lastActivityAt', '12%'),
      timeColumn<PersonRecord>('nextFollowUpAt', '12%'),
    ],
    [orgNames],
  );

  const sortKeys = useMemo(
    () => ({
      name: (p: PersonRecord) => p.name,
      email: (p: PersonRecord) => p.email,
      title: (p: PersonRecord) => p.title,
      organization: { key: (p: PersonRecord) => (p.organizationId ? (orgNames.get(p.organizationId) ?? null) : null), reads: [organizations] },
      ...timeSortKeys<PersonRecord>('updatedAt', 'lastActivityAt', 'nextFollowUpAt'),
    }),
    [orgNames, organizations],
  );

  const searchText = useCallback((p: PersonRecord) => `${p.name}\n${p.email ?? ''}\n${p.title ?? ''}\n${p.phone ?? ''}\n${p.organizationId ? (orgNames.get(p.organizationId) ?? '') : ''}`, [orgNames]);

  return (
    <>
      <RecordTablePage<PersonRecord>
        entity="people"
        customEntity="people"
        title="People"
        noun={{ one: 'person', many: 'people' }}
        icon={<IconUsers size={26} stroke={1.6} />}
        rows={people}
        loading={loading}
        preview={previewRows}
        cacheKeys={[organizations]}
        columns={columns}
        searchText={searchText}
        searchPlaceholder="Search name, email, title, phone, organization"
        sortKeys={sortKeys}
        defaultSort={{ key: 'name', direction: 'asc' }}
        hrefOf={(p) => `/people/${p.id}`}
        onNew={canCreate ? () => setCreating(true) : null}
        actions={<DuplicatesLink entity="person" />}
        emptyText="People you add here, or that agents and teammates add, show up in this table."
      />
      <Modal opened={creating} onClose={() => setCreating(false)} title={<Text fw={600}>New person</Text>} size="lg" data-testid="person-create-modal">
        <PersonForm
          submitLabel="Create person"
          autoFocus
          labelSuggestions={labelSuggestions}
          onCancel={() => setCreating(false)}
          onSubmit={async (payload, form) => {
            const created = await save(() => store.create('people', payload), { success: `${payload.name} added`, form });
            if (created) setCreating(false);
            return created;
          }}
        />
      </Modal>
    </>
  );
}
