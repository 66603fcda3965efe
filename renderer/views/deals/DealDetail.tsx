/**
 * A deal: every field editable (validated with the shared DealUpdate schema), stage bar, won/lost,
 * contacts with roles, activities, stage history and the record's audit history.
 */
import { useEffect, useMemo, useState } from 'react';
import {
  Anchor,
  Badge,
  Box,
  Breadcrumbs,
  Button,
  Center,
  EmptyState,
  Grid,
  Group,
  Menu,
  Modal,
  NumberInput,
  Paper,
  Select,
  Skeleton,
  Stack,
  TagsInput,
  Text,
  TextInput,
  Textarea,
  Title,
  Tooltip,
  UnstyledButton,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconArchive, IconArchiveOff, IconChevronDown, IconDeviceFloppy, IconDots, IconRotateClockwise, IconThumbDown, IconTrash, IconTrophy } from '@tabler/icons-react';
import { Link, useLocation } from 'wouter';
import { DealUpdate, VALUE_PERIODS, type DealRecord, type StageRecord } from '../../../shared/schemas.js';
import { useKith } from '../../app/KithContext.js';
import { useRxDoc, useRxQuery } from '../../hooks/useRx.js';
import { changedFields, numberOrNull, schemaErrors, textOrNull, useSave } from '../../components/forms.js';
import { MemberSelect, OrganizationSelect, PersonSelect } from '../../components/pickers.js';
import { usePipelinesAndStages } from '../../components/create/QuickCreate.js';
import { formatDate, formatMoney, formatPercent, formatRelative } from '../../lib/format.js';
import { ActivityComposer } from '../../components/activities/ActivityComposer.js';
import { ActivityTimeline } from '../../components/activities/ActivityTimeline.js';
import { RecordHistory } from '../../components/records/RecordHistory.js';
import { useDealOutcome } from './outcome.js';
import { DealContacts } from './DealContacts.js';
import { StageHistory } from './StageHistory.js';

const PERIOD_LABEL: Record<string, string> = { one_time: 'One-time', monthly: 'Monthly', quarterly: 'Quarterly', annual: 'Annual' };

interface FormValues {
  title: string;
  organizationId: string | null;
  primaryPersonId: string | null;
  pipelineId: string;
  stageId: string;
  amount: string | number;
  currency: string;
  valuePeriod: string;
  probability: string | number;
  expectedCloseDate: string;
  ownerId: string | null;
  labels: string[];
  linkedProjectId: string;
  lostReason: string;
  notes: string;
}

function toValues(d: DealRecord): FormValues {
  return {
    title: d.title,
    organizationId: d.organizationId,
    primaryPersonId: d.primaryPersonId,
    pipelineId: d.pipelineId,
    stageId: d.stageId,
    amount: d.amount ?? '',
    currency: d.currency,
    valuePeriod: d.valuePeriod,
    probability: d.probability ?? '',
    expectedCloseDate: d.expectedCloseDate ?? '',
    ownerId: d.ownerId,
    labels: d.labels,
    linkedProjectId: d.linkedProjectId ?? '',
    lostReason: d.lostReason ?? '',
    notes: d.notes ?? '',
  };
}

function toPatchFields(v: FormValues) {
  return {
    title: v.title.trim(),
    organizationId: v.organizationId,
    primaryPersonId: v.primaryPersonId,
    pipelineId: v.pipelineId,
    stageId: v.stageId,
    amount: numberOrNull(v.amount),
    currency: v.currency.trim().toUpperCase(),
    valuePeriod: v.valuePeriod,
    probability: numberOrNull(v.probability),
    expectedCloseDate: textOrNull(v.expectedCloseDate),
    ownerId: v.ownerId,
    labels: v.labels,
    linkedProjectId: textOrNull(v.linkedProjectId),
    lostReason: textOrNull(v.lostReason),
    notes: textOrNull(v.notes),
  };
}

/** Only the fields that differ from the stored deal. */
function diff(deal: DealRecord, v: FormValues): Record<string, unknown> {
  return changedFields(deal as Record<string, unknown>, toPatchFields(v) as Record<string, unknown>);
}

function StageBar({ deal, stages, onMove, readOnly }: { deal: DealRecord; stages: StageRecord[]; onMove(stageId: string): void; readOnly: boolean }) {
  const index = stages.findIndex((s) => s.id === deal.stageId);
  return (
    <Group gap={4} wrap="nowrap" data-testid="stage-bar">
      {stages.map((s, i) => {
        const current = s.id === deal.stageId;
        const passed = i < index;
        return (
          <UnstyledButton
            key={s.id}
            disabled={readOnly || current}
            onClick={() => onMove(s.id)}
            data-testid={`stage-step-${s.name}`}
            data-current={current}
            style={{
              flex: 1,
              padding: '6px 10px',
              textAlign: 'center',
              borderRadius: 6,
              fontSize: 13,
              fontWeight: current ? 700 : 500,
              color: current || passed ? 'white' : 'var(--mantine-color-gray-7)',
              background: current ? 'var(--mantine-color-indigo-7)' : passed ? 'var(--mantine-color-indigo-4)' : 'var(--mantine-color-gray-2)',
              cursor: readOnly || current ? 'default' : 'pointer',
              whiteSpace: 'nowrap',
              overflow: 'hidden',
              textOverflow: 'ellipsis',
            }}
            title={current ? `Current stage: ${s.name}` : `Move to ${s.name}`}
          >
            {s.name}
          </UnstyledButton>
        );
      })}
    </Group>
  );
}

export function DealDetail({ id }: { id: string }) {
  const store = useKith();
  const readOnly = store.info.readOnly;
  const [, navigate] = useLocation();
  const { doc: deal, loading } = useRxDoc<DealRecord>('deals', id);
  const { save, saving } = useSave();
  const outcome = useDealOutcome();
  const form = useForm<FormValues>({ initialValues: deal ? toValues(deal) : toValues(EMPTY_DEAL), validate: (v) => (deal ? schemaErrors(DealUpdate, diff(deal, v)) : {}) });
  const [loadedVersion, setLoadedVersion] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const { pipelines, stages } = usePipelinesAndStages(form.values.pipelineId || deal?.pipelineId || null);
  const { data: allStages } = useRxQuery<StageRecord>('stages', { selector: {} });
  const stageOfDeal = useMemo(() => allStages.filter((s) => deal && s.pipelineId === deal.pipelineId && !s.archivedAt).sort((a, b) => a.position - b.position), [allStages, deal]);

  // Fresh data from the server (or another tab) replaces the form unless the user is editing.
  const docKey = deal ? `${deal.id}:${deal.version}:${deal.updatedAt}:${JSON.stringify(toValues(deal))}` : null;
  useEffect(() => {
    if (!deal || docKey === loadedVersion) return;
    if (!form.isDirty() || loadedVersion === null) {
      form.setValues(toValues(deal));
      form.resetDirty(toValues(deal));
      form.clearErrors();
    }
    setLoadedVersion(docKey);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [docKey]);

  if (loading) {
    return (
      <Stack data-testid="deal-loading">
        <Skeleton h={40} w="40%" />
        <Skeleton h={36} />
        <Skeleton h={320} />
      </Stack>
    );
  }
  if (!deal) {
    return (
      <Center mih={400}>
        <EmptyState title="Deal not found" description="It may have been deleted, or it has not synced to this device yet.">
          <Button component={Link} href="/" variant="light">
            Back to the board
          </Button>
        </EmptyState>
      </Center>
    );
  }

  const dirty = form.isDirty();
  const patch = diff(deal, form.values);
  const changed = Object.keys(patch).length > 0;
  const stageProbability = stageOfDeal.find((s) => s.id === deal.stageId)?.probability ?? null;

  async function submit(v: FormValues) {
    const current = diff(deal!, v);
    if (Object.keys(current).length === 0) return;
    const saved = await save(() => store.update('deals', deal!.id, current), { form, success: 'Deal saved' });
    if (saved) form.resetDirty(v);
  }

  const moveStage = (stageId: string) => void save(() => store.update('deals', deal.id, { stageId }), { success: `Moved to ${stageOfDeal.find((s) => s.id === stageId)?.name ?? 'stage'}` });

  return (
    <Box maw={1400} mx="auto" data-testid="deal-detail" data-deal-id={deal.id}>
      <Breadcrumbs mb="xs">
        <Anchor component={Link} href="/" size="sm">
          Board
        </Anchor>
        <Text size="sm" c="dimmed">
          {deal.title}
        </Text>
      </Breadcrumbs>
      <Group justify="space-between" align="flex-start" mb="md" wrap="nowrap">
        <div style={{ minWidth: 0 }}>
          <Group gap="sm">
            <Title order={2} data-testid="deal-title-heading" style={{ wordBreak: 'break-word' }}>
              {deal.title}
            </Title>
            <Badge size="lg" color={deal.status === 'won' ? 'teal' : deal.status === 'lost' ? 'red' : 'blue'} variant="light" data-testid="deal-status">
              {deal.status}
            </Badge>
            {deal.archivedAt && (
              <Badge size="lg" color="gray">
                archived
              </Badge>
            )}
          </Group>
          <Text c="dimmed" size="sm" mt={4}>
            {formatMoney(deal.amount, deal.currency)}
            {deal.valuePeriod !== 'one_time' && ` ${PERIOD_LABEL[deal.valuePeriod]?.toLowerCase()}`} · probability {formatPercent(deal.probability ?? stageProbability)}
            {deal.expectedCloseDate && ` · closes ${formatDate(deal.expectedCloseDate)}`} · updated {formatRelative(deal.updatedAt)}
            {deal.status === 'won' && deal.wonAt && ` · won ${formatDate(deal.wonAt)}`}
            {deal.status === 'lost' && deal.lostAt && ` · lost ${formatDate(deal.lostAt)}${deal.lostReason ? ` (${deal.lostReason})` : ''}`}
          </Text>
        </div>
        {!readOnly && (
          <Group gap="xs" wrap="nowrap">
            {deal.status === 'open' ? (
              <>
                <Button color="teal" leftSection={<IconTrophy size={16} />} onClick={() => void outcome.markWon(deal)} data-testid="deal-won">
                  Won
                </Button>
                <Button color="red" variant="light" leftSection={<IconThumbDown size={16} />} onClick={() => outcome.markLost(deal)} data-testid="deal-lost">
                  Lost
                </Button>
              </>
            ) : (
              <Button variant="light" leftSection={<IconRotateClockwise size={16} />} onClick={() => void outcome.reopen(deal)} data-testid="deal-reopen">
                Reopen
              </Button>
            )}
            <Menu position="bottom-end" shadow="md">
              <Menu.Target>
                <Button variant="default" rightSection={<IconChevronDown size={14} />} leftSection={<IconDots size={16} />}>
                  More
                </Button>
              </Menu.Target>
              <Menu.Dropdown>
                {deal.archivedAt ? (
                  <Menu.Item leftSection={<IconArchiveOff size={14} />} onClick={() => void save(() => store.restore('deals', deal.id), { success: 'Deal restored' })}>
                    Restore
                  </Menu.Item>
                ) : (
                  <Menu.Item leftSection={<IconArchive size={14} />} onClick={() => void save(() => store.archive('deals', deal.id), { success: 'Deal archived' })}>
                    Archive
                  </Menu.Item>
                )}
                {store.info.role === 'OWNER' && (
                  <Menu.Item color="red" leftSection={<IconTrash size={14} />} onClick={() => setConfirmDelete(true)}>
                    Delete…
                  </Menu.Item>
                )}
              </Menu.Dropdown>
            </Menu>
          </Group>
        )}
      </Group>
      <Box mb="md">
        <StageBar deal={deal} stages={stageOfDeal} onMove={moveStage} readOnly={readOnly || deal.status !== 'open'} />
      </Box>
      <Grid gap="md">
        <Grid.Col span={{ base: 12, lg: 8 }}>
          <Stack gap="md">
            <Paper withBorder radius="md" p="md">
              <form onSubmit={form.onSubmit(submit)} data-testid="deal-form">
                <Group justify="space-between" mb="sm">
                  <Title order={5}>Details</Title>
                  {!readOnly && (
                    <Group gap="xs">
                      {dirty && changed && (
                        <Button variant="subtle" size="xs" onClick={() => form.setValues(toValues(deal))}>
                          Discard
                        </Button>
                      )}
                      <Button type="submit" size="xs" leftSection={<IconDeviceFloppy size={14} />} disabled={!changed} loading={saving} data-testid="deal-save">
                        Save changes
                      </Button>
                    </Group>
                  )}
                </Group>
                <fieldset disabled={readOnly} style={{ border: 0, padding: 0, margin: 0 }}>
                  <Grid gap="sm">
                    <Grid.Col span={12}>
                      <TextInput label="Title" withAsterisk data-testid="field-title" {...form.getInputProps('title')} />
                    </Grid.Col>
                    <Grid.Col span={{ base: 12, sm: 6 }}>
                      <OrganizationSelect label="Organization" {...form.getInputProps('organizationId')} />
                    </Grid.Col>
                    <Grid.Col span={{ base: 12, sm: 6 }}>
                      <PersonSelect label="Primary contact" {...form.getInputProps('primaryPersonId')} />
                    </Grid.Col>
                    <Grid.Col span={{ base: 12, sm: 4 }}>
                      <NumberInput label="Amount" clampBehavior="none" decimalScale={4} thousandSeparator="," data-testid="field-amount" {...form.getInputProps('amount')} />
                    </Grid.Col>
                    <Grid.Col span={{ base: 6, sm: 4 }}>
                      <TextInput label="Currency" maxLength={3} data-testid="field-currency" {...form.getInputProps('currency')} />
                    </Grid.Col>
                    <Grid.Col span={{ base: 6, sm: 4 }}>
                      <Select label="Value period" data={VALUE_PERIODS.map((p) => ({ value: p, label: PERIOD_LABEL[p] ?? p }))} allowDeselect={false} {...form.getInputProps('valuePeriod')} />
                    </Grid.Col>
                    <Grid.Col span={{ base: 12, sm: 4 }}>
                      <Select
                        label="Pipeline"
                        data={pipelines.map((p) => ({ value: p.id, label: p.name }))}
                        allowDeselect={false}
                        value={form.values.pipelineId}
                        onChange={(v) => {
                          if (!v || v === form.values.pipelineId) return;
                          form.setFieldValue('pipelineId', v);
                          form.setFieldValue('stageId', '');
                        }}
                        error={form.errors.pipelineId}
                      />
                    </Grid.Col>
                    <Grid.Col span={{ base: 6, sm: 4 }}>
                      <Select
                        label="Stage"
                        data={stages.map((s) => ({ value: s.id, label: s.name }))}
                        allowDeselect={false}
                        placeholder="Pick a stage"
                        {...form.getInputProps('stageId')}
                        data-testid="field-stage"
                      />
                    </Grid.Col>
                    <Grid.Col span={{ base: 6, sm: 4 }}>
                      <Tooltip label="0–1; empty uses the stage's default" position="top-start">
                        <NumberInput
                          label="Probability"
                          clampBehavior="none"
                          step={0.05}
                          decimalScale={4}
                          placeholder={stageProbability !== null ? `${stageProbability} (stage)` : '0–1'}
                          data-testid="field-probability"
                          {...form.getInputProps('probability')}
                        />
                      </Tooltip>
                    </Grid.Col>
                    <Grid.Col span={{ base: 12, sm: 4 }}>
                      <TextInput label="Expected close" type="date" data-testid="field-close" {...form.getInputProps('expectedCloseDate')} />
                    </Grid.Col>
                    <Grid.Col span={{ base: 12, sm: 4 }}>
                      <MemberSelect label="Owner" {...form.getInputProps('ownerId')} />
                    </Grid.Col>
                    <Grid.Col span={{ base: 12, sm: 4 }}>
                      <TextInput label="Linked project" placeholder="External reference" {...form.getInputProps('linkedProjectId')} />
                    </Grid.Col>
                    <Grid.Col span={12}>
                      <TagsInput label="Labels" placeholder="Type and press Enter" data-testid="field-labels" {...form.getInputProps('labels')} />
                    </Grid.Col>
                    {(deal.status === 'lost' || form.values.lostReason) && (
                      <Grid.Col span={12}>
                        <TextInput label="Lost reason" {...form.getInputProps('lostReason')} />
                      </Grid.Col>
                    )}
                    <Grid.Col span={12}>
                      <Textarea label="Notes" autosize minRows={3} maxRows={12} data-testid="field-notes" {...form.getInputProps('notes')} />
                    </Grid.Col>
                  </Grid>
                </fieldset>
              </form>
            </Paper>
            <DealContacts dealId={deal.id} primaryPersonId={deal.primaryPersonId} readOnly={readOnly} />
            <Paper withBorder radius="md" p="md" data-testid="deal-activities">
              <Title order={5} mb="sm">
                Activity
              </Title>
              {!readOnly && <ActivityComposer dealId={deal.id} organizationId={deal.organizationId} personId={deal.primaryPersonId} />}
              <Box mt="md">
                <ActivityTimeline dealId={deal.id} />
              </Box>
            </Paper>
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 4 }}>
          <Stack gap="md">
            <StageHistory dealId={deal.id} stages={allStages} />
            <Paper withBorder radius="md" p="md">
              <Title order={5} mb="sm">
                History
              </Title>
              <RecordHistory entityType="deal" entityId={deal.id} />
            </Paper>
          </Stack>
        </Grid.Col>
      </Grid>
      {outcome.modal}
      <Modal opened={confirmDelete} onClose={() => setConfirmDelete(false)} title="Delete this deal?">
        <Text size="sm">“{deal.title}” will be deleted for everyone, with its contacts. Archiving keeps it out of the way but recoverable.</Text>
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={() => setConfirmDelete(false)}>
            Cancel
          </Button>
          <Button
            color="red"
            onClick={async () => {
              setConfirmDelete(false);
              const ok = await save(() => store.remove('deals', deal.id).then(() => true), { success: 'Deal deleted' });
              if (ok) navigate('/');
            }}
          >
            Delete
          </Button>
        </Group>
      </Modal>
    </Box>
  );
}

const EMPTY_DEAL: DealRecord = {
  id: '',
  workspaceId: '',
  createdAt: '',
  updatedAt: '',
  version: 0,
  archivedAt: null,
  title: '',
  organizationId: null,
  primaryPersonId: null,
  pipelineId: '',
  stageId: '',
  amount: null,
  currency: 'USD',
  valuePeriod: 'one_time',
  probability: null,
  expectedCloseDate: null,
  status: 'open',
  wonAt: null,
  lostAt: null,
  lostReason: null,
  linkedProjectId: null,
  notes: null,
  labels: [],
  ownerId: null,
  custom: {},
};
