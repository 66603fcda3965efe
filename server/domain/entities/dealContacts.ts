import { z } from 'zod';
import { DealContactCreate, Id } from '../../../shared/schemas.js';
import { conflict } from '../errors.js';
import type { EntityHooks } from '../records.js';

/** The stored shape: the deal id comes from the route, or from a synced document. */
export const DealContactWrite = DealContactCreate.extend({ dealId: Id });
export const DealContactUpdate = z.strictObject({ role: DealContactCreate.shape.role });

export const dealContactHooks: EntityHooks = {
  label: 'deal contact',
  createSchema: DealContactWrite,
  updateSchema: DealContactUpdate,
  writeRole: 'MEMBER',
  // unlinking a person from a deal is an edit of the deal, not a destructive delete: members may
  deleteRole: 'MEMBER',
  async prepareCreate(_s, input) {
    return { ...input };
  },
  async validate(s, record, before) {
    await s.records.requireRef(s, 'deals', record.dealId, 'dealId');
    await s.records.requireRef(s, 'people', record.personId, 'personId');
    if (!before) {
      const existing = await s.tx
        .selectFrom('dealContacts')
        .select('id')
        .where('workspaceId', '=', s.ctx.workspaceId)
        .where('dealId', '=', record.dealId as string)
        .where('personId', '=', record.personId as string)
        .where('deleted', '=', 0)
        .executeTakeFirst();
      if (existing) throw conflict(`person ${String(record.personId)} is already a contact of deal ${String(record.dealId)}`, { id: existing.id });
    }
  },
};
