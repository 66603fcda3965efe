/**
 * Activities (notes, calls, emails, meetings, follow-ups): each concerns at least one
 * organization, person or deal; times are stored as UTC ISO 8601; `completed` is a shortcut for
 * completedAt.
 */
import { ActivityCreate, ActivityRecord, ActivityUpdate } from '../schemas.js';
import { invalid, MEMBER_WRITES, requireRef, type EntityDefinition, type Row } from './entity.js';

const TIME_FIELDS = ['occurredAt', 'dueAt', 'completedAt'] as const;

function normalizeTimes(record: Row): void {
  for (const f of TIME_FIELDS) if (typeof record[f] === 'string') record[f] = new Date(record[f] as string).toISOString();
}

export const activities: EntityDefinition<'activities', typeof ActivityRecord, typeof ActivityCreate, typeof ActivityUpdate> = {
  name: 'activities',
  entityType: 'activity',
  label: 'activity',
  record: ActivityRecord,
  create: ActivityCreate,
  update: ActivityUpdate,
  fixedFields: [],
  references: { organizationId: 'organizations', personId: 'people', dealId: 'deals' },
  moneyFields: [],
  indexes: ['occurredAt', ['type', 'occurredAt']],
  list: { search: ['subject', 'body'], sort: ['occurredAt', 'dueAt', 'type'], filter: ['organizationId', 'personId', 'dealId', 'type'] },
  permissions: MEMBER_WRITES,
  sync: 'pushable',
  rules: {
    create(scope, input) {
      const record: Row = { ...input, actorId: scope.actorId, occurredAt: input.occurredAt ?? scope.now() };
      normalizeTimes(record);
      return record;
    },
    normalizePatch(patch, now) {
      const { completed, ...rest } = patch;
      if (completed === true && rest.completedAt === undefined) rest.completedAt = now;
      if (completed === false) rest.completedAt = null;
      return rest;
    },
    update(_scope, _before, next) {
      normalizeTimes(next);
    },
    async validate(scope, record, before) {
      if (record.organizationId == null && record.personId == null && record.dealId == null) {
        throw invalid('dealId', 'an activity needs at least one of organizationId, personId or dealId');
      }
      await requireRef(scope, 'organizations', record.organizationId, 'organizationId', before);
      await requireRef(scope, 'people', record.personId, 'personId', before);
      await requireRef(scope, 'deals', record.dealId, 'dealId', before);
    },
  },
};
