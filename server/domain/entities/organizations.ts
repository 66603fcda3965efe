import { OrganizationCreate, OrganizationUpdate } from '../../../shared/schemas.js';
import type { Row } from '../../store/records.js';
import type { EntityHooks } from '../records.js';

/** example.com from "https://www.Example.com/about" — used to spot duplicate organizations. */
export function domainFromWebsite(website: unknown): string | null {
  if (typeof website !== 'string' || website.trim() === '') return null;
  const text = website.trim();
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
    const host = url.hostname.toLowerCase().replace(/^www\./, '').replace(/\.$/, '');
    return host.includes('.') ? host : null;
  } catch {
    return null;
  }
}

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
