/**
 * Access: the context a request acts in — an authenticated key plus a workspace selector (slug or
 * id) → a Ctx with the workspace, the caller's role and the key's scope. Also the re-check of a
 * context granted earlier (long-lived streams) and the owner's context (CLI, direct `kith-mcp`).
 */
import type { Source } from '../../../shared/schemas.js';
import type { Store } from '../../store/store.js';
import { systemCtx, type Ctx, type Workspace } from '../context.js';
import { DomainError, forbidden } from '../errors.js';
import type { Auth, KeyAuthenticator } from './auth.js';
import type { SessionAuth, SessionAuthenticator } from './sessions.js';

/** Who a request acts as: an API key's holder or a signed-in person (a session). */
export type Principal = Auth | SessionAuth;

/** Anyone a context may be resolved for: a principal, or the person of an OAuth grant (/mcp only). */
export type Caller = Principal | OAuthAuth;

/** The credential a principal was authenticated with, for caches and re-checks. */
function credentialId(principal: Caller): string {
  return 'key' in principal ? `k:${principal.key.id}` : 'grant' in principal ? `g:${principal.grant.id}:${principal.grant.scope}` : `s:${principal.session.id}`;
}
import type { AccessCache } from './cache.js';
import type { OAuthAuth, OAuthService } from './oauth.js';
import { firstOwnerId, memberRole } from './members.js';
import { findWorkspace, listWorkspaces } from './workspaces.js';

export class WorkspaceAccess {
  constructor(
    private readonly store: Store,
    private readonly cache: AccessCache,
    private readonly keys: KeyAuthenticator,
    private readonly sessions: SessionAuthenticator,
    private readonly oauth: OAuthService,
  ) {}

  /** A raw API key, session token or OAuth access token → who it is, or why not. */
  async authenticateAny(raw: string | null | undefined): Promise<Caller | { failure: string }> {
    if (raw?.startsWith('kat_')) return this.oauth.authenticate(raw);
    return raw?.startsWith('kses_') ? this.sessions.authenticate(raw) : this.keys.authenticate(raw);
  }

  /**
   * The workspace a request acts in: named by the selector (slug or id), implied by a key
   * restricted to one workspace, or the user's only workspace.
   */
  async resolveContext(auth: Caller, selector: string | null | undefined, source: Source): Promise<Ctx> {
    const stamp = this.cache.fresh();
    const cacheKey = `${credentialId(auth)}\u0000${selector ?? ''}`;
    const cached = this.cache.contexts.get(cacheKey);
    if (cached) return { ...cached, source };
    const ctx = await this.resolveFresh(auth, selector, source);
    const { source: _source, ...reusable } = ctx;
    this.cache.keepIfUnchanged(this.cache.contexts, cacheKey, reusable, stamp);
    return ctx;
  }

  private async resolveFresh(auth: Caller, selector: string | null | undefined, source: Source): Promise<Ctx> {
    const { db } = this.store;
    const { user } = auth;
    // a session acts with the user's full rights; a key may be restricted to a workspace, read-only;
    // an OAuth grant is for one workspace, read-only unless it grants crm:write
    const key = 'key' in auth ? auth.key : 'grant' in auth ? { id: null, workspaceId: auth.grant.workspaceId, readOnly: auth.grant.readOnly } : { id: null, workspaceId: null, readOnly: false };
    let workspace: Workspace | null;
    if (selector) {
      workspace = await findWorkspace(db, selector);
      if (key.workspaceId && workspace?.id !== key.workspaceId) {
        throw forbidden('Workspace access denied by API key restriction', 'key_workspace_restriction');
      }
      if (!workspace) throw new DomainError('not_found', `workspace '${selector}' not found`);
    } else if (key.workspaceId) {
      workspace = await findWorkspace(db, key.workspaceId);
    } else {
      const mine = await listWorkspaces(db, user.id);
      if (mine.length === 1) workspace = mine[0];
      else if (mine.length === 0 && user.platformRole !== 'ADMIN') throw forbidden('this user is not a member of any workspace', 'not_a_member');
      else {
        throw new DomainError(
          'workspace_required',
          `this key can reach several workspaces; name one with the X-Kith-Workspace header or ?workspace= (one of: ${mine.map((w) => w.slug).join(', ') || 'any, as platform admin'})`,
        );
      }
    }
    if (!workspace) throw new DomainError('not_found', 'workspace not found');
    const role = (await memberRole(db, workspace.id, user.id)) ?? (user.platformRole === 'ADMIN' ? 'OWNER' : null);
    if (!role) throw forbidden(`you are not a member of workspace '${workspace.slug}'`, 'not_a_member');
    return { workspace, workspaceId: workspace.id, userId: user.id, keyId: key.id, role, readOnly: key.readOnly, source };
  }

  /**
   * Re-checks a context granted earlier (a long-lived request such as the /sync stream): the key
   * must still authenticate (not revoked, not expired) and resolve, with the same selector, to
   * the same workspace with the same role and scope. Any difference — a lost membership, a new
   * role, a key restriction — is a loss of access: the holder must reconnect and be authorized
   * afresh. Uses the same caches as every request, so it costs no query while nothing was written.
   */
  async reauthorize(raw: string | null | undefined, selector: string | null | undefined, granted: Ctx): Promise<{ ctx: Ctx } | { lost: string }> {
    const auth = await this.authenticateAny(raw);
    const what = raw?.startsWith('kses_') ? 'session' : 'API key';
    if ('failure' in auth) return { lost: `the ${what} is ${auth.failure === 'revoked' || auth.failure === 'expired' ? auth.failure : 'no longer valid'}` };
    if (('key' in auth ? auth.key.id : null) !== granted.keyId || auth.user.id !== granted.userId) return { lost: `the ${what} changed` };
    let ctx: Ctx;
    try {
      ctx = await this.resolveContext(auth, selector, granted.source);
    } catch (error) {
      if (error instanceof DomainError) return { lost: error.message };
      throw error;
    }
    if (ctx.workspaceId !== granted.workspaceId) return { lost: 'the workspace changed' };
    if (ctx.role !== granted.role) return { lost: `the role changed from ${granted.role} to ${ctx.role}` };
    if (ctx.readOnly !== granted.readOnly) return { lost: "the key's scope changed" };
    return { ctx };
  }

  /** The context of a workspace's first owner: used by the CLI and a direct `kith-mcp`. */
  async ownerContext(selector: string | null | undefined, source: Source): Promise<Ctx> {
    const { db } = this.store;
    const workspace = selector ? await findWorkspace(db, selector) : ((await listWorkspaces(db))[0] ?? null);
    if (!workspace) throw new DomainError('not_found', selector ? `workspace '${selector}' not found` : 'no workspace exists yet');
    return systemCtx(workspace, source, await firstOwnerId(db, workspace.id));
  }
}
