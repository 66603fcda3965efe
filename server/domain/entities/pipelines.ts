/**
 * Pipelines and their ordered stages. Exactly one pipeline per workspace is the default; stage
 * positions are kept 0..n-1 in order, and a stage used by deals cannot be deleted.
 */
import { Id, PipelineCreate, PipelineUpdate, StageCreate, StageUpdate } from '../../../shared/schemas.js';
import { DEFAULT_STAGES } from '../../../shared/rules.js';
import type { AnyRecord, Row } from '../../store/records.js';
import { rowToRecord } from '../../store/records.js';
import { writeAudit } from '../audit.js';
import { conflict, invalid } from '../errors.js';
import { changedFields, type EntityHooks, type WriteScope } from '../records.js';

export async function liveStages(s: Pick<WriteScope, 'tx' | 'ctx'>, pipelineId: string): Promise<AnyRecord[]> {
  const rows = await s.tx
    .selectFrom('stages')
    .selectAll()
    .where('workspaceId', '=', s.ctx.workspaceId)
    .where('pipelineId', '=', pipelineId)
    .where('deleted', '=', 0)
    .orderBy('position')
    .orderBy('id')
    .execute();
  return rows.map((r) => rowToRecord('stages', r));
}

export async function defaultPipeline(s: Pick<WriteScope, 'tx' | 'ctx'>): Promise<AnyRecord | null> {
  const row = await s.tx.selectFrom('pipelines').selectAll().where('workspaceId', '=', s.ctx.workspaceId).where('deleted', '=', 0).orderBy('isDefault', 'desc').orderBy('position').executeTakeFirst();
  return row ? rowToRecord('pipelines', row) : null;
}

/** Rewrites records whose fields differ from `changes`, with audit entries. */
async function rewrite(s: WriteScope, collection: 'stages' | 'pipelines', before: AnyRecord, changes: Row): Promise<void> {
  const next = { ...before, ...changes };
  const fields = changedFields(before, next);
  if (fields.length === 0) return;
  const stored = await s.records.put(s, collection, next, false);
  await writeAudit(s.tx, s.ctx, { entityType: collection === 'stages' ? 'stage' : 'pipeline', entityId: before.id, action: 'update', before, after: stored, changedFields: fields });
}

/** Gives `ordered` positions 0..n-1. */
async function renumber(s: WriteScope, ordered: AnyRecord[]): Promise<void> {
  for (let i = 0; i < ordered.length; i++) await rewrite(s, 'stages', ordered[i], { position: i });
}

export const pipelineHooks: EntityHooks = {
  label: 'pipeline',
  createSchema: PipelineCreate,
  updateSchema: PipelineUpdate,
  writeRole: 'OWNER',
  async prepareCreate(s, input) {
    const { stages: _stages, ...rest } = input;
    const existing = await s.tx.selectFrom('pipelines').select(['id']).where('workspaceId', '=', s.ctx.workspaceId).where('deleted', '=', 0).execute();
    const hasDefault = (await defaultPipeline(s))?.isDefault === true;
    return { ...rest, isDefault: !hasDefault || rest.isDefault === true, position: rest.position ?? existing.length };
  },
  async afterCreate(s, record, input) {
    const stages = (input.stages as { name: string; probability?: number | null }[] | undefined) ?? DEFAULT_STAGES;
    for (const [i, stage] of stages.entries()) {
      await s.records.create(s.ctx, 'stages', { pipelineId: record.id, name: stage.name, probability: stage.probability ?? null, position: i }, s);
    }
  },
  async prepareUpdate(_s, before, next, patch) {
    if (before.isDefault && patch.isDefault === false) {
      throw invalid('isDefault', 'a workspace needs a default pipeline: make another pipeline the default instead');
    }
    next.isDefault = before.isDefault || patch.isDefault === true;
  },
  async afterWrite(s, _before, after) {
    if (!after.isDefault) return;
    const others = await s.tx
      .selectFrom('pipelines')
      .selectAll()
      .where('workspaceId', '=', s.ctx.workspaceId)
      .where('deleted', '=', 0)
      .where('isDefault', '=', 1)
      .where('id', '!=', after.id)
      .execute();
    for (const row of others) await rewrite(s, 'pipelines', rowToRecord('pipelines', row), { isDefault: false });
  },
  async beforeDelete(s, record) {
    if (record.isDefault) throw conflict('the default pipeline cannot be deleted; make another pipeline the default first');
    const deals = await countDeals(s, 'pipelineId', record.id);
    if (deals > 0) throw conflict(`pipeline '${String(record.name)}' still has ${deals} deal(s); move or delete them first`);
    for (const stage of await liveStages(s, record.id)) await s.records.remove(s.ctx, 'stages', stage.id, s);
  },
};

async function countDeals(s: WriteScope, field: 'pipelineId' | 'stageId', id: string): Promise<number> {
  const row = await s.tx
    .selectFrom('deals')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('workspaceId', '=', s.ctx.workspaceId)
    .where(field, '=', id)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export const StageWrite = StageCreate.extend({ pipelineId: Id });

export const stageHooks: EntityHooks = {
  label: 'stage',
  createSchema: StageWrite,
  updateSchema: StageUpdate,
  writeRole: 'OWNER',
  async prepareCreate(s, input) {
    const pipeline = await s.records.requireRef(s, 'pipelines', input.pipelineId, 'pipelineId');
    const stages = await liveStages(s, pipeline!.id);
    const position = Math.min((input.position as number | undefined) ?? stages.length, stages.length);
    // make room: later stages move one down
    for (const stage of stages.slice(position)) await rewrite(s, 'stages', stage, { position: (stage.position as number) + 1 });
    return { ...input, position, probability: input.probability ?? null };
  },
  async prepareUpdate(s, before, next, patch) {
    if (patch.position === undefined || patch.position === before.position) return;
    const others = (await liveStages(s, before.pipelineId as string)).filter((st) => st.id !== before.id);
    const position = Math.min(patch.position as number, others.length);
    next.position = position;
    others.splice(position, 0, { ...before, position } as AnyRecord);
    for (let i = 0; i < others.length; i++) if (others[i].id !== before.id) await rewrite(s, 'stages', others[i], { position: i });
  },
  async beforeDelete(s, record) {
    const deals = await countDeals(s, 'stageId', record.id);
    if (deals > 0) throw conflict(`stage '${String(record.name)}' is used by ${deals} deal(s); move them to another stage first`);
    const rest = (await liveStages(s, record.pipelineId as string)).filter((st) => st.id !== record.id);
    await renumber(s, rest);
  },
};

/** Puts a pipeline's stages in the given order (every live stage exactly once). */
export async function reorderStages(s: WriteScope, pipelineId: string, stageIds: string[]): Promise<AnyRecord[]> {
  await s.records.get(s.ctx, 'pipelines', pipelineId, s.tx);
  const stages = await liveStages(s, pipelineId);
  const byId = new Map(stages.map((st) => [st.id, st]));
  const unknown = stageIds.find((id) => !byId.has(id));
  if (unknown) throw invalid('stageIds', `stage ${unknown} is not a stage of pipeline ${pipelineId}`);
  if (new Set(stageIds).size !== stageIds.length || stageIds.length !== stages.length) {
    throw invalid('stageIds', `must list each of the pipeline's ${stages.length} stages exactly once`);
  }
  await renumber(
    s,
    stageIds.map((id) => byId.get(id)!),
  );
  return liveStages(s, pipelineId);
}
