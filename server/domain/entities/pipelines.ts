/**
 * Pipelines and their ordered stages, the server's part (the rules are shared/entities/pipelines.ts
 * and stages.ts): stage positions are kept 0..n-1 in order, exactly one pipeline is the default,
 * a new pipeline gets its initial stages and a deleted one takes its stages with it.
 */
import { COLLECTIONS, type RecordOf } from '../../../shared/collections.js';
import { initialStages } from '../../../shared/rules.js';
import { SqlRecordReader } from '../../store/reader.js';
import type { AnyRecord, Row } from '../../store/records.js';
import { rowToRecord } from '../../store/records.js';
import { writeAudit } from '../audit.js';
import { invalid } from '../errors.js';
import { changedFields, type HooksOf, type WriteScope } from '../records/scope.js';

type Stage = RecordOf<'stages'> & AnyRecord;

/** The live stages of a pipeline in order. */
export async function liveStages(s: Pick<WriteScope, 'tx' | 'ctx'>, pipelineId: string): Promise<Stage[]> {
  return new SqlRecordReader(s.tx, s.ctx.workspaceId).stagesOf(pipelineId);
}

/** Rewrites records whose fields differ from `changes`, with audit entries. */
async function rewrite(s: WriteScope, collection: 'stages' | 'pipelines', before: AnyRecord, changes: Row): Promise<void> {
  const next = { ...before, ...changes };
  const fields = changedFields(before, next);
  if (fields.length === 0) return;
  const stored = await s.records.put(s, collection, next, false);
  await writeAudit(s.tx, s.ctx, { entityType: COLLECTIONS[collection].entityType, entityId: before.id, action: 'update', before, after: stored, changedFields: fields });
}

/** Gives `ordered` positions 0..n-1. */
async function renumber(s: WriteScope, ordered: AnyRecord[]): Promise<void> {
  for (let i = 0; i < ordered.length; i++) await rewrite(s, 'stages', ordered[i], { position: i });
}

export const pipelineHooks: HooksOf<'pipelines'> = {
  async afterCreate(s, record, input) {
    for (const stage of initialStages(input)) {
      await s.records.create(s.ctx, 'stages', { pipelineId: record.id, ...stage }, s);
    }
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
    for (const stage of await liveStages(s, record.id)) await s.records.remove(s.ctx, 'stages', stage.id, s);
  },
};

export const stageHooks: HooksOf<'stages'> = {
  async beforeCreate(s, record) {
    // make room: later stages move one down
    const stages = await liveStages(s, record.pipelineId);
    for (const stage of stages.slice(record.position)) await rewrite(s, 'stages', stage, { position: stage.position + 1 });
  },
  async beforeUpdate(s, before, next) {
    if (next.position === before.position) return;
    const others = (await liveStages(s, before.pipelineId)).filter((st) => st.id !== before.id);
    others.splice(next.position, 0, { ...before, position: next.position });
    for (let i = 0; i < others.length; i++) if (others[i].id !== before.id) await rewrite(s, 'stages', others[i], { position: i });
  },
  async beforeDelete(s, record) {
    const rest = (await liveStages(s, record.pipelineId)).filter((st) => st.id !== record.id);
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
