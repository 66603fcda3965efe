/**
 * The one set of schemas for Kith's data: records (what the server stores and returns),
 * request bodies (what clients may send) and list queries. Server validation, OpenAPI, MCP tool
 * schemas and the client's RxDB schemas are all derived from these.
 *
 * Text is trimmed by the schemas; the domain turns empty optional text into null.
 * Request schemas are strict: unknown fields are rejected.
 */
import { z } from 'zod';
import { MAX_AMOUNT, decimalPlaces } from './money.js';

// ---------------------------------------------------------------- primitives

export const Id = z.uuid({ error: 'must be a UUID' }).describe('Record id (UUID, usually v7)');
export const IsoDateTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-01-31T14:00:00Z' });

const KNOWN_CURRENCIES: Set<string> | null = (() => {
  try {
    const list = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('currency');
    return list && list.length > 0 ? new Set(list) : null;
  } catch {
    return null;
  }
})();

export function isCurrencyCode(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && (KNOWN_CURRENCIES === null || KNOWN_CURRENCIES.has(code));
}

export const Currency = z.string().trim().toUpperCase().refine(isCurrencyCode, { error: 'must be an ISO 4217 currency code, e.g. USD or EUR' }).describe('ISO 4217 currency code');

function isCalendarDate(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

export const CalendarDate = z.string().trim().refine(isCalendarDate, { error: 'must be a calendar date YYYY-MM-DD' }).describe('Date as YYYY-MM-DD');

/** Length in Unicode code points, as JSON Schema's maxLength counts (String.length counts UTF-16 units: an emoji is 2). */
export function codePoints(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/** A string of at most `max` code points (an emoji counts 1, as JSON Schema and the OpenAPI document count). */
export const maxChars = <S extends z.ZodString>(schema: S, max: number) => schema.refine((v) => codePoints(v) <= max, { error: `must be at most ${max} characters` }).meta({ maxLength: max });

/** JSON Schema of the 4-decimal rule: multipleOf (validated exactly by decimalPlaces, which a float multipleOf check is not). */
const FOUR_DECIMALS = { multipleOf: 0.0001 };

export const Probability = z
  .number({ error: 'must be a number between 0 and 1' })
  .min(0, { error: 'must be between 0 and 1' })
  .max(1, { error: 'must be between 0 and 1' })
  .refine((v) => decimalPlaces(v) <= 4, { error: 'must have at most 4 decimal places' })
  .meta(FOUR_DECIMALS)
  .describe('Probability 0–1');

export const Amount = z
  .number({ error: 'must be a number' })
  .min(0, { error: 'must be 0 or more' })
  .max(MAX_AMOUNT, { error: `must be at most ${MAX_AMOUNT}` })
  .refine((v) => decimalPlaces(v) <= 4, { error: 'must have at most 4 decimal places' })
  .meta(FOUR_DECIMALS)
  .describe('Amount in the deal currency (decimal, ≥ 0, at most 4 decimal places)');

export const requiredText = (max: number) =>
  maxChars(
    z
      .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
      .trim()
      .min(1, { error: 'must not be empty' }),
    max,
  );
const optionalText = (max: number) => maxChars(z.string().trim(), max).nullable();

export const Label = maxChars(z.string().trim().min(1, { error: 'must not be empty' }), 64);
export const Labels = z.array(Label).max(50, { error: 'at most 50 labels' }).describe('Free-text labels');
export const Custom = z.record(z.string(), z.unknown()).describe('Values of the workspace custom fields');

export const ROLES = ['OWNER', 'MEMBER', 'VIEWER'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;
export const PLATFORM_ROLES = ['USER', 'ADMIN'] as const;

export const DEAL_STATUSES = ['open', 'won', 'lost'] as const;
export const VALUE_PERIODS = ['one_time', 'monthly', 'quarterly', 'annual'] as const;
export const ACTIVITY_TYPES = ['note', 'call', 'email', 'meeting', 'follow_up'] as const;
export const AUDIT_ACTIONS = ['create', 'update', 'archive', 'restore', 'delete', 'merge', 'conflict', 'rejected'] as const;
export const SOURCES = ['rest', 'mcp', 'sync', 'cli', 'system', 'automation'] as const;
export type Source = (typeof SOURCES)[number];
/**
 * The sources a replicated stage change names: released clients' schemas know these; a stage move
 * by an automation is `system` there (its audit entry says `automation`).
 */
export const RECORD_SOURCES = ['rest', 'mcp', 'sync', 'cli', 'system'] as const;

/** Custom field types (SPEC §2) and the pattern of a custom field or object type key; the values' rules are in customFields.ts. */
export const FIELD_TYPES = ['text', 'long_text', 'number', 'money', 'date', 'datetime', 'boolean', 'select', 'multi_select', 'url', 'email', 'phone', 'reference'] as const;
export const FIELD_KEY = /^[a-z][a-z0-9_]{0,62}$/;

export const DealStatus = z.enum(DEAL_STATUSES);
export const ValuePeriod = z.enum(VALUE_PERIODS);
export const ActivityType = z.enum(ACTIVITY_TYPES);

// ---------------------------------------------------------------- records

export const recordBase = {
  id: Id,
  workspaceId: z.string(),
  createdAt: z.string().describe('Server time of creation (ISO 8601)'),
  updatedAt: z.string().describe('Server time of the last write (ISO 8601)'),
  version: z.number().int().describe('Server change sequence of the last write'),
  archivedAt: z.string().nullable(),
};
const withCustom = { custom: Custom };
/**
 * Computed fields (SPEC §2): kept current by the server in the transaction of the write that
 * changes them (server/domain/records/computed.ts); read-only (no create or update schema has them,
 * a sync push's value is ignored). See docs/custom-fields.md "Computed fields".
 */
const activityComputed = {
  lastActivityAt: z
    .string()
    .nullable()
    .describe("Computed: when the latest activity of the record happened (its own, and for organizations and people their deals'); open follow-ups do not count, done ones count at completion"),
  nextFollowUpAt: z.string().nullable().describe("Computed: the due time of the earliest open follow-up of the record (its own, and its deals' for organizations and people)"),
};

export const OrganizationRecord = z.object({
  ...recordBase,
  name: z.string(),
  website: z.string().nullable(),
  domain: z.string().nullable().describe('Derived from website, lower-case, without www.'),
  notes: z.string().nullable(),
  labels: z.array(z.string()),
  ownerId: z.string().nullable(),
  ...activityComputed,
  ...withCustom,
});

export const PersonRecord = z.object({
  ...recordBase,
  name: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  title: z.string().nullable(),
  organizationId: z.string().nullable(),
  notes: z.string().nullable(),
  labels: z.array(z.string()),
  ownerId: z.string().nullable(),
  ...activityComputed,
  ...withCustom,
});

export const PipelineRecord = z.object({
  ...recordBase,
  name: z.string(),
  isDefault: z.boolean(),
  position: z.number().int(),
  ...withCustom,
});

export const StageRecord = z.object({
  ...recordBase,
  pipelineId: z.string(),
  name: z.string(),
  position: z.number().int(),
  probability: z.number().nullable(),
  ...withCustom,
});

export const DealRecord = z.object({
  ...recordBase,
  title: z.string(),
  organizationId: z.string().nullable(),
  primaryPersonId: z.string().nullable(),
  pipelineId: z.string(),
  stageId: z.string(),
  amount: z.number().nullable(),
  currency: z.string(),
  valuePeriod: ValuePeriod,
  probability: z.number().nullable(),
  expectedCloseDate: z.string().nullable(),
  status: DealStatus,
  wonAt: z.string().nullable(),
  lostAt: z.string().nullable(),
  lostReason: z.string().nullable(),
  linkedProjectId: z.string().nullable(),
  notes: z.string().nullable(),
  labels: z.array(z.string()),
  ownerId: z.string().nullable(),
  ...activityComputed,
  stageEnteredAt: z.string().nullable().describe('Computed: when the deal entered its current stage (created in it, or its last stage move)'),
  ...withCustom,
});

export const DealContactRecord = z.object({
  ...recordBase,
  dealId: z.string(),
  personId: z.string(),
  role: z.string().nullable(),
  ...withCustom,
});

export const StageChangeRecord = z.object({
  ...recordBase,
  dealId: z.string(),
  pipelineId: z.string(),
  fromStageId: z.string().nullable(),
  toStageId: z.string(),
  amount: z.number().nullable(),
  currency: z.string(),
  changedAt: z.string(),
  actorId: z.string().nullable().describe('User who moved the deal'),
  source: z.enum(RECORD_SOURCES),
});

export const ActivityRecord = z.object({
  ...recordBase,
  type: ActivityType,
  subject: z.string().nullable(),
  body: z.string().nullable(),
  organizationId: z.string().nullable(),
  personId: z.string().nullable(),
  dealId: z.string().nullable(),
  actorId: z.string().nullable(),
  occurredAt: z.string(),
  dueAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  linkedTaskId: z.string().nullable(),
  ...withCustom,
});

export const AuditEntryRecord = z.object({
  id: z.string(),
  workspaceId: z.string(),
  seq: z.number().int(),
  entityType: z.string(),
  entityId: z.string(),
  action: z.enum(AUDIT_ACTIONS),
  before: z.record(z.string(), z.unknown()).nullable(),
  after: z.record(z.string(), z.unknown()).nullable(),
  changedFields: z.array(z.string()),
  detail: z.record(z.string(), z.unknown()).nullable().describe('Conflict losing values or the rejection reason'),
  actorUserId: z.string().nullable(),
  actorKeyId: z.string().nullable(),
  source: z.enum(SOURCES),
  at: z.string(),
});

export const FieldType = z.enum(FIELD_TYPES);
const FieldOptionRecord = z.object({ value: z.string(), label: z.string(), color: z.string().nullable() });

export const FieldRecord = z.object({
  ...recordBase,
  entity: z.string().describe('The collection the field belongs to: organizations, people, deals, activities'),
  key: z.string().describe("Key of the value in the records' custom object"),
  label: z.string(),
  type: FieldType,
  options: z.array(FieldOptionRecord).describe('Options of select and multi_select fields'),
  referenceTo: z.string().nullable().describe('Entity a reference field points to'),
  required: z.boolean(),
  position: z.number().int(),
});

export const ObjectTypeRecord = z.object({
  ...recordBase,
  key: z.string().describe('The type of its records, e.g. project'),
  singular: z.string(),
  plural: z.string(),
  icon: z.string().nullable(),
  primaryField: z.string().describe('The record field shown as its name'),
});

/** A record of a custom object type: the common fields, its type, a name, labels, an owner and the type's custom fields. */
export const CustomRecord = z.object({
  ...recordBase,
  type: z.string().describe('Key of its object type'),
  name: z.string(),
  labels: z.array(z.string()),
  ownerId: z.string().nullable(),
  ...withCustom,
});

export type OrganizationRecord = z.infer<typeof OrganizationRecord>;
export type PersonRecord = z.infer<typeof PersonRecord>;
export type PipelineRecord = z.infer<typeof PipelineRecord>;
export type StageRecord = z.infer<typeof StageRecord>;
export type DealRecord = z.infer<typeof DealRecord>;
export type DealContactRecord = z.infer<typeof DealContactRecord>;
export type StageChangeRecord = z.infer<typeof StageChangeRecord>;
export type ActivityRecord = z.infer<typeof ActivityRecord>;
export type AuditEntryRecord = z.infer<typeof AuditEntryRecord>;
export type FieldRecord = z.infer<typeof FieldRecord>;

// ---------------------------------------------------------------- request bodies

const clientId = { id: Id.optional().describe('Client-chosen id (UUIDv7). Repeating the same create is a no-op.') };

export const OrganizationCreate = z.strictObject({
  ...clientId,
  name: requiredText(200).describe('Organization name'),
  website: optionalText(500).optional().describe('Website URL; the domain is derived from it'),
  notes: optionalText(20000).optional(),
  labels: Labels.optional(),
  ownerId: Id.nullable().optional().describe('User id of the owner'),
  custom: Custom.optional(),
});
export const OrganizationUpdate = OrganizationCreate.omit({ id: true }).partial();

export const PersonCreate = z.strictObject({
  ...clientId,
  name: requiredText(200).describe('Full name'),
  // trim and lower-case first, then check the format (z.email() would check before trimming)
  email: z
    .string()
    .trim()
    .toLowerCase()
    .email({ error: 'must be an email address' })
    .max(320, { error: 'must be at most 320 characters' })
    .nullable()
    .optional()
    .or(
      z
        .string()
        .trim()
        .max(0)
        .transform(() => null),
    ),
  phone: optionalText(64).optional(),
  title: optionalText(200).optional().describe('Job title / role'),
  organizationId: Id.nullable().optional().describe('Organization the person works for'),
  notes: optionalText(20000).optional(),
  labels: Labels.optional(),
  ownerId: Id.nullable().optional(),
  custom: Custom.optional(),
});
export const PersonUpdate = PersonCreate.omit({ id: true }).partial();

export const PipelineCreate = z.strictObject({
  ...clientId,
  name: requiredText(200),
  isDefault: z.boolean().optional().describe('Make this the workspace default pipeline'),
  position: z.number().int().min(0).optional(),
  stages: z
    .array(z.strictObject({ name: requiredText(100), probability: Probability.nullable().optional() }))
    .max(50)
    .optional()
    .describe('Initial stages, in order'),
  custom: Custom.optional(),
});
export const PipelineUpdate = PipelineCreate.omit({ id: true, stages: true }).partial();

export const StageCreate = z.strictObject({
  ...clientId,
  name: requiredText(100),
  position: z.number().int().min(0).optional().describe('0-based position; defaults to the end'),
  probability: Probability.nullable().optional().describe('Default win probability for deals in this stage'),
  custom: Custom.optional(),
});
export const StageUpdate = StageCreate.omit({ id: true }).partial();
export const StageOrder = z.strictObject({
  stageIds: z.array(Id).min(1).describe('Every stage id of the pipeline, in the new order'),
});

export const DealCreate = z.strictObject({
  ...clientId,
  title: requiredText(300),
  organizationId: Id.nullable().optional(),
  primaryPersonId: Id.nullable().optional(),
  pipelineId: Id.optional().describe('Defaults to the pipeline of stageId, else the default pipeline'),
  stageId: Id.optional().describe('Defaults to the first stage of the pipeline'),
  amount: Amount.nullable().optional(),
  currency: Currency.optional().describe('Defaults to the workspace currency'),
  valuePeriod: ValuePeriod.optional(),
  probability: Probability.nullable().optional().describe('Overrides the stage probability'),
  expectedCloseDate: CalendarDate.nullable().optional(),
  status: DealStatus.optional(),
  lostReason: optionalText(1000).optional(),
  linkedProjectId: optionalText(200).optional(),
  notes: optionalText(20000).optional(),
  labels: Labels.optional(),
  ownerId: Id.nullable().optional(),
  custom: Custom.optional(),
});
export const DealUpdate = DealCreate.omit({ id: true }).partial();

export const DealContactCreate = z.strictObject({
  ...clientId,
  personId: Id,
  role: optionalText(100).optional().describe('e.g. decision-maker, champion, end-user'),
});

export const ActivityCreate = z.strictObject({
  ...clientId,
  type: ActivityType,
  subject: optionalText(500).optional(),
  body: optionalText(50000).optional(),
  organizationId: Id.nullable().optional(),
  personId: Id.nullable().optional(),
  dealId: Id.nullable().optional(),
  occurredAt: IsoDateTime.optional().describe('When it happened; defaults to now'),
  dueAt: IsoDateTime.nullable().optional().describe('For follow-ups: when it is due'),
  completedAt: IsoDateTime.nullable().optional(),
  linkedTaskId: optionalText(200).optional(),
  custom: Custom.optional(),
});
export const ActivityUpdate = ActivityCreate.omit({ id: true, type: true })
  .partial()
  .extend({
    completed: z.boolean().optional().describe('Shortcut: true sets completedAt to now, false clears it'),
  });

const FieldOption = z.strictObject({
  value: maxChars(z.string({ error: 'must be a string' }).trim().min(1, { error: 'must not be empty' }), 100).describe('Stored value'),
  label: maxChars(z.string().trim().min(1, { error: 'must not be empty' }), 100)
    .optional()
    .describe('Shown name (defaults to the value)'),
  color: z
    .string()
    .trim()
    .regex(/^[a-z]+$|^#[0-9a-fA-F]{6}$/, { error: 'must be a color name (e.g. blue) or #rrggbb' })
    .nullable()
    .optional(),
});
const FieldOptions = z.array(FieldOption).max(200, { error: 'at most 200 options' }).describe('select / multi_select: the options {value, label, color}');

export const FieldCreate = z.strictObject({
  ...clientId,
  entity: z.string({ error: 'must be one of organizations, people, deals, activities' }).trim().describe('organizations, people, deals or activities (singular accepted)'),
  key: z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .regex(FIELD_KEY, { error: 'must match [a-z][a-z0-9_]{0,62}: a lower-case letter, then letters, digits or _' })
    .describe('Immutable key of the value in custom, e.g. tier'),
  label: requiredText(100),
  type: z.enum(FIELD_TYPES, { error: `must be one of ${FIELD_TYPES.join(', ')}` }),
  options: FieldOptions.optional(),
  referenceTo: z.string().trim().nullable().optional().describe('reference: the entity it points to'),
  required: z.boolean().optional().describe('Writes that create a record or touch the field must give a value'),
  position: z.number().int().min(0).max(1_000_000).optional().describe("Order among the entity's fields; defaults to the end"),
});
export const FieldUpdate = FieldCreate.omit({ id: true, entity: true, key: true }).partial();

export const ObjectTypeCreate = z.strictObject({
  ...clientId,
  key: z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .regex(FIELD_KEY, { error: 'must match [a-z][a-z0-9_]{0,62}: a lower-case letter, then letters, digits or _' })
    .describe('Immutable type key, e.g. project'),
  singular: requiredText(100).describe('e.g. Project'),
  plural: requiredText(100).describe('e.g. Projects'),
  icon: optionalText(64).optional(),
});
export const ObjectTypeUpdate = ObjectTypeCreate.omit({ id: true, key: true }).partial();

export const CustomRecordCreate = z.strictObject({
  ...clientId,
  type: z.string({ error: 'is required' }).regex(FIELD_KEY, { error: 'must be an object type key' }),
  name: requiredText(300),
  labels: Labels.optional(),
  ownerId: Id.nullable().optional(),
  custom: Custom.optional(),
});
export const CustomRecordUpdate = CustomRecordCreate.omit({ id: true, type: true }).partial();

// ---------------------------------------------------------------- lists

export const ArchivedFilter = z.enum(['false', 'true', 'all']);
