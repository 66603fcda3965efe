/**
 * Who may do what to which records (SPEC §1): one table for the server (which refuses) and the UI
 * (which never offers what the server would refuse).
 *
 * - VIEWER: reads everything, writes nothing. A read-only key or grant: the same, whatever its role.
 * - MEMBER: creates and updates records and activities, archives and restores them, and unlinks a
 *   contact from a deal (an edit of the deal, not a destructive delete).
 * - OWNER: everything, including deleting records and managing pipelines and stages.
 */
import { COLLECTIONS, COLLECTION_NAMES, type CollectionName } from './collections.js';
import type { RecordAction } from './entities/entity.js';
import type { Role } from './schemas.js';

export type { RecordAction };

/**
 * The least role that may perform each action on each collection (null: nobody, the server writes
 * it). Declared with each entity (`permissions` in shared/entities/<collection>.ts).
 */
export const PERMISSIONS: Record<CollectionName, Record<RecordAction, Role | null>> = Object.fromEntries(COLLECTION_NAMES.map((c) => [c, COLLECTIONS[c].permissions])) as Record<
  CollectionName,
  Record<RecordAction, Role | null>
>;

const RANK: Record<Role, number> = { VIEWER: 0, MEMBER: 1, OWNER: 2 };

export function roleAtLeast(role: Role, least: Role): boolean {
  return RANK[role] >= RANK[least];
}

/** The caller's standing in a workspace: its role, and whether its key or grant is read-only. */
export interface Access {
  role: Role;
  readOnly: boolean;
}

/** The least role an action needs (null: no client may do it). */
export function requiredRole(collection: CollectionName, action: RecordAction): Role | null {
  return PERMISSIONS[collection][action];
}

/** True when `access` may perform `action` on records of `collection`. */
export function can(access: Access, action: RecordAction, collection: CollectionName): boolean {
  const least = requiredRole(collection, action);
  return least !== null && !access.readOnly && roleAtLeast(access.role, least);
}

/** A user in a workspace: who they are (null: no user, e.g. a system context) and their access. */
export interface Actor extends Access {
  userId: string | null;
}

/**
 * Whether `userId` sees a record: always, unless its collection keeps records to their owner
 * (`ownership`, saved views) and the record is neither shared nor theirs.
 */
export function visibleTo(collection: CollectionName, record: Record<string, unknown>, userId: string | null): boolean {
  const own = COLLECTIONS[collection].ownership;
  if (!own || record[own.shared] === true) return true;
  return userId !== null && record[own.owner] === userId;
}

/**
 * Whether `actor` may perform `action` on this record: the role rule (`can`) and, for collections
 * with `ownership`, being the record's owner or a workspace owner (and seeing it).
 */
export function mayChangeRecord(actor: Actor, action: RecordAction, collection: CollectionName, record: Record<string, unknown>): boolean {
  if (!can(actor, action, collection)) return false;
  const own = COLLECTIONS[collection].ownership;
  if (!own) return true;
  if (!visibleTo(collection, record, actor.userId)) return false;
  return actor.role === 'OWNER' || (actor.userId !== null && record[own.owner] === actor.userId);
}
