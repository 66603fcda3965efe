/**
 * Accounts and access: users, workspaces, memberships, API keys, and turning a key plus a
 * workspace selector into a Ctx. `AccountService` is the one object adapters use; each idea
 * lives in its own file under ./accounts/:
 *
 *   users.ts, workspaces.ts, members.ts, keys.ts   the records and their rules
 *   auth.ts                                        raw key → key and user (or why not)
 *   access.ts                                      key + workspace selector → Ctx; re-checks
 *   cache.ts                                       the change-stamp caches of the two above
 *   bootstrap.ts                                   first start on an empty database
 *   passwords.ts, sessions.ts, links.ts            people sign in: password hashes, sessions,
 *                                                  setup and reset links, `kith user password`
 *   invites.ts                                     invite links and accepting them
 *   oauth.ts                                       OAuth 2.1 for remote MCP clients (this.oauth)
 *   journal.ts                                     the audit entries of account changes
 */
import type { Source } from '../../shared/schemas.js';
import type { Db } from '../store/database.js';
import type { Store } from '../store/store.js';
import { WorkspaceAccess, type Caller } from './accounts/access.js';
import { acceptInvite, createInvite, listInvites, previewInvite, revokeInvite, type InviteInfo } from './accounts/invites.js';
import type { Actor } from './accounts/journal.js';
import { createResetLink, passwordOf, setPassword, useUserLink } from './accounts/links.js';
import { verifyPassword } from './accounts/passwords.js';
import { createSession, endAllSessions, endSession, listSessions, SessionAuthenticator, type SessionInfo } from './accounts/sessions.js';
import { auditForUser } from './accounts/journal.js';
import { KeyAuthenticator, type Auth, type AuthFailure } from './accounts/auth.js';
import { bootstrap } from './accounts/bootstrap.js';
import { AccessCache } from './accounts/cache.js';
import { OAuthService } from './accounts/oauth.js';
import { McpSessions } from './accounts/mcpSessions.js';
import { createApiKey, createOwnKey, listApiKeys, listKeys, revokeApiKey, revokeKey, type ApiKeyInfo, type ApiKeyView } from './accounts/keys.js';
import { changeMemberRole, listMembers, removeMember, removeMembership, setMembership } from './accounts/members.js';
import { createUser, findUser, listUsers, type User } from './accounts/users.js';
import { createWorkspace, findWorkspace, listWorkspaces, updateWorkspace } from './accounts/workspaces.js';
import type { Ctx, Workspace } from './context.js';
import type { RecordService } from './records.js';

export type { Auth } from './accounts/auth.js';
export type { Caller, Principal } from './accounts/access.js';
export type { SessionAuth, SessionInfo } from './accounts/sessions.js';
export type { InviteInfo } from './accounts/invites.js';
export { InviteAccept, InviteCreate } from './accounts/invites.js';
export { LinkUse } from './accounts/links.js';
export { MemberUpdate } from './accounts/members.js';
export { DEFAULT_SESSION_TTL_MS } from './accounts/sessions.js';
export { API_KEY_PATTERN, hashApiKey, KeyListQuery, OwnKeyCreate } from './accounts/keys.js';
export type { ApiKeyView } from './accounts/keys.js';
export { WorkspaceUpdate } from './accounts/workspaces.js';
export { OAUTH_LIFETIMES, OAUTH_SCOPES, OAuthGrantError, OAuthService, READ_SCOPE, WRITE_SCOPE } from './accounts/oauth.js';
export type { GrantInfo, OAuthAuth, OAuthClient, OAuthFailure } from './accounts/oauth.js';

export class AccountService {
  private readonly keys: KeyAuthenticator;
  private readonly access: WorkspaceAccess;
  private readonly sessions: SessionAuthenticator;
  /** OAuth 2.1 for remote MCP clients: clients, consent, grants and their tokens (accounts/oauth.ts). */
  readonly oauth: OAuthService;
  /** Open hosted MCP sessions, shared by every server process on the database (accounts/mcpSessions.ts). */
  readonly mcpSessions: McpSessions;

  constructor(
    private readonly store: Store,
    private readonly records: RecordService,
  ) {
    const cache = new AccessCache(store);
    this.keys = new KeyAuthenticator(store, cache);
    this.sessions = new SessionAuthenticator(store);
    this.oauth = new OAuthService(store);
    this.mcpSessions = new McpSessions(store.db);
    this.access = new WorkspaceAccess(store, cache, this.keys, this.sessions, this.oauth);
  }

  private get db(): Db {
    return this.store.db;
  }

  // ------------------------------------------------------------ users

  createUser(input: unknown): Promise<User> {
    return createUser(this.db, input);
  }

  listUsers(): Promise<User[]> {
    return listUsers(this.db);
  }

  findUser(idOrEmail: string): Promise<User> {
    return findUser(this.db, idOrEmail);
  }

  // ------------------------------------------------------------ workspaces

  createWorkspace(input: unknown, ownerUserId?: string): Promise<Workspace> {
    return createWorkspace(this.store, this.records, input, ownerUserId);
  }

  listWorkspaces(userId?: string): Promise<(Workspace & { role?: string })[]> {
    return listWorkspaces(this.db, userId);
  }

  findWorkspace(selector: string): Promise<Workspace | null> {
    return findWorkspace(this.db, selector);
  }

  updateWorkspace(ctx: Ctx, input: unknown): Promise<Workspace> {
    return updateWorkspace(this.store, ctx, input);
  }

  // ------------------------------------------------------------ memberships

  setMembership(workspaceId: string, userId: string, role: string): Promise<void> {
    return setMembership(this.store, workspaceId, userId, role);
  }

  removeMembership(workspaceId: string, userId: string): Promise<void> {
    return removeMembership(this.store, workspaceId, userId);
  }

  listMembers(workspaceId: string): Promise<(User & { role: string })[]> {
    return listMembers(this.db, workspaceId);
  }

  /** An owner changes a member's role; the last owner cannot be demoted. Audited. */
  changeMemberRole(ctx: Ctx, userId: string, input: unknown): Promise<User & { role: string }> {
    return changeMemberRole(this.store, ctx, userId, input);
  }

  /** An owner removes a member (or a member leaves); the last owner cannot be removed. Audited. */
  removeMember(ctx: Ctx, userId: string): Promise<void> {
    return removeMember(this.store, ctx, userId);
  }

  // ------------------------------------------------------------ invites

  createInvite(ctx: Ctx, input: unknown): Promise<{ token: string; invite: InviteInfo }> {
    return createInvite(this.store, ctx, input);
  }

  listInvites(ctx: Ctx): Promise<InviteInfo[]> {
    return listInvites(this.db, ctx);
  }

  revokeInvite(ctx: Ctx, id: string): Promise<InviteInfo> {
    return revokeInvite(this.store, ctx, id);
  }

  previewInvite(token: unknown): ReturnType<typeof previewInvite> {
    return previewInvite(this.db, token);
  }

  acceptInvite(input: unknown, signedIn: User | null): ReturnType<typeof acceptInvite> {
    return acceptInvite(this.store, input, signedIn);
  }

  // ------------------------------------------------------------ passwords and sessions

  /**
   * Checks an email and password. Returns the user, or null for a wrong password, an unknown
   * email or an account without a password (all answered alike, in about the same time).
   */
  async checkPassword(email: string, password: string): Promise<User | null> {
    const account = await passwordOf(this.db, email);
    const ok = await verifyPassword(password, account?.passwordHash);
    return ok && account ? account.user : null;
  }

  /** Sets or resets a password (the CLI's `kith user password`); ends the user's other sessions. */
  setPassword(idOrEmail: string, password: string, actor: Actor, keepSession?: string): Promise<User> {
    return setPassword(this.store, idOrEmail, password, actor, keepSession);
  }

  /** Uses a setup or reset link; returns the user to sign in. */
  useLink(input: unknown): Promise<User> {
    return useUserLink(this.store, input);
  }

  /** An owner's one-time reset link for a member. */
  createResetLink(ctx: Ctx, userId: string): Promise<{ token: string; expiresAt: string }> {
    return createResetLink(this.store, ctx, userId);
  }

  /** Starts a session (after a password check); audited in the user's workspaces. */
  async startSession(user: User, options: { ttlMs?: number; userAgent?: string | null; address?: string | null }): Promise<{ token: string; session: SessionInfo }> {
    return this.db.transaction().execute(async (tx) => {
      const started = await createSession(tx, user.id, options);
      await auditForUser(
        tx,
        user.id,
        { userId: user.id },
        {
          entityType: 'session',
          entityId: started.session.id,
          action: 'create',
          after: { userAgent: started.session.userAgent, address: started.session.address, expiresAt: started.session.expiresAt },
        },
      );
      return started;
    });
  }

  authenticateSession(raw: string | null | undefined): ReturnType<SessionAuthenticator['authenticate']> {
    return this.sessions.authenticate(raw);
  }

  listSessions(userId: string): Promise<SessionInfo[]> {
    return listSessions(this.db, userId);
  }

  /** Ends one of the user's own sessions; audited. */
  async endSession(userId: string, sessionId: string): Promise<SessionInfo> {
    const ended = await this.db.transaction().execute(async (tx) => {
      const session = await endSession(tx, userId, sessionId);
      await auditForUser(tx, userId, { userId }, { entityType: 'session', entityId: sessionId, action: 'delete', before: { createdAt: session.createdAt } });
      return session;
    });
    this.store.feed.notifyAccess({ kind: 'key', workspaceId: null, userId, keyId: null });
    return ended;
  }

  endAllSessions(userId: string): Promise<number> {
    return endAllSessions(this.db, userId);
  }

  // ------------------------------------------------------------ keys

  /** A key for any user (the CLI, first start, the desktop app); audited with `actor` (default: the system). */
  createApiKey(input: unknown, actor?: Actor): Promise<{ key: string; info: ApiKeyInfo }> {
    return createApiKey(this.db, input, actor);
  }

  listApiKeys(userId?: string): Promise<ApiKeyInfo[]> {
    return listApiKeys(this.db, userId);
  }

  /** Revokes a key by id, prefix or the raw key (the CLI, the desktop app); audited with `actor`. */
  revokeApiKey(idOrPrefix: string, actor?: Actor): Promise<ApiKeyInfo> {
    return revokeApiKey(this.store, idOrPrefix, actor);
  }

  /** The caller's own keys, or (`?all=true`, owners) every key that reaches the workspace (GET /crm/keys). */
  listKeys(ctx: Ctx, query: unknown): Promise<ApiKeyView[]> {
    return listKeys(this.db, ctx, query);
  }

  /** A key for the caller, scoped no wider than the credential making it; the raw key is returned once. Audited. */
  createOwnKey(ctx: Ctx, input: unknown): Promise<{ key: string; view: ApiKeyView }> {
    return createOwnKey(this.store, ctx, input);
  }

  /** Revokes one of the caller's keys, or (owners) a key that reaches the workspace. Audited; refused at once everywhere. */
  revokeKey(ctx: Ctx, id: string): Promise<ApiKeyView> {
    return revokeKey(this.store, ctx, id);
  }

  // ------------------------------------------------------------ authentication and access

  /** A raw API key, session token (`kses_…`) or OAuth access token (`kat_…`) → who it is, or why not. */
  authenticateAny(raw: string | null | undefined): Promise<Caller | { failure: string }> {
    return this.access.authenticateAny(raw);
  }

  /** Resolves a raw key. Checked on every request, so a revoked key stops working at once. */
  authenticate(raw: string | null | undefined): Promise<Auth | { failure: AuthFailure }> {
    return this.keys.authenticate(raw);
  }

  /** The context a request acts in (see WorkspaceAccess.resolveContext). */
  resolveContext(auth: Caller, selector: string | null | undefined, source: Source): Promise<Ctx> {
    return this.access.resolveContext(auth, selector, source);
  }

  /** Re-checks a context granted earlier; a difference is a loss of access (see WorkspaceAccess.reauthorize). */
  reauthorize(raw: string | null | undefined, selector: string | null | undefined, granted: Ctx): Promise<{ ctx: Ctx } | { lost: string }> {
    return this.access.reauthorize(raw, selector, granted);
  }

  /** The context of a workspace's first owner: used by the CLI and a direct `kith-mcp`. */
  ownerContext(selector: string | null | undefined, source: Source): Promise<Ctx> {
    return this.access.ownerContext(selector, source);
  }

  // ------------------------------------------------------------ first start

  /**
   * On an empty database: an owner user, the `default` workspace with the default pipeline, and
   * an owner API key. Returns the raw key (to print once), or null when already set up.
   */
  bootstrap(options: { email?: string; name?: string } = {}): Promise<{ key: string; setupToken: string; user: User; workspace: Workspace } | null> {
    return bootstrap(this.store, this.records, options);
  }
}
