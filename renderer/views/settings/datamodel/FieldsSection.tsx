/**
 * Settings → Custom fields (docs/custom-fields.md): pick an entity (a standard one or a custom
 * object type) and see its fields in order; owners add one, edit its label, options, type and
 * whether it is required (FieldForm), reorder by dragging (pointer or keyboard), archive and restore
 * (archived fields are listed apart and keep their values). Others see the list to read.
 * Definitions are the replicated `fields` collection: read and written in the local store.
 */
import { useMemo, useState } from 'react';
import { Badge, Button, ColorSwatch, Group, Select, Stack, Text, Tooltip } from '@mantine/core';
import { useLocalStorage } from '@mantine/hooks';
import { IconArchive, IconPencil, IconPlus, IconRestore } from '@tabler/icons-react';
import { useKith } from '../../../app/KithContext.js';
import { useRxQuery } from '../../../hooks/useRx.js';
import { usePermissions } from '../../../hooks/usePermissions.js';
import { useSave } from '../../../components/forms.js';
import { Section } from '../Section.js';
import { FieldForm } from './FieldForm.js';
import { cssColor, entityChoices, orderFields, positionWrites, STANDARD_ENTITIES, TYPE_LABELS, type Field, type ObjectType } from './model.js';
import { SortableList } from './SortableList.js';

/** The entity the section shows, shared with the object types section ("Edit fields"). */
export const FIELDS_ENTITY_KEY = 'kith.settings.fieldsEntity';

function FieldSummary({ field }: { field: Field }) {
  return (
    <Stack gap={2} style={{ minWidth: 0 }}>
      <Group gap={8} wrap="wrap">
        <Text size="sm" fw={600}>
          {field.label}
        </Text>
        <Text size="xs" c="dimmed" ff="monospace">
          {field.key}
        </Text>
        <Badge size="sm" variant="light" color="gray" tt="none">
          {TYPE_LABELS[field.type].replace(/ \(.*\)$/, '')}
          {field.type === 'reference' && field.referenceTo ? ` → ${field.referenceTo}` : ''}
        </Badge>
        {field.required && (
          <Badge size="sm" variant="light" color="orange" tt="none">
            required
          </Badge>
        )}
      </Group>
      {field.options.length > 0 && (
        <Group gap={6} wrap="wrap">
          {field.options.slice(0, 8).map((o) => (
            <Group key={o.value} gap={4} wrap="nowrap">
              <ColorSwatch color={cssColor(o.color) ?? 'var(--mantine-color-gray-4)'} size={10} withShadow={false} />
              <Text size="xs">{o.label}</Text>
            </Group>
          ))}
          {field.options.length > 8 && (
            <Text size="xs" c="dimmed">
              +{field.options.length - 8} more
            </Text>
          )}
        </Group>
      )}
    </Stack>
  );
}

export function FieldsSection() {
  const store = useKith();
  const { can } = usePermissions();
  const canEdit = can('update', 'fields');
  const { save } = useSave();
  const [storedEntity, setEntity] = useLocalStorage<string>({ key: FIELDS_ENTITY_KEY, defaultValue: 'deals' });
  const types = useRxQuery<ObjectType>('objectTypes', { selector: {} }).data;
  const choices = useMemo(() => entityChoices([...types].sort((a, b) => a.plural.localeCompare(b.plural))), [types]);
  const entity = choices.some((c) => c.value === storedEntity) ? storedEntity : 'deals';
  const entityLabel = choices.find((c) => c.value === entity)?.label ?? entity;
  const { data: fields, loading } = useRxQuery<Field>('fields', { selector: { entity } });
  const { active, archived } = useMemo(() => orderFields(fields), [fields]);
  const targets = useMemo(() => [...STANDARD_ENTITIES, ...types.filter((t) => !t.archivedAt).map((t) => ({ value: t.key, label: t.plural }))], [types]);
  const [editing, setEditing] = useState<Field | 'new' | null>(null);

  async function reorder(ids: string[]) {
    const positions = new Map(active.map((f) => [f.id, f.position]));
    await save(async () => {
      for (const w of positionWrites(ids, (id) => positions.get(id) ?? -1)) await store.update('fields', w.id, { position: w.position });
    });
  }

  return (
    <Section
      id="fields"
      title="Custom fields"
      description="Fields of your own on organizations, people, deals, activities and custom object types. They show in forms and detail pages in this order; archiving hides a field and keeps its values."
    >
      <Stack gap="md">
        <Group justify="space-between" align="flex-end">
          <Select label="Entity" data={choices} value={entity} onChange={(value) => value && setEntity(value)} allowDeselect={false} w={260} data-testid="fields-entity" />
          {canEdit && (
            <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')} data-testid="field-new">
              New field
            </Button>
          )}
        </Group>
        {!loading && active.length === 0 ? (
          <Text size="sm" c="dimmed" data-testid="fields-empty">
            {entityLabel} have no custom fields yet.
          </Text>
        ) : (
          <SortableList
            items={active}
            nameOf={(f) => f.label}
            onReorder={reorder}
            disabled={!canEdit}
            testId="fields-list"
            render={(f) => (
              <Group justify="space-between" wrap="wrap" gap="xs" data-testid={`field-${f.key}`}>
                <FieldSummary field={f} />
                {canEdit && (
                  <Group gap={4} wrap="nowrap">
                    <Button size="xs" variant="subtle" leftSection={<IconPencil size={14} />} onClick={() => setEditing(f)} aria-label={`Edit ${f.label}`}>
                      Edit
                    </Button>
                    <Tooltip label="Hidden from forms and lists; values are kept">
                      <Button
                        size="xs"
                        variant="subtle"
                        color="gray"
                        leftSection={<IconArchive size={14} />}
                        onClick={() => void save(() => store.archive('fields', f.id), { success: `${f.label} archived` })}
                        aria-label={`Archive ${f.label}`}
                      >
                        Archive
                      </Button>
                    </Tooltip>
                  </Group>
                )}
              </Group>
            )}
          />
        )}
        {archived.length > 0 && (
          <Stack gap={6} data-testid="fields-archived">
            <Text size="sm" fw={600} c="dimmed">
              Archived
            </Text>
            {archived.map((f) => (
              <Group
                key={f.id}
                justify="space-between"
                wrap="nowrap"
                px={8}
                py={6}
                style={{ border: '1px dashed var(--mantine-color-default-border)', borderRadius: 'var(--mantine-radius-sm)', opacity: 0.85 }}
                data-testid={`archived-field-${f.key}`}
              >
                <FieldSummary field={f} />
                {canEdit && (
                  <Button
                    size="xs"
                    variant="subtle"
                    leftSection={<IconRestore size={14} />}
                    onClick={() => void save(() => store.restore('fields', f.id), { success: `${f.label} restored` })}
                    aria-label={`Restore ${f.label}`}
                  >
                    Restore
                  </Button>
                )}
              </Group>
            ))}
          </Stack>
        )}
        {!canEdit && (
          <Text size="xs" c="dimmed">
            Only owners change the data model.
          </Text>
        )}
      </Stack>
      {editing && (
        <FieldForm
          key={editing === 'new' ? 'new' : editing.id}
          entity={entity}
          entityLabel={entityLabel}
          field={editing === 'new' ? undefined : editing}
          targets={targets}
          onClose={() => setEditing(null)}
        />
      )}
    </Section>
  );
}
