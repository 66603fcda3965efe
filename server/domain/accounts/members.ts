/**
 * Memberships: a user's role (OWNER, MEMBER, VIEWER) in a workspace. Every change is announced
 * on the store's feed as an access change, so open streams re-check who may still read.
 */
import { Role } from '../../../shared/schemas.js';
import type { Db } from '../../store/database.js';
import type { Store } from '../../store/store.js';
import { nowIso } from '../context.js';
import { parseInput } from '../errors.js';
import type { User } from './users.js';

/** Adds a user to a workspace, or changes their role there. */
export async function setMembership(store: Store, workspaceId: string, userId: string, role: string): Promise<void> {
  const parsed = parseInput(Role, role, 'role');
  await store.db
    .insertInto('memberships')
    .values({ workspaceId, userId, role: parsed, createdAt: nowIso() })
    .onConflict((oc) => oc.columns(['workspaceId', 'userId']).doUpdateSet({ role: parsed }))
    .execute();
  store.feed.notifyAccess({ kind: 'membership', workspaceId, userId, keyId: null });
}

export async function removeMembership(store: Store, workspaceId: string, userId: string): Promise<void> {
  await store.db.deleteFrom('memberships').where('workspaceId', '=', workspaceId).where('userId', '=', userId).execute();
  store.feed.notifyAccess({ kind: 'membership', workspaceId, userId, keyId: null });
}

export async function listMembers(db: Db, workspaceId: string): Promise<(User & { role: string })[]> {
  return (await db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.userId')
    .selectAll('users')
    .select('memberships.role')
    .where('memberships.workspaceId', '=', workspaceId)
    .orderBy('users.name')
    .execute()) as (User & { role: string })[];
}

/** The user's role in the workspace, or undefined when they are not a member. */
export async function memberRole(db: Db, workspaceId: string, userId: string): Promise<Role | undefined> {
  const membership = await db.selectFrom('memberships').select('role').where('workspaceId', '=', workspaceId).where('userId', '=', userId).executeTakeFirst();
  return membership?.role as Role | undefined;
}

/** The workspace's first owner (by when they joined), if it has one. */
export async function firstOwnerId(db: Db, workspaceId: string): Promise<string | null> {
  const owner = await db.selectFrom('memberships').select('userId').where('workspaceId', '=', workspaceId).where('role', '=', 'OWNER').orderBy('createdAt').executeTakeFirst();
  return owner?.userId ?? null;
}
