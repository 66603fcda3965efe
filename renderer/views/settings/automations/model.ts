/**
 * What the automation builder edits: an automation as the server stores it (SPEC §3, checked by
 * server/domain/automations/definition.ts), the workspace's fields a condition or placeholder
 * may name (from GET /crm/schema), and the template gallery.
 */
import { operatorsOf, type ConditionKind } from '../../../../shared/conditions.js';
import { customKind } from '../../../../shared/listQuery.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Step = { type: string } & Record<string, Json>;
export type Condition = { field: string; op?: string; value?: Json } | { changed: string[] };
export type Trigger = { event: string; objectType?: string } | { schedule: 'daily'; at: string; entity: string; timeZone?: string; objectType?: string };

export interface Automation {
  id?: string;
  name: string;
  active: boolean;
  trigger: Trigger;
  conditions: Condition[];
  steps: Step[];
}

export interface StepResult {
  index: number;
  type: string;
  status: 'ok' | 'failed' | 'retrying';
  result?: Record<string, unknown>;
  error?: string;
  notes?: string[];
}

export interface Run {
  id: string;
  trigger: 'event' | 'schedule' | 'manual';
  eventType: string | null;
  recordId: string;
  depth: number;
  state: 'pending' | 'succeeded' | 'failed' | 'skipped';
  steps: StepResult[];
  note: string | null;
  error: string | null;
  createdAt: string;
}

/** A field of an entity as GET /crm/schema describes it. */
export interface SchemaField {
  key: string;
  kind: 'standard' | 'custom';
  type: string;
  label?: string;
  readOnly?: boolean;
  referenceTo?: string;
  options?: { value: string; label?: string }[];
}
export interface SchemaEntity {
  name: string;
  entityType: string;
  label: string;
  fields: SchemaField[];
}

export const STEP_TYPES = [
  { value: 'set_field', label: 'Set a field' },
  { value: 'add_label', label: 'Add a label' },
  { value: 'remove_label', label: 'Remove a label' },
  { value: 'create_activity', label: 'Create an activity' },
  { value: 'move_stage', label: 'Move to a stage' },
  { value: 'create_record', label: 'Create a record' },
  { value: 'send_webhook', label: 'Send to a webhook endpoint' },
  { value: 'http_request', label: 'HTTP request' },
];

/** A new step of a type, with the fields its form shows. */
export function newStep(type: string): Step {
  switch (type) {
    case 'set_field':
      return { type, field: '', value: '' };
    case 'add_label':
    case 'remove_label':
      return { type, label: '' };
    case 'create_activity':
      return { type, activity: { type: 'follow_up', subject: '', dueInDays: 2 } };
    case 'move_stage':
      return { type, stage: '' };
    case 'create_record':
      return { type, entity: 'activity', values: {} };
    case 'send_webhook':
      return { type, endpointId: '' };
    default:
      return { type: 'http_request', method: 'POST', url: '', headers: {}, body: {} };
  }
}

/** The fields of the entity a trigger is about, as conditions and placeholders name them (custom ones as custom.<key>). */
export function fieldsOf(schema: SchemaEntity[], entityType: string): SchemaField[] {
  const entity = schema.find((e) => e.entityType === entityType);
  if (!entity) return [];
  // the schema lists the computed fields (lastActivityAt, …) with the standard ones
  return entity.fields.filter((f) => !['version'].includes(f.key)).map((f) => (f.kind === 'custom' ? { ...f, key: `custom.${f.key}` } : f));
}

/** How a condition compares a field (the shared rules the server checks with). */
export function kindOfField(field: SchemaField | undefined): ConditionKind {
  if (!field) return 'text';
  if (field.type === 'labels') return 'labels';
  if (field.type === 'id') return 'id';
  if (field.key === 'status' || field.key === 'type' || field.key === 'valuePeriod') return 'enum';
  return customKind(field.type);
}

export const operatorsFor = (field: SchemaField | undefined) => operatorsOf(kindOfField(field));

export const OPERATOR_LABELS: Record<string, string> = {
  eq: 'is',
  ne: 'is not',
  gt: 'after / more than',
  gte: 'on or after / at least',
  lt: 'before / less than',
  lte: 'on or before / at most',
  contains: 'contains',
  empty: 'is empty',
};

export function entityOf(trigger: Trigger): string {
  return 'event' in trigger ? trigger.event.split('.')[0]! : trigger.entity;
}

/** Placeholders a step may use: the record's fields, names of what it references, the previous values, secrets, the last HTTP answer. */
export function placeholdersOf(fields: SchemaField[], secrets: string[], isEvent: boolean): { group: string; items: string[] }[] {
  const record = fields.map((f) => `{{record.${f.key}}}`);
  const references = fields.filter((f) => f.referenceTo && f.key.endsWith('Id')).map((f) => `{{record.${f.key.slice(0, -2)}.name}}`);
  return [
    { group: 'The record', items: [...record, ...references] },
    ...(isEvent ? [{ group: 'Before the change', items: fields.filter((f) => !f.readOnly).map((f) => `{{previous.${f.key}}}`) }] : []),
    { group: 'Run', items: ['{{event.type}}', '{{response.id}}'] },
    ...(secrets.length ? [{ group: 'Secrets', items: secrets.map((s) => `{{secret.${s}}}`) }] : []),
  ];
}

/** The template gallery (issue 16): each fills the builder, to adjust before saving. */
export const TEMPLATES: { title: string; description: string; automation: Automation }[] = [
  {
    title: 'Deal won → project + kickoff',
    description: 'Create a project in your project tool, store its id in linkedProjectId, and add a kickoff follow-up for the owner in 2 days.',
    automation: {
      name: 'Won → project',
      active: true,
      trigger: { event: 'deal.won' },
      conditions: [],
      steps: [
        {
          type: 'http_request',
          method: 'POST',
          url: 'https://projects.example/api/projects',
          headers: { Authorization: '{{secret.projects_token}}' },
          body: { name: '{{record.title}}', client: '{{record.organization.name}}' },
          saveResponse: { path: 'id', field: 'linkedProjectId' },
        },
        { type: 'create_activity', activity: { type: 'follow_up', subject: 'Kickoff', dueInDays: 2 } },
      ],
    },
  },
  {
    title: 'No activity for 14 days → stale',
    description: 'Every morning, label open deals nobody has touched for 14 days as stale and give the owner a follow-up.',
    automation: {
      name: 'Stale deals',
      active: true,
      trigger: { schedule: 'daily', at: '08:00', entity: 'deal', timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone },
      conditions: [
        { field: 'status', op: 'eq', value: 'open' },
        { field: 'lastActivityAt', op: 'lt', value: 'now-14d' },
      ],
      steps: [
        { type: 'add_label', label: 'stale' },
        { type: 'create_activity', activity: { type: 'follow_up', subject: 'Check in: no activity for 14 days', dueInDays: 0 } },
      ],
    },
  },
  {
    title: 'New person from import → follow-up',
    description: 'When a person is created with the label imported (give imported rows that label), add a follow-up in 2 days so nobody is forgotten.',
    automation: {
      name: 'Imported people follow-up',
      active: true,
      trigger: { event: 'person.created' },
      conditions: [{ field: 'labels', op: 'eq', value: 'imported' }],
      steps: [{ type: 'create_activity', activity: { type: 'follow_up', subject: 'Introduce yourself to {{record.name}}', dueInDays: 2 } }],
    },
  },
];
