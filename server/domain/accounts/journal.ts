/**
 * The audit entries of account changes (sessions, passwords, memberships, invites): written to the
 * audit log of the workspace concerned, or of each workspace the user belongs to when the change
 * is the user's own (a session, a password).
 */
import type { Source } from '../../../shared/schemas.js';
import type { Db } from '../../store/database.js';
import { writeAudit, type AuditInput } from '../audit.js';
import type { Ctx } from '../context.js';
import { listWorkspaces } from './workspaces.js';

export interface Actor {
  userId: string | null;
  keyId?: string | null;
  source?: Source;
}

/** One entry in the workspace of `ctx`. */
export function auditInWorkspace(db: Db, ctx: Ctx, entry: AuditInput): Promise<void> {
  return writeAudit(db, ctx, entry);
}

/** One entry in every workspace the user belongs to. */
export async function auditForUser(db: Db, userId: string, actor: Actor, entry: AuditInput): Promise<void> {
  for (const workspace of await listWorkspaces(db, userId)) {
    const ctx: Ctx = { workspace, workspaceId: workspace.id, userId: actor.userId, keyId: actor.keyId ?? null, role: 'VIEWER', readOnly: true, source: actor.source ?? 'rest' };
    await writeAudit(db, ctx, entry);
  }
}
