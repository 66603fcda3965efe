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
 */
import type { Source } from '../../shared/schemas.js';
import type { Db } from '../store/database.js';
import type { Store } from '../store/store.js';
import { WorkspaceAccess } from './accounts/access.js';
import { KeyAuthenticator, type Auth, type AuthFailure } from './accounts/auth.js';
import { bootstrap } from './accounts/bootstrap.js';
import { AccessCache } from './accounts/cache.js';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyInfo } from './accounts/keys.js';
import { listMembers, removeMembership, setMembership } from './accounts/members.js';
import { createUser, findUser, listUsers, type User } from './accounts/users.js';
import { createWorkspace, findWorkspace, listWorkspaces, updateWorkspace } from './accounts/workspaces.js';
import type { Ctx, Workspace } from './context.js';
import type { RecordService } from './records.js';

export type { Auth } from './accounts/auth.js';
export { API_KEY_PATTERN, hashApiKey } from './accounts/keys.js';
export { WorkspaceUpdate } from './accounts/workspaces.js';

export class AccountService {
  private readonly keys: KeyAuthenticator;
  private readonly access: WorkspaceAccess;

  constructor(
    private readonly store: Store,
    private readonly records: RecordService,
  ) {
    const cache = new AccessCache(store);
    this.keys = new KeyAuthenticator(store, cache);
    this.access = new WorkspaceAccess(store, cache, this.keys);
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

  // ------------------------------------------------------------ keys

  createApiKey(input: unknown): Promise<{ key: string; info: ApiKeyInfo }> {
    return createApiKey(this.db, input);
  }

  listApiKeys(userId?: string): Promise<ApiKeyInfo[]> {
    return listApiKeys(this.db, userId);
  }

  revokeApiKey(idOrPrefix: string): Promise<ApiKeyInfo> {
    return revokeApiKey(this.store, idOrPrefix);
  }

  // ------------------------------------------------------------ authentication and access

  /** Resolves a raw key. Checked on every request, so a revoked key stops working at once. */
  authenticate(raw: string | null | undefined): Promise<Auth | { failure: AuthFailure }> {
    return this.keys.authenticate(raw);
  }

  /** The context a request acts in (see WorkspaceAccess.resolveContext). */
  resolveContext(auth: Auth, selector: string | null | undefined, source: Source): Promise<Ctx> {
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
  bootstrap(options: { email?: string; name?: string } = {}): Promise<{ key: string; user: User; workspace: Workspace } | null> {
    return bootstrap(this.store, this.records, options);
  }
}
