/**
 * The custom object records that point at a record through a reference field (a Project whose
 * Client is this organization), one card per object type, each record linked to its page — the
 * detail pages' part of the composite context (docs/custom-fields.md "In contexts"). Read from the
 * local store, live; archived records and types are left out.
 */
import { Anchor, Card, Group, Stack, Text } from '@mantine/core';
import { useMemo } from 'react';
import { Link } from 'wouter';
import type { MangoQuery } from 'rxdb';
import type { FieldDefinition } from '../../../shared/customFields.js';
import { useRxQuery } from '../../hooks/useRx.js';
import { ObjectTypeIcon } from '../ObjectTypeIcon.js';
import { useObjectTypes } from '../custom/useCustomFields.js';

interface CustomRecord {
  id: string;
  type: string;
  name: string;
  archivedAt: string | null;
  custom: Record<string, unknown>;
}

const SHOWN = 100;

export function RelatedRecords({ collection, id }: { collection: 'organizations' | 'people' | 'deals'; id: string }) {
  const { data: definitions } = useRxQuery<FieldDefinition>('fields', { selector: { type: 'reference', referenceTo: collection } });
  const { types } = useObjectTypes();
  const live = useMemo(() => definitions.filter((d) => !d.archivedAt && types.some((t) => t.key === d.entity)), [definitions, types]);
  const query: MangoQuery | null = live.length ? { selector: { $or: live.map((d) => ({ type: d.entity, [`custom.${d.key}`]: id })) } } : null;
  const { data: records } = useRxQuery<CustomRecord>('records', query);
  const groups = useMemo(
    () =>
      [...types]
        .sort((a, b) => a.key.localeCompare(b.key))
        .map((type) => ({
          type,
          records: records
            .filter((r) => r.type === type.key && !r.archivedAt)
            .sort((a, b) => a.name.localeCompare(b.name))
            .slice(0, SHOWN),
        }))
        .filter((g) => g.records.length > 0),
    [types, records],
  );
  if (groups.length === 0) return null;
  return (
    <>
      {groups.map(({ type, records: rows }) => (
        <Card key={type.key} withBorder radius="md" padding="md" data-testid={`related-${type.key}`}>
          <Group gap="xs" mb="sm">
            <ObjectTypeIcon icon={type.icon} size={16} />
            <Text fw={600}>{type.plural}</Text>
            <Text size="sm" c="dimmed">
              {rows.length}
            </Text>
          </Group>
          <Stack gap={4}>
            {rows.map((r) => (
              <Anchor key={r.id} component={Link} href={`/objects/${type.key}/${r.id}`} size="sm" fw={500} truncate data-testid={`related-record-${r.id}`}>
                {r.name}
              </Anchor>
            ))}
          </Stack>
        </Card>
      ))}
    </>
  );
}
