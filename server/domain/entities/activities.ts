import { ActivityCreate, ActivityUpdate } from '../../../shared/schemas.js';
import type { Row } from '../../store/records.js';
import { nowIso } from '../context.js';
import { invalid } from '../errors.js';
import type { EntityHooks } from '../records.js';

const iso = (value: unknown) => (typeof value === 'string' ? new Date(value).toISOString() : value);

function normalizeTimes(record: Row): void {
  for (const f of ['occurredAt', 'dueAt', 'completedAt']) if (record[f] != null) record[f] = iso(record[f]);
}

export const activityHooks: EntityHooks = {
  label: 'activity',
  createSchema: ActivityCreate,
  updateSchema: ActivityUpdate,
  writeRole: 'MEMBER',
  async prepareCreate(s, input) {
    const record: Row = { ...input, actorId: s.ctx.userId, occurredAt: input.occurredAt ?? nowIso() };
    normalizeTimes(record);
    return record;
  },
  normalizePatch(patch) {
    const { completed, ...rest } = patch;
    if (completed === true && rest.completedAt === undefined) rest.completedAt = nowIso();
    if (completed === false) rest.completedAt = null;
    return rest;
  },
  async prepareUpdate(_s, _before, next) {
    normalizeTimes(next);
  },
  async validate(s, record, before) {
    if (record.organizationId == null && record.personId == null && record.dealId == null) {
      throw invalid('dealId', 'an activity needs at least one of organizationId, personId or dealId');
    }
    await s.records.requireRef(s, 'organizations', record.organizationId, 'organizationId', before);
    await s.records.requireRef(s, 'people', record.personId, 'personId', before);
    await s.records.requireRef(s, 'deals', record.dealId, 'dealId', before);
  },
};
