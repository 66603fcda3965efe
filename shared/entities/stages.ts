/**
 * Stages of a pipeline, in order: a new stage goes at its position (at most the end), a stage
 * moved past the end goes to the end, and a stage used by deals cannot be deleted. (Keeping the
 * other stages' positions 0..n-1 is the server's part, in its hooks.)
 */
import { Id, StageCreate, StageRecord, StageUpdate } from '../schemas.js';
import { conflict, OWNER_WRITES, requireRef, type EntityDefinition } from './entity.js';

/** A new stage as stored: the REST body (StageCreate) plus its pipeline, which REST takes from the route. */
export const StageWrite = StageCreate.extend({ pipelineId: Id });

export const stages: EntityDefinition<'stages', typeof StageRecord, typeof StageWrite, typeof StageUpdate> = {
  name: 'stages',
  entityType: 'stage',
  label: 'stage',
  record: StageRecord,
  create: StageWrite,
  update: StageUpdate,
  fixedFields: ['pipelineId'],
  references: { pipelineId: 'pipelines' },
  moneyFields: [],
  indexes: [['pipelineId', 'position']],
  list: { search: ['name'], sort: ['name', 'position'], filter: ['pipelineId'] },
  permissions: OWNER_WRITES,
  sync: 'pushable',
  rules: {
    async create(scope, input) {
      const pipeline = (await requireRef(scope, 'pipelines', input.pipelineId, 'pipelineId'))!;
      const count = (await scope.reader.stagesOf(pipeline.id)).length;
      return { ...input, position: Math.min(input.position ?? count, count), probability: input.probability ?? null };
    },
    async update(scope, before, next, patch) {
      if (patch.position === undefined || patch.position === before.position) return;
      const others = (await scope.reader.stagesOf(before.pipelineId)).filter((stage) => stage.id !== before.id);
      next.position = Math.min(patch.position, others.length);
    },
    async remove(scope, record) {
      const deals = await scope.reader.countDeals('stageId', record.id);
      if (deals > 0) throw conflict('', `stage '${record.name}' is used by ${deals} deal(s); move them to another stage first`);
    },
  },
};
