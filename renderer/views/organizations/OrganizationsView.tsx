/**
 * Organizations: a searchable, sortable, label-filterable table (virtualized) with people and
 * open-deal counts per organization, and the "New organization" dialog.
 */
import { Anchor, Avatar, Group, Modal, Text } from '@mantine/core';
import { IconBuilding } from '@tabler/icons-react';
import { useCallback, useMemo, useState } from 'react';
import type { DealRecord, OrganizationRecord, PersonRecord } from '../../../shared/schemas.js';
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
import { OrganizationForm } from './OrganizationForm.js';

const stop = (e: React.MouseEvent) => e.stopPropagation();

function countBy<T>(rows: readonly T[], keyOf: (r: T) => string | null | undefined): Map<string, number> {
  const map = new Map<string, number>();
  for (const r of rows) {
    const k = keyOf(r);
    if (k) map.set(k, (map.get(k) ?? 0) + 1);
  }
  return map;
}

export function OrganizationsView() {
  const store = useKith();
  const { data: organizations, loading, preview } = useCollectionRows<OrganizationRecord>('organizations');
  const { data: people } = useCollectionRows<PersonRecord>('people');
  const previewRows = useMemo(() => (preview ?? []).filter((r) => !r.archivedAt), [preview]);
  const { data: deals } = useCollectionRows<DealRecord>('deals');
  const [creating, setCreating] = useState(false);
  const { save } = useSave();
  const canCreate = useCan('create', 'organizations').allowed;

  const peopleCount = useMemo(() => countBy(people, (p) => (p.archivedAt ? null : p.organizationId)), [people]);
  const dealCount = useMemo(() => countBy(deals, (d) => (d.archivedAt || d.status !== 'open' ? null : d.organizationId)), [deals]);
  const labelSuggestions = useMemo(() => [...new Set(organizations.flatMap((o) => o.labels ?? []))].sort(), [organizations]);

  const columns = useMemo<Column<OrganizationRecord>[]>(
    () => [
      {
        key: 'name',
        header: 'Name',
        width: '30%',
        sortable: true,
        render: (o) => (
          <Group gap="sm" wrap="nowrap">
            <Avatar size={28} radius="sm" color="initials" name={o.name}>
              {initials(o.name)}
            </Avatar>
            <Text size="sm" fw={500} truncate c={o.archivedAt ? 'dimmed' : undefined} data-row-name>
              {o.name}
            </Text>
          </Group>
        ),
      },
      {
        key: 'domain',
        header: 'Website',
        width: '20%',
        sortable: true,
        render: (o) =>
          o.website ? (
            <Anchor href={/^https?:\/\//i.test(o.website) ? o.website : `https://${o.website}`} target="_blank" rel="noreferrer" size="sm" onClick={stop} truncate>
              {o.domain ?? o.website}
            </Anchor>
          ) : null,
      },
      { key: 'people', header: 'People', width: '9%', sortable: true, render: (o) => <Text size="sm">{peopleCount.get(o.id) ?? 0}</Text>, csv: (o) => peopleCount.get(o.id) ?? 0 },
      { key: 'deals', header: 'Open deals', width: '10%', sortable: true, render: (o) => <Text size="sm">{dealCount.get(o.id) ?? 0}</Text>, csv: (o) => dealCount.get(o.id) ?? 0 },
      { key: 'labels', header: 'Labels', width: '19%', render: (o) => <LabelBadges labels={o.labels} max={3} size="xs" /> },
      timeColumn<OrganizationRecord>('updatedAt', '12%'),
      timeColumn<OrganizationRecord>('lastActivityAt', '12%'),
      timeColumn<OrganizationRecord>('nextFollowUpAt', '12%'),
    ],
    [peopleCount, dealCount],
  );

  const sortKeys = useMemo(
    () => ({
      name: (o: OrganizationRecord) => o.name,
      domain: (o: OrganizationRecord) => o.domain ?? o.website,
      people: { key: (o: OrganizationRecord) => peopleCount.get(o.id) ?? 0, reads: [people] },
      deals: { key: (o: OrganizationRecord) => dealCount.get(o.id) ?? 0, reads: [deals] },
      ...timeSortKeys<OrganizationRecord>('updatedAt', 'lastActivityAt', 'nextFollowUpAt'),
    }),
    [peopleCount, dealCount, people, deals],
  );
  const searchText = useCallback((o: OrganizationRecord) => `${o.name}\n${o.domain ?? ''}\n${o.website ?? ''}`, []);

  return (
    <>
      <RecordTablePage<OrganizationRecord>
        entity="organizations"
        customEntity="organizations"
        title="Organizations"
        noun={{ one: 'organization', many: 'organizations' }}
        icon={<IconBuilding size={26} stroke={1.6} />}
        rows={organizations}
        loading={loading}
        preview={previewRows}
        cacheKeys={[people, deals]}
        columns={columns}
        searchText={searchText}
        searchPlaceholder="Search name or domain"
        sortKeys={sortKeys}
        defaultSort={{ key: 'name', direction: 'asc' }}
        hrefOf={(o) => `/organizations/${o.id}`}
        onNew={canCreate ? () => setCreating(true) : null}
        actions={<DuplicatesLink entity="organization" />}
        emptyText="Companies and teams you work with. Add one, or let an agent add them through MCP."
      />
      <Modal opened={creating} onClose={() => setCreating(false)} title={<Text fw={600}>New organization</Text>} size="lg" data-testid="organization-create-modal">
        <OrganizationForm
          submitLabel="Create organization"
          autoFocus
          labelSuggestions={labelSuggestions}
          onCancel={() => setCreating(false)}
          onSubmit={async (payload, form) => {
            const created = await save(() => store.create('organizations', payload), { success: `${payload.name} added`, form });
            if (created) setCreating(false);
            return created;
          }}
        />
      </Modal>
    </>
  );
}
