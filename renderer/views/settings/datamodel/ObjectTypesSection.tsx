/**
 * Settings → Custom object types (docs/custom-fields.md): the workspace's types with their icon,
 * names, key and number of fields; owners create one (singular, plural, key made from the singular
 * until typed, icon) and rename it or change its icon. A type's fields are edited in the Custom
 * fields section ("Fields" selects the type there). Types are the replicated `objectTypes`
 * collection, written in the local store.
 */
import { useMemo, useState } from 'react';
import { Alert, Badge, Button, Group, Modal, Select, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useLocalStorage } from '@mantine/hooks';
import { IconListDetails, IconPencil, IconPlus } from '@tabler/icons-react';
import { ObjectTypeCreate, ObjectTypeUpdate } from '../../../../shared/schemas.js';
import { useKith } from '../../../app/KithContext.js';
import { useRxQuery } from '../../../hooks/useRx.js';
import { usePermissions } from '../../../hooks/usePermissions.js';
import { changedFields, schemaErrors } from '../../../components/forms.js';
import { Section } from '../Section.js';
import { FIELDS_ENTITY_KEY } from './FieldsSection.js';
import { keyFrom, useFormWrite, type Field, type ObjectType } from './model.js';
import { OBJECT_ICONS, ObjectTypeIcon } from '../../../components/ObjectTypeIcon.js';

const ICON_DATA = Object.keys(OBJECT_ICONS).map((name) => ({ value: name, label: name }));

interface TypeValues {
  singular: string;
  plural: string;
  key: string;
  icon: string | null;
}

function TypeForm({ type, onClose }: { type?: ObjectType; onClose(): void }) {
  const store = useKith();
  const { write, busy } = useFormWrite();
  const [typed, setTyped] = useState({ plural: !!type, key: !!type });
  const form = useForm<TypeValues>({ initialValues: { singular: type?.singular ?? '', plural: type?.plural ?? '', key: type?.key ?? '', icon: type?.icon ?? 'folder' } });

  async function submit(v: TypeValues) {
    const body = { singular: v.singular.trim(), plural: v.plural.trim(), icon: v.icon };
    if (!type) {
      const input = { key: v.key.trim(), ...body };
      const errors = schemaErrors(ObjectTypeCreate, input);
      if (Object.keys(errors).length) return form.setErrors(errors);
      if (await write(form, () => store.create('objectTypes', input), `${input.plural} created`)) onClose();
      return;
    }
    const patch = changedFields(type as unknown as Record<string, unknown>, body);
    if (Object.keys(patch).length === 0) return onClose();
    const errors = schemaErrors(ObjectTypeUpdate, patch);
    if (Object.keys(errors).length) return form.setErrors(errors);
    if (await write(form, () => store.update('objectTypes', type.id, patch), `${body.plural} saved`)) onClose();
  }

  return (
    <Modal opened onClose={onClose} title={<Text fw={600}>{type ? `Edit ${type.plural}` : 'New object type'}</Text>}>
      <form onSubmit={form.onSubmit((v) => void submit(v))} noValidate data-testid="object-type-form">
        <Stack gap="sm">
          {form.errors._form && <Alert color="red">{form.errors._form}</Alert>}
          <TextInput
            label="Singular"
            placeholder="Project"
            required
            data-autofocus
            {...form.getInputProps('singular')}
            onChange={(e) => {
              const singular = e.currentTarget.value;
              form.setFieldValue('singular', singular);
              if (!typed.plural) form.setFieldValue('plural', singular.trim() ? `${singular.trim()}s` : '');
              if (!typed.key) form.setFieldValue('key', keyFrom(singular));
            }}
            data-testid="object-type-singular"
          />
          <TextInput
            label="Plural"
            placeholder="Projects"
            required
            {...form.getInputProps('plural')}
            onChange={(e) => {
              setTyped((t) => ({ ...t, plural: true }));
              form.setFieldValue('plural', e.currentTarget.value);
            }}
            data-testid="object-type-plural"
          />
          <TextInput
            label="Key"
            description={type ? 'Fixed once the type exists' : 'In the API: /crm/objects/<key>/records'}
            required={!type}
            disabled={!!type}
            ff="monospace"
            {...form.getInputProps('key')}
            onChange={(e) => {
              setTyped((t) => ({ ...t, key: true }));
              form.setFieldValue('key', e.currentTarget.value);
            }}
            data-testid="object-type-key"
          />
          <Select
            label="Icon"
            data={ICON_DATA}
            searchable
            {...form.getInputProps('icon')}
            leftSection={<ObjectTypeIcon icon={form.values.icon} size={16} />}
            renderOption={({ option }) => (
              <Group gap={8} wrap="nowrap">
                <ObjectTypeIcon icon={option.value} size={16} />
                <Text size="sm">{option.label}</Text>
              </Group>
            )}
            data-testid="object-type-icon"
          />
          <Group justify="flex-end" mt="xs">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy} data-testid="object-type-save">
              {type ? 'Save' : 'Create type'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export function ObjectTypesSection() {
  const { can } = usePermissions();
  const canEdit = can('update', 'objectTypes');
  const { data: types } = useRxQuery<ObjectType>('objectTypes', { selector: {} });
  const { data: fields } = useRxQuery<Field>('fields', { selector: { archivedAt: null } });
  const [, setFieldsEntity] = useLocalStorage<string>({ key: FIELDS_ENTITY_KEY, defaultValue: 'deals' });
  const [editing, setEditing] = useState<ObjectType | 'new' | null>(null);
  const live = useMemo(() => types.filter((t) => !t.archivedAt).sort((a, b) => a.plural.localeCompare(b.plural)), [types]);
  const fieldCount = useMemo(() => {
    const counts = new Map<string, number>();
    for (const f of fields) counts.set(f.entity, (counts.get(f.entity) ?? 0) + 1);
    return counts;
  }, [fields]);

  function editFields(type: ObjectType) {
    setFieldsEntity(type.key);
    document.getElementById('fields')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  }

  return (
    <Section id="object-types" title="Custom object types" description="Kinds of records of your own (projects, contracts, tickets…), each with a name, labels, an owner and the fields you give it.">
      <Stack gap="sm">
        {live.length === 0 ? (
          <Text size="sm" c="dimmed" data-testid="object-types-empty">
            No custom object types yet.
          </Text>
        ) : (
          live.map((t) => (
            <Group
              key={t.id}
              justify="space-between"
              wrap="wrap"
              gap="xs"
              px="sm"
              py={8}
              style={{ border: '1px solid var(--mantine-color-default-border)', borderRadius: 'var(--mantine-radius-sm)' }}
              data-testid={`object-type-${t.key}`}
            >
              <Group gap="sm" wrap="nowrap">
                <ObjectTypeIcon icon={t.icon} size={22} />
                <div>
                  <Group gap={8}>
                    <Text size="sm" fw={600}>
                      {t.plural}
                    </Text>
                    <Text size="xs" c="dimmed">
                      one {t.singular}
                    </Text>
                  </Group>
                  <Text size="xs" c="dimmed" ff="monospace">
                    {t.key}
                  </Text>
                </div>
                <Badge size="sm" variant="light" color="gray" tt="none">
                  {fieldCount.get(t.key) ?? 0} {fieldCount.get(t.key) === 1 ? 'field' : 'fields'}
                </Badge>
              </Group>
              <Group gap={4} wrap="nowrap">
                <Button size="xs" variant="subtle" leftSection={<IconListDetails size={14} />} onClick={() => editFields(t)} aria-label={`Fields of ${t.plural}`}>
                  Fields
                </Button>
                {canEdit && (
                  <Button size="xs" variant="subtle" leftSection={<IconPencil size={14} />} onClick={() => setEditing(t)} aria-label={`Edit ${t.plural}`}>
                    Edit
                  </Button>
                )}
              </Group>
            </Group>
          ))
        )}
        {canEdit && (
          <Group>
            <Button variant="light" leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')} data-testid="object-type-new">
              New object type
            </Button>
          </Group>
        )}
      </Stack>
      {editing && <TypeForm key={editing === 'new' ? 'new' : editing.id} type={editing === 'new' ? undefined : editing} onClose={() => setEditing(null)} />}
    </Section>
  );
}
