/** Organizations: the domain is derived from the website (to spot duplicates). */
import { OrganizationCreate, OrganizationRecord, OrganizationUpdate } from '../schemas.js';
import { MEMBER_WRITES, type EntityDefinition } from './entity.js';

/** example.com from "https://www.Example.com/about" — used to spot duplicate organizations. */
export function domainFromWebsite(website: unknown): string | null {
  if (typeof website !== 'string' || website.trim() === '') return null;
  const text = website.trim();
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
    const host = url.hostname
      .toLowerCase()
      .replace(/^www\./, '')
      .replace(/\.$/, '');
    return host.includes('.') ? host : null;
  } catch {
    return null;
  }
}

export const organizations: EntityDefinition<'organizations', typeof OrganizationRecord, typeof OrganizationCreate, typeof OrganizationUpdate> = {
  name: 'organizations',
  entityType: 'organization',
  label: 'organization',
  record: OrganizationRecord,
  create: OrganizationCreate,
  update: OrganizationUpdate,
  fixedFields: [],
  references: {},
  computed: ['lastActivityAt', 'nextFollowUpAt'],
  moneyFields: [],
  indexes: ['name', 'updatedAt'],
  list: { search: ['name', 'domain', 'website'], sort: ['name', 'domain', 'lastActivityAt', 'nextFollowUpAt'], filter: ['ownerId'] },
  permissions: MEMBER_WRITES,
  sync: 'pushable',
  rules: {
    create: (_scope, input) => ({ ...input, domain: domainFromWebsite(input.website) }),
    update(_scope, _before, next) {
      next.domain = domainFromWebsite(next.website);
    },
  },
};
