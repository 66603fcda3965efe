/**
 * Deals, the server's part (the rules are shared/entities/deals.ts): every stage move, from any
 * source, writes a StageChange record in the same transaction, at the time the deal's
 * stageEnteredAt says (its creation, or the move: server/domain/records/computed.ts), so the
 * history and the computed field agree to the millisecond (the 0010 backfill reads the history).
 */
import { newId } from '../../../shared/ids.js';
import { nowIso } from '../context.js';
import type { HooksOf } from '../records/scope.js';

export const dealHooks: HooksOf<'deals'> = {
  async afterWrite(s, before, after) {
    if (before && before.stageId === after.stageId) return;
    const now = typeof after.stageEnteredAt === 'string' ? after.stageEnteredAt : nowIso();
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
        source: s.ctx.source === 'automation' ? 'system' : s.ctx.source, // replicated: clients know the sources of RECORD_SOURCES
        custom: {},
      },
      true,
    );
  },
};
