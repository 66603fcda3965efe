/**
 * The automation builder: a trigger (a record event, or a daily schedule over an entity's records),
 * conditions with field and operator pickers, and ordered steps, each with its form. Text fields
 * offer placeholders from the entity's fields. The server checks the whole automation on save and
 * answers problems by path (steps.1.url), shown at the top.
 */
import { useMemo, useState } from 'react';
import { ActionIcon, Alert, Button, Group, MultiSelect, NumberInput, Paper, SegmentedControl, Select, Stack, Switch, Text, TextInput, Tooltip } from '@mantine/core';
import { IconArrowDown, IconArrowUp, IconPlus, IconTrash } from '@tabler/icons-react';
import { EVENT_TYPES } from '../../../../shared/events.js';
import { JsonInput, parseLoose, PlaceholderInput, showLoose, type PlaceholderGroups } from './fields.js';
import {
  entityOf,
  fieldsOf,
  newStep,
  OPERATOR_LABELS,
  operatorsFor,
  placeholdersOf,
  STEP_TYPES,
  type Automation,
  type Condition,
  type Json,
  type SchemaEntity,
  type SchemaField,
  type Step,
} from './model.js';

const SCHEDULED_ENTITIES = [
  { value: 'deal', label: 'Deals' },
  { value: 'person', label: 'People' },
  { value: 'organization', label: 'Organizations' },
  { value: 'activity', label: 'Activities' },
];
const ACTIVITY_TYPES = ['follow_up', 'note', 'call', 'email', 'meeting'];
const METHODS = ['POST', 'PUT', 'PATCH', 'GET', 'DELETE'];

export interface EditorContext {
  schema: SchemaEntity[];
  secrets: string[];
  endpoints: { id: string; url: string }[];
}

export function AutomationEditor({
  initial,
  context,
  saving,
  error,
  onSave,
  onCancel,
}: {
  initial: Automation;
  context: EditorContext;
  saving: boolean;
  error: string | null;
  onSave(a: Automation): void;
  onCancel(): void;
}) {
  const [draft, setDraft] = useState<Automation>(initial);
  const [invalidJson, setInvalidJson] = useState<Set<string>>(new Set());
  const entity = entityOf(draft.trigger);
  const isEvent = 'event' in draft.trigger;
  const fields = useMemo(() => fieldsOf(context.schema, entity), [context.schema, entity]);
  const placeholders = useMemo(() => placeholdersOf(fields, context.secrets, isEvent), [fields, context.secrets, isEvent]);
  const fieldOptions = fields.map((f) => ({ value: f.key, label: f.key }));
  const writableFields = fields.filter((f) => !f.readOnly).map((f) => ({ value: f.key, label: f.key }));

  const set = (patch: Partial<Automation>) => setDraft((d) => ({ ...d, ...patch }));
  const setCondition = (i: number, c: Condition) => set({ conditions: draft.conditions.map((x, j) => (j === i ? c : x)) });
  const setStep = (i: number, s: Step) => set({ steps: draft.steps.map((x, j) => (j === i ? s : x)) });
  const moveStep = (i: number, by: -1 | 1) => {
    const steps = [...draft.steps];
    [steps[i], steps[i + by]] = [steps[i + by]!, steps[i]!];
    set({ steps });
  };
  const validity = (id: string) => (ok: boolean) =>
    setInvalidJson((s) => {
      if (ok === !s.has(id)) return s;
      const next = new Set(s);
      if (ok) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <Stack gap="md" data-testid="automation-editor">
      {error && (
        <Alert color="red" data-testid="automation-error">
          {error}
        </Alert>
      )}
      <Group align="flex-end">
        <TextInput label="Name" value={draft.name} onChange={(e) => set({ name: e.currentTarget.value })} style={{ flex: 1 }} data-testid="automation-name" data-autofocus />
        <Switch label="Active" checked={draft.active} onChange={(e) => set({ active: e.currentTarget.checked })} mb={8} />
      </Group>

      <Paper withBorder p="sm" radius="md">
        <Text fw={600} size="sm" mb={6}>
          When
        </Text>
        <SegmentedControl
          size="xs"
          mb="sm"
          value={isEvent ? 'event' : 'schedule'}
          data={[
            { value: 'event', label: 'A record changes' },
            { value: 'schedule', label: 'Every day' },
          ]}
          onChange={(v) => set({ trigger: v === 'event' ? { event: 'deal.won' } : { schedule: 'daily', at: '08:00', entity: 'deal', timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone } })}
        />
        {'event' in draft.trigger ? (
          <Select
            label="Event"
            searchable
            data={['*', ...EVENT_TYPES]}
            value={draft.trigger.event}
            onChange={(v) => v && set({ trigger: { event: v } })}
            allowDeselect={false}
            data-testid="automation-event"
          />
        ) : (
          <Group grow>
            <Select
              label="Look at"
              data={SCHEDULED_ENTITIES}
              value={draft.trigger.entity}
              allowDeselect={false}
              onChange={(v) => v && 'schedule' in draft.trigger && set({ trigger: { ...draft.trigger, entity: v } })}
            />
            <TextInput label="At (HH:MM)" value={draft.trigger.at} onChange={(e) => 'schedule' in draft.trigger && set({ trigger: { ...draft.trigger, at: e.currentTarget.value } })} />
            <TextInput
              label="Time zone"
              value={draft.trigger.timeZone ?? ''}
              onChange={(e) => 'schedule' in draft.trigger && set({ trigger: { ...draft.trigger, timeZone: e.currentTarget.value || undefined } })}
            />
          </Group>
        )}
      </Paper>

      <Paper withBorder p="sm" radius="md">
        <Text fw={600} size="sm">
          Only if
        </Text>
        <Text size="xs" c="dimmed" mb={6}>
          All conditions must hold. Dates may be relative: now-14d, now+2h.
        </Text>
        <Stack gap={6}>
          {draft.conditions.map((c, i) =>
            'changed' in c ? (
              <Group key={i} gap="xs" align="flex-end" wrap="nowrap">
                <MultiSelect
                  label={i === 0 ? 'The change touched' : undefined}
                  data={fieldOptions}
                  value={c.changed}
                  onChange={(v) => setCondition(i, { changed: v })}
                  searchable
                  style={{ flex: 1 }}
                />
                <RemoveButton label="Remove condition" onClick={() => set({ conditions: draft.conditions.filter((_, j) => j !== i) })} />
              </Group>
            ) : (
              <ConditionRow key={i} condition={c} fields={fields} onChange={(next) => setCondition(i, next)} onRemove={() => set({ conditions: draft.conditions.filter((_, j) => j !== i) })} />
            ),
          )}
          <Group gap="xs">
            <Button
              size="xs"
              variant="light"
              leftSection={<IconPlus size={14} />}
              onClick={() => set({ conditions: [...draft.conditions, { field: fields.find((f) => f.key === 'status')?.key ?? fields[0]?.key ?? 'id', op: 'eq', value: '' }] })}
              data-testid="add-condition"
            >
              Field condition
            </Button>
            {isEvent && (
              <Button size="xs" variant="subtle" leftSection={<IconPlus size={14} />} onClick={() => set({ conditions: [...draft.conditions, { changed: [] }] })}>
                Changed fields
              </Button>
            )}
          </Group>
        </Stack>
      </Paper>

      <Paper withBorder p="sm" radius="md">
        <Text fw={600} size="sm" mb={6}>
          Then, in order
        </Text>
        <Stack gap="sm">
          {draft.steps.map((s, i) => (
            <Paper key={i} withBorder p="xs" radius="sm" data-testid={`step-${i}`}>
              <Group justify="space-between" mb={6} wrap="nowrap">
                <Select
                  size="xs"
                  aria-label={`Step ${i + 1} type`}
                  data={STEP_TYPES}
                  value={s.type}
                  allowDeselect={false}
                  onChange={(v) => v && v !== s.type && setStep(i, newStep(v))}
                  leftSection={<Text size="xs">{i + 1}.</Text>}
                  w={260}
                />
                <Group gap={2}>
                  <ActionIcon variant="subtle" aria-label="Move step up" disabled={i === 0} onClick={() => moveStep(i, -1)}>
                    <IconArrowUp size={16} />
                  </ActionIcon>
                  <ActionIcon variant="subtle" aria-label="Move step down" disabled={i === draft.steps.length - 1} onClick={() => moveStep(i, 1)}>
                    <IconArrowDown size={16} />
                  </ActionIcon>
                  <RemoveButton label="Remove step" onClick={() => set({ steps: draft.steps.filter((_, j) => j !== i) })} />
                </Group>
              </Group>
              <StepForm
                step={s}
                onChange={(next) => setStep(i, next)}
                writable={writableFields}
                placeholders={placeholders}
                endpoints={context.endpoints}
                onValidity={(id, ok) => validity(`${i}.${id}`)(ok)}
              />
            </Paper>
          ))}
          <Select
            size="xs"
            placeholder="+ Add a step"
            aria-label="Add a step"
            data={STEP_TYPES}
            value={null}
            onChange={(v) => v && set({ steps: [...draft.steps, newStep(v)] })}
            w={260}
            data-testid="add-step"
          />
        </Stack>
      </Paper>

      <Group justify="flex-end">
        <Button variant="default" onClick={onCancel}>
          Cancel
        </Button>
        <Button onClick={() => onSave(draft)} loading={saving} disabled={!draft.name.trim() || draft.steps.length === 0 || invalidJson.size > 0} data-testid="automation-save">
          Save automation
        </Button>
      </Group>
    </Stack>
  );
}

function RemoveButton({ label, onClick }: { label: string; onClick(): void }) {
  return (
    <Tooltip label={label}>
      <ActionIcon variant="subtle" color="red" aria-label={label} onClick={onClick}>
        <IconTrash size={16} />
      </ActionIcon>
    </Tooltip>
  );
}

function ConditionRow({ condition, fields, onChange, onRemove }: { condition: { field: string; op?: string; value?: Json }; fields: SchemaField[]; onChange(c: Condition): void; onRemove(): void }) {
  const field = fields.find((f) => f.key === condition.field);
  const ops = operatorsFor(field);
  const op = condition.op ?? 'eq';
  return (
    <Group gap="xs" wrap="nowrap" data-testid="condition">
      <Select
        aria-label="Field"
        data={fields.map((f) => f.key)}
        value={condition.field}
        searchable
        allowDeselect={false}
        onChange={(v) => v && onChange({ field: v, op: 'eq', value: '' })}
        style={{ flex: 1 }}
      />
      <Select
        aria-label="Operator"
        data={ops.map((o) => ({ value: o, label: OPERATOR_LABELS[o] ?? o }))}
        value={op}
        allowDeselect={false}
        onChange={(v) => v && onChange({ ...condition, op: v, value: v === 'empty' ? true : condition.value })}
        w={190}
      />
      {op === 'empty' ? (
        <SegmentedControl
          size="xs"
          data={[
            { value: 'true', label: 'yes' },
            { value: 'false', label: 'no' },
          ]}
          value={String(condition.value !== false)}
          onChange={(v) => onChange({ ...condition, value: v === 'true' })}
        />
      ) : field?.options?.length ? (
        <Select
          aria-label="Value"
          data={field.options.map((o) => ({ value: o.value, label: o.label ?? o.value }))}
          value={typeof condition.value === 'string' ? condition.value : null}
          onChange={(v) => onChange({ ...condition, value: v ?? '' })}
          style={{ flex: 1 }}
        />
      ) : (
        <TextInput
          aria-label="Value"
          placeholder={field?.type === 'datetime' || field?.type === 'date' ? 'now-14d or 2026-10-01' : 'value'}
          value={showLoose(condition.value)}
          onChange={(e) => onChange({ ...condition, value: parseLoose(e.currentTarget.value) })}
          style={{ flex: 1 }}
        />
      )}
      <RemoveButton label="Remove condition" onClick={onRemove} />
    </Group>
  );
}

function StepForm({
  step,
  onChange,
  writable,
  placeholders,
  endpoints,
  onValidity,
}: {
  step: Step;
  onChange(s: Step): void;
  writable: { value: string; label: string }[];
  placeholders: PlaceholderGroups;
  endpoints: { id: string; url: string }[];
  onValidity(id: string, ok: boolean): void;
}) {
  const str = (key: string) => (typeof step[key] === 'string' ? (step[key] as string) : '');
  switch (step.type) {
    case 'set_field':
      return (
        <Group grow align="flex-start">
          <Select label="Field" data={writable} searchable value={str('field') || null} onChange={(v) => onChange({ ...step, field: v ?? '' })} />
          <PlaceholderInput label="Value" value={showLoose(step.value)} onChange={(v) => onChange({ ...step, value: parseLoose(v) })} placeholders={placeholders} />
        </Group>
      );
    case 'add_label':
    case 'remove_label':
      return <TextInput label="Label" value={str('label')} onChange={(e) => onChange({ ...step, label: e.currentTarget.value })} data-testid="step-label" />;
    case 'create_activity': {
      const activity = (step.activity ?? {}) as Record<string, Json>;
      const setActivity = (patch: Record<string, Json>) => onChange({ ...step, activity: { ...activity, ...patch } });
      return (
        <Group grow align="flex-start">
          <Select label="Type" data={ACTIVITY_TYPES} value={String(activity.type ?? 'follow_up')} allowDeselect={false} onChange={(v) => v && setActivity({ type: v })} />
          <PlaceholderInput label="Subject" value={String(activity.subject ?? '')} onChange={(v) => setActivity({ subject: v })} placeholders={placeholders} />
          <NumberInput
            label="Due in days"
            min={0}
            value={typeof activity.dueInDays === 'number' ? activity.dueInDays : ''}
            onChange={(v) => setActivity({ dueInDays: typeof v === 'number' ? v : null })}
          />
        </Group>
      );
    }
    case 'move_stage':
      return <TextInput label="Stage (name in the deal's pipeline)" value={str('stage')} onChange={(e) => onChange({ type: step.type, stage: e.currentTarget.value })} />;
    case 'create_record':
      return (
        <Stack gap={6}>
          <TextInput
            label="Entity"
            description="organization, person, deal, activity, or a custom object type"
            value={str('entity')}
            onChange={(e) => onChange({ ...step, entity: e.currentTarget.value })}
          />
          <JsonInput label="Values" value={step.values} onChange={(v) => onChange({ ...step, values: v })} onValidity={(ok) => onValidity('values', ok)} placeholders={placeholders} />
        </Stack>
      );
    case 'send_webhook':
      return (
        <Select
          label="Endpoint"
          data={endpoints.map((e) => ({ value: e.id, label: e.url }))}
          value={str('endpointId') || null}
          onChange={(v) => onChange({ ...step, endpointId: v ?? '' })}
          nothingFoundMessage="Add an endpoint under Webhooks first"
        />
      );
    default: {
      const save = (step.saveResponse ?? null) as { path?: string; field?: string } | null;
      return (
        <Stack gap={6}>
          <Group align="flex-start" wrap="nowrap">
            <Select label="Method" data={METHODS} value={str('method') || 'POST'} allowDeselect={false} onChange={(v) => v && onChange({ ...step, method: v })} w={110} />
            <PlaceholderInput label="URL" value={str('url')} onChange={(v) => onChange({ ...step, url: v })} placeholders={placeholders} style={{ flex: 1 }} data-testid="step-url" />
          </Group>
          <JsonInput
            label="Headers"
            description='e.g. {"Authorization": "{{secret.projects_token}}"}'
            value={step.headers ?? {}}
            onChange={(v) => onChange({ ...step, headers: v })}
            onValidity={(ok) => onValidity('headers', ok)}
            placeholders={placeholders}
          />
          <JsonInput
            label="Body (JSON)"
            value={step.body ?? {}}
            onChange={(v) => onChange({ ...step, body: v })}
            onValidity={(ok) => onValidity('body', ok)}
            placeholders={placeholders}
            testId="step-body"
          />
          <Group grow>
            <TextInput
              label="Save from the answer (path)"
              placeholder="id"
              value={save?.path ?? ''}
              onChange={(e) => {
                const path = e.currentTarget.value;
                const { saveResponse: _drop, ...rest } = step;
                onChange(path || save?.field ? { ...rest, saveResponse: { path, field: save?.field ?? '' } } : rest);
              }}
            />
            <Select
              label="… into the field"
              data={writable}
              searchable
              clearable
              value={save?.field || null}
              onChange={(v) => {
                const { saveResponse: _drop, ...rest } = step;
                onChange(v || save?.path ? { ...rest, saveResponse: { path: save?.path ?? '', field: v ?? '' } } : rest);
              }}
            />
          </Group>
        </Stack>
      );
    }
  }
}
