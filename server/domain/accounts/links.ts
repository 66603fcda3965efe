/**
 * Passwords of people: set or reset from the CLI, through the first-start setup link, or through a
 * one-time reset link an owner makes for a member. A link's token is stored hashed, valid 24 h,
 * used once. Setting a password ends the user's other sessions; every change is audited.
 */
import { z } from 'zod';
import { newId } from '../../../shared/ids.js';
import type { Db } from '../../store/database.js';
import type { Store } from '../../store/store.js';
import { nowIso, requireWrite, type Ctx } from '../context.js';
import { conflict, DomainError, invalid, notFound, parseInput } from '../errors.js';
import { auditForUser, auditInWorkspace, type Actor } from './journal.js';
import { memberRole } from './members.js';
import { checkPasswordPolicy, hashPassword } from './passwords.js';
import { endAllSessions } from './sessions.js';
import { hashToken, isToken, newToken } from './tokens.js';
import { findUser, type User } from './users.js';

export const LINK_TTL_MS = 24 * 3600 * 1000;
export type LinkPurpose = 'setup' | 'reset';

export const LinkUse = z.strictObject({
  token: z.string().describe('the token of the setup or reset link (after #token=)'),
  password: z.string(),
  name: z.string().trim().min(1, { error: 'must not be empty' }).max(200).optional(),
});

export async function createUserLink(db: Db, userId: string, purpose: LinkPurpose, createdBy: string | null): Promise<{ token: string; expiresAt: string }> {
  const token = newToken('kset');
  const now = Date.now();
  const expiresAt = new Date(now + LINK_TTL_MS).toISOString();
  await db
    .insertInto('userTokens')
    .values({ id: newId(), userId, purpose, tokenHash: hashToken(token), createdBy, createdAt: new Date(now).toISOString(), expiresAt, usedAt: null })
    .execute();
  return { token, expiresAt };
}

/** An owner makes a one-time reset link for a member of their workspace. */
export async function createResetLink(store: Store, ctx: Ctx, userId: string): Promise<{ token: string; expiresAt: string }> {
  requireWrite(ctx, 'OWNER', 'make password reset links');
  if (!(await memberRole(store.db, ctx.workspaceId, userId))) throw notFound('member', userId);
  return store.db.transaction().execute(async (tx) => {
    const link = await createUserLink(tx, userId, 'reset', ctx.userId);
    await auditInWorkspace(tx, ctx, { entityType: 'user', entityId: userId, action: 'update', changedFields: ['passwordResetLink'], detail: { expiresAt: link.expiresAt } });
    return link;
  });
}

/** Sets a user's password and ends their sessions (except `keepSession`); audited in their workspaces. */
export async function setPassword(store: Store, idOrEmail: string, password: string, actor: Actor, keepSession?: string): Promise<User> {
  const user = await findUser(store.db, idOrEmail);
  const passwordHash = await hashPassword(checkPasswordPolicy(password));
  await store.db.transaction().execute(async (tx) => {
    await tx.updateTable('users').set({ passwordHash }).where('id', '=', user.id).execute();
    await endAllSessions(tx, user.id, keepSession);
    await auditForUser(tx, user.id, actor, { entityType: 'user', entityId: user.id, action: 'update', changedFields: ['password'] });
  });
  return user;
}

/** Uses a setup or reset link: sets the password (and, on setup, the name). Returns the user, to sign in. */
export async function useUserLink(store: Store, input: unknown): Promise<User> {
  const data = parseInput(LinkUse, input);
  if (!isToken(data.token, 'kset')) throw invalid('token', 'is not a setup or reset token (copy the whole link)');
  const passwordHash = await hashPassword(checkPasswordPolicy(data.password));
  return store.db.transaction().execute(async (tx) => {
    const row = await tx.selectFrom('userTokens').selectAll().where('tokenHash', '=', hashToken(data.token)).executeTakeFirst();
    if (!row) throw new DomainError('not_found', 'this link is not valid');
    if (row.usedAt) throw conflict('this link has been used already');
    if (Date.parse(row.expiresAt) <= Date.now()) throw conflict('this link has expired; ask for a new one');
    const changed: Record<string, unknown> = { passwordHash };
    if (data.name && row.purpose === 'setup') changed.name = data.name;
    await tx.updateTable('users').set(changed).where('id', '=', row.userId).execute();
    await tx.updateTable('userTokens').set({ usedAt: nowIso() }).where('id', '=', row.id).execute();
    await endAllSessions(tx, row.userId);
    await auditForUser(
      tx,
      row.userId,
      { userId: row.userId },
      { entityType: 'user', entityId: row.userId, action: 'update', changedFields: Object.keys(changed).map((k) => (k === 'passwordHash' ? 'password' : k)), detail: { link: row.purpose } },
    );
    return findUser(tx, row.userId);
  });
}

/** The stored password hash of an account by email (null when none or no such user). */
export async function passwordOf(db: Db, email: string): Promise<{ user: User; passwordHash: string | null } | null> {
  const row = await db.selectFrom('users').selectAll().where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
  if (!row) return null;
  const { passwordHash, ...user } = row;
  return { user: user as User, passwordHash: (passwordHash as string | null) ?? null };
}
