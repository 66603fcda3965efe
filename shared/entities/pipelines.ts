/**
 * Pipelines: exactly one per workspace is the default (a new workspace's first pipeline is); the
 * default cannot be un-defaulted (make another the default), archived or deleted, and a pipeline
 * with deals cannot be deleted. A new pipeline brings its stages (DEFAULT_STAGES unless given).
 */
import { PipelineCreate, PipelineRecord, PipelineUpdate } from '../schemas.js';
import { conflict, invalid, OWNER_WRITES, type EntityDefinition } from './entity.js';

/** The stages of a new pipeline when none are given. */
export const DEFAULT_STAGES = [
  { name: 'Lead', probability: 0.1 },
  { name: 'Qualified', probability: 0.25 },
  { name: 'Proposal', probability: 0.5 },
  { name: 'Negotiation', probability: 0.75 },
];

/** The stages a new pipeline starts with, in order: those of its create input, else DEFAULT_STAGES. */
export function initialStages(input: { stages?: { name: string; probability?: number | null }[] | null }): { name: string; probability: number | null; position: number }[] {
  return (input.stages ?? DEFAULT_STAGES).map((stage, position) => ({ name: stage.name, probability: stage.probability ?? null, position }));
}

export const pipelines: EntityDefinition<'pipelines', typeof PipelineRecord, typeof PipelineCreate, typeof PipelineUpdate> = {
  name: 'pipelines',
  entityType: 'pipeline',
  label: 'pipeline',
  record: PipelineRecord,
  create: PipelineCreate,
  update: PipelineUpdate,
  fixedFields: [],
  references: {},
  moneyFields: [],
  indexes: ['position'],
  list: { search: ['name'], sort: ['name', 'position'], filter: [] },
  permissions: OWNER_WRITES,
  sync: 'pushable',
  rules: {
    async create(scope, input) {
      const { stages: _stages, ...rest } = input;
      const existing = await scope.reader.pipelines();
      const hasDefault = (await scope.reader.defaultPipeline())?.isDefault === true;
      return { ...rest, isDefault: !hasDefault || rest.isDefault === true, position: rest.position ?? existing.length };
    },
    update(_scope, before, next, patch) {
      if (before.isDefault && patch.isDefault === false) {
        throw invalid('isDefault', 'a workspace needs a default pipeline: make another pipeline the default instead');
      }
      next.isDefault = before.isDefault || patch.isDefault === true;
    },
    archive(_scope, record) {
      if (record.isDefault) throw invalid('isDefault', 'the default pipeline cannot be archived; make another pipeline the default first');
    },
    async remove(scope, record) {
      if (record.isDefault) throw conflict('', 'the default pipeline cannot be deleted; make another pipeline the default first');
      const deals = await scope.reader.countDeals('pipelineId', record.id);
      if (deals > 0) throw conflict('', `pipeline '${record.name}' still has ${deals} deal(s); move or delete them first`);
    },
  },
};
