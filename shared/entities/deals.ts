/**
 * Deals: a deal is always in a pipeline and one of its stages (by default the default pipeline and
 * its first stage), in the workspace currency unless it says otherwise; won and lost set their
 * timestamps. (Every stage move also writes a stage change: the server's part, in its hooks.)
 */
import { DealCreate, DealRecord, DealUpdate } from '../schemas.js';
import { invalid, MEMBER_WRITES, requireRef, type EntityDefinition, type RuleScope } from './entity.js';

async function firstStageId(scope: RuleScope, pipelineId: string, field: string): Promise<string> {
  const [first] = await scope.reader.stagesOf(pipelineId);
  if (!first) throw invalid(field, `pipeline ${pipelineId} has no stages; add a stage first`);
  return first.id;
}

interface StatusFields {
  status: string;
  wonAt: string | null;
  lostAt: string | null;
  lostReason: string | null;
}

/** A status change stamps wonAt or lostAt; reopening clears both and the lost reason. */
function applyStatus(next: StatusFields, previousStatus: string, now: string): void {
  if (next.status === previousStatus) return;
  if (next.status === 'won') Object.assign(next, { wonAt: now, lostAt: null });
  else if (next.status === 'lost') Object.assign(next, { lostAt: now, wonAt: null });
  else Object.assign(next, { wonAt: null, lostAt: null, lostReason: null });
}

export const deals: EntityDefinition<'deals', typeof DealRecord, typeof DealCreate, typeof DealUpdate> = {
  name: 'deals',
  entityType: 'deal',
  label: 'deal',
  record: DealRecord,
  create: DealCreate,
  update: DealUpdate,
  fixedFields: [],
  references: { organizationId: 'organizations', primaryPersonId: 'people', pipelineId: 'pipelines', stageId: 'stages' },
  computed: ['lastActivityAt', 'nextFollowUpAt', 'stageEnteredAt'],
  moneyFields: ['amount'],
  indexes: ['stageId', ['pipelineId', 'stageId'], 'status', 'updatedAt'],
  list: {
    search: ['title'],
    sort: ['title', 'amount', 'expectedCloseDate', 'status', 'probability', 'lastActivityAt', 'nextFollowUpAt', 'stageEnteredAt'],
    filter: ['organizationId', 'pipelineId', 'stageId', 'status', 'ownerId', 'primaryPersonId', 'currency'],
  },
  permissions: MEMBER_WRITES,
  sync: 'pushable',
  rules: {
    async create(scope, input) {
      let pipelineId = input.pipelineId;
      let stageId = input.stageId;
      if (stageId && !pipelineId) pipelineId = (await requireRef(scope, 'stages', stageId, 'stageId'))!.pipelineId;
      if (!pipelineId) {
        const pipeline = await scope.reader.defaultPipeline();
        if (!pipeline) throw invalid('pipelineId', 'this workspace has no pipeline; create one first');
        pipelineId = pipeline.id;
      }
      if (!stageId) stageId = await firstStageId(scope, pipelineId, 'stageId');
      const record = {
        ...input,
        pipelineId,
        stageId,
        currency: input.currency ?? scope.defaultCurrency,
        valuePeriod: input.valuePeriod ?? 'one_time',
        status: input.status ?? 'open',
        labels: input.labels ?? [],
        wonAt: null,
        lostAt: null,
        lostReason: input.lostReason ?? null,
      };
      applyStatus(record, 'open', scope.now());
      return record;
    },
    async update(scope, before, next, patch) {
      if (patch.stageId !== undefined && patch.pipelineId === undefined) next.pipelineId = (await requireRef(scope, 'stages', patch.stageId, 'stageId'))!.pipelineId;
      if (patch.pipelineId !== undefined && patch.stageId === undefined && patch.pipelineId !== before.pipelineId) {
        await requireRef(scope, 'pipelines', patch.pipelineId, 'pipelineId');
        next.stageId = await firstStageId(scope, patch.pipelineId, 'pipelineId');
      }
      applyStatus(next, before.status, scope.now());
      if (patch.lostReason !== undefined && next.status === 'lost') next.lostReason = patch.lostReason;
    },
    async validate(scope, record, before) {
      await requireRef(scope, 'pipelines', record.pipelineId, 'pipelineId');
      const stage = await requireRef(scope, 'stages', record.stageId, 'stageId');
      if (stage && stage.pipelineId !== record.pipelineId) {
        throw invalid('stageId', `stage '${stage.name}' belongs to pipeline ${stage.pipelineId}, not to the deal's pipeline ${record.pipelineId}`);
      }
      await requireRef(scope, 'organizations', record.organizationId, 'organizationId', before);
      await requireRef(scope, 'people', record.primaryPersonId, 'primaryPersonId', before);
    },
  },
};
