/**
 * Log a note, call, email or meeting, or add a follow-up, against the record(s) on screen.
 * When no record is given (e.g. on the Activities page) it asks which person, organization or
 * deal the activity belongs to. Validated with the shared ActivityCreate schema; written to the
 * local store (works offline).
 */
import { Button, Group, Paper, SegmentedControl, SimpleGrid, Stack, Text, TextInput, Textarea, Center } from '@mantine/core';
import { DateTimePicker } from '@mantine/dates';
import { useForm } from '@mantine/form';
import dayjs from 'dayjs';
import { useEffect } from 'react';
import { ActivityCreate } from '../../../shared/schemas.js';
import { IconLock } from '@tabler/icons-react';
import { useKith } from '../../app/KithContext.js';
import { useCan } from '../../hooks/usePermissions.js';
import { OrganizationSelect, PersonSelect } from '../pickers.js';
import { DealSelect } from '../records/RecordSelect.js';
import { CustomFieldsSection } from '../custom/CustomFieldsSection.js';
import { customPayload } from '../custom/customValues.js';
import { schemaErrors, textOrNull, useSave } from '../forms.js';
import { ACTIVITY_TYPE_INFO, activityTypeInfo, type ActivityType } from './activityTypes.js';

export interface ActivityComposerProps {
  organizationId?: string | null;
  personId?: string | null;
  dealId?: string | null;
  defaultType?: string;
  onDone?: () => void;
}

interface ComposerValues {
  type: ActivityType;
  subject: string;
  body: string;
  /** local 'YYYY-MM-DD HH:mm:ss' as the date pickers give it */
  occurredAt: string | null;
  dueAt: string | null;
  organizationId: string | null;
  personId: string | null;
  dealId: string | null;
  /** the activities' custom fields, as their inputs hold them */
  custom: Record<string, unknown>;
}

const LOCAL = 'YYYY-MM-DD HH:mm:ss';
const localNow = () => dayjs().second(0).format(LOCAL);

/** Due-date shortcuts for follow-ups. */
const DUE_PRESETS: { label: string; value: () => string }[] = [
  { label: 'Today', value: () => dayjs().hour(17).minute(0).second(0).format(LOCAL) },
  { label: 'Tomorrow', value: () => dayjs().add(1, 'day').hour(9).minute(0).second(0).format(LOCAL) },
  { label: 'In 3 days', value: () => dayjs().add(3, 'day').hour(9).minute(0).second(0).format(LOCAL) },
  { label: 'Next week', value: () => dayjs().add(7, 'day').hour(9).minute(0).second(0).format(LOCAL) },
];

const toIso = (local: string | null) => (local ? dayjs(local).toISOString() : null);

export function ActivityComposer({ organizationId, personId, dealId, defaultType, onDone }: ActivityComposerProps) {
  const store = useKith();
  const { save, saving } = useSave();
  const permission = useCan('create', 'activities');
  const fixedTarget = !!(organizationId || personId || dealId);
  const initialType: ActivityType = defaultType && defaultType in ACTIVITY_TYPE_INFO ? (defaultType as ActivityType) : 'note';

  const form = useForm<ComposerValues>({
    initialValues: {
      type: initialType,
      subject: '',
      body: '',
      occurredAt: localNow(),
      dueAt: DUE_PRESETS[1].value(),
      organizationId: organizationId ?? null,
      personId: personId ?? null,
      dealId: dealId ?? null,
      custom: {},
    },
    validate: (v) => {
      const errors = schemaErrors(ActivityCreate, payloadOf(v));
      if (!textOrNull(v.subject) && !textOrNull(v.body)) errors.subject ??= 'Write a subject or some details';
      if (v.type === 'follow_up' && !v.dueAt) errors.dueAt ??= 'Choose when it is due';
      if (!v.organizationId && !v.personId && !v.dealId) errors.personId ??= 'Choose a person, organization or deal';
      return errors;
    },
  });

  function payloadOf(v: ComposerValues) {
    const followUp = v.type === 'follow_up';
    return {
      type: v.type,
      subject: textOrNull(v.subject),
      body: textOrNull(v.body),
      organizationId: v.organizationId,
      personId: v.personId,
      dealId: v.dealId,
      occurredAt: followUp ? dayjs().toISOString() : (toIso(v.occurredAt) ?? dayjs().toISOString()),
      dueAt: followUp ? toIso(v.dueAt) : null,
      custom: customPayload(v.custom),
    };
  }

  const submit = form.onSubmit(async (values) => {
    const info = activityTypeInfo(values.type);
    const created = await save(() => store.create('activities', payloadOf(values)), { success: `${info.label} saved`, form });
    if (created) {
      form.setValues({ subject: '', body: '', occurredAt: localNow(), dueAt: DUE_PRESETS[1].value(), custom: {} });
      form.resetDirty();
      onDone?.();
    }
  });

  // The same composer can be reused for another record (navigating between pages).
  useEffect(() => {
    form.setValues({ organizationId: organizationId ?? null, personId: personId ?? null, dealId: dealId ?? null });
  }, [organizationId, personId, dealId]); // eslint-disable-line react-hooks/exhaustive-deps

  const type = form.values.type;
  const info = activityTypeInfo(type);
  if (!permission.allowed) {
    return (
      <Paper withBorder p="sm" radius="md" data-testid="activity-composer-locked">
        <Group gap={6} wrap="nowrap">
          <IconLock size={14} color="var(--mantine-color-dimmed)" aria-hidden />
          <Text size="sm" c="dimmed">
            {permission.reason}
          </Text>
        </Group>
      </Paper>
    );
  }

  return (
    <Paper withBorder p="md" radius="md" data-testid="activity-composer">
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <SegmentedControl
            fullWidth
            size="xs"
            value={type}
            onChange={(v) => form.setFieldValue('type', v as ActivityType)}
            data={Object.values(ACTIVITY_TYPE_INFO).map((t) => ({
              value: t.type,
              label: (
                <Center style={{ gap: 6 }} data-testid={`composer-type-${t.type}`}>
                  <t.icon size={14} />
                  <span>{t.label}</span>
                </Center>
              ),
            }))}
          />
          {!fixedTarget && (
            <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
              <PersonSelect label="Person" value={form.values.personId} onChange={(id) => form.setFieldValue('personId', id)} error={form.errors.personId} data-testid="composer-person" />
              <OrganizationSelect label="Organization" value={form.values.organizationId} onChange={(id) => form.setFieldValue('organizationId', id)} data-testid="composer-organization" />
              <DealSelect label="Deal" value={form.values.dealId} onChange={(id) => form.setFieldValue('dealId', id)} data-testid="composer-deal" />
            </SimpleGrid>
          )}
          <TextInput placeholder={info.subjectPlaceholder} aria-label="Subject" {...form.getInputProps('subject')} data-testid="composer-subject" />
          <Textarea placeholder="Details (optional)" aria-label="Details" autosize minRows={2} maxRows={10} {...form.getInputProps('body')} data-testid="composer-body" />
          <CustomFieldsSection entity="activities" form={form} />
          {type === 'follow_up' ? (
            <Stack gap={6}>
              <Group gap={6}>
                <Text size="sm" fw={500} mr={4}>
                  Due
                </Text>
                {DUE_PRESETS.map((p) => (
                  <Button
                    key={p.label}
                    size="compact-xs"
                    variant="light"
                    color="orange"
                    onClick={() => form.setFieldValue('dueAt', p.value())}
                    data-testid={`composer-due-${p.label.toLowerCase().replace(/\s+/g, '-')}`}
                  >
                    {p.label}
                  </Button>
                ))}
              </Group>
              <DateTimePicker
                aria-label="Due"
                valueFormat="ddd, MMM D YYYY HH:mm"
                placeholder="When is it due?"
                clearable
                {...form.getInputProps('dueAt')}
                data-testid="composer-due"
                style={{ maxWidth: 300 }}
              />
            </Stack>
          ) : (
            <DateTimePicker
              label="When"
              valueFormat="ddd, MMM D YYYY HH:mm"
              maxDate={dayjs().add(1, 'year').format('YYYY-MM-DD')}
              {...form.getInputProps('occurredAt')}
              data-testid="composer-occurred"
              style={{ maxWidth: 300 }}
            />
          )}
          <Group justify="flex-end">
            <Button type="submit" loading={saving} leftSection={<info.icon size={16} />} color={type === 'follow_up' ? 'orange' : undefined} data-testid="composer-submit">
              {info.action}
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
