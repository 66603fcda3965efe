/**
 * Deal contacts: a person on a deal, with a role. A person is on a deal at most once; the deal
 * and the person of a link never change (only its role does).
 */
import { z } from 'zod';
import { DealContactCreate, DealContactRecord, Id } from '../schemas.js';
import { conflict, MEMBER_WRITES, requireRef, type EntityDefinition } from './entity.js';

/** A new link as stored: the REST body (DealContactCreate) plus the deal, which REST takes from the route. */
export const DealContactWrite = DealContactCreate.extend({ dealId: Id });
export const DealContactUpdate = z.strictObject({ role: DealContactCreate.shape.role });

export const dealContacts: EntityDefinition<'dealContacts', typeof DealContactRecord, typeof DealContactWrite, typeof DealContactUpdate> = {
  name: 'dealContacts',
  entityType: 'dealContact',
  label: 'deal contact',
  record: DealContactRecord,
  create: DealContactWrite,
  update: DealContactUpdate,
  fixedFields: ['dealId', 'personId'],
  references: { dealId: 'deals', personId: 'people' },
  moneyFields: [],
  indexes: ['dealId', 'personId'],
  list: { search: ['role'], sort: ['role'], filter: ['dealId', 'personId'] },
  // unlinking a person from a deal is an edit of the deal, not a destructive delete: members may
  permissions: { ...MEMBER_WRITES, delete: 'MEMBER' },
  sync: 'pushable',
  rules: {
    async validate(scope, record, before) {
      await requireRef(scope, 'deals', record.dealId, 'dealId');
      await requireRef(scope, 'people', record.personId, 'personId');
      if (before) return;
      const existing = await scope.reader.dealContact(record.dealId, record.personId);
      if (existing) throw conflict('personId', `person ${record.personId} is already a contact of deal ${record.dealId}`, { id: existing.id });
    },
  },
};
