import { PersonCreate, PersonUpdate } from '../../../shared/schemas.js';
import type { EntityHooks } from '../records.js';

export const personHooks: EntityHooks = {
  label: 'person',
  createSchema: PersonCreate,
  updateSchema: PersonUpdate,
  writeRole: 'MEMBER',
  async prepareCreate(_s, input) {
    return { ...input, labels: input.labels ?? [] };
  },
  async validate(s, record, before) {
    await s.records.requireRef(s, 'organizations', record.organizationId, 'organizationId', before);
  },
};
