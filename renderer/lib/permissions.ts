/**
 * The shared permission rule (shared/permissions.ts) with the sentence the UI shows when it says
 * no: "Viewers can't edit deals", "Only owners can delete people", "Your access is read-only…".
 */
import type { CollectionName } from '../../shared/collections.js';
import { can, requiredRole, type Access, type RecordAction } from '../../shared/permissions.js';

export type { Access, RecordAction };

/** Whether an action is allowed and, when it is not, why (for a tooltip, an aria-description or a notice). */
export interface Permission {
  allowed: boolean;
  /** null when allowed */
  reason: string | null;
}

const VERB: Record<RecordAction, string> = { create: 'add', update: 'edit', archive: 'archive', restore: 'restore', delete: 'delete' };
/** How the sentences name a collection (others by their name). */
const NOUN: Partial<Record<CollectionName, string>> = {
  organizations: 'organizations',
  people: 'people',
  deals: 'deals',
  dealContacts: "a deal's contacts",
  activities: 'activities',
  pipelines: 'pipelines',
  stages: 'stages',
  stageChanges: 'the stage history',
  views: 'saved views',
};

export function permission(access: Access, action: RecordAction, collection: CollectionName): Permission {
  if (can(access, action, collection)) return { allowed: true, reason: null };
  const what = `${VERB[action]} ${NOUN[collection] ?? collection}`;
  const least = requiredRole(collection, action);
  if (least === null) return { allowed: false, reason: `Nobody can ${what}: the server records it` };
  if (access.readOnly) return { allowed: false, reason: `Your access is read-only, so you can't ${what}` };
  if (least === 'OWNER') return { allowed: false, reason: `Only owners can ${what}` };
  return { allowed: false, reason: `Viewers can't ${what}` };
}
