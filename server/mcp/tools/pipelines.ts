/**
 * Pipelines and their stages: list, get, create, update, the summary of a pipeline (counts and
 * value per stage and currency), and adding, changing and reordering stages (owners).
 */
import { z } from 'zod';
import { Id, PipelineCreate, PipelineUpdate, Probability, StageCreate } from '../../../shared/schemas.js';
import { requireWrite, type Ctx } from '../../domain/context.js';
import { invalid } from '../../domain/errors.js';
import type { AnyRecord } from '../../domain/reads.js';
import type { Services } from '../../domain/services.js';
import { pipelineFrom, stageByName } from '../names.js';
import { page, PipelineCompact, PipelineOut, pipelinesWithStages, StageOut } from '../shapes.js';
import { ID_HINT, ifVersion, listInput, listQuery, nameRef, recordId } from './inputs.js';
import { READ, type ToolDef, type ToolResult } from './tool.js';

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

export function pipelineTools(): ToolDef[] {
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
