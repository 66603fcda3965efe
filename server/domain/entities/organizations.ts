import { OrganizationCreate, OrganizationUpdate } from '../../../shared/schemas.js';
import type { Row } from '../../store/records.js';
import { domainFromWebsite } from '../../../shared/rules.js';
import type { EntityHooks } from '../records.js';

export const organizationHooks: EntityHooks = {
  label: 'organization',
  createSchema: OrganizationCreate,
  updateSchema: OrganizationUpdate,
  writeRole: 'MEMBER',
  async prepareCreate(_s, input: Row) {
    return { ...input, labels: input.labels ?? [], domain: domainFromWebsite(input.website) };
  },
  async prepareUpdate(_s, _before, next) {
    next.domain = domainFromWebsite(next.website);
  },
};
