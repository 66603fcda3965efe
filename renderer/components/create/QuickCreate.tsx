/**
 * Quick create (from the command palette, the board and the `n` shortcut): organization, person,
 * deal. Validation messages come from the shared request schemas.
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { Button, Group, Modal, NumberInput, Select, Stack, TagsInput, TextInput, Textarea } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useLocation } from 'wouter';
import { DealCreate, OrganizationCreate, PersonCreate, type PipelineRecord, type StageRecord } from '../../../shared/schemas.js';
import { useKith } from '../../app/KithContext.js';
import { useRxQuery } from '../../hooks/useRx.js';
import { numberOrNull, schemaErrors, textOrNull, useSave } from '../forms.js';
import { OrganizationSelect, PersonSelect } from '../pickers.js';

export type CreateKind = 'organization' | 'person' | 'deal';
export interface CreateDefaults {
  organizationId?: string | null;
  personId?: string | null;
  pipelineId?: string | null;
  stageId?: string | null;
  name?: string;
}

interface QuickCreateApi {
  openCreate(kind: CreateKind, defaults?: CreateDefaults): void;
}

const QuickCreateContext = createContext<QuickCreateApi>({ openCreate: () => undefined });

export function useQuickCreate(): QuickCreateApi {
  return useContext(QuickCreateContext);
}

const TITLES: Record<CreateKind, string> = { organization: 'New organization', person: 'New person', deal: 'New deal' };

export function QuickCreateProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<{ kind: CreateKind; defaults: CreateDefaults; seq: number } | null>(null);
  const openCreate = useCallback((kind: CreateKind, defaults: CreateDefaults = {}) => setState((s) => ({ kind, defaults, seq: (s?.seq ?? 0) + 1 })), []);
  const api = useMemo(() => ({ openCreate }), [openCreate]);
  const close = () => setState(null);
  return (
    <QuickCreateContext.Provider value={api}>
      {children}
      <Modal opened={state !== null} onClose={close} title={state ? TITLES[state.kind] : ''} size="lg" data-testid="quick-create">
        {state?.kind === 'organization' && <OrganizationForm key={state.seq} defaults={state.defaults} onDone={close} />}
        {state?.kind === 'person' && <PersonForm key={state.seq} defaults={state.defaults} onDone={close} />}
        {state?.kind === 'deal' && <DealForm key={state.seq} defaults={state.defaults} onDone={close} />}
      </Modal>
    </QuickCreateContext.Provider>
  );
}

function FormButtons({ saving, label, onCancel }: { saving: boolean; label: string; onCancel(): void }) {
  return (
    <Group justify="flex-end" mt="sm">
      <Button variant="default" onClick={onCancel}>
        Cancel
      </Button>
      <Button type="submit" loading={saving} data-testid="create-submit">
        {label}
      </Button>
    </Group>
  );
}

function OrganizationForm({ defaults, onDone }: { defaults: CreateDefaults; onDone(): void }) {
  const store = useKith();
  const [, navigate] = useLocation();
  const { save, saving } = useSave();
  const form = useForm({
    initialValues: { name: defaults.name ?? '', website: '', labels: [] as string[], notes: '' },
    validate: (v) => schemaErrors(OrganizationCreate, toOrganization(v)),
  });
  return (
    <form
      onSubmit={form.onSubmit(async (v) => {
        const created = await save(() => store.create('organizations', toOrganization(v)), { form, success: `Organization “${v.name.trim()}” created` });
        if (created) {
          onDone();
          navigate(`/organizations/${created.id as string}`);
        }
      })}
    >
      <Stack gap="sm">
        <TextInput label="Name" withAsterisk data-autofocus data-testid="org-name" {...form.getInputProps('name')} />
        <TextInput label="Website" placeholder="https://example.com" data-testid="org-website" {...form.getInputProps('website')} />
        <TagsInput label="Labels" placeholder="Type and press Enter" {...form.getInputProps('labels')} />
        <Textarea label="Notes" autosize minRows={2} {...form.getInputProps('notes')} />
        <FormButtons saving={saving} label="Create organization" onCancel={onDone} />
      </Stack>
    </form>
  );
}

function toOrganization(v: { name: string; website: string; labels: string[]; notes: string }) {
  return { name: v.name.trim(), website: textOrNull(v.website), labels: v.labels, notes: textOrNull(v.notes) };
}

function PersonForm({ defaults, onDone }: { defaults: CreateDefaults; onDone(): void }) {
  const store = useKith();
  const [, navigate] = useLocation();
  const { save, saving } = useSave();
  const form = useForm({
    initialValues: { name: defaults.name ?? '', email: '', phone: '', title: '', organizationId: defaults.organizationId ?? (null as string | null), labels: [] as string[] },
    validate: (v) => schemaErrors(PersonCreate, toPerson(v)),
  });
  return (
    <form
      onSubmit={form.onSubmit(async (v) => {
        const created = await save(() => store.create('people', toPerson(v)), { form, success: `${v.name.trim()} added` });
        if (created) {
          onDone();
          navigate(`/people/${created.id as string}`);
        }
      })}
    >
      <Stack gap="sm">
        <TextInput label="Name" withAsterisk data-autofocus data-testid="person-name" {...form.getInputProps('name')} />
        <Group grow>
          <TextInput label="Email" data-testid="person-email" {...form.getInputProps('email')} />
          <TextInput label="Phone" {...form.getInputProps('phone')} />
        </Group>
        <TextInput label="Title" placeholder="e.g. Head of Operations" {...form.getInputProps('title')} />
        <OrganizationSelect label="Organization" data-testid="person-organization" {...form.getInputProps('organizationId')} />
        <TagsInput label="Labels" placeholder="Type and press Enter" {...form.getInputProps('labels')} />
        <FormButtons saving={saving} label="Add person" onCancel={onDone} />
      </Stack>
    </form>
  );
}

function toPerson(v: { name: string; email: string; phone: string; title: string; organizationId: string | null; labels: string[] }) {
  return { name: v.name.trim(), email: textOrNull(v.email), phone: textOrNull(v.phone), title: textOrNull(v.title), organizationId: v.organizationId, labels: v.labels };
}

export function usePipelinesAndStages(pipelineId: string | null) {
  const pipelines = useRxQuery<PipelineRecord>('pipelines', { selector: { archivedAt: null } });
  const sortedPipelines = useMemo(() => [...pipelines.data].sort((a, b) => a.position - b.position || a.name.localeCompare(b.name)), [pipelines.data]);
  const effectivePipelineId = pipelineId ?? sortedPipelines.find((p) => p.isDefault)?.id ?? sortedPipelines[0]?.id ?? null;
  const stages = useRxQuery<StageRecord>('stages', effectivePipelineId ? { selector: { pipelineId: effectivePipelineId } } : null);
  const sortedStages = useMemo(() => stages.data.filter((s) => !s.archivedAt).sort((a, b) => a.position - b.position), [stages.data]);
  return { pipelines: sortedPipelines, pipelineId: effectivePipelineId, stages: sortedStages, loading: pipelines.loading || stages.loading };
}

function DealForm({ defaults, onDone }: { defaults: CreateDefaults; onDone(): void }) {
  const store = useKith();
  const [, navigate] = useLocation();
  const { save, saving } = useSave();
  const form = useForm({
    initialValues: {
      title: defaults.name ?? '',
      organizationId: defaults.organizationId ?? (null as string | null),
      primaryPersonId: defaults.personId ?? (null as string | null),
      pipelineId: defaults.pipelineId ?? (null as string | null),
      stageId: defaults.stageId ?? (null as string | null),
      amount: '' as string | number,
      currency: store.info.defaultCurrency,
      expectedCloseDate: '',
      labels: [] as string[],
    },
    validate: (v) => schemaErrors(DealCreate, toDeal(v)),
  });
  const { pipelines, pipelineId, stages } = usePipelinesAndStages(form.values.pipelineId);
  return (
    <form
      onSubmit={form.onSubmit(async (v) => {
        const input = toDeal({ ...v, pipelineId: v.pipelineId ?? pipelineId, stageId: v.stageId ?? stages[0]?.id ?? null });
        const created = await save(() => store.create('deals', input), { form, success: `Deal “${v.title.trim()}” created` });
        if (created) {
          onDone();
          navigate(`/deals/${created.id as string}`);
        }
      })}
    >
      <Stack gap="sm">
        <TextInput label="Title" withAsterisk data-autofocus data-testid="deal-title" {...form.getInputProps('title')} />
        <Group grow>
          <OrganizationSelect label="Organization" data-testid="deal-organization" {...form.getInputProps('organizationId')} />
          <PersonSelect label="Contact person" data-testid="deal-person" {...form.getInputProps('primaryPersonId')} />
        </Group>
        <Group grow>
          <Select
            label="Pipeline"
            data={pipelines.map((p) => ({ value: p.id, label: p.name }))}
            value={pipelineId}
            onChange={(v) => {
              form.setFieldValue('pipelineId', v);
              form.setFieldValue('stageId', null);
            }}
            allowDeselect={false}
          />
          <Select
            label="Stage"
            data={stages.map((s) => ({ value: s.id, label: s.name }))}
            value={form.values.stageId ?? stages[0]?.id ?? null}
            onChange={(v) => form.setFieldValue('stageId', v)}
            error={form.errors.stageId}
            allowDeselect={false}
            data-testid="deal-stage"
          />
        </Group>
        <Group grow>
          <NumberInput label="Amount" min={0} decimalScale={4} thousandSeparator="," data-testid="deal-amount" {...form.getInputProps('amount')} />
          <TextInput label="Currency" maxLength={3} {...form.getInputProps('currency')} />
          <TextInput label="Expected close" placeholder="YYYY-MM-DD" type="date" {...form.getInputProps('expectedCloseDate')} />
        </Group>
        <TagsInput label="Labels" placeholder="Type and press Enter" {...form.getInputProps('labels')} />
        <FormButtons saving={saving} label="Create deal" onCancel={onDone} />
      </Stack>
    </form>
  );
}

function toDeal(v: {
  title: string;
  organizationId: string | null;
  primaryPersonId: string | null;
  pipelineId: string | null;
  stageId: string | null;
  amount: string | number;
  currency: string;
  expectedCloseDate: string;
  labels: string[];
}) {
  return {
    title: v.title.trim(),
    organizationId: v.organizationId,
    primaryPersonId: v.primaryPersonId,
    ...(v.pipelineId ? { pipelineId: v.pipelineId } : {}),
    ...(v.stageId ? { stageId: v.stageId } : {}),
    amount: numberOrNull(v.amount),
    currency: v.currency.trim().toUpperCase(),
    expectedCloseDate: textOrNull(v.expectedCloseDate),
    labels: v.labels,
  };
}
