/**
 * A custom object type's record (`/objects/:type/:id`): its name, labels and owner, the type's
 * custom fields (editable, checked like every write), archive / restore / delete, and the history.
 */
import { Anchor, Avatar, Breadcrumbs, Card, Grid, Group, Stack, Text, Title } from '@mantine/core';
import { Link, useLocation } from 'wouter';
import { useKith } from '../../app/KithContext.js';
import { useSave } from '../../components/forms.js';
import { ObjectTypeIcon } from '../../components/ObjectTypeIcon.js';
import { useObjectTypes } from '../../components/custom/useCustomFields.js';
import { DetailSkeleton, RecordNotFound } from '../../components/records/DetailStates.js';
import { LabelBadges } from '../../components/records/LabelBadges.js';
import { ArchivedBanner, RecordActions } from '../../components/records/RecordActions.js';
import { RecordHistory } from '../../components/records/RecordHistory.js';
import { useMembers } from '../../hooks/useMembers.js';
import { useRxDoc } from '../../hooks/useRx.js';
import { formatRelative } from '../../lib/format.js';
import { ObjectRecordForm, type CustomRecordRow } from './ObjectRecordForm.js';
import { useTypeRecords } from './ObjectsView.js';

export function ObjectRecordDetail({ type, id }: { type: string; id: string }) {
  const store = useKith();
  const [, navigate] = useLocation();
  const { save } = useSave();
  const { types, loading: typesLoading } = useObjectTypes();
  const objectType = types.find((t) => t.key === type);
  const { doc: record, loading } = useRxDoc<CustomRecordRow>('records', id);
  const { rows } = useTypeRecords(type);
  const { members } = useMembers();
  const labelSuggestions = [...new Set(rows.flatMap((r) => r.labels ?? []))].sort();

  if (loading || typesLoading) return <DetailSkeleton />;
  const back = `/objects/${type}`;
  if (!objectType || !record || record.type !== type)
    return (
      <RecordNotFound
        noun={objectType?.singular.toLowerCase() ?? 'record'}
        back={objectType ? back : '/'}
        backLabel={objectType ? `Back to ${objectType.plural.toLowerCase()}` : 'Back to the board'}
      />
    );
  const owner = record.ownerId ? members.find((m) => m.id === record.ownerId) : null;

  return (
    <Stack gap="md" data-testid="object-record-detail" data-id={record.id}>
      <Breadcrumbs>
        <Anchor component={Link} href={back} size="sm">
          {objectType.plural}
        </Anchor>
        <Text size="sm" c="dimmed" truncate maw={400}>
          {record.name}
        </Text>
      </Breadcrumbs>
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <Group gap="md" wrap="nowrap" style={{ minWidth: 0 }}>
          <Avatar size={56} radius="md" color="initials" name={record.name}>
            <ObjectTypeIcon icon={objectType.icon} size={28} />
          </Avatar>
          <Stack gap={4} style={{ minWidth: 0 }}>
            <Title order={2} data-testid="object-record-name" style={{ wordBreak: 'break-word' }}>
              {record.name}
            </Title>
            <Text size="sm" c="dimmed">
              {objectType.singular}
              {owner ? ` · owner ${owner.name || owner.email}` : ''} · updated {formatRelative(record.updatedAt)}
            </Text>
            <LabelBadges labels={record.labels} max={8} />
          </Stack>
        </Group>
        <RecordActions collection="records" id={record.id} name={record.name} archivedAt={record.archivedAt} onDeleted={() => navigate(back)} />
      </Group>
      <ArchivedBanner archivedAt={record.archivedAt} noun={objectType.singular.toLowerCase()} />
      <Grid gap="md">
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Card withBorder radius="md" padding="md">
            <Text fw={600} mb="sm">
              Details
            </Text>
            <ObjectRecordForm
              key={record.id}
              objectType={objectType}
              record={record}
              labelSuggestions={labelSuggestions}
              submitLabel="Save changes"
              onSubmit={(patch, form) => save(() => store.update('records', record.id, patch), { success: 'Saved', form })}
            />
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Card withBorder radius="md" padding="md">
            <Text fw={600} mb="sm">
              History
            </Text>
            <RecordHistory entityType="record" entityId={record.id} />
          </Card>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
