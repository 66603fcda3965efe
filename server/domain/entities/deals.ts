/**
 * Deals: a stage always belongs to the deal's pipeline; won/lost set their timestamps; every
 * stage move (from any source) writes a StageChange record in the same transaction.
 */
import { DealCreate, DealUpdate } from '../../../shared/schemas.js';
import { newId } from '../../../shared/ids.js';
import type { Row } from '../../store/records.js';
import { nowIso } from '../context.js';
import { invalid } from '../errors.js';
import type { EntityHooks, WriteScope } from '../records.js';
import { defaultPipeline, liveStages } from './pipelines.js';

async function firstStageId(s: WriteScope, pipelineId: string, field: string): Promise<string> {
  const [first] = await liveStages(s, pipelineId);
  if (!first) throw invalid(field, `pipeline ${pipelineId} has no stages; add a stage first`);
  return first.id;
}

function applyStatus(next: Row, previousStatus: unknown): void {
  if (next.status === previousStatus) return;
  const now = nowIso();
  if (next.status === 'won') Object.assign(next, { wonAt: now, lostAt: null });
  else if (next.status === 'lost') Object.assign(next, { lostAt: now, wonAt: null });
  else Object.assign(next, { wonAt: null, lostAt: null, lostReason: null });
}

export const dealHooks: EntityHooks = {
  label: 'deal',
  createSchema: DealCreate,
  updateSchema: DealUpdate,
  writeRole: 'MEMBER',
  async prepareCreate(s, input) {
    let pipelineId = input.pipelineId as string | undefined;
    let stageId = input.stageId as string | undefined;
    if (stageId && !pipelineId) {
      const stage = await s.records.requireRef(s, 'stages', stageId, 'stageId');
      pipelineId = stage!.pipelineId as string;
    }
    if (!pipelineId) {
      const pipeline = await defaultPipeline(s);
      if (!pipeline) throw invalid('pipelineId', 'this workspace has no pipeline; create one first');
      pipelineId = pipeline.id;
    }
    if (!stageId) stageId = await firstStageId(s, pipelineId, 'stageId');
    const record: Row = {
      ...input,
      pipelineId,
      stageId,
      currency: input.currency ?? s.ctx.workspace.defaultCurrency,
      valuePeriod: input.valuePeriod ?? 'one_time',
      status: input.status ?? 'open',
      labels: input.labels ?? [],
      wonAt: null,
      lostAt: null,
    };
    applyStatus(record, 'open');
    if (record.status === 'open') record.lostReason = input.lostReason ?? null;
    return record;
  },
  async prepareUpdate(s, before, next, patch) {
    if (patch.stageId !== undefined && patch.pipelineId === undefined) {
      const stage = await s.records.requireRef(s, 'stages', patch.stageId, 'stageId');
      next.pipelineId = stage!.pipelineId;
    }
    if (patch.pipelineId !== undefined && patch.stageId === undefined && patch.pipelineId !== before.pipelineId) {
      await s.records.requireRef(s, 'pipelines', patch.pipelineId, 'pipelineId');
      next.stageId = await firstStageId(s, patch.pipelineId as string, 'pipelineId');
    }
    const reason = patch.lostReason;
    applyStatus(next, before.status);
    if (reason !== undefined && next.status === 'lost') next.lostReason = reason;
  },
  async validate(s, record, before) {
    await s.records.requireRef(s, 'pipelines', record.pipelineId, 'pipelineId');
    const stage = await s.records.requireRef(s, 'stages', record.stageId, 'stageId');
    if (stage && stage.pipelineId !== record.pipelineId) {
      throw invalid('stageId', `stage '${String(stage.name)}' belongs to pipeline ${String(stage.pipelineId)}, not to the deal's pipeline ${String(record.pipelineId)}`);
    }
    await s.records.requireRef(s, 'organizations', record.organizationId, 'organizationId', before);
    await s.records.requireRef(s, 'people', record.primaryPersonId, 'primaryPersonId', before);
  },
  async afterWrite(s, before, after) {
    if (before && before.stageId === after.stageId) return;
    const now = nowIso();
    await s.records.put(
      s,
      'stageChanges',
      {
        id: newId(),
        workspaceId: s.ctx.workspaceId,
        createdAt: now,
        archivedAt: null,
        dealId: after.id,
        pipelineId: after.pipelineId,
        fromStageId: before?.stageId ?? null,
        toStageId: after.stageId,
        amount: after.amount,
        currency: after.currency,
        changedAt: now,
        actorId: s.ctx.userId,
        source: s.ctx.source,
        custom: {},
      },
      true,
    );
  },
};
