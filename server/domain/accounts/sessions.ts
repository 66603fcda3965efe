/**
 * Sessions of people signed in with a password: an opaque token (the HttpOnly cookie) whose hash
 * is stored with the user, expiry and last use. Ending one deletes it, so the next request with
 * its cookie is refused; so is a session past its expiry.
 */
import { newId } from '../../../shared/ids.js';
import type { Db } from '../../store/database.js';
import type { Store } from '../../store/store.js';
import { notFound } from '../errors.js';
import { hashToken, isToken, newToken } from './tokens.js';
import type { User } from './users.js';

/** 30 days; the server may be started with another (tests use seconds). */
export const DEFAULT_SESSION_TTL_MS = 30 * 24 * 3600 * 1000;

export interface SessionInfo {
  id: string;
  userId: string;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string;
  userAgent: string | null;
  address: string | null;
}

export interface SessionAuth {
  user: User;
  session: SessionInfo;
}

export type SessionFailure = 'missing' | 'malformed' | 'unknown' | 'expired';

function toSession(row: Record<string, unknown>): SessionInfo {
  return {
    id: row.id,
    userId: row.userId,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    lastUsedAt: row.lastUsedAt,
    userAgent: row.userAgent ?? null,
    address: row.address ?? null,
  } as SessionInfo;
}

export async function createSession(db: Db, userId: string, options: { ttlMs?: number; userAgent?: string | null; address?: string | null } = {}): Promise<{ token: string; session: SessionInfo }> {
  const token = newToken('kses');
  const now = Date.now();
  const session: SessionInfo = {
    id: newId(),
    userId,
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + (options.ttlMs ?? DEFAULT_SESSION_TTL_MS)).toISOString(),
    lastUsedAt: new Date(now).toISOString(),
    userAgent: options.userAgent?.slice(0, 300) ?? null,
    address: options.address ?? null,
  };
  await db
    .insertInto('sessions')
    .values({ ...session, tokenHash: hashToken(token) })
    .execute();
  // the user's expired sessions are of no use to anyone: drop them while here
  await db.deleteFrom('sessions').where('userId', '=', userId).where('expiresAt', '<=', session.createdAt).execute();
  return { token, session };
}

export class SessionAuthenticator {
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(private readonly store: Store) {}

  /** The session and its user, or why not. Read afresh each time: an ended session stops at once. */
  async authenticate(raw: string | null | undefined): Promise<SessionAuth | { failure: SessionFailure }> {
    if (!raw) return { failure: 'missing' };
    if (!isToken(raw, 'kses')) return { failure: 'malformed' };
    const row = await this.store.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.userId')
      .selectAll('sessions')
      .select(['users.email', 'users.name as userName', 'users.platformRole', 'users.createdAt as userCreatedAt'])
      .where('sessions.tokenHash', '=', hashToken(raw))
      .executeTakeFirst();
    if (!row) return { failure: 'unknown' };
    if (Date.parse(row.expiresAt) <= Date.now()) return { failure: 'expired' };
    this.touch(row.id);
    const user: User = { id: row.userId, email: row.email, name: row.userName, platformRole: row.platformRole, createdAt: row.userCreatedAt };
    return { user, session: toSession(row) };
  }

  /** Records last use at most once a minute per session. */
  private touch(id: string): void {
    const now = Date.now();
    if ((this.lastUsedWritten.get(id) ?? 0) > now - 60_000) return;
    if (this.lastUsedWritten.size > 10_000) this.lastUsedWritten.clear();
    this.lastUsedWritten.set(id, now);
    void this.store.db
      .updateTable('sessions')
      .set({ lastUsedAt: new Date(now).toISOString() })
      .where('id', '=', id)
      .execute()
      .catch(() => {});
  }
}

export async function listSessions(db: Db, userId: string): Promise<SessionInfo[]> {
  const rows = await db.selectFrom('sessions').selectAll().where('userId', '=', userId).where('expiresAt', '>', new Date().toISOString()).orderBy('createdAt', 'desc').execute();
  return rows.map(toSession);
}

/** Ends one of the user's sessions (another user's session is not found). */
export async function endSession(db: Db, userId: string, sessionId: string): Promise<SessionInfo> {
  const row = await db.selectFrom('sessions').selectAll().where('id', '=', sessionId).where('userId', '=', userId).executeTakeFirst();
  if (!row) throw notFound('session', sessionId);
  await db.deleteFrom('sessions').where('id', '=', sessionId).execute();
  return toSession(row);
}

/** Ends every session of a user (a new password), except `keep`. */
export async function endAllSessions(db: Db, userId: string, keep?: string): Promise<number> {
  let q = db.deleteFrom('sessions').where('userId', '=', userId);
  if (keep) q = q.where('id', '!=', keep);
  const result = await q.executeTakeFirst();
  return Number(result.numDeletedRows ?? 0);
}
