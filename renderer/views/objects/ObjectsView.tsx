/**
 * The table of a custom object type's records (`/objects/:type`): name, labels, owner, updated,
 * and the type's custom fields as columns (the "Columns" menu); search, label, archived and
 * custom-field filters; "New <singular>" creates one in the local store (offline too).
 */
import { Avatar, Group, Modal, Text } from '@mantine/core';
import { useCallback, useMemo, useState } from 'react';
import { useLocation } from 'wouter';
import { useKith } from '../../app/KithContext.js';
import { useSave } from '../../components/forms.js';
import { ObjectTypeIcon } from '../../components/ObjectTypeIcon.js';
import { useObjectTypes, type ObjectType } from '../../components/custom/useCustomFields.js';
import { LabelBadges } from '../../components/records/LabelBadges.js';
import { RecordTablePage } from '../../components/records/RecordTablePage.js';
import { timeColumn, timeSortKeys } from '../../components/records/timeColumns.js';
import type { Column } from '../../components/records/VirtualTable.js';
import { useCollectionRows } from '../../components/records/useCollectionRows.js';
import { DetailSkeleton } from '../../components/records/DetailStates.js';
import { useMembers } from '../../hooks/useMembers.js';
import { useCan } from '../../hooks/usePermissions.js';
import { initials } from '../../lib/format.js';
import { NotFound } from '../NotFound.js';
import { ObjectRecordForm, type CustomRecordRow } from './ObjectRecordForm.js';

/** The records of one type (archived included), from the shared in-memory copy of `records`. */
export function useTypeRecords(type: string) {
  const { data, loading, preview } = useCollectionRows<CustomRecordRow>('records');
  const rows = useMemo(() => data.filter((r) => r.type === type), [data, type]);
  const previewRows = useMemo(() => (preview ?? []).filter((r) => r.type === type && !r.archivedAt), [preview, type]);
  return { rows, loading, preview: previewRows };
}

export function ObjectsView({ type }: { type: string }) {
  const { types, loading } = useObjectTypes();
  const objectType = types.find((t) => t.key === type);
  if (!objectType) return loading ? <DetailSkeleton /> : <NotFound />;
  return <ObjectTable key={type} objectType={objectType} />;
}

function ObjectTable({ objectType }: { objectType: ObjectType }) {
  const store = useKith();
  const [, navigate] = useLocation();
  const { rows, loading, preview } = useTypeRecords(objectType.key);
  const [creating, setCreating] = useState(false);
  const { save } = useSave();
  const canCreate = useCan('create', 'records').allowed;
  const { members } = useMembers();
  const ownerNames = useMemo(() => new Map(members.map((m) => [m.id, m.name || m.email])), [members]);
  const labelSuggestions = useMemo(() => [...new Set(rows.flatMap((r) => r.labels ?? []))].sort(), [rows]);

  const columns = useMemo<Column<CustomRecordRow>[]>(
    () => [
      {
        key: 'name',
        header: 'Name',
        width: '32%',
        sortable: true,
        render: (r) => (
          <Group gap="sm" wrap="nowrap">
            <Avatar size={28} radius="sm" color="initials" name={r.name}>
              {initials(r.name)}
            </Avatar>
            <Text size="sm" fw={500} truncate c={r.archivedAt ? 'dimmed' : undefined} data-row-name>
              {r.name}
            </Text>
          </Group>
        ),
      },
      { key: 'labels', header: 'Labels', width: '22%', render: (r) => <LabelBadges labels={r.labels} max={3} size="xs" /> },
      {
        key: 'owner',
        header: 'Owner',
        width: '18%',
        sortable: true,
        render: (r) => <Text size="sm">{r.ownerId ? (ownerNames.get(r.ownerId) ?? '') : ''}</Text>,
        csv: (r) => (r.ownerId ? (ownerNames.get(r.ownerId) ?? '') : ''),
      },
      timeColumn<CustomRecordRow>('updatedAt', '14%'),
    ],
    [ownerNames],
  );
  const sortKeys = useMemo(
    () => ({
      name: (r: CustomRecordRow) => r.name,
      owner: { key: (r: CustomRecordRow) => (r.ownerId ? (ownerNames.get(r.ownerId) ?? '') : ''), reads: [ownerNames] },
      ...timeSortKeys<CustomRecordRow>('updatedAt'),
    }),
    [ownerNames],
  );
  const searchText = useCallback((r: CustomRecordRow) => `${r.name}\n${(r.labels ?? []).join(' ')}`, []);

  return (
    <>
      <RecordTablePage<CustomRecordRow>
        entity={`objects-${objectType.key}`}
        customEntity={objectType.key}
        title={objectType.plural}
        noun={{ one: objectType.singular.toLowerCase(), many: objectType.plural.toLowerCase() }}
        icon={<ObjectTypeIcon icon={objectType.icon} size={26} />}
        rows={rows}
        loading={loading}
        preview={preview}
        cacheKeys={[ownerNames]}
        columns={columns}
        searchText={searchText}
        searchPlaceholder="Search name"
        sortKeys={sortKeys}
        defaultSort={{ key: 'name', direction: 'asc' }}
        hrefOf={(r) => `/objects/${objectType.key}/${r.id}`}
        onNew={canCreate ? () => setCreating(true) : null}
        emptyText={`Add the first ${objectType.singular.toLowerCase()}, or let an agent add them through MCP.`}
      />
      <Modal opened={creating} onClose={() => setCreating(false)} title={<Text fw={600}>New {objectType.singular.toLowerCase()}</Text>} size="lg" data-testid="object-create-modal">
        <ObjectRecordForm
          objectType={objectType}
          submitLabel={`Create ${objectType.singular.toLowerCase()}`}
          autoFocus
          labelSuggestions={labelSuggestions}
          onCancel={() => setCreating(false)}
          onSubmit={async (payload, form) => {
            const created = await save(() => store.create('records', payload), { success: `${payload.name} added`, form });
            if (created) {
              setCreating(false);
              navigate(`/objects/${objectType.key}/${String(created.id)}`);
            }
            return created;
          }}
        />
      </Modal>
    </>
  );
}
