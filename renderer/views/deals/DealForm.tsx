/**
 * Every editable field of a deal, validated with the shared DealCreate schema before it is sent,
 * with the data layer's field errors shown under the fields when a write is refused. Used by the
 * "New deal" dialog and the deal page's details card; locked (legible, saying why) for whoever
 * may not create or edit deals.
 */
import { Grid, NumberInput, Select, TagsInput, TextInput, Textarea, Tooltip } from '@mantine/core';
import { DealCreate, VALUE_PERIODS, type DealRecord } from '../../../shared/schemas.js';
import { useKith } from '../../app/KithContext.js';
import { MemberSelect, OrganizationSelect, PersonSelect } from '../../components/pickers.js';
import { numberOrNull, textOrNull } from '../../components/forms.js';
import { LockedFields } from '../../components/Permitted.js';
import { FormActions } from '../../components/records/FormActions.js';
import { useRecordForm } from '../../components/records/useRecordForm.js';
import { CustomFieldsSection } from '../../components/custom/CustomFieldsSection.js';
import { customFormValues, customPayload } from '../../components/custom/customValues.js';
import { useCustomFields } from '../../components/custom/useCustomFields.js';
import { useCan } from '../../hooks/usePermissions.js';
import { percentToProbability, probabilityToPercent } from '../../lib/format.js';
import { usePipelinesAndStages } from '../../hooks/usePipelinesAndStages.js';

export const PERIOD_LABEL: Record<string, string> = { one_time: 'One-time', monthly: 'Monthly', quarterly: 'Quarterly', annual: 'Annual' };

interface DealFormValues {
  title: string;
  organizationId: string | null;
  primaryPersonId: string | null;
  /** null: the default pipeline */
  pipelineId: string | null;
  /** null: the first stage of the pipeline */
  stageId: string | null;
  amount: string | number;
  currency: string;
  valuePeriod: string;
  /** in percent (0–100); stored as 0–1 */
  probability: string | number;
  expectedCloseDate: string;
  ownerId: string | null;
  labels: string[];
  linkedProjectId: string;
  lostReason: string;
  notes: string;
  /** custom field values by key, as the inputs hold them */
  custom: Record<string, unknown>;
}

function dealValues(d: Partial<DealRecord> | null | undefined, defaultCurrency: string): DealFormValues {
  return {
    title: d?.title ?? '',
    organizationId: d?.organizationId ?? null,
    primaryPersonId: d?.primaryPersonId ?? null,
    pipelineId: d?.pipelineId ?? null,
    stageId: d?.stageId ?? null,
    amount: d?.amount ?? '',
    currency: d?.currency ?? defaultCurrency,
    valuePeriod: d?.valuePeriod ?? 'one_time',
    probability: probabilityToPercent(d?.probability) ?? '',
    expectedCloseDate: d?.expectedCloseDate ?? '',
    ownerId: d?.ownerId ?? null,
    labels: d?.labels ?? [],
    linkedProjectId: d?.linkedProjectId ?? '',
    lostReason: d?.lostReason ?? '',
    notes: d?.notes ?? '',
    custom: customFormValues(d?.custom),
  };
}

/** Form values → request body; an unset pipeline or stage is left out (the data layer picks the default). */
function dealPayload(v: DealFormValues) {
  const percent = numberOrNull(v.probability);
  return {
    title: v.title.trim(),
    organizationId: v.organizationId ?? null,
    primaryPersonId: v.primaryPersonId ?? null,
    ...(v.pipelineId ? { pipelineId: v.pipelineId } : {}),
    ...(v.stageId ? { stageId: v.stageId } : {}),
    amount: numberOrNull(v.amount),
    currency: v.currency.trim().toUpperCase(),
    valuePeriod: v.valuePeriod as DealRecord['valuePeriod'],
    probability: percent === null ? null : percentToProbability(percent),
    expectedCloseDate: textOrNull(v.expectedCloseDate),
    ownerId: v.ownerId ?? null,
    labels: v.labels.map((l) => l.trim()).filter(Boolean),
    linkedProjectId: textOrNull(v.linkedProjectId),
    lostReason: textOrNull(v.lostReason),
    notes: textOrNull(v.notes),
    custom: customPayload(v.custom),
  };
}

export interface DealFormProps {
  /** the deal being edited; absent for a new deal */
  deal?: DealRecord | null;
  defaults?: Partial<DealRecord>;
  labelSuggestions?: string[];
  /** writes the payload (create, or update of the changed fields); returns undefined when it failed */
  onSubmit: (payload: ReturnType<typeof dealPayload>, form: { setErrors(e: Record<string, string>): void }) => Promise<unknown>;
  onCancel?: () => void;
  submitLabel: string;
  autoFocus?: boolean;
}

export function DealForm({ deal, defaults, labelSuggestions = [], onSubmit, onCancel, submitLabel, autoFocus }: DealFormProps) {
  const { defaultCurrency } = useKith().info;
  const permission = useCan(deal ? 'update' : 'create', 'deals');
  const readOnly = !permission.allowed;
  const { form, submit, dirty } = useRecordForm({
    record: deal,
    initialValues: dealValues(deal ?? defaults, defaultCurrency),
    values: (r) => dealValues(r as DealRecord, defaultCurrency),
    payload: dealPayload,
    schema: DealCreate,
    onSubmit,
  });
  const { pipelines, pipelineId, stages } = usePipelinesAndStages(form.values.pipelineId);
  const stageId = form.values.stageId ?? stages[0]?.id ?? null;
  const stageProbability = stages.find((s) => s.id === stageId)?.probability ?? null;
  const span = (base: number, sm: number) => ({ base, sm });
  const hasCustomFields = useCustomFields('deals').fields.length > 0;

  return (
    <form onSubmit={submit} noValidate data-testid="deal-form">
      <LockedFields permission={permission}>
        <Grid gap="sm">
          <Grid.Col span={12}>
            <TextInput label="Title" required autoFocus={autoFocus} data-autofocus={autoFocus || undefined} readOnly={readOnly} {...form.getInputProps('title')} data-testid="deal-field-title" />
          </Grid.Col>
          <Grid.Col span={span(12, 6)}>
            <OrganizationSelect
              label="Organization"
              readOnly={readOnly}
              value={form.values.organizationId}
              onChange={(id) => form.setFieldValue('organizationId', id)}
              error={form.errors.organizationId}
              data-testid="deal-field-organization"
            />
          </Grid.Col>
          <Grid.Col span={span(12, 6)}>
            <PersonSelect
              label="Primary contact"
              readOnly={readOnly}
              organizationId={form.values.organizationId}
              value={form.values.primaryPersonId}
              onChange={(id) => form.setFieldValue('primaryPersonId', id)}
              error={form.errors.primaryPersonId}
              data-testid="deal-field-person"
            />
          </Grid.Col>
          <Grid.Col span={span(12, 4)}>
            <NumberInput label="Amount" clampBehavior="none" decimalScale={4} thousandSeparator="," readOnly={readOnly} {...form.getInputProps('amount')} data-testid="deal-field-amount" />
          </Grid.Col>
          <Grid.Col span={span(6, 4)}>
            <TextInput label="Currency" maxLength={3} readOnly={readOnly} {...form.getInputProps('currency')} data-testid="deal-field-currency" />
          </Grid.Col>
          <Grid.Col span={span(6, 4)}>
            <Select
              label="Value period"
              data={VALUE_PERIODS.map((p) => ({ value: p, label: PERIOD_LABEL[p] ?? p }))}
              allowDeselect={false}
              readOnly={readOnly}
              {...form.getInputProps('valuePeriod')}
              data-testid="deal-field-period"
            />
          </Grid.Col>
          <Grid.Col span={span(12, 4)}>
            <Select
              label="Pipeline"
              data={pipelines.map((p) => ({ value: p.id, label: p.name }))}
              allowDeselect={false}
              readOnly={readOnly}
              value={pipelineId}
              onChange={(v) => {
                if (!v || v === pipelineId) return;
                form.setFieldValue('pipelineId', v);
                // back in the deal's own pipeline: its own stage; elsewhere the first stage until one is picked
                form.setFieldValue('stageId', deal && v === deal.pipelineId ? deal.stageId : null);
              }}
              error={form.errors.pipelineId}
              data-testid="deal-field-pipeline"
            />
          </Grid.Col>
          <Grid.Col span={span(6, 4)}>
            <Select
              label="Stage"
              data={stages.map((s) => ({ value: s.id, label: s.name }))}
              allowDeselect={false}
              readOnly={readOnly}
              value={stageId}
              onChange={(v) => form.setFieldValue('stageId', v)}
              error={form.errors.stageId}
              data-testid="deal-field-stage"
            />
          </Grid.Col>
          <Grid.Col span={span(6, 4)}>
            <Tooltip label="Percent, 0–100; empty uses the stage's default" position="top-start" disabled={readOnly}>
              <NumberInput
                label="Probability"
                clampBehavior="none"
                step={5}
                decimalScale={2}
                suffix="%"
                placeholder={stageProbability !== null ? `${probabilityToPercent(stageProbability)}% (stage)` : '0–100%'}
                readOnly={readOnly}
                {...form.getInputProps('probability')}
                // the shared schema checks the stored 0–1 value; the field is in percent
                error={form.errors.probability ? 'must be between 0% and 100%' : undefined}
                data-testid="deal-field-probability"
              />
            </Tooltip>
          </Grid.Col>
          <Grid.Col span={span(12, 4)}>
            <TextInput label="Expected close" type="date" readOnly={readOnly} {...form.getInputProps('expectedCloseDate')} data-testid="deal-field-close" />
          </Grid.Col>
          <Grid.Col span={span(12, 4)}>
            <MemberSelect
              label="Owner"
              readOnly={readOnly}
              value={form.values.ownerId}
              onChange={(id) => form.setFieldValue('ownerId', id)}
              error={form.errors.ownerId}
              data-testid="deal-field-owner"
            />
          </Grid.Col>
          <Grid.Col span={span(12, 4)}>
            <TextInput label="Linked project" placeholder="External reference" readOnly={readOnly} {...form.getInputProps('linkedProjectId')} data-testid="deal-field-project" />
          </Grid.Col>
          <Grid.Col span={12}>
            <TagsInput
              label="Labels"
              placeholder={readOnly ? undefined : 'Type a label and press Enter'}
              data={labelSuggestions}
              readOnly={readOnly}
              clearable={!readOnly}
              acceptValueOnBlur
              {...form.getInputProps('labels')}
              data-testid="deal-field-labels"
            />
          </Grid.Col>
          {(deal?.status === 'lost' || form.values.lostReason) && (
            <Grid.Col span={12}>
              <TextInput label="Lost reason" readOnly={readOnly} {...form.getInputProps('lostReason')} data-testid="deal-field-lost-reason" />
            </Grid.Col>
          )}
          {hasCustomFields && (
            <Grid.Col span={12}>
              <CustomFieldsSection entity="deals" form={form} readOnly={readOnly} columns={3} />
            </Grid.Col>
          )}
          <Grid.Col span={12}>
            <Textarea label="Notes" autosize minRows={3} maxRows={12} readOnly={readOnly} {...form.getInputProps('notes')} data-testid="deal-field-notes" />
          </Grid.Col>
        </Grid>
      </LockedFields>
      {!readOnly && (
        <FormActions
          testId="deal-form"
          mt="sm"
          editing={!!deal}
          dirty={dirty}
          submitting={form.submitting}
          submitLabel={submitLabel}
          onReset={() => deal && form.setValues(dealValues(deal, defaultCurrency))}
          onCancel={onCancel}
        />
      )}
    </form>
  );
}
