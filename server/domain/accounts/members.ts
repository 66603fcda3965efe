/**
 * Memberships: a user's role (OWNER, MEMBER, VIEWER) in a workspace. Every change is announced
 * on the store's feed as an access change, so open streams re-check who may still read.
 */
import { z } from 'zod';
import { Role } from '../../../shared/schemas.js';
import type { Db } from '../../store/database.js';
import type { Store } from '../../store/store.js';
import { nowIso, requireWrite, type Ctx } from '../context.js';
import { conflict, notFound, parseInput } from '../errors.js';
import { auditInWorkspace } from './journal.js';
import { OAuthService } from './oauth.js';
import { USER_COLUMNS, type User } from './users.js';

/** Refuses a change that would leave the workspace without an owner (SPEC §1: the last owner is protected). */
async function keepAnOwner(db: Db, workspaceId: string, userId: string, newRole: Role | null): Promise<Role | undefined> {
  const current = await memberRole(db, workspaceId, userId);
  if (current !== 'OWNER' || newRole === 'OWNER') return current;
  const owners = await db.selectFrom('memberships').select('userId').where('workspaceId', '=', workspaceId).where('role', '=', 'OWNER').limit(2).execute();
  if (owners.length < 2) {
    throw conflict(`this is the last owner of the workspace: it cannot be ${newRole ? 'demoted' : 'removed'}; make another member an owner first`);
  }
  return current;
}

/** Adds a user to a workspace, or changes their role there. */
export async function setMembership(store: Store, workspaceId: string, userId: string, role: string): Promise<void> {
  const parsed = parseInput(Role, role, 'role');
  await keepAnOwner(store.db, workspaceId, userId, parsed);
  await store.db
    .insertInto('memberships')
    .values({ workspaceId, userId, role: parsed, createdAt: nowIso() })
    .onConflict((oc) => oc.columns(['workspaceId', 'userId']).doUpdateSet({ role: parsed }))
    .execute();
  store.feed.notifyAccess({ kind: 'membership', workspaceId, userId, keyId: null });
}

export async function removeMembership(store: Store, workspaceId: string, userId: string): Promise<void> {
  await keepAnOwner(store.db, workspaceId, userId, null);
  await store.db.transaction().execute(async (tx) => {
    await tx.deleteFrom('memberships').where('workspaceId', '=', workspaceId).where('userId', '=', userId).execute();
    await new OAuthService(store).revokeMemberGrants(tx, workspaceId, userId);
  });
  store.feed.notifyAccess({ kind: 'membership', workspaceId, userId, keyId: null });
}

export async function listMembers(db: Db, workspaceId: string): Promise<(User & { role: string })[]> {
  return (await db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.userId')
    .select(USER_COLUMNS.map((c) => `users.${c}` as const))
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

/** An owner changes a member's role (PATCH /crm/workspace/members/:userId); audited. */
export async function changeMemberRole(store: Store, ctx: Ctx, userId: string, input: unknown): Promise<User & { role: Role }> {
  requireWrite(ctx, 'OWNER', 'manage members');
  const { role } = parseInput(MemberUpdate, input);
  const member = await store.db.transaction().execute(async (tx) => {
    const before = await keepAnOwner(tx, ctx.workspaceId, userId, role);
    if (!before) throw notFound('member', userId);
    await tx.updateTable('memberships').set({ role }).where('workspaceId', '=', ctx.workspaceId).where('userId', '=', userId).execute();
    if (before !== role) {
      await auditInWorkspace(tx, ctx, { entityType: 'membership', entityId: userId, action: 'update', before: { role: before }, after: { role }, changedFields: ['role'] });
    }
    return (await listMembers(tx, ctx.workspaceId)).find((m) => m.id === userId) as User & { role: Role };
  });
  store.feed.notifyAccess({ kind: 'membership', workspaceId: ctx.workspaceId, userId, keyId: null });
  return member;
}

/** An owner removes a member, or a member leaves (DELETE /crm/workspace/members/:userId); audited. */
export async function removeMember(store: Store, ctx: Ctx, userId: string): Promise<void> {
  requireWrite(ctx, userId === ctx.userId ? 'VIEWER' : 'OWNER', userId === ctx.userId ? 'leave the workspace' : 'remove members');
  await store.db.transaction().execute(async (tx) => {
    const before = await keepAnOwner(tx, ctx.workspaceId, userId, null);
    if (!before) throw notFound('member', userId);
    await tx.deleteFrom('memberships').where('workspaceId', '=', ctx.workspaceId).where('userId', '=', userId).execute();
    await auditInWorkspace(tx, ctx, { entityType: 'membership', entityId: userId, action: 'delete', before: { role: before }, after: null });
    // the apps they connected to this workspace (OAuth grants) lose access with them
    await new OAuthService(store).revokeMemberGrants(tx, ctx.workspaceId, userId);
  });
  store.feed.notifyAccess({ kind: 'membership', workspaceId: ctx.workspaceId, userId, keyId: null });
}

export const MemberUpdate = z.strictObject({ role: Role });
