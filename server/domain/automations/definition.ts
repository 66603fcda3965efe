/**
 * What an automation is (SPEC §3): `{name, active, trigger, conditions, steps}`, and the checks
 * it passes before it is saved. Every problem is reported with the path of the value at fault
 * (`trigger.event`, `conditions.0.op`, `steps.1.url`, `steps.0.body.client`), and nothing is
 * saved while there is one. No code is ever run: placeholders are substituted as JSON values
 * (template.ts).
 */
import { z } from 'zod';
import { COLLECTION_NAMES, COLLECTIONS, type CollectionName } from '../../../shared/collections.js';
import { conditionProblem, type Condition, type ConditionKind, type FieldCondition } from '../../../shared/conditions.js';
import { EVENT_TYPES } from '../../../shared/events.js';
import { applyCustom, CustomValueError, type FieldDefinition } from '../../../shared/customFields.js';
import { referenceCheck } from '../../../shared/rules.js';
import { customKind, standardKind } from '../../../shared/listQuery.js';
import { ACTIVITY_TYPES, FIELD_KEY, Id } from '../../../shared/schemas.js';
import type { Db } from '../../store/database.js';
import { SqlRecordReader } from '../../store/reader.js';
import type { Ctx } from '../context.js';
import { ValidationError, zodErrors, type FieldError } from '../errors.js';
import { checkTargetUrl, type TargetPolicy } from '../webhooks/targets.js';
import { placeholderProblem, placeholders, type Json } from './template.js';

/** How many automations deep a chain of runs may go: the writes of a run this deep trigger none. */
export const MAX_DEPTH = 3;

/** Entity types automations act on (custom object records are `record`, with their `objectType`). */
const ENTITY_COLLECTIONS: Record<string, CollectionName> = Object.fromEntries(
  COLLECTION_NAMES.filter((c) => !['stageChanges', 'fields', 'objectTypes', 'views'].includes(c)).map((c) => [COLLECTIONS[c].entityType, c]),
);
export const AUTOMATION_ENTITIES = Object.keys(ENTITY_COLLECTIONS);

export const STEP_TYPES = ['set_field', 'add_label', 'remove_label', 'create_activity', 'move_stage', 'create_record', 'send_webhook', 'http_request'] as const;
export type StepType = (typeof STEP_TYPES)[number];
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
/** Headers a step may not set: the connection's and the body's own. */
const FIXED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'content-type', 'keep-alive', 'upgrade', 'te', 'trailer']);
export const SECRET_NAME = FIELD_KEY;

const Template = z.json();
const type = <T extends StepType>(t: T) => z.literal(t);
const Label = z.string().trim().min(1, 'must not be empty').max(100);

const STEP_SCHEMAS: Record<StepType, z.ZodType> = {
  set_field: z.strictObject({ type: type('set_field'), field: z.string().min(1).max(100).describe('A field of the record, or custom.<key>'), value: Template }),
  add_label: z.strictObject({ type: type('add_label'), label: Label }),
  remove_label: z.strictObject({ type: type('remove_label'), label: Label }),
  create_activity: z.strictObject({
    type: type('create_activity'),
    activity: z.strictObject({
      type: z.enum(ACTIVITY_TYPES),
      subject: z.string().max(500).optional(),
      body: z.string().max(50000).optional(),
      dueInDays: z.number().int().min(0).max(3650).optional().describe('Due this many days after the run'),
      dueInHours: z.number().int().min(0).max(87600).optional(),
    }),
  }),
  move_stage: z
    .strictObject({ type: type('move_stage'), stage: z.string().trim().min(1).max(200).optional().describe("A stage name in the deal's pipeline"), stageId: Id.optional() })
    .refine((s) => (s.stage === undefined) !== (s.stageId === undefined), { message: 'name the stage (stage) or its id (stageId), one of them', path: ['stage'] }),
  create_record: z.strictObject({
    type: type('create_record'),
    entity: z.string().min(1).max(64).describe('organization, person, deal, activity, or a custom object type key'),
    values: z.record(z.string(), Template),
  }),
  send_webhook: z.strictObject({ type: type('send_webhook'), endpointId: Id, body: Template.optional().describe('The event data (default: the record, previous, changedFields)') }),
  http_request: z.strictObject({
    type: type('http_request'),
    method: z.enum(HTTP_METHODS).optional().describe('Default POST'),
    url: z.string().min(1).max(2048),
    headers: z.record(z.string().regex(HEADER_NAME, 'must be an HTTP header name'), z.string().max(4000)).optional(),
    body: Template.optional(),
    saveResponse: z.strictObject({ path: z.string().min(1).max(200).describe('Dotted path in the JSON answer, e.g. id or data.id'), field: z.string().min(1).max(100) }).optional(),
  }),
};

export type Step =
  | { type: 'set_field'; field: string; value: Json }
  | { type: 'add_label' | 'remove_label'; label: string }
  | { type: 'create_activity'; activity: { type: (typeof ACTIVITY_TYPES)[number]; subject?: string; body?: string; dueInDays?: number; dueInHours?: number } }
  | { type: 'move_stage'; stage?: string; stageId?: string }
  | { type: 'create_record'; entity: string; values: Record<string, Json> }
  | { type: 'send_webhook'; endpointId: string; body?: Json }
  | { type: 'http_request'; method?: (typeof HTTP_METHODS)[number]; url: string; headers?: Record<string, string>; body?: Json; saveResponse?: { path: string; field: string } };

export type Trigger = { event: string; objectType?: string } | { schedule: 'daily'; at: string; entity: string; objectType?: string; timeZone?: string };

export interface AutomationDefinition {
  name: string;
  active: boolean;
  trigger: Trigger;
  conditions: Condition[];
  steps: Step[];
}

const EventTrigger = z.strictObject({
  event: z.string().max(100).describe('A record event, as webhooks name them: deal.won, person.created, deal.* …'),
  objectType: z.string().regex(FIELD_KEY).optional().describe('record.* events: the custom object type key'),
});
const ScheduleTrigger = z.strictObject({
  schedule: z.literal('daily'),
  at: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time HH:MM'),
  entity: z.string().max(64).describe('organization, person, deal, activity, record'),
  objectType: z.string().regex(FIELD_KEY).optional(),
  timeZone: z.string().max(64).optional().describe('IANA time zone of `at` (default UTC)'),
});

/** The body of POST /crm/automations: its parts are checked in depth by `checkAutomation`. */
export const AutomationCreate = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  active: z.boolean().optional(),
  trigger: z
    .record(z.string(), z.json())
    .describe('{"event": "deal.won"} (any webhook event type, or <entity>.*), or {"schedule": "daily", "at": "08:00", "entity": "deal", "timeZone": "Europe/Berlin"}'),
  conditions: z
    .array(z.record(z.string(), z.json()))
    .max(50)
    .optional()
    .describe('All must hold: {"field": "status", "op": "eq|ne|gt|gte|lt|lte|contains|empty", "value": "open"} (dates may be relative: "now-14d"), or {"changed": ["stageId"]}'),
  steps: z
    .array(z.record(z.string(), z.json()))
    .min(1, 'name at least one step')
    .max(20)
    .describe(`Run in order; each {"type": …}: ${STEP_TYPES.join(', ')}. Strings may hold {{record.field}}, {{previous.field}}, {{event.type}}, {{secret.name}}, {{response.path}} placeholders`),
});
export const AutomationUpdate = AutomationCreate.partial();

/** The collection (and custom object type) an automation's trigger is about. */
export interface Subject {
  collection: CollectionName;
  entity: string;
  objectType?: string;
}

export function subjectOf(trigger: Trigger): Subject {
  const entity = 'event' in trigger ? trigger.event.split('.')[0] : trigger.entity;
  return { collection: ENTITY_COLLECTIONS[entity], entity, ...(trigger.objectType ? { objectType: trigger.objectType } : {}) };
}

/** What a field check knows about the workspace: custom fields per entity, object types. */
export class FieldCatalog {
  private readonly custom = new Map<string, Promise<FieldDefinition[]>>();
  private types: Promise<string[]> | null = null;
  constructor(private readonly reader: SqlRecordReader) {}
  static of(db: Db, ctx: Ctx): FieldCatalog {
    return new FieldCatalog(new SqlRecordReader(db, ctx.workspaceId));
  }
  customFields(subject: Subject): Promise<FieldDefinition[]> {
    const key = subject.collection === 'records' ? (subject.objectType ?? '') : subject.collection;
    let found = this.custom.get(key);
    if (!found) this.custom.set(key, (found = this.reader.customFields(key)));
    return found;
  }
  objectTypes(): Promise<string[]> {
    this.types ??= this.reader.objectTypes().then((types) => types.filter((t) => t.archivedAt === null).map((t) => t.key));
    return this.types;
  }
}

/** How a condition compares a field of the subject (null: no such field, or not comparable). */
export function kindOf(subject: Subject, field: string, custom: FieldDefinition[]): ConditionKind | null {
  const info = COLLECTIONS[subject.collection];
  if (field.startsWith('custom.')) {
    const def = custom.find((d) => d.key === field.slice('custom.'.length));
    return def ? customKind(def.type) : null;
  }
  if (!(field in info.record.shape)) return null;
  if (field === 'labels') return info.jsonFields.includes('labels') ? 'labels' : null;
  return standardKind(subject.collection, field);
}

/** The fields a step may write on a record of the subject (its update schema's, custom.<key>). */
function writable(subject: Subject, field: string, custom: FieldDefinition[]): boolean {
  if (field.startsWith('custom.')) return custom.some((d) => d.key === field.slice('custom.'.length) && d.archivedAt === null);
  const update = COLLECTIONS[subject.collection].update;
  return update !== null && field in update.shape && field !== 'custom' && field !== 'id';
}

function fieldNames(subject: Subject, custom: FieldDefinition[]): string {
  const info = COLLECTIONS[subject.collection];
  const standard = Object.keys(info.record.shape).filter((k) => !['workspaceId', 'custom', 'version'].includes(k));
  return [...standard, ...custom.map((d) => `custom.${d.key}`)].join(', ');
}

/** Reference fields of a collection by the name a placeholder follows them with: organizationId → organization. */
export function referenceNames(collection: CollectionName): Record<string, CollectionName> {
  return Object.fromEntries(Object.entries(COLLECTIONS[collection].references).map(([field, target]) => [field.replace(/Id$/, ''), target]));
}

function timeZoneOk(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks an automation and answers it normalized (URLs as checked), or throws a ValidationError
 * naming every problem: unknown fields, operators a field does not take, unknown step types,
 * placeholders naming fields that do not exist, private URLs (unless allowed).
 */
export async function checkAutomation(db: Db, ctx: Ctx, input: z.infer<typeof AutomationCreate>, policy: TargetPolicy): Promise<AutomationDefinition> {
  const errors: FieldError[] = [];
  const fail = (path: string, message: string) => errors.push({ path, message });
  const catalog = FieldCatalog.of(db, ctx);

  // ------------------------------------------------------------ trigger
  let trigger: Trigger | null = null;
  const isSchedule = 'schedule' in input.trigger;
  const parsedTrigger = (isSchedule ? ScheduleTrigger : EventTrigger).safeParse(input.trigger);
  if (!parsedTrigger.success) errors.push(...zodErrors(parsedTrigger.error, 'trigger'));
  else {
    trigger = parsedTrigger.data as Trigger;
    if ('event' in trigger) {
      const entity = trigger.event.split('.')[0];
      const known = EVENT_TYPES.includes(trigger.event) || (trigger.event.endsWith('.*') && ENTITY_COLLECTIONS[entity] && EVENT_TYPES.some((t: string) => t.startsWith(`${entity}.`)));
      if (!known || !ENTITY_COLLECTIONS[entity]) {
        fail('trigger.event', `unknown event type '${trigger.event}' (e.g. deal.won, deal.updated, person.created, deal.*)`);
        trigger = null;
      }
    } else {
      if (!ENTITY_COLLECTIONS[trigger.entity]) {
        fail('trigger.entity', `unknown entity '${trigger.entity}': one of ${AUTOMATION_ENTITIES.join(', ')}`);
        trigger = null;
      } else if (trigger.timeZone !== undefined && !timeZoneOk(trigger.timeZone)) {
        fail('trigger.timeZone', `unknown time zone '${trigger.timeZone}' (an IANA name such as Europe/Berlin)`);
        trigger = null;
      }
    }
    if (trigger) {
      const subject = subjectOf(trigger);
      if (subject.collection === 'records' && !trigger.objectType) {
        fail('trigger.objectType', 'custom object records: name the object type key');
        trigger = null;
      } else if (trigger.objectType !== undefined && subject.collection !== 'records') {
        fail('trigger.objectType', 'only for custom object records (record.* events, entity record)');
        trigger = null;
      } else if (trigger.objectType !== undefined && !(await catalog.objectTypes()).includes(trigger.objectType)) {
        fail('trigger.objectType', `unknown object type '${trigger.objectType}'`);
        trigger = null;
      }
    }
  }
  if (!trigger) throw new ValidationError(errors); // the rest is checked against the trigger's entity
  const subject = subjectOf(trigger);
  const custom = await catalog.customFields(subject);

  // ------------------------------------------------------------ conditions
  const conditions: Condition[] = [];
  (input.conditions ?? []).forEach((raw, i) => {
    const at = `conditions.${i}`;
    if ('changed' in raw) {
      const parsed = z.strictObject({ changed: z.array(z.string().max(100)).min(1, 'name at least one field').max(50) }).safeParse(raw);
      if (!parsed.success) return void errors.push(...zodErrors(parsed.error, at));
      if (isSchedule) return void fail(`${at}.changed`, 'changed applies to record events only (a schedule looks at records, not changes)');
      parsed.data.changed.forEach((f, j) => {
        if (!(f in COLLECTIONS[subject.collection].record.shape) && !custom.some((d) => `custom.${d.key}` === f)) fail(`${at}.changed.${j}`, `unknown field '${f}' of ${subject.entity}`);
      });
      conditions.push(parsed.data);
      return;
    }
    const parsed = z.strictObject({ field: z.string().min(1).max(100), op: z.string().max(20).optional(), value: z.json().optional() }).safeParse(raw);
    if (!parsed.success) return void errors.push(...zodErrors(parsed.error, at));
    const condition = parsed.data as FieldCondition;
    const kind = kindOf(subject, condition.field, custom);
    if (!kind) return void fail(`${at}.field`, `unknown field '${condition.field}' of ${subject.entity}; the fields are ${fieldNames(subject, custom)}`);
    const problem = conditionProblem(condition, kind);
    if (problem) return void fail(`${at}.${problem[0]}`, problem[1]);
    // a standard enum's values (a deal's status, an activity's type)
    if (kind === 'enum' && !condition.field.startsWith('custom.') && (condition.op ?? 'eq') !== 'empty') {
      let s = COLLECTIONS[subject.collection].record.shape[condition.field] as z.ZodType;
      while (s instanceof z.ZodNullable || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
      const options = s instanceof z.ZodEnum ? (s.options as string[]) : null;
      const values = Array.isArray(condition.value) ? condition.value : [condition.value];
      const bad = options && values.find((v: unknown) => v !== null && !options.includes(String(v)));
      if (bad !== undefined && bad !== null && options) return void fail(`${at}.value`, `must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}`);
    }
    conditions.push(condition);
  });

  // ------------------------------------------------------------ steps
  const steps: Step[] = [];
  let httpBefore = false;
  for (const [i, raw] of input.steps.entries()) {
    const at = `steps.${i}`;
    const kind = raw.type;
    if (typeof kind !== 'string' || !(STEP_TYPES as readonly string[]).includes(kind)) {
      fail(`${at}.type`, `unknown step type ${JSON.stringify(kind ?? null)}: one of ${STEP_TYPES.join(', ')}`);
      continue;
    }
    const parsed = STEP_SCHEMAS[kind as StepType].safeParse(raw);
    if (!parsed.success) {
      errors.push(...zodErrors(parsed.error, at));
      continue;
    }
    const step = parsed.data as Step;
    const before = errors.length;
    await checkStep(step, at, { subject, custom, catalog, db, ctx, policy, fail });
    // placeholders: known roots and fields; {{response.…}} only after an http_request step
    for (const p of placeholders(step, at)) {
      const problem = placeholderProblem(p.path, (root, rest) => placeholderKnown(subject, custom, root, rest, httpBefore));
      if (problem) fail(p.at, problem);
    }
    if (step.type === 'http_request') httpBefore = true;
    if (errors.length === before) steps.push(step.type === 'http_request' ? { ...step, method: step.method ?? 'POST' } : step);
  }
  if (errors.length > 0) throw new ValidationError(errors);
  return { name: input.name, active: input.active ?? true, trigger, conditions, steps };
}

interface StepCheck {
  subject: Subject;
  custom: FieldDefinition[];
  catalog: FieldCatalog;
  db: Db;
  ctx: Ctx;
  policy: TargetPolicy;
  fail(path: string, message: string): void;
}

const LINKED: Partial<Record<CollectionName, string>> = { deals: 'dealId', people: 'personId', organizations: 'organizationId' };
/** The reference field an activity created for a record of the collection links it with. */
export const activityLink = (collection: CollectionName) => LINKED[collection];

async function checkStep(step: Step, at: string, c: StepCheck): Promise<void> {
  const { subject, custom, fail } = c;
  const entity = subject.objectType ?? subject.entity;
  switch (step.type) {
    case 'set_field': {
      if (!writable(subject, step.field, custom)) return void fail(`${at}.field`, `'${step.field}' is not a field a step can set on ${entity}`);
      // a value without placeholders is checked now as the record's update would check it
      const update = COLLECTIONS[subject.collection].update;
      if (JSON.stringify(step.value).includes('{{')) return;
      if (step.field.startsWith('custom.')) {
        // the custom fields' own rules (shared/customFields.ts), a reference's target included
        const key = step.field.slice('custom.'.length);
        try {
          await applyCustom(entity, custom, { [key]: step.value }, {}, referenceCheck(new SqlRecordReader(c.db, c.ctx.workspaceId)));
        } catch (error) {
          if (!(error instanceof CustomValueError)) throw error;
          for (const e of error.errors) fail(`${at}.value${e.path.slice(step.field.length)}`, e.message);
        }
      } else if (update) {
        const parsed = (update.shape[step.field] as z.ZodType).safeParse(step.value);
        if (!parsed.success) fail(`${at}.value`, parsed.error.issues[0]?.message ?? 'is not a value of this field');
      }
      return;
    }
    case 'add_label':
    case 'remove_label':
      if (!COLLECTIONS[subject.collection].jsonFields.includes('labels')) fail(`${at}.type`, `${entity} records have no labels`);
      return;
    case 'create_activity':
      if (!activityLink(subject.collection)) fail(`${at}.type`, `an activity concerns a deal, person or organization; this automation is about ${entity} records`);
      return;
    case 'move_stage':
      if (subject.collection !== 'deals') fail(`${at}.type`, `only deals have stages; this automation is about ${entity} records`);
      else if (step.stageId) {
        const stage = await new SqlRecordReader(c.db, c.ctx.workspaceId).find('stages', step.stageId);
        if (!stage) fail(`${at}.stageId`, `no stage ${step.stageId} in this workspace`);
      }
      return;
    case 'create_record': {
      const target = ENTITY_COLLECTIONS[step.entity];
      if (target && target !== 'records') {
        const create = COLLECTIONS[target].create;
        if (!create) return void fail(`${at}.entity`, `${step.entity} records cannot be created`);
        for (const key of Object.keys(step.values)) if (!(key in create.shape)) fail(`${at}.values.${key}`, `unknown field '${key}' of ${step.entity}`);
        return;
      }
      if (!(await c.catalog.objectTypes()).includes(step.entity))
        fail(`${at}.entity`, `unknown entity '${step.entity}': one of ${AUTOMATION_ENTITIES.filter((e) => e !== 'record').join(', ')} or a custom object type key`);
      return;
    }
    case 'send_webhook': {
      const endpoint = await c.db.selectFrom('webhookEndpoints').select('id').where('workspaceId', '=', c.ctx.workspaceId).where('id', '=', step.endpointId).executeTakeFirst();
      if (!endpoint) fail(`${at}.endpointId`, `no webhook endpoint ${step.endpointId} in this workspace (GET /crm/webhooks lists them)`);
      return;
    }
    case 'http_request':
      for (const name of Object.keys(step.headers ?? {})) if (FIXED_HEADERS.has(name.toLowerCase())) fail(`${at}.headers.${name}`, 'is set by Kith for every request (the body is JSON)');
      try {
        // placeholders in the URL are values of the run: check the URL with stand-ins (again at the run, resolved)
        checkTargetUrl(step.url.replace(/\{\{[^}]*\}\}/g, 'x'), c.policy, `${at}.url`);
      } catch (error) {
        for (const e of (error as ValidationError).errors ?? [{ path: `${at}.url`, message: (error as Error).message }]) fail(e.path, e.message);
      }
      if (step.saveResponse && !writable(subject, step.saveResponse.field, custom)) fail(`${at}.saveResponse.field`, `'${step.saveResponse.field}' is not a field a step can set on ${entity}`);
      return;
  }
}

/** Whether a placeholder names something that exists: a field of the record (or of a record it references), the event, a secret, an earlier response. */
function placeholderKnown(subject: Subject, custom: FieldDefinition[], root: string, rest: string[], httpBefore: boolean): boolean {
  if (root === 'secret') return rest.length === 1 && SECRET_NAME.test(rest[0]);
  if (root === 'event') return rest.length === 1 && ['id', 'type', 'occurredAt', 'changedFields'].includes(rest[0]);
  if (root === 'response') return httpBefore;
  const shape = COLLECTIONS[subject.collection].record.shape;
  const [first, second] = rest;
  if (first === 'custom') return rest.length === 2 && custom.some((d) => d.key === second);
  if (first in shape) return rest.length === 1;
  const target = referenceNames(subject.collection)[first];
  if (!target) return false;
  if (rest.length === 1) return true;
  return rest.length === 2 ? second in COLLECTIONS[target].record.shape : second === 'custom';
}
