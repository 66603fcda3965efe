/**
 * Invites (SPEC §1): an owner invites an email with a role and gets a one-time link (the token is
 * stored hashed, valid 7 days, revocable, listable). Accepting it — signed in as that email, or
 * creating the account with name and password — adds the membership. Every change is audited.
 */
import { z } from 'zod';
import { newId } from '../../../shared/ids.js';
import { Role } from '../../../shared/schemas.js';
import type { Db } from '../../store/database.js';
import type { Store } from '../../store/store.js';
import { nowIso, requireWrite, type Ctx } from '../context.js';
import { conflict, DomainError, forbidden, invalid, notFound, parseInput } from '../errors.js';
import { auditInWorkspace } from './journal.js';
import { memberRole } from './members.js';
import { checkPasswordPolicy, hashPassword } from './passwords.js';
import { hashToken, isToken, newToken } from './tokens.js';
import { createUser, type User } from './users.js';
import { findWorkspace } from './workspaces.js';

export const INVITE_TTL_MS = 7 * 24 * 3600 * 1000;

export const InviteCreate = z.strictObject({
  email: z.email({ error: 'must be an email address' }).trim().toLowerCase(),
  role: Role,
});

export const InviteAccept = z.strictObject({
  token: z.string().describe('the token of the invite link (after #token=)'),
  name: z.string().trim().min(1, { error: 'must not be empty' }).max(200).optional(),
  password: z.string().optional(),
});

export type InviteStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

export interface InviteInfo {
  id: string;
  workspaceId: string;
  email: string;
  role: Role;
  status: InviteStatus;
  createdBy: string | null;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  acceptedAt: string | null;
  acceptedBy: string | null;
}

function toInvite(row: Record<string, unknown>): InviteInfo {
  const { tokenHash: _hash, ...rest } = row;
  const info = rest as unknown as Omit<InviteInfo, 'status'>;
  const status: InviteStatus = info.acceptedAt ? 'accepted' : info.revokedAt ? 'revoked' : Date.parse(info.expiresAt) <= Date.now() ? 'expired' : 'pending';
  return { ...info, status };
}

export async function createInvite(store: Store, ctx: Ctx, input: unknown): Promise<{ token: string; invite: InviteInfo }> {
  requireWrite(ctx, 'OWNER', 'invite members');
  const data = parseInput(InviteCreate, input);
  const token = newToken('kinv');
  const now = Date.now();
  const row = {
    id: newId(),
    workspaceId: ctx.workspaceId,
    email: data.email,
    role: data.role,
    createdBy: ctx.userId,
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + INVITE_TTL_MS).toISOString(),
    revokedAt: null,
    acceptedAt: null,
    acceptedBy: null,
  };
  await store.db.transaction().execute(async (tx) => {
    await tx
      .insertInto('invites')
      .values({ ...row, tokenHash: hashToken(token) })
      .execute();
    await auditInWorkspace(tx, ctx, { entityType: 'invite', entityId: row.id, action: 'create', after: { email: row.email, role: row.role, expiresAt: row.expiresAt } });
  });
  return { token, invite: toInvite(row) };
}

export async function listInvites(db: Db, ctx: Ctx): Promise<InviteInfo[]> {
  requireWrite(ctx, 'OWNER', 'see invites');
  return (await db.selectFrom('invites').selectAll().where('workspaceId', '=', ctx.workspaceId).orderBy('createdAt', 'desc').execute()).map(toInvite);
}

export async function revokeInvite(store: Store, ctx: Ctx, id: string): Promise<InviteInfo> {
  requireWrite(ctx, 'OWNER', 'revoke invites');
  return store.db.transaction().execute(async (tx) => {
    const row = await tx.selectFrom('invites').selectAll().where('id', '=', id).where('workspaceId', '=', ctx.workspaceId).executeTakeFirst();
    if (!row) throw notFound('invite', id);
    if (row.acceptedAt) throw conflict('this invite was already accepted; remove the member instead');
    if (row.revokedAt) return toInvite(row);
    const revokedAt = nowIso();
    await tx.updateTable('invites').set({ revokedAt }).where('id', '=', id).execute();
    await auditInWorkspace(tx, ctx, { entityType: 'invite', entityId: id, action: 'delete', before: { email: row.email, role: row.role }, detail: { revoked: true } });
    return toInvite({ ...row, revokedAt });
  });
}

/** The pending invite a token names, or why not (404: unknown; 409: used, revoked or expired). */
async function pendingInvite(db: Db, token: unknown): Promise<InviteInfo> {
  if (!isToken(token, 'kinv')) throw invalid('token', 'is not an invite token (copy the whole link)');
  const row = await db.selectFrom('invites').selectAll().where('tokenHash', '=', hashToken(token)).executeTakeFirst();
  if (!row) throw new DomainError('not_found', 'this invite link is not valid');
  const invite = toInvite(row);
  if (invite.status !== 'pending') throw conflict(`this invite has been ${invite.status === 'accepted' ? 'used already' : invite.status}; ask an owner for a new one`);
  return invite;
}

/** What an invite link offers, before it is accepted. */
export async function previewInvite(db: Db, token: unknown): Promise<{ email: string; role: Role; expiresAt: string; workspace: { name: string; slug: string }; accountExists: boolean }> {
  const invite = await pendingInvite(db, token);
  const workspace = await findWorkspace(db, invite.workspaceId);
  const account = await db.selectFrom('users').select('id').where('email', '=', invite.email).executeTakeFirst();
  return { email: invite.email, role: invite.role, expiresAt: invite.expiresAt, workspace: { name: workspace!.name, slug: workspace!.slug }, accountExists: !!account };
}

/**
 * Accepts an invite: as the signed-in user (whose email must be the invited one), or by creating
 * the account with name and password when none exists for that email. Adds the membership with
 * the invited role (an existing membership keeps its role). Returns the user, and whether the
 * account was created (the caller then signs them in).
 */
export async function acceptInvite(store: Store, input: unknown, signedIn: User | null): Promise<{ user: User; created: boolean; workspaceId: string; role: Role }> {
  const data = parseInput(InviteAccept, input);
  let passwordHash: string | null = null;
  if (!signedIn) {
    if (!data.name) throw invalid('name', 'is required to create the account (or sign in first)');
    passwordHash = await hashPassword(checkPasswordPolicy(data.password));
  }
  const result = await store.db.transaction().execute(async (tx) => {
    const invite = await pendingInvite(tx, data.token);
    let user: User;
    let created = false;
    if (signedIn) {
      if (signedIn.email.toLowerCase() !== invite.email.toLowerCase()) {
        throw forbidden(`this invite is for ${invite.email}; you are signed in as ${signedIn.email}`);
      }
      user = signedIn;
    } else {
      const existing = await tx.selectFrom('users').select('id').where('email', '=', invite.email).executeTakeFirst();
      if (existing) throw conflict(`an account for ${invite.email} exists: sign in, then accept the invite`);
      user = await createUser(tx, { email: invite.email, name: data.name });
      await tx.updateTable('users').set({ passwordHash }).where('id', '=', user.id).execute();
      created = true;
    }
    const current = await memberRole(tx, invite.workspaceId, user.id);
    const role = current ?? invite.role;
    if (!current) await tx.insertInto('memberships').values({ workspaceId: invite.workspaceId, userId: user.id, role, createdAt: nowIso() }).execute();
    const acceptedAt = nowIso();
    await tx.updateTable('invites').set({ acceptedAt, acceptedBy: user.id }).where('id', '=', invite.id).execute();
    const workspace = (await findWorkspace(tx, invite.workspaceId))!;
    const ctx: Ctx = { workspace, workspaceId: workspace.id, userId: user.id, keyId: null, role, readOnly: false, source: 'rest' };
    await auditInWorkspace(tx, ctx, {
      entityType: 'invite',
      entityId: invite.id,
      action: 'update',
      before: { status: 'pending' },
      after: { status: 'accepted', userId: user.id },
      changedFields: ['status'],
    });
    if (!current) await auditInWorkspace(tx, ctx, { entityType: 'membership', entityId: user.id, action: 'create', after: { role, email: user.email }, detail: { invite: invite.id } });
    return { user, created, workspaceId: invite.workspaceId, role };
  });
  store.feed.notifyAccess({ kind: 'membership', workspaceId: result.workspaceId, userId: result.user.id, keyId: null });
  return result;
}
