/**
 * The one MCP tool catalogue (SPEC §4), defined over the domain services. The hosted /mcp
 * endpoint and the stdio `kith-mcp` both serve exactly these tools (see ./server.ts).
 *
 * Each tool: a description written for a model, a zod input schema, an output schema (the
 * result is returned as structuredContent and as the same JSON in a text block), honest
 * annotations, and the role it needs. Handlers only call the domain services.
 */
import { z } from 'zod';
import { COLLECTIONS, type CollectionName } from '../../shared/collections.js';
import {
  ACTIVITY_TYPES,
  ActivityCreate,
  AUDIT_ACTIONS,
  DealContactCreate,
  DealCreate,
  DealUpdate,
  DEAL_STATUSES,
  Id,
  IsoDateTime,
  OrganizationCreate,
  OrganizationUpdate,
  PersonCreate,
  PersonUpdate,
  PipelineCreate,
  PipelineUpdate,
  Probability,
  StageCreate,
  type Role,
} from '../../shared/schemas.js';
import { featureEnabled, requireWrite, type Ctx } from '../domain/context.js';
import { DomainError, invalid } from '../domain/errors.js';
import type { Services } from '../domain/services.js';
import { CRM_VERSION } from '../../shared/version.js';
import type { AnyRecord } from '../domain/reads.js';
import { pipelineFrom, recordByName, resolveNamedRefs, stageByName } from './names.js';
import {
  ActivityCompact,
  ActivityOut,
  AuditCompact,
  compactActivities,
  compactAudit,
  compactDeals,
  compactOrganizations,
  compactPeople,
  DealCompact,
  DealContactOut,
  dealOut,
  DealOut,
  OrganizationCompact,
  OrganizationOut,
  page,
  PersonCompact,
  PersonOut,
  PipelineCompact,
  PipelineOut,
  pipelinesWithStages,
  StageOut,
} from './shapes.js';

export type ToolResult = Record<string, unknown>;

export interface ToolDef {
  name: string;
  title: string;
  description: string;
  input: z.ZodObject;
  output: z.ZodObject;
  /** null: a read tool. Otherwise the least role that may call it (read-only keys never). */
  writeRole: Role | null;
  /** For write tools: may change or remove existing data (vs. only adding). */
  destructive?: boolean;
  /** Repeating the same call has no further effect. */
  idempotent?: boolean;
  /** Listed and callable even while crm.core is disabled. */
  ungated?: boolean;
  run(services: Services, ctx: Ctx, args: any): Promise<ToolResult>;
}

export const ID_HINT = 'Ids are UUID strings such as 0192f1c4-7b3a-7c2e-9f10-3d5e8a1b2c4d; take them from list, search or create results.';

// ---------------------------------------------------------------- shared input pieces

const recordId = (what: string) => Id.describe(`Id of the ${what} (UUID)`);
const nameRef = (what: string, idField: string) =>
  z.string().trim().min(1, { error: 'must not be empty' }).max(300).optional().describe(`The ${what} by exact name (case-insensitive), instead of ${idField}; must match exactly one`);
const ifVersion = z.number().int().optional().describe('Only update if the record still has this version (from a previous read); otherwise the call fails and nothing changes');

const ARCHIVED = { exclude: 'false', only: 'true', include: 'all' } as const;

function listInput(collection: CollectionName, extra: z.ZodRawShape = {}) {
  const info = COLLECTIONS[collection];
  const sortable = ['createdAt', 'updatedAt', ...info.sortFields];
  return z.strictObject({
    q: z
      .string()
      .trim()
      .max(200)
      .optional()
      .describe(`Text search in ${info.searchFields.join(', ')}`),
    ...extra,
    ...(info.jsonFields.includes('labels') ? { label: z.string().trim().min(1).optional().describe('Only records with this label') } : {}),
    updatedSince: IsoDateTime.optional().describe('Only records changed at or after this time (ISO 8601)'),
    archived: z.enum(['exclude', 'only', 'include']).optional().describe('Archived records: exclude (default), only, or include'),
    sort: z
      .enum(sortable.flatMap((f) => [f, `-${f}`]) as [string, ...string[]])
      .optional()
      .describe('Sort field; a leading - sorts descending. Default -createdAt (newest first)'),
    limit: z.number().int().min(1, { error: 'must be between 1 and 200' }).max(200, { error: 'must be between 1 and 200' }).optional().describe('Page size (default 25, at most 200)'),
    cursor: z.string().optional().describe('nextCursor of the previous page, to continue the same list'),
    full: z.boolean().optional().describe('Return full records instead of compact ones (default false)'),
  });
}

/** ListQuery for the record service from a tool's list arguments. */
function listQuery(args: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const query: Record<string, unknown> = { limit: args.limit ?? 25 };
  for (const key of ['q', 'label', 'updatedSince', 'sort', 'cursor', ...keys]) if (args[key] !== undefined) query[key] = args[key];
  if (args.archived !== undefined) query.archived = ARCHIVED[args.archived as keyof typeof ARCHIVED];
  return query;
}

const READ: Pick<ToolDef, 'writeRole'> = { writeRole: null };

/** "an organization", "a person". */
const an = (noun: string) => `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`;

// ---------------------------------------------------------------- per-entity tools

interface EntitySpec {
  collection: 'organizations' | 'people';
  noun: string;
  plural: string;
  what: string;
  create: z.ZodObject;
  update: z.ZodObject;
  out: z.ZodObject;
  compact: z.ZodObject;
  listExtra: z.ZodRawShape;
  listKeys: string[];
  refs: { nameField: string; idField: string; collection: 'organizations' }[];
  present(services: Services, ctx: Ctx, records: AnyRecord[], full: boolean): Promise<Record<string, unknown>[]>;
}

function entityTools(spec: EntitySpec): ToolDef[] {
  const { collection, noun, plural } = spec;
  const refExtra = Object.fromEntries(spec.refs.map((r) => [r.nameField, nameRef('organization', r.idField)]));
  return [
    {
      name: `crm.${noun}.list`,
      title: `List ${plural}`,
      description: `List ${plural} (${spec.what}), newest first, as compact records. Filter with q (text search), label and the other fields; page with limit and cursor (pass nextCursor back). Archived ${plural} are left out unless archived is "only" or "include". Use crm.${noun}.get or crm.context.${noun} for one ${noun} in full. ${ID_HINT}`,
      input: listInput(collection, spec.listExtra),
      output: page(spec.compact),
      ...READ,
      async run(services, ctx, args) {
        const result = await services.records.list(ctx, collection, listQuery(args, spec.listKeys));
        return { data: await spec.present(services, ctx, result.data, args.full === true), nextCursor: result.nextCursor };
      },
    },
    {
      name: `crm.${noun}.get`,
      title: `Get ${an(noun)}`,
      description: `Get one ${noun} by id, with every field. For the ${noun} together with related deals, people and activities use crm.context.${noun}. ${ID_HINT}`,
      input: z.strictObject({ id: recordId(noun) }),
      output: spec.out,
      ...READ,
      run: (services, ctx, args) => services.records.get(ctx, collection, args.id),
    },
    {
      name: `crm.${noun}.create`,
      title: `Create ${an(noun)}`,
      description: `Create ${an(noun)}. Only name is required. ${spec.refs.length ? 'Link an organization by organizationId or by its exact name (organization). ' : ''}Check first with crm.${noun}.list (q=…) or crm.search that the ${noun} does not exist yet. To make retries safe, pass your own id (a UUIDv7): repeating the same create then returns the existing record instead of a duplicate. Returns the new ${noun}.`,
      input: z.strictObject({ ...spec.create.shape, ...refExtra }),
      output: spec.out,
      writeRole: 'MEMBER',
      destructive: false,
      idempotent: false,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', `create ${plural}`);
        const input = await resolveNamedRefs(services, ctx, args, spec.refs);
        return (await services.records.create(ctx, collection, input)).record;
      },
    },
    {
      name: `crm.${noun}.update`,
      title: `Update ${an(noun)}`,
      description: `Change fields of ${an(noun)}: pass its id and only the fields to change (null clears an optional field; labels replaces the whole list). ${spec.refs.length ? 'The organization may be given by exact name (organization). ' : ''}Returns the updated ${noun}. ${ID_HINT}`,
      input: z.strictObject({ id: recordId(noun), ...spec.update.shape, ...refExtra, ifVersion }),
      output: spec.out,
      writeRole: 'MEMBER',
      destructive: true,
      idempotent: true,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', `change ${plural}`);
        const { id, ifVersion: version, ...rest } = await resolveNamedRefs(services, ctx, args, spec.refs);
        return services.records.update(ctx, collection, id as string, rest, { ifVersion: version as number | undefined });
      },
    },
    archiveTool(collection, noun, plural, spec.out, (_s, _c, r) => Promise.resolve(r)),
  ];
}

function archiveTool(
  collection: CollectionName,
  noun: string,
  plural: string,
  out: z.ZodObject,
  present: (services: Services, ctx: Ctx, record: AnyRecord) => Promise<Record<string, unknown>>,
): ToolDef {
  return {
    name: `crm.${noun}.archive`,
    title: `Archive or restore ${an(noun)}`,
    description: `Archive ${an(noun)} (it disappears from lists and the board but nothing is deleted), or restore an archived one with restore: true. Archiving an already archived ${noun} changes nothing. Returns the ${noun}. ${ID_HINT}`,
    input: z.strictObject({ id: recordId(noun), restore: z.boolean().optional().describe('true restores an archived record instead of archiving it') }),
    output: out,
    writeRole: 'MEMBER',
    destructive: true,
    idempotent: true,
    async run(services, ctx, args) {
      requireWrite(ctx, 'MEMBER', `${args.restore ? 'restore' : 'archive'} ${plural}`);
      return present(services, ctx, await services.records.setArchived(ctx, collection, args.id, args.restore !== true));
    },
  };
}

// ---------------------------------------------------------------- deals

const dealRefs = [
  { nameField: 'organization', idField: 'organizationId', collection: 'organizations' as const },
  { nameField: 'primaryPerson', idField: 'primaryPersonId', collection: 'people' as const },
];
const dealNameFields = {
  organization: nameRef('organization', 'organizationId'),
  primaryPerson: nameRef('primary contact person', 'primaryPersonId'),
  pipeline: nameRef('pipeline', 'pipelineId'),
  stage: z.string().trim().min(1, { error: 'must not be empty' }).max(100).optional().describe('The stage by name, e.g. "Proposal" (case-insensitive, in the deal\'s pipeline), instead of stageId'),
};

/** Resolves pipeline/stage names of a deal create or update into pipelineId/stageId. */
async function resolveDealStage(services: Services, ctx: Ctx, args: Record<string, unknown>, currentPipelineId: string | null): Promise<Record<string, unknown>> {
  const { stage, pipeline, ...rest } = args as Record<string, unknown> & { stage?: string; pipeline?: string };
  if (pipeline !== undefined || stage !== undefined) {
    const p = await pipelineFrom(services, ctx, { pipelineId: rest.pipelineId as string | undefined, pipeline }, currentPipelineId);
    if (pipeline !== undefined || rest.pipelineId !== undefined) rest.pipelineId = p.id;
    if (stage !== undefined) {
      const s = await stageByName(services, ctx, p.id, stage);
      if (rest.stageId !== undefined && rest.stageId !== s.id) throw invalid('stage', `'${stage}' is stage ${s.id}, but stageId is ${String(rest.stageId)}; pass only one of them`);
      rest.stageId = s.id;
    }
  }
  return rest;
}

function dealTools(): ToolDef[] {
  return [
    {
      name: 'crm.deal.list',
      title: 'List deals',
      description: `List deals, newest first, as compact records with stage, pipeline, organization and primary person names. Filter by status (open/won/lost), pipeline (pipelineId or name), stage (stageId or name), organizationId, personId (primary person), label or q (title search); page with limit and cursor. For totals per stage use crm.pipeline.summary. ${ID_HINT}`,
      input: listInput('deals', {
        status: z.enum(DEAL_STATUSES).optional().describe('open, won or lost'),
        pipelineId: Id.optional(),
        pipeline: nameRef('pipeline', 'pipelineId'),
        stageId: Id.optional(),
        stage: z.string().trim().min(1).max(100).optional().describe('Stage name (in the given pipeline, else the default pipeline), instead of stageId'),
        organizationId: Id.optional(),
        personId: Id.optional().describe('Only deals whose primary person is this person'),
      }),
      output: page(DealCompact),
      ...READ,
      async run(services, ctx, args) {
        const query = listQuery(args, ['status', 'stageId', 'organizationId']);
        if (args.pipelineId !== undefined || args.pipeline !== undefined || args.stage !== undefined) {
          const p = await pipelineFrom(services, ctx, { pipelineId: args.pipelineId, pipeline: args.pipeline });
          query.pipelineId = p.id;
          if (args.stage !== undefined) {
            const s = await stageByName(services, ctx, p.id, args.stage);
            if (args.stageId !== undefined && args.stageId !== s.id) throw invalid('stage', `'${args.stage}' is stage ${s.id}, but stageId is ${args.stageId}; pass only one of them`);
            query.stageId = s.id;
          }
        }
        const extra = args.personId ? { primaryPersonId: args.personId } : {};
        const result = await services.records.list(ctx, 'deals', query, extra);
        return { data: await compactDeals(services, ctx, result.data, args.full === true), nextCursor: result.nextCursor };
      },
    },
    {
      name: 'crm.deal.get',
      title: 'Get a deal',
      description: `Get one deal by id with every field plus its stage and pipeline names. For the deal with its organization, contacts, stage history and activities use crm.context.deal. ${ID_HINT}`,
      input: z.strictObject({ id: recordId('deal') }),
      output: DealOut,
      ...READ,
      run: async (services, ctx, args) => dealOut(services, ctx, await services.records.get(ctx, 'deals', args.id)),
    },
    {
      name: 'crm.deal.create',
      title: 'Create a deal',
      description: `Create a deal. Only title is required: it goes into the default pipeline's first stage unless you name a pipeline and/or stage (by id or by name, e.g. stage: "Qualified"). Link the organization and primary person by id or exact name. amount is a decimal number in currency (default: the workspace currency); status defaults to open. Pass your own id (UUIDv7) to make retries safe. Returns the deal with its stage name.`,
      input: z.strictObject({ ...DealCreate.shape, ...dealNameFields }),
      output: DealOut,
      writeRole: 'MEMBER',
      destructive: false,
      idempotent: false,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', 'create deals');
        let input = await resolveNamedRefs(services, ctx, args, dealRefs);
        input = await resolveDealStage(services, ctx, input, null);
        return dealOut(services, ctx, (await services.records.create(ctx, 'deals', input)).record);
      },
    },
    {
      name: 'crm.deal.update',
      title: 'Update a deal',
      description: `Change a deal: pass its id and only the fields to change. Move it to another stage with stage: "<stage name>" (resolved in the deal's pipeline, case-insensitive) or stageId; every move is recorded in the deal's stage history. Mark it won or lost with status (lostReason explains a loss); status open reopens it. null clears an optional field. Returns the updated deal with its stage name. ${ID_HINT}`,
      input: z.strictObject({ id: recordId('deal'), ...DealUpdate.shape, ...dealNameFields, ifVersion }),
      output: DealOut,
      writeRole: 'MEMBER',
      destructive: true,
      idempotent: true,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', 'change deals');
        const current = await services.records.get(ctx, 'deals', args.id);
        let input = await resolveNamedRefs(services, ctx, args, dealRefs);
        input = await resolveDealStage(services, ctx, input, current.pipelineId as string);
        const { id, ifVersion: version, ...patch } = input;
        return dealOut(services, ctx, await services.records.update(ctx, 'deals', id as string, patch, { ifVersion: version as number | undefined }));
      },
    },
    archiveTool('deals', 'deal', 'deals', DealOut, dealOut),
  ];
}

// ---------------------------------------------------------------- activities

function activityTools(): ToolDef[] {
  return [
    {
      name: 'crm.activity.list',
      title: 'List activities',
      description: `List activities (notes, calls, emails, meetings, follow-ups), newest first by default, as compact records with a body preview. Filter by organizationId, personId, dealId, type or q; sort by occurredAt or dueAt (e.g. sort "dueAt" with type "follow_up" for upcoming follow-ups). Page with limit and cursor. ${ID_HINT}`,
      input: listInput('activities', {
        type: z.enum(ACTIVITY_TYPES).optional(),
        organizationId: Id.optional(),
        personId: Id.optional(),
        dealId: Id.optional(),
      }),
      output: page(ActivityCompact),
      ...READ,
      async run(services, ctx, args) {
        const query = listQuery(args, ['type', 'organizationId', 'personId', 'dealId']);
        query.sort ??= '-occurredAt';
        const result = await services.records.list(ctx, 'activities', query);
        return { data: compactActivities(result.data, args.full === true), nextCursor: result.nextCursor };
      },
    },
    {
      name: 'crm.activity.add',
      title: 'Log an activity',
      description: `Log a note, call, email or meeting, or schedule a follow-up (type "follow_up" with dueAt), on an organization, person and/or deal — at least one; each may be given by id or by exact name/title (organization, person, deal). occurredAt defaults to now; times are ISO 8601 (e.g. 2026-03-01T14:00:00Z). Returns the activity.`,
      input: z.strictObject({
        ...ActivityCreate.shape,
        organization: nameRef('organization', 'organizationId'),
        person: nameRef('person', 'personId'),
        deal: nameRef('deal (by title)', 'dealId'),
      }),
      output: ActivityOut,
      writeRole: 'MEMBER',
      destructive: false,
      idempotent: false,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', 'log activities');
        const input = await resolveNamedRefs(services, ctx, args, [
          { nameField: 'organization', idField: 'organizationId', collection: 'organizations' },
          { nameField: 'person', idField: 'personId', collection: 'people' },
          { nameField: 'deal', idField: 'dealId', collection: 'deals' },
        ]);
        return (await services.records.create(ctx, 'activities', input)).record;
      },
    },
    {
      name: 'crm.activity.complete',
      title: 'Complete a follow-up',
      description: `Mark a follow-up (or any activity) as done, now or at completedAt; completed: false reopens it. Completing an already completed activity changes nothing. Returns the activity. ${ID_HINT}`,
      input: z.strictObject({
        id: recordId('activity'),
        completed: z.boolean().optional().describe('false reopens the activity (default true)'),
        completedAt: IsoDateTime.optional().describe('When it was done (default now)'),
      }),
      output: ActivityOut,
      writeRole: 'MEMBER',
      destructive: true,
      idempotent: true,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', 'complete activities');
        const current = await services.records.get(ctx, 'activities', args.id);
        if (args.completed === false) return services.records.update(ctx, 'activities', args.id, { completed: false });
        if (current.completedAt && args.completedAt === undefined) return current;
        return services.records.update(ctx, 'activities', args.id, args.completedAt ? { completedAt: args.completedAt } : { completed: true });
      },
    },
  ];
}

// ---------------------------------------------------------------- pipelines and stages

async function pipelineOut(services: Services, ctx: Ctx, pipeline: AnyRecord) {
  const [out] = await pipelinesWithStages(services, ctx, [pipeline], true);
  return out;
}

const SummaryOut = z.object({
  pipelineId: z.string(),
  name: z.string(),
  status: z.string().describe('Which deals were counted'),
  totalDeals: z.number(),
  totals: z.array(z.looseObject({ currency: z.string(), count: z.number(), value: z.number(), weightedValue: z.number() })).describe('Per currency: deal count, value and weighted value'),
  stages: z.array(
    z.object({
      stageId: z.string(),
      name: z.string(),
      position: z.number(),
      probability: z.number().nullable(),
      count: z.number(),
      totals: z.array(z.looseObject({ currency: z.string(), count: z.number(), value: z.number(), weightedValue: z.number() })),
    }),
  ),
});

function pipelineTools(): ToolDef[] {
  const pipelineRef = { pipelineId: Id.optional().describe('Pipeline id; default: the default pipeline'), pipeline: nameRef('pipeline', 'pipelineId') };
  return [
    {
      name: 'crm.pipeline.list',
      title: 'List pipelines',
      description: `List the sales pipelines with their stages in order (id, name, position, default probability). The default pipeline has isDefault true. Use the stage names with crm.deal.update to move deals. ${ID_HINT}`,
      input: listInput('pipelines'),
      output: page(PipelineCompact),
      ...READ,
      async run(services, ctx, args) {
        const query = listQuery(args, []);
        query.sort ??= 'position';
        const result = await services.records.list(ctx, 'pipelines', query);
        return { data: await pipelinesWithStages(services, ctx, result.data, args.full === true), nextCursor: result.nextCursor };
      },
    },
    {
      name: 'crm.pipeline.get',
      title: 'Get a pipeline',
      description: `Get one pipeline with its stages in order, by id or by name (default: the default pipeline). ${ID_HINT}`,
      input: z.strictObject(pipelineRef),
      output: PipelineOut,
      ...READ,
      run: async (services, ctx, args) => pipelineOut(services, ctx, await pipelineFrom(services, ctx, args)),
    },
    {
      name: 'crm.pipeline.create',
      title: 'Create a pipeline',
      description:
        'Create a pipeline (workspace owners only) with its stages in order, e.g. stages: [{name: "Lead", probability: 0.1}, …]; without stages it gets Lead, Qualified, Proposal, Negotiation. isDefault true makes it the default pipeline. Returns the pipeline with its stages.',
      input: PipelineCreate,
      output: PipelineOut,
      writeRole: 'OWNER',
      destructive: false,
      idempotent: false,
      async run(services, ctx, args) {
        requireWrite(ctx, 'OWNER', 'create pipelines');
        return pipelineOut(services, ctx, (await services.records.create(ctx, 'pipelines', args)).record);
      },
    },
    {
      name: 'crm.pipeline.update',
      title: 'Update a pipeline',
      description: `Rename a pipeline, move it (position) or make it the default (isDefault true; the previous default stops being one). Workspace owners only. Stages are changed with crm.stage.*. Returns the pipeline with its stages. ${ID_HINT}`,
      input: z.strictObject({ id: recordId('pipeline'), ...PipelineUpdate.shape, ifVersion }),
      output: PipelineOut,
      writeRole: 'OWNER',
      destructive: true,
      idempotent: true,
      async run(services, ctx, args) {
        requireWrite(ctx, 'OWNER', 'change pipelines');
        const { id, ifVersion: version, ...patch } = args;
        return pipelineOut(services, ctx, await services.records.update(ctx, 'pipelines', id, patch, { ifVersion: version }));
      },
    },
    {
      name: 'crm.pipeline.summary',
      title: 'Pipeline summary',
      description:
        'Totals of a pipeline (default: the default pipeline; or give pipelineId or its name): number of deals, value and weighted value (amount × the deal probability, else the stage probability), overall and per stage. Money is summed exactly and reported per currency. Counts open deals unless status says won, lost or all.',
      input: z.strictObject({ ...pipelineRef, status: z.enum(['open', 'won', 'lost', 'all']).optional().describe('Which deals to count (default open)') }),
      output: SummaryOut,
      ...READ,
      async run(services, ctx, args) {
        const pipeline = await pipelineFrom(services, ctx, args);
        return (await services.views.pipelineSummary(ctx, pipeline.id, args.status ? { status: args.status } : {})) as unknown as ToolResult;
      },
    },
    {
      name: 'crm.stage.create',
      title: 'Add a stage',
      description:
        'Add a stage to a pipeline (workspace owners only; default: the default pipeline). position is 0-based (default: at the end); later stages move down. probability (0–1) is the default win probability of deals in the stage. Returns the stage.',
      input: z.strictObject({ ...pipelineRef, ...StageCreate.shape }),
      output: StageOut,
      writeRole: 'OWNER',
      destructive: false,
      idempotent: false,
      async run(services, ctx, args) {
        requireWrite(ctx, 'OWNER', 'create stages');
        const { pipelineId: _id, pipeline: _name, ...rest } = args;
        const pipeline = await pipelineFrom(services, ctx, args);
        return (await services.records.create(ctx, 'stages', { ...rest, pipelineId: pipeline.id })).record;
      },
    },
    {
      name: 'crm.stage.update',
      title: 'Update a stage',
      description:
        'Rename a stage (name), change its default probability or move it (position, 0-based). Workspace owners only. Identify the stage by id, or by its current name with stage: "Proposal" (in the given pipeline, else the default pipeline). Returns the stage.',
      input: z.strictObject({
        id: Id.optional().describe('Stage id'),
        stage: z.string().trim().min(1).max(100).optional().describe('The current stage name, instead of id'),
        ...pipelineRef,
        name: z.string().trim().min(1, { error: 'must not be empty' }).max(100).optional().describe('New name'),
        position: z.number().int().min(0).optional().describe('New 0-based position'),
        probability: Probability.nullable().optional(),
        ifVersion,
      }),
      output: StageOut,
      writeRole: 'OWNER',
      destructive: true,
      idempotent: true,
      async run(services, ctx, args) {
        requireWrite(ctx, 'OWNER', 'change stages');
        const { id, stage, pipelineId, pipeline, ifVersion: version, ...patch } = args;
        let stageId = id as string | undefined;
        if (!stageId) {
          if (stage === undefined) throw invalid('id', 'is required: give the stage id, or its current name as stage');
          stageId = (await stageByName(services, ctx, (await pipelineFrom(services, ctx, { pipelineId, pipeline })).id, stage)).id;
        }
        return services.records.update(ctx, 'stages', stageId, patch, { ifVersion: version });
      },
    },
    {
      name: 'crm.stage.reorder',
      title: 'Reorder stages',
      description:
        "Put a pipeline's stages in a new order (workspace owners only): stages lists every stage of the pipeline exactly once, first to last, each by id or by name. Default pipeline unless pipelineId or pipeline is given. Returns the stages in their new order.",
      input: z.strictObject({
        ...pipelineRef,
        stages: z.array(z.string().trim().min(1)).min(1, { error: 'must list the stages' }).describe('Every stage of the pipeline (id or name), in the new order'),
      }),
      output: z.object({ pipelineId: z.string(), stages: z.array(StageOut) }),
      writeRole: 'OWNER',
      destructive: true,
      idempotent: true,
      async run(services, ctx, args) {
        requireWrite(ctx, 'OWNER', 'reorder stages');
        const pipeline = await pipelineFrom(services, ctx, args);
        const stageIds: string[] = [];
        for (const [i, ref] of (args.stages as string[]).entries()) stageIds.push((await stageByName(services, ctx, pipeline.id, ref, `stages.${i}`)).id);
        return { pipelineId: pipeline.id, stages: await services.reorderStages(ctx, pipeline.id, { stageIds }) };
      },
    },
  ];
}

// ---------------------------------------------------------------- deal contacts

function contactTools(): ToolDef[] {
  const personRef = { personId: Id.optional().describe('Id of the person'), person: nameRef('person', 'personId') };
  const resolvePerson = async (services: Services, ctx: Ctx, args: { personId?: string; person?: string }) => {
    if (args.personId === undefined && args.person === undefined) throw invalid('personId', 'is required: give the person id, or their exact name as person');
    return (await resolveNamedRefs(services, ctx, args, [{ nameField: 'person', idField: 'personId', collection: 'people' }])).personId as string;
  };
  return [
    {
      name: 'crm.deal.contact.add',
      title: 'Add a contact to a deal',
      description: `Link a person to a deal with their role on it (e.g. decision-maker, champion, end-user). The person may be given by id or exact name. A person can be a contact of many deals; adding the same person twice to one deal fails. Returns the link with the person's name. ${ID_HINT}`,
      input: z.strictObject({ dealId: recordId('deal'), ...personRef, role: DealContactCreate.shape.role }),
      output: DealContactOut,
      writeRole: 'MEMBER',
      destructive: false,
      idempotent: false,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', 'change deal contacts');
        const personId = await resolvePerson(services, ctx, args);
        const { record } = await services.records.create(ctx, 'dealContacts', { dealId: args.dealId, personId, ...(args.role !== undefined ? { role: args.role } : {}) });
        const person = await services.records.get(ctx, 'people', personId);
        return { ...record, personName: person.name };
      },
    },
    {
      name: 'crm.deal.contact.remove',
      title: 'Remove a contact from a deal',
      description: `Unlink a person from a deal (the person and the deal stay). The person may be given by id or exact name. ${ID_HINT}`,
      input: z.strictObject({ dealId: recordId('deal'), ...personRef }),
      output: z.object({ removed: z.boolean(), dealId: z.string(), personId: z.string() }),
      writeRole: 'MEMBER',
      destructive: true,
      idempotent: true,
      async run(services, ctx, args) {
        requireWrite(ctx, 'MEMBER', 'change deal contacts');
        const personId = await resolvePerson(services, ctx, args);
        const contacts = await services.views.dealContacts(ctx, args.dealId);
        const contact = contacts.find((c) => (c as Record<string, unknown>).personId === personId);
        if (!contact) throw new DomainError(404, 'Not found', `person ${personId} is not a contact of deal ${args.dealId}`);
        await services.records.remove(ctx, 'dealContacts', contact.id, undefined, 'MEMBER');
        return { removed: true, dealId: args.dealId, personId };
      },
    },
  ];
}

// ---------------------------------------------------------------- search, context, audit, info

const looseRecord = z.looseObject({ id: z.string() });

function readTools(): ToolDef[] {
  const contextInput = (noun: string, nameNote: string) =>
    z.strictObject({ id: Id.optional().describe(`Id of the ${noun}`), name: z.string().trim().min(1).max(300).optional().describe(`The ${noun} by exact ${nameNote} instead of id`) });
  const byIdOrName = async (services: Services, ctx: Ctx, args: { id?: string; name?: string }, collection: 'people' | 'organizations' | 'deals', noun: string) => {
    if (args.id) return args.id;
    if (args.name === undefined) throw invalid('id', `is required: give the ${noun} id, or its exact name as name`);
    return (await recordByName(services, ctx, collection, args.name, 'name', 'id')).id;
  };
  return [
    {
      name: 'crm.search',
      title: 'Search the CRM',
      description: `Find organizations (by name, domain), people (name, email, title, phone) and deals (title) matching a text, best matches first; archived records are included and marked. Start here when you have a name but no id. ${ID_HINT}`,
      input: z.strictObject({
        q: z.string().trim().min(1, { error: 'must not be empty' }).max(200).describe('Text to look for'),
        types: z
          .array(z.enum(['organization', 'person', 'deal']))
          .optional()
          .describe('Limit to these record types (default all)'),
        limit: z.number().int().min(1).max(100).optional().describe('At most this many results (default 20)'),
      }),
      output: z.object({
        data: z.array(z.object({ type: z.enum(['organization', 'person', 'deal']), id: z.string(), title: z.string(), subtitle: z.string().nullable(), archived: z.boolean() })),
      }),
      ...READ,
      async run(services, ctx, args) {
        const { data } = await services.views.search(ctx, { q: args.q, ...(args.limit ? { limit: args.limit } : {}), ...(args.types?.length ? { types: args.types.join(',') } : {}) });
        return { data: data.map((h) => ({ type: h.type, id: h.id, title: h.title, subtitle: h.subtitle, archived: h.record.archivedAt != null })) };
      },
    },
    {
      name: 'crm.context.person',
      title: 'Person with context',
      description: `Everything about one person in one call: the person, their organization, their deals (with stage names, whether they are the primary person and their contact role), recent activities (newest first, up to 20) and open follow-ups (with overdue flags). Give the id or the exact name. ${ID_HINT}`,
      input: contextInput('person', 'name'),
      output: z.object({ person: PersonOut, organization: OrganizationOut.nullable(), deals: z.array(looseRecord), recentActivities: z.array(looseRecord), openFollowUps: z.array(looseRecord) }),
      ...READ,
      run: async (services, ctx, args) => services.views.personContext(ctx, await byIdOrName(services, ctx, args, 'people', 'person')),
    },
    {
      name: 'crm.context.organization',
      title: 'Organization with context',
      description: `Everything about one organization in one call: the organization, its people, its deals (with stage names), recent activities and open follow-ups. Give the id or the exact name. ${ID_HINT}`,
      input: contextInput('organization', 'name'),
      output: z.object({ organization: OrganizationOut, people: z.array(looseRecord), deals: z.array(looseRecord), recentActivities: z.array(looseRecord), openFollowUps: z.array(looseRecord) }),
      ...READ,
      run: async (services, ctx, args) => services.views.organizationContext(ctx, await byIdOrName(services, ctx, args, 'organizations', 'organization')),
    },
    {
      name: 'crm.context.deal',
      title: 'Deal with context',
      description: `Everything about one deal in one call: the deal (with stage and pipeline names), its stage and pipeline, organization, primary person, contacts with roles, stage history (oldest first), recent activities and open follow-ups. Give the id or the exact title as name. ${ID_HINT}`,
      input: contextInput('deal', 'title'),
      output: z.object({
        deal: looseRecord,
        stage: looseRecord.nullable(),
        pipeline: looseRecord.nullable(),
        organization: looseRecord.nullable(),
        primaryPerson: looseRecord.nullable(),
        contacts: z.array(looseRecord),
        stageChanges: z.array(looseRecord),
        recentActivities: z.array(looseRecord),
        openFollowUps: z.array(looseRecord),
      }),
      ...READ,
      run: async (services, ctx, args) => services.views.dealContext(ctx, await byIdOrName(services, ctx, args, 'deals', 'deal')),
    },
    {
      name: 'crm.audit.history',
      title: 'Change history',
      description: `Who changed what and when, newest first: each entry has the action (create, update, archive, restore, delete, conflict, rejected), the changed fields with old and new values, the acting user and key, and the source (rest, mcp, sync, cli). Filter by entityType (organization, person, deal, activity, pipeline, stage, dealContact) and entityId; page with limit and cursor. full: true returns complete before/after snapshots. ${ID_HINT}`,
      input: z.strictObject({
        entityType: z.enum(['organization', 'person', 'deal', 'dealContact', 'activity', 'pipeline', 'stage']).optional(),
        entityId: Id.optional(),
        action: z.enum(AUDIT_ACTIONS).optional(),
        limit: z.number().int().min(1).max(200).optional().describe('Page size (default 25, at most 200)'),
        cursor: z.string().optional().describe('nextCursor of the previous page'),
        full: z.boolean().optional().describe('Include full before/after snapshots'),
      }),
      output: page(AuditCompact),
      ...READ,
      async run(services, ctx, args) {
        const { full, ...query } = args;
        const result = await services.audit(ctx, { limit: 25, ...query });
        return { data: compactAudit(result.data, full === true), nextCursor: result.nextCursor };
      },
    },
  ];
}

const InfoOut = z.object({
  product: z.string(),
  feature: z.literal('crm.core'),
  enabled: z.boolean().describe('Whether the CRM is enabled for this workspace; while false only crm.addon.info is available'),
  version: z.string(),
  workspace: z.object({ id: z.string(), slug: z.string(), name: z.string(), defaultCurrency: z.string() }),
  role: z.enum(['OWNER', 'MEMBER', 'VIEWER']),
  readOnly: z.boolean().describe('The key is read-only'),
  canWrite: z.boolean().describe('Records can be created and changed'),
  canManagePipelines: z.boolean().describe('Pipelines and stages can be changed (owners)'),
  userId: z.string().nullable(),
  entities: z.array(z.string()),
  tools: z.array(z.string()).describe('The tools available to this caller now'),
  notes: z.array(z.string()),
});

function infoTool(catalogue: () => ToolDef[]): ToolDef {
  return {
    name: 'crm.addon.info',
    title: 'About this CRM',
    description:
      'What this CRM offers and who you are in it: whether the CRM (feature crm.core) is enabled for the workspace, the workspace and its default currency, your role (OWNER, MEMBER or VIEWER) and whether you may write, the kinds of records, and the tools available to you. Call it first when unsure what you can do.',
    input: z.strictObject({}),
    output: InfoOut,
    ...READ,
    ungated: true,
    async run(_services, ctx) {
      const enabled = featureEnabled(ctx);
      return {
        product: 'Kith CRM',
        feature: 'crm.core',
        enabled,
        version: CRM_VERSION,
        workspace: { id: ctx.workspace.id, slug: ctx.workspace.slug, name: ctx.workspace.name, defaultCurrency: ctx.workspace.defaultCurrency },
        role: ctx.role,
        readOnly: ctx.readOnly,
        canWrite: enabled && toolAllowed(ctx, 'MEMBER'),
        canManagePipelines: enabled && toolAllowed(ctx, 'OWNER'),
        userId: ctx.userId,
        entities: [
          'organization (companies; domain derived from website)',
          'person (contacts, optionally at an organization)',
          'deal (in a pipeline stage; amount, currency, status open/won/lost)',
          'deal contact (a person on a deal with a role)',
          'activity (note, call, email, meeting, follow_up on an organization/person/deal)',
          'pipeline and stage (ordered sales stages with default probabilities)',
          'audit entry (every change, read-only)',
        ],
        tools: visibleTools(catalogue(), ctx).map((t) => t.name),
        notes: [
          'Ids are UUID strings; records you create may carry your own UUIDv7 id so retries are safe.',
          'Stages, pipelines, people, organizations and deals can be named by exact name where a tool offers a name field; ambiguous names are refused with the matching ids.',
          'Money amounts are decimals with at most 4 decimal places, summed exactly per currency.',
          'Lists return compact records and a nextCursor; pass it back as cursor for the next page.',
          ...(enabled ? [] : ['The CRM is disabled for this workspace: an owner can enable feature crm.core (PATCH /crm/workspace {"features":{"crm.core":true}}).']),
        ],
      };
    },
  };
}

// ---------------------------------------------------------------- the catalogue

function toolAllowed(ctx: Ctx, role: Role | null): boolean {
  if (role === null) return true;
  const rank = { VIEWER: 0, MEMBER: 1, OWNER: 2 } as const;
  return !ctx.readOnly && rank[ctx.role] >= rank[role];
}

/** Tools listed for this caller now: crm.* only while crm.core is enabled, writes only for roles that may write. */
export function visibleTools(tools: ToolDef[], ctx: Ctx): ToolDef[] {
  const enabled = featureEnabled(ctx);
  return tools.filter((t) => (t.ungated || enabled) && toolAllowed(ctx, t.writeRole));
}

let cached: ToolDef[] | null = null;

/** Every tool of SPEC §4, in a stable order. */
export function catalogue(): ToolDef[] {
  if (cached) return cached;
  const tools: ToolDef[] = [];
  tools.push(infoTool(() => tools));
  tools.push(
    ...entityTools({
      collection: 'organizations',
      noun: 'organization',
      plural: 'organizations',
      what: 'companies and other organizations',
      create: OrganizationCreate,
      update: OrganizationUpdate,
      out: OrganizationOut,
      compact: OrganizationCompact,
      listExtra: { ownerId: Id.optional().describe('Only organizations owned by this user') },
      listKeys: ['ownerId'],
      refs: [],
      present: async (_s, _c, records, full) => compactOrganizations(records, full),
    }),
    ...entityTools({
      collection: 'people',
      noun: 'person',
      plural: 'people',
      what: 'contacts',
      create: PersonCreate,
      update: PersonUpdate,
      out: PersonOut,
      compact: PersonCompact,
      listExtra: { organizationId: Id.optional().describe('Only people of this organization'), ownerId: Id.optional() },
      listKeys: ['organizationId', 'ownerId'],
      refs: [{ nameField: 'organization', idField: 'organizationId', collection: 'organizations' }],
      present: (services, ctx, records, full) => compactPeople(services, ctx, records, full),
    }),
    ...dealTools(),
    ...activityTools(),
    ...pipelineTools(),
    ...contactTools(),
    ...readTools(),
  );
  cached = tools;
  return tools;
}
