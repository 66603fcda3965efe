/** People: a person may work for an organization of the workspace. */
import { PersonCreate, PersonRecord, PersonUpdate } from '../schemas.js';
import { MEMBER_WRITES, requireRef, type EntityDefinition } from './entity.js';

export const people: EntityDefinition<'people', typeof PersonRecord, typeof PersonCreate, typeof PersonUpdate> = {
  name: 'people',
  entityType: 'person',
  label: 'person',
  record: PersonRecord,
  create: PersonCreate,
  update: PersonUpdate,
  fixedFields: [],
  references: { organizationId: 'organizations' },
  computed: ['lastActivityAt', 'nextFollowUpAt'],
  moneyFields: [],
  indexes: ['name', 'updatedAt'],
  list: { search: ['name', 'email', 'title', 'phone'], sort: ['name', 'email', 'title', 'lastActivityAt', 'nextFollowUpAt'], filter: ['organizationId', 'ownerId'] },
  permissions: MEMBER_WRITES,
  sync: 'pushable',
  rules: {
    async validate(scope, record, before) {
      await requireRef(scope, 'organizations', record.organizationId, 'organizationId', before);
    },
  },
};
