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
import { page, PipelineOut, pipelinesWithStages, present, RecordOut } from '../shapes.js';
import { ID_HINT, ifVersion, listInput, listQuery, nameRef, recordId } from './inputs.js';
import { READ, type ToolDef, type ToolResult } from './tool.js';

async function pipelineOut(services: Services, ctx: Ctx, pipeline: AnyRecord) {
  const [out] = await pipelinesWithStages(services, ctx, [pipeline], true);
  return out;
}

const SummaryOut = z.looseObject({ pipelineId: z.string(), totals: z.array(z.looseObject({})), stages: z.array(z.looseObject({})) });

export function pipelineTools(): ToolDef[] {
  const pipelineRef = { pipelineId: Id.optional(), pipeline: nameRef() };
  return [
    {
      name: 'crm.pipeline.list',
      title: 'List pipelines',
      description: `The pipelines with their stages in order (the default one has isDefault): the stage names deals move through. ${ID_HINT}`,
      input: listInput('pipelines'),
      output: page(PipelineOut),
      ...READ,
      async run(services, ctx, args) {
        const query = listQuery(args, [], 'pipelines');
        query.sort ??= 'position';
        const result = await services.records.list(ctx, 'pipelines', query);
        return { data: await pipelinesWithStages(services, ctx, result.data, args.full === true), nextCursor: result.nextCursor, ...(result.total === undefined ? {} : { total: result.total }) };
      },
    },
    {
      name: 'crm.pipeline.get',
      title: 'Get a pipeline',
      description: `One pipeline with its stages in order, by pipelineId or exact name (pipeline), else the default pipeline. ${ID_HINT}`,
      input: z.strictObject(pipelineRef),
      output: PipelineOut,
      ...READ,
      run: async (services, ctx, args) => pipelineOut(services, ctx, await pipelineFrom(services, ctx, args)),
    },
    {
      name: 'crm.pipeline.create',
      title: 'Create a pipeline',
      description: 'Create a pipeline (owners only) with stages in order, e.g. [{name: "Lead", probability: 0.1}]; default: Lead, Qualified, Proposal, Negotiation.',
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
      description: `Rename a pipeline, move it (position) or make it the default (isDefault); owners only. Stages: crm.stage.*. ${ID_HINT}`,
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
      description: 'Deal count, value and weighted value per currency and stage of a pipeline (id or exact name, else the default); open deals unless status says.',
      input: z.strictObject({ ...pipelineRef, status: z.enum(['open', 'won', 'lost', 'all']).optional() }),
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
      description: 'Add a stage (owners only) to a pipeline (id or exact name, else the default) at a 0-based position (default: last), with a win probability.',
      input: z.strictObject({ ...pipelineRef, ...StageCreate.shape }),
      output: RecordOut,
      writeRole: 'OWNER',
      destructive: false,
      idempotent: false,
      async run(services, ctx, args) {
        requireWrite(ctx, 'OWNER', 'create stages');
        const { pipelineId: _id, pipeline: _name, ...rest } = args;
        const pipeline = await pipelineFrom(services, ctx, args);
        return present((await services.records.create(ctx, 'stages', { ...rest, pipelineId: pipeline.id })).record);
      },
    },
    {
      name: 'crm.stage.update',
      title: 'Update a stage',
      description: 'Rename a stage, change its win probability or move it (0-based position); owners only. The stage by id, or its current name as stage.',
      input: z.strictObject({
        id: Id.optional(),
        stage: z.string().trim().min(1).max(100).optional(),
        ...pipelineRef,
        name: z.string().trim().min(1, { error: 'must not be empty' }).max(100).optional(),
        position: z.number().int().min(0).optional(),
        probability: Probability.nullable().optional(),
        ifVersion,
      }),
      output: RecordOut,
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
        return present(await services.records.update(ctx, 'stages', stageId, patch, { ifVersion: version }));
      },
    },
    {
      name: 'crm.stage.reorder',
      title: 'Reorder stages',
      description: "Reorder a pipeline's stages (owners only): each once, first to last, by id or name; the pipeline by id or exact name, else the default.",
      input: z.strictObject({
        ...pipelineRef,
        stages: z.array(z.string().trim().min(1)).min(1, { error: 'must list the stages' }),
      }),
      output: z.looseObject({ pipelineId: z.string(), stages: z.array(RecordOut) }),
      writeRole: 'OWNER',
      destructive: true,
      idempotent: true,
      async run(services, ctx, args) {
        requireWrite(ctx, 'OWNER', 'reorder stages');
        const pipeline = await pipelineFrom(services, ctx, args);
        const stageIds: string[] = [];
        for (const [i, ref] of (args.stages as string[]).entries()) stageIds.push((await stageByName(services, ctx, pipeline.id, ref, `stages.${i}`)).id);
        return { pipelineId: pipeline.id, stages: (await services.reorderStages(ctx, pipeline.id, { stageIds })).map(present) };
      },
    },
  ];
}
