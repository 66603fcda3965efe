/**
 * The merge dialog (SPEC §3 Duplicates and merge): which record stays, and for each field the
 * records disagree on, whose value it keeps (a radio per record; preselected as the server would
 * choose: the target's value, or the first source's where the target has none). Labels are united,
 * as the server does; the others' different emails and phones (websites) go to the notes. The
 * values shown are the local store's (kept in sync); the merge itself is the server's
 * (`POST /crm/<collection>/merge`, online only).
 */
import { useEffect, useMemo, useState } from 'react';
import { Alert, Badge, Button, Group, Modal, Radio, ScrollArea, Stack, Table, Text } from '@mantine/core';
import type { OrganizationRecord, PersonRecord } from '../../../shared/schemas.js';
import { CustomFieldValue } from '../../components/custom/CustomFieldValue.js';
import { useCustomFields, type FieldDefinition } from '../../components/custom/useCustomFields.js';
import { useRecordNames } from '../../components/records/useRecordNames.js';
import { useRxQuery } from '../../hooks/useRx.js';
import { memberName, useMembers } from '../../hooks/useMembers.js';

export type MergeCollection = 'people' | 'organizations';
type AnyRecord = (PersonRecord | OrganizationRecord) & { custom?: Record<string, unknown> | null };

const STANDARD: Record<MergeCollection, { key: string; label: string }[]> = {
  people: [
    { key: 'name', label: 'Name' },
    { key: 'email', label: 'Email' },
    { key: 'phone', label: 'Phone' },
    { key: 'title', label: 'Title' },
    { key: 'organizationId', label: 'Organization' },
    { key: 'ownerId', label: 'Owner' },
    { key: 'notes', label: 'Notes' },
  ],
  organizations: [
    { key: 'name', label: 'Name' },
    { key: 'website', label: 'Website' },
    { key: 'ownerId', label: 'Owner' },
    { key: 'notes', label: 'Notes' },
  ],
};

const isEmpty = (v: unknown) => v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
const valueOf = (r: AnyRecord, key: string): unknown => (key.startsWith('custom.') ? (r.custom ?? {})[key.slice(7)] : (r as unknown as Record<string, unknown>)[key]);

interface Row {
  key: string;
  label: string;
  def: FieldDefinition | null;
}

export interface MergeRequest {
  targetId: string;
  sourceIds: string[];
  fields: Record<string, string>;
}

export function MergeDialog({
  collection,
  ids,
  busy,
  error,
  onClose,
  onMerge,
}: {
  collection: MergeCollection;
  ids: string[];
  busy: boolean;
  error: string | null;
  onClose(): void;
  onMerge(request: MergeRequest): void;
}) {
  const query = useMemo(() => ({ selector: { id: { $in: ids } } }), [ids]);
  const { data, loading } = useRxQuery<AnyRecord>(collection, query);
  // the group's order (oldest first), not the query's
  const records = useMemo(() => ids.map((id) => data.find((r) => r.id === id)).filter((r): r is AnyRecord => !!r), [ids, data]);
  const { fields: customDefs } = useCustomFields(collection);
  const { byId: members } = useMembers();
  const orgNames = useRecordNames(
    'organizations',
    useMemo(() => records.map((r) => (r as PersonRecord).organizationId), [records]),
  );
  const [targetId, setTargetId] = useState(ids[0]);
  const [chosen, setChosen] = useState<Record<string, string>>({});

  const rows = useMemo<Row[]>(
    () => [...STANDARD[collection].map((f) => ({ ...f, def: null })), ...customDefs.map((def) => ({ key: `custom.${def.key}`, label: def.label, def }))],
    [collection, customDefs],
  );
  // only the fields the records disagree on are a choice
  const differing = useMemo(
    () =>
      rows.filter((row) => {
        const values = records.map((r) => valueOf(r, row.key)).filter((v) => !isEmpty(v));
        return new Set(values.map((v) => JSON.stringify(v))).size > 1;
      }),
    [rows, records],
  );
  const ordered = useMemo(() => {
    const target = records.find((r) => r.id === targetId);
    return target ? [target, ...records.filter((r) => r.id !== targetId)] : records;
  }, [records, targetId]);

  // what the server keeps without a choice: the target's value, else the first source's that has one
  const defaultFrom = (key: string) => ordered.find((r) => !isEmpty(valueOf(r, key)))?.id ?? targetId;
  useEffect(() => setChosen({}), [targetId]);

  const labels = useMemo(() => [...new Set(records.flatMap((r) => r.labels ?? []))], [records]);

  function show(row: Row, r: AnyRecord) {
    const v = valueOf(r, row.key);
    if (isEmpty(v))
      return (
        <Text size="sm" c="dimmed" fs="italic">
          empty
        </Text>
      );
    if (row.def) return <CustomFieldValue def={row.def} value={v} />;
    if (row.key === 'organizationId') return <Text size="sm">{orgNames.get(String(v)) ?? String(v)}</Text>;
    if (row.key === 'ownerId') return <Text size="sm">{memberName(members, String(v))}</Text>;
    return (
      <Text size="sm" lineClamp={3} style={{ wordBreak: 'break-word' }}>
        {String(v)}
      </Text>
    );
  }

  function submit() {
    const fields: Record<string, string> = {};
    for (const row of differing) fields[row.key] = chosen[row.key] ?? defaultFrom(row.key);
    onMerge({ targetId, sourceIds: records.filter((r) => r.id !== targetId).map((r) => r.id), fields });
  }

  const noun = collection === 'people' ? 'people' : 'organizations';
  return (
    <Modal
      opened
      onClose={onClose}
      size="xl"
      title={
        <Text fw={600}>
          Merge {records.length} {noun}
        </Text>
      }
      data-testid="merge-dialog"
    >
      {loading && records.length === 0 ? (
        <Text size="sm" c="dimmed">
          Loading…
        </Text>
      ) : records.length < 2 ? (
        <Alert color="yellow">These records are no longer here (merged or deleted elsewhere).</Alert>
      ) : (
        <Stack gap="sm">
          <Text size="sm" c="dimmed">
            One record stays; every deal, activity{collection === 'organizations' ? ', person' : ''} and reference of the others moves to it, and the others are deleted. You can undo it right after.
          </Text>
          <ScrollArea.Autosize mah="60vh">
            <Table withTableBorder verticalSpacing={8} data-testid="merge-fields">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th w={130}>Record</Table.Th>
                  {ordered.map((r) => (
                    <Table.Th key={r.id}>
                      <Radio
                        checked={r.id === targetId}
                        onChange={() => setTargetId(r.id)}
                        label={r.name}
                        description={r.id === targetId ? 'Stays' : 'Merged into it (choose to keep this one instead)'}
                        name="merge-target"
                        aria-label={`Keep ${r.name}`}
                        data-testid={`merge-target-${r.id}`}
                      />
                    </Table.Th>
                  ))}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows
                  .filter((row) => records.some((r) => !isEmpty(valueOf(r, row.key))))
                  .map((row) => {
                    const choice = differing.includes(row);
                    const from = chosen[row.key] ?? defaultFrom(row.key);
                    return (
                      <Table.Tr key={row.key} data-testid={`merge-field-${row.key}`}>
                        <Table.Td>
                          <Text size="sm" fw={500}>
                            {row.label}
                          </Text>
                        </Table.Td>
                        {ordered.map((r) => (
                          <Table.Td key={r.id}>
                            {choice ? (
                              <Radio
                                checked={from === r.id}
                                onChange={() => setChosen((c) => ({ ...c, [row.key]: r.id }))}
                                name={`merge-${row.key}`}
                                aria-label={`${row.label}: keep ${r.name}'s value`}
                                disabled={isEmpty(valueOf(r, row.key)) && row.key === 'name'}
                                label={show(row, r)}
                                data-testid={`merge-choose-${row.key}-${r.id}`}
                              />
                            ) : (
                              show(row, r)
                            )}
                          </Table.Td>
                        ))}
                      </Table.Tr>
                    );
                  })}
                <Table.Tr>
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      Labels
                    </Text>
                  </Table.Td>
                  <Table.Td colSpan={ordered.length} data-testid="merge-labels">
                    {labels.length ? (
                      <Group gap={4}>
                        <Text size="xs" c="dimmed">
                          United:
                        </Text>
                        {labels.map((l) => (
                          <Badge key={l} variant="light" color="gray.7" size="sm" styles={{ label: { textTransform: 'none' } }}>
                            {l}
                          </Badge>
                        ))}
                      </Group>
                    ) : (
                      <Text size="sm" c="dimmed" fs="italic">
                        none
                      </Text>
                    )}
                  </Table.Td>
                </Table.Tr>
              </Table.Tbody>
            </Table>
          </ScrollArea.Autosize>
          <Text size="xs" c="dimmed">
            The other records’ different {collection === 'people' ? 'emails and phones' : 'websites'} are kept in the notes.
          </Text>
          {error && (
            <Alert color="red" data-testid="merge-error">
              {error}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button color="red.8" onClick={submit} loading={busy} data-testid="merge-submit">
              Merge {records.length} {noun}
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
