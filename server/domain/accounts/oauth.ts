/**
 * OAuth 2.1 for remote MCP clients (SPEC §1 "OAuth for agents"): Kith is its own authorization
 * server. This file is the domain side; the HTTP side (the MCP SDK's handlers, metadata, the
 * consent API) is server/oauth/.
 *
 *   client     registered dynamically (RFC 7591); a confidential client's secret is kept hashed
 *   request    an authorization request checked by /oauth/authorize, waiting for the person's
 *              consent (10 minutes); its token is the consent page's address
 *   grant      the person's consent: one client, one workspace, read-only or full access. Tokens
 *              act as that person in that workspace with that scope; revoking the grant, or the
 *              end of the membership, refuses them at once
 *   code       one use, 5 minutes, PKCE S256 (checked by the SDK's token handler against the
 *              challenge stored here); used twice, it revokes the grant (OAuth 2.1 §4.1.3)
 *   access     `kat_…`, 1 hour, bound to the resource (RFC 8707) the grant was made for
 *   refresh    `krt_…`, 30 days, rotating: each use returns a new one; a used one presented again
 *              revokes the grant (it was stolen, or the client is confused)
 *
 * Tokens, codes, requests and client secrets are stored as SHA-256 hashes only.
 */
import { newId } from '../../../shared/ids.js';
import type { Role } from '../../../shared/schemas.js';
import type { Db } from '../../store/database.js';
import type { Store } from '../../store/store.js';
import { nowIso, type Ctx, type Workspace } from '../context.js';
import { DomainError, notFound } from '../errors.js';
import { auditInWorkspace, type Actor } from './journal.js';
import { memberRole } from './members.js';
import { hashToken, isToken, newToken } from './tokens.js';
import type { User } from './users.js';
import { findWorkspace } from './workspaces.js';

export const READ_SCOPE = 'crm:read';
export const WRITE_SCOPE = 'crm:write';
/** The scopes Kith understands; others a client asks for are ignored. */
export const OAUTH_SCOPES = [READ_SCOPE, WRITE_SCOPE] as const;

export const OAUTH_LIFETIMES = {
  requestMs: 10 * 60_000,
  codeMs: 5 * 60_000,
  accessMs: 60 * 60_000,
  refreshMs: 30 * 24 * 3600_000,
} as const;

/** Why a token, code or request is refused, in OAuth's terms (RFC 6749 §5.2, RFC 8707 §2). */
export type OAuthErrorCode = 'invalid_request' | 'invalid_grant' | 'invalid_scope' | 'invalid_target' | 'invalid_client_metadata' | 'access_denied';

export class OAuthGrantError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface OAuthClient {
  id: string;
  name: string | null;
  /** The registered metadata (RFC 7591), without any secret. */
  metadata: Record<string, unknown> & { redirect_uris: string[] };
  /** SHA-256 of the client secret; null for a public client. */
  secretHash: string | null;
  /** Seconds since the epoch; 0 or null: never. */
  secretExpiresAt: number | null;
  /** Seconds since the epoch. */
  issuedAt: number;
}

export interface GrantAuth {
  id: string;
  clientId: string;
  workspaceId: string;
  scope: string;
  /** The access token lacks crm:write: reads only. */
  readOnly: boolean;
  resource: string;
  /** Seconds since the epoch: when this access token expires. */
  expiresAt: number;
}

export interface OAuthAuth {
  user: User;
  grant: GrantAuth;
}

export type OAuthFailure = 'missing' | 'malformed' | 'unknown' | 'expired' | 'revoked';

/** A connected app as Settings → Connected apps lists it. */
export interface GrantInfo {
  id: string;
  client: { id: string; name: string; uri: string | null };
  workspace: { id: string; slug: string; name: string };
  access: 'read' | 'full';
  scope: string;
  resource: string;
  createdAt: string;
  lastUsedAt: string | null;
  /** When the current refresh token expires (null before the first token is issued). */
  expiresAt: string | null;
}

export interface PendingRequest {
  client: { id: string; name: string; uri: string | null; redirectUri: string };
  /** The known scopes the client asked for (empty: it did not say). */
  scopes: string[];
  resource: string;
  expiresAt: string;
}

export interface IssuedTokens {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  scope: string;
}

const iso = (ms: number) => new Date(ms).toISOString();
const past = (at: string | null | undefined, now = Date.now()) => !!at && Date.parse(at) <= now;
const hasWrite = (scope: string) => scope.split(' ').includes(WRITE_SCOPE);

/** A redirect URI a client may register: https, loopback http (native apps, RFC 8252), or a private scheme. */
function redirectProblem(uri: string): string | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `redirect_uris: ${uri} is not a URL`;
  }
  if (url.hash) return `redirect_uris: ${uri} must not have a fragment`;
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (scheme === 'https') return null;
  if (scheme === 'http') return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) ? null : `redirect_uris: ${uri} must use https (plain http only to a loopback address)`;
  if (['javascript', 'data', 'file', 'vbscript', 'blob', 'about'].includes(scheme)) return `redirect_uris: the ${scheme}: scheme is not allowed`;
  return null;
}

export class OAuthService {
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(private readonly store: Store) {}

  private get db(): Db {
    return this.store.db;
  }

  // ------------------------------------------------------------ clients (RFC 7591)

  /** Stores a client registered through /oauth/register; `secret` (if any) is kept hashed. */
  async registerClient(input: {
    id: string;
    secret: string | null;
    secretExpiresAt: number | null;
    issuedAt: number;
    metadata: Record<string, unknown> & { redirect_uris: string[] };
  }): Promise<OAuthClient> {
    for (const uri of input.metadata.redirect_uris) {
      const problem = redirectProblem(uri);
      if (problem) throw new OAuthGrantError('invalid_client_metadata', problem);
    }
    const name = typeof input.metadata.client_name === 'string' ? input.metadata.client_name.slice(0, 200) : null;
    const client: OAuthClient = {
      id: input.id,
      name,
      metadata: input.metadata,
      secretHash: input.secret ? hashToken(input.secret) : null,
      secretExpiresAt: input.secretExpiresAt,
      issuedAt: input.issuedAt,
    };
    await this.db
      .insertInto('oauthClients')
      .values({ id: client.id, name, secretHash: client.secretHash, secretExpiresAt: client.secretExpiresAt, metadata: JSON.stringify(client.metadata), createdAt: iso(input.issuedAt * 1000) })
      .execute();
    return client;
  }

  async getClient(id: string): Promise<OAuthClient | undefined> {
    const row = await this.db.selectFrom('oauthClients').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    return {
      id: row.id,
      name: row.name,
      metadata: JSON.parse(row.metadata),
      secretHash: row.secretHash,
      secretExpiresAt: row.secretExpiresAt === null ? null : Number(row.secretExpiresAt),
      issuedAt: Math.floor(Date.parse(row.createdAt) / 1000),
    };
  }

  // ------------------------------------------------------------ authorization requests and consent

  /** An authorization request checked by /oauth/authorize, waiting for consent; returns its token (the consent page's address). */
  async createRequest(input: { clientId: string; redirectUri: string; codeChallenge: string; state?: string; scopes: string[]; resource: string }): Promise<string> {
    const token = newToken('kareq');
    const now = Date.now();
    const scope = OAUTH_SCOPES.filter((s) => input.scopes.includes(s)).join(' ');
    await this.db.deleteFrom('oauthRequests').where('expiresAt', '<=', iso(now)).execute();
    await this.db
      .insertInto('oauthRequests')
      .values({
        tokenHash: hashToken(token),
        clientId: input.clientId,
        redirectUri: input.redirectUri,
        codeChallenge: input.codeChallenge,
        state: input.state ?? null,
        scope,
        resource: input.resource,
        createdAt: iso(now),
        expiresAt: iso(now + OAUTH_LIFETIMES.requestMs),
      })
      .execute();
    return token;
  }

  private async requestRow(db: Db, token: unknown): Promise<Record<string, any>> {
    const gone = () => new DomainError('not_found', 'this authorization request is unknown, already answered or expired: start connecting the app again');
    if (!isToken(token, 'kareq')) throw gone();
    const row = await db
      .selectFrom('oauthRequests')
      .innerJoin('oauthClients', 'oauthClients.id', 'oauthRequests.clientId')
      .selectAll('oauthRequests')
      .select(['oauthClients.name as clientName', 'oauthClients.metadata as clientMetadata'])
      .where('oauthRequests.tokenHash', '=', hashToken(token))
      .executeTakeFirst();
    if (!row || past(row.expiresAt)) throw gone();
    return row;
  }

  /** What the consent page shows: the client, where it sends the answer, what it asked for. */
  async previewRequest(token: unknown): Promise<PendingRequest> {
    const row = await this.requestRow(this.db, token);
    const metadata = JSON.parse(row.clientMetadata) as { client_uri?: string };
    return {
      client: { id: row.clientId, name: row.clientName ?? 'An unnamed app', uri: typeof metadata.client_uri === 'string' ? metadata.client_uri : null, redirectUri: row.redirectUri },
      scopes: row.scope ? row.scope.split(' ') : [],
      resource: row.resource,
      expiresAt: row.expiresAt,
    };
  }

  /**
   * The person's answer on the consent page. Allowed: a grant for the chosen workspace (one they
   * are a member of) with read-only or full access — full only if the client asked for write or
   * named no scope — replacing the app's earlier grant there, and a one-use code; audited.
   * Denied: the client is told access_denied. Either way the request is used up. Returns the
   * address to send the browser to (the client's redirect URI with the answer).
   */
  async decide(user: User, token: unknown, answer: { decision: 'allow' | 'deny'; workspace?: string; access?: 'read' | 'full' }, actor: Actor): Promise<{ redirect: string; grantId: string | null }> {
    return this.db.transaction().execute(async (tx) => {
      const row = await this.requestRow(tx, token);
      await tx.deleteFrom('oauthRequests').where('tokenHash', '=', row.tokenHash).execute();
      const redirect = new URL(row.redirectUri);
      if (row.state !== null) redirect.searchParams.set('state', row.state);
      if (answer.decision === 'deny') {
        redirect.searchParams.set('error', 'access_denied');
        redirect.searchParams.set('error_description', 'the person declined to connect this app');
        return { redirect: redirect.href, grantId: null };
      }
      const workspace = answer.workspace ? await findWorkspace(tx, answer.workspace) : null;
      if (!workspace) throw new DomainError('invalid', 'workspace: choose the workspace the app may use', [{ path: 'workspace', message: 'choose one of your workspaces' }]);
      const role = (await memberRole(tx, workspace.id, user.id)) ?? (user.platformRole === 'ADMIN' ? ('OWNER' as Role) : undefined);
      if (!role) throw new DomainError('not_a_member', `you are not a member of workspace '${workspace.slug}'`);
      const requested: string[] = row.scope ? row.scope.split(' ') : [];
      const full = answer.access === 'full';
      if (full && requested.length > 0 && !requested.includes(WRITE_SCOPE)) {
        throw new DomainError('invalid', 'access: this app asked for read-only access; full access cannot be granted', [{ path: 'access', message: 'the app asked for read-only access' }]);
      }
      const scope = full ? `${READ_SCOPE} ${WRITE_SCOPE}` : READ_SCOPE;
      const ctx = auditCtx(workspace, actor);
      // connecting the same app to the same workspace again replaces its earlier grant
      const earlier = await tx
        .selectFrom('oauthGrants')
        .select('id')
        .where('clientId', '=', row.clientId)
        .where('userId', '=', user.id)
        .where('workspaceId', '=', workspace.id)
        .where('revokedAt', 'is', null)
        .execute();
      for (const { id } of earlier) await this.revokeIn(tx, id, 'replaced by a new consent', ctx);
      const now = Date.now();
      const grantId = newId();
      await tx
        .insertInto('oauthGrants')
        .values({
          id: grantId,
          clientId: row.clientId,
          userId: user.id,
          workspaceId: workspace.id,
          scope,
          resource: row.resource,
          createdAt: iso(now),
          lastUsedAt: null,
          revokedAt: null,
          revokedReason: null,
        })
        .execute();
      const code = newToken('kacode');
      await tx
        .insertInto('oauthTokens')
        .values({
          tokenHash: hashToken(code),
          grantId,
          kind: 'code',
          scope,
          codeChallenge: row.codeChallenge,
          redirectUri: row.redirectUri,
          createdAt: iso(now),
          expiresAt: iso(now + OAUTH_LIFETIMES.codeMs),
          usedAt: null,
        })
        .execute();
      await auditInWorkspace(tx, ctx, {
        entityType: 'oauthGrant',
        entityId: grantId,
        action: 'create',
        after: { clientId: row.clientId, client: row.clientName ?? null, userId: user.id, scope, resource: row.resource },
      });
      redirect.searchParams.set('code', code);
      return { redirect: redirect.href, grantId };
    });
  }

  // ------------------------------------------------------------ the token endpoint

  /** A code's row, checked to be this client's, unexpired and unused; a used code revokes its grant. */
  private async codeRow(db: Db, clientId: string, code: string): Promise<Record<string, any>> {
    const bad = new OAuthGrantError('invalid_grant', 'the authorization code is unknown, expired or already used');
    if (!isToken(code, 'kacode')) throw bad;
    const row = await db
      .selectFrom('oauthTokens')
      .innerJoin('oauthGrants', 'oauthGrants.id', 'oauthTokens.grantId')
      .selectAll('oauthTokens')
      .select(['oauthGrants.clientId', 'oauthGrants.userId', 'oauthGrants.workspaceId', 'oauthGrants.resource', 'oauthGrants.revokedAt'])
      .where('oauthTokens.tokenHash', '=', hashToken(code))
      .where('oauthTokens.kind', '=', 'code')
      .executeTakeFirst();
    if (!row || row.clientId !== clientId) throw bad;
    if (row.usedAt) {
      await this.revokeGrant(row.grantId, 'authorization code used twice');
      throw bad;
    }
    if (past(row.expiresAt) || row.revokedAt) throw bad;
    return row;
  }

  /** The PKCE challenge of a code (the SDK's token handler checks the verifier against it). */
  async challengeOf(clientId: string, code: string): Promise<string> {
    return (await this.codeRow(this.db, clientId, code)).codeChallenge as string;
  }

  /** A code (its verifier already checked) → the first access and refresh tokens. */
  async exchangeCode(clientId: string, code: string, redirectUri: string | undefined, resource: string | undefined): Promise<IssuedTokens> {
    const row = await this.codeRow(this.db, clientId, code);
    if (redirectUri !== undefined && redirectUri !== row.redirectUri) throw new OAuthGrantError('invalid_grant', 'redirect_uri differs from the one of the authorization request');
    if (resource !== undefined && resource !== row.resource) throw new OAuthGrantError('invalid_target', `resource must be ${row.resource}, the one this grant was made for`);
    await this.requireMember(row);
    return this.db.transaction().execute(async (tx) => {
      const used = await tx.updateTable('oauthTokens').set({ usedAt: nowIso() }).where('tokenHash', '=', row.tokenHash).where('usedAt', 'is', null).executeTakeFirst();
      if (Number(used.numUpdatedRows) !== 1) throw new OAuthGrantError('invalid_grant', 'the authorization code is unknown, expired or already used');
      return this.issue(tx, row.grantId, row.scope);
    });
  }

  /** A refresh token → a new access token and a new refresh token (the old one stops working). */
  async refresh(clientId: string, refreshToken: string, scopes: string[] | undefined, resource: string | undefined): Promise<IssuedTokens> {
    const bad = new OAuthGrantError('invalid_grant', 'the refresh token is unknown, expired or revoked');
    if (!isToken(refreshToken, 'krt')) throw bad;
    const row = await this.db
      .selectFrom('oauthTokens')
      .innerJoin('oauthGrants', 'oauthGrants.id', 'oauthTokens.grantId')
      .selectAll('oauthTokens')
      .select(['oauthGrants.clientId', 'oauthGrants.userId', 'oauthGrants.workspaceId', 'oauthGrants.resource', 'oauthGrants.revokedAt', 'oauthGrants.scope as grantScope'])
      .where('oauthTokens.tokenHash', '=', hashToken(refreshToken))
      .where('oauthTokens.kind', '=', 'refresh')
      .executeTakeFirst();
    if (!row || row.clientId !== clientId || row.revokedAt || past(row.expiresAt)) throw bad;
    if (row.usedAt) {
      await this.revokeGrant(row.grantId, 'a rotated refresh token was used again');
      throw bad;
    }
    const granted: string[] = row.grantScope.split(' ');
    const wanted = scopes?.filter((s) => s !== '') ?? [];
    const unknown = wanted.filter((s) => !granted.includes(s));
    if (unknown.length) throw new OAuthGrantError('invalid_scope', `scope ${unknown.join(' ')} was not granted (granted: ${row.grantScope})`);
    if (resource !== undefined && resource !== row.resource) throw new OAuthGrantError('invalid_target', `resource must be ${row.resource}, the one this grant was made for`);
    await this.requireMember(row);
    // the used refresh token is kept until it expires (issue() sweeps expired tokens), to recognise a replay
    return this.db.transaction().execute(async (tx) => {
      const used = await tx.updateTable('oauthTokens').set({ usedAt: nowIso() }).where('tokenHash', '=', row.tokenHash).where('usedAt', 'is', null).executeTakeFirst();
      if (Number(used.numUpdatedRows) !== 1) throw bad;
      return this.issue(tx, row.grantId, row.grantScope, wanted.length ? OAUTH_SCOPES.filter((s) => wanted.includes(s)).join(' ') : row.grantScope);
    });
  }

  /** The grant's user must still be a member of its workspace; otherwise the grant ends here. */
  private async requireMember(row: Record<string, any>): Promise<void> {
    const role = await memberRole(this.db, row.workspaceId, row.userId);
    if (role) return;
    const user = await this.db.selectFrom('users').select('platformRole').where('id', '=', row.userId).executeTakeFirst();
    if (user?.platformRole === 'ADMIN') return;
    await this.revokeGrant(row.grantId, 'the membership ended');
    throw new OAuthGrantError('invalid_grant', 'the person who granted access is no longer a member of the workspace');
  }

  private async issue(tx: Db, grantId: string, refreshScope: string, accessScope = refreshScope): Promise<IssuedTokens> {
    const now = Date.now();
    const access = newToken('kat');
    const refresh = newToken('krt');
    await tx.deleteFrom('oauthTokens').where('expiresAt', '<=', iso(now)).execute();
    await tx
      .insertInto('oauthTokens')
      .values([
        {
          tokenHash: hashToken(access),
          grantId,
          kind: 'access',
          scope: accessScope,
          codeChallenge: null,
          redirectUri: null,
          createdAt: iso(now),
          expiresAt: iso(now + OAUTH_LIFETIMES.accessMs),
          usedAt: null,
        },
        {
          tokenHash: hashToken(refresh),
          grantId,
          kind: 'refresh',
          scope: refreshScope,
          codeChallenge: null,
          redirectUri: null,
          createdAt: iso(now),
          expiresAt: iso(now + OAUTH_LIFETIMES.refreshMs),
          usedAt: null,
        },
      ])
      .execute();
    return { access_token: access, token_type: 'Bearer', expires_in: OAUTH_LIFETIMES.accessMs / 1000, refresh_token: refresh, scope: accessScope };
  }

  /**
   * The revocation endpoint (RFC 7009): a refresh token ends its grant (and so every token of
   * it); an access token ends itself. Unknown tokens and other clients' tokens are ignored.
   */
  async revokeToken(clientId: string, token: string): Promise<void> {
    if (!isToken(token, 'kat') && !isToken(token, 'krt')) return;
    const row = await this.db
      .selectFrom('oauthTokens')
      .innerJoin('oauthGrants', 'oauthGrants.id', 'oauthTokens.grantId')
      .select(['oauthTokens.tokenHash', 'oauthTokens.kind', 'oauthTokens.grantId', 'oauthGrants.clientId'])
      .where('oauthTokens.tokenHash', '=', hashToken(token))
      .executeTakeFirst();
    if (!row || row.clientId !== clientId) return;
    if (row.kind === 'refresh') await this.revokeGrant(row.grantId, 'revoked by the app');
    else await this.db.deleteFrom('oauthTokens').where('tokenHash', '=', row.tokenHash).execute();
  }

  // ------------------------------------------------------------ access tokens at /mcp

  /** An access token → its grant and user, or why not. Read afresh on every request. */
  async authenticate(raw: string | null | undefined): Promise<OAuthAuth | { failure: OAuthFailure }> {
    if (!raw) return { failure: 'missing' };
    if (!isToken(raw, 'kat')) return { failure: 'malformed' };
    const row = await this.db
      .selectFrom('oauthTokens')
      .innerJoin('oauthGrants', 'oauthGrants.id', 'oauthTokens.grantId')
      .innerJoin('users', 'users.id', 'oauthGrants.userId')
      .select(['oauthTokens.scope', 'oauthTokens.expiresAt', 'oauthGrants.id as grantId', 'oauthGrants.clientId', 'oauthGrants.workspaceId', 'oauthGrants.resource', 'oauthGrants.revokedAt'])
      .select(['users.id as userId', 'users.email', 'users.name as userName', 'users.platformRole', 'users.createdAt as userCreatedAt'])
      .where('oauthTokens.tokenHash', '=', hashToken(raw))
      .where('oauthTokens.kind', '=', 'access')
      .executeTakeFirst();
    if (!row) return { failure: 'unknown' };
    if (row.revokedAt) return { failure: 'revoked' };
    if (past(row.expiresAt)) return { failure: 'expired' };
    this.touch(row.grantId);
    const user: User = { id: row.userId, email: row.email, name: row.userName, platformRole: row.platformRole, createdAt: row.userCreatedAt };
    return {
      user,
      grant: {
        id: row.grantId,
        clientId: row.clientId,
        workspaceId: row.workspaceId,
        scope: row.scope,
        readOnly: !hasWrite(row.scope),
        resource: row.resource,
        expiresAt: Math.floor(Date.parse(row.expiresAt) / 1000),
      },
    };
  }

  /** Of these grant ids, the ones still in force (open MCP sessions are closed when theirs ends). */
  async activeGrantIds(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db.selectFrom('oauthGrants').select('id').where('id', 'in', ids).where('revokedAt', 'is', null).execute();
    return new Set(rows.map((r) => r.id as string));
  }

  /** Records a grant's last use, at most once a minute. */
  private touch(grantId: string): void {
    const now = Date.now();
    if ((this.lastUsedWritten.get(grantId) ?? 0) > now - 60_000) return;
    if (this.lastUsedWritten.size > 10_000) this.lastUsedWritten.clear();
    this.lastUsedWritten.set(grantId, now);
    void this.db
      .updateTable('oauthGrants')
      .set({ lastUsedAt: iso(now) })
      .where('id', '=', grantId)
      .execute()
      .catch(() => {});
  }

  // ------------------------------------------------------------ connected apps (Settings)

  /** The person's connected apps: grants in force, in every workspace, newest first. */
  async listGrants(userId: string): Promise<GrantInfo[]> {
    const rows = await this.db
      .selectFrom('oauthGrants')
      .innerJoin('oauthClients', 'oauthClients.id', 'oauthGrants.clientId')
      .innerJoin('workspaces', 'workspaces.id', 'oauthGrants.workspaceId')
      .selectAll('oauthGrants')
      .select(['oauthClients.name as clientName', 'oauthClients.metadata as clientMetadata', 'workspaces.slug', 'workspaces.name as workspaceName'])
      .select((eb) =>
        eb
          .selectFrom('oauthTokens')
          .select((e) => e.fn.max('oauthTokens.expiresAt').as('x'))
          .whereRef('oauthTokens.grantId', '=', 'oauthGrants.id')
          .where('oauthTokens.kind', '=', 'refresh')
          .where('oauthTokens.usedAt', 'is', null)
          .as('refreshExpiresAt'),
      )
      .where('oauthGrants.userId', '=', userId)
      .where('oauthGrants.revokedAt', 'is', null)
      .orderBy('oauthGrants.createdAt', 'desc')
      .execute();
    return rows.map((row) => toGrantInfo(row));
  }

  /** Revokes one of the person's own grants (Settings → Connected apps); audited in its workspace. */
  async revokeOwnGrant(userId: string, grantId: string, actor: Actor): Promise<GrantInfo> {
    const grant = (await this.listGrants(userId)).find((g) => g.id === grantId);
    if (!grant) throw notFound('connected app', grantId);
    await this.db.transaction().execute(async (tx) => {
      const workspace = await findWorkspace(tx, grant.workspace.id);
      await this.revokeIn(tx, grantId, 'revoked in settings', workspace ? auditCtx(workspace, actor) : null);
    });
    return grant;
  }

  /** Revokes every grant of a person in a workspace (their membership ended). */
  async revokeMemberGrants(tx: Db, workspaceId: string, userId: string): Promise<void> {
    const rows = await tx.selectFrom('oauthGrants').select('id').where('workspaceId', '=', workspaceId).where('userId', '=', userId).where('revokedAt', 'is', null).execute();
    for (const { id } of rows) await this.revokeIn(tx, id, 'the membership ended', null);
  }

  private async revokeGrant(grantId: string, reason: string): Promise<void> {
    await this.db.transaction().execute((tx) => this.revokeIn(tx, grantId, reason, null));
  }

  /** Ends a grant; audited in its workspace (as the system unless `ctx` says who). */
  private async revokeIn(tx: Db, grantId: string, reason: string, ctx: Ctx | null): Promise<void> {
    const grant = await tx.selectFrom('oauthGrants').selectAll().where('id', '=', grantId).executeTakeFirst();
    if (!grant || grant.revokedAt) return;
    const revokedAt = nowIso();
    // its tokens stay (hashes, refused from now on: the client is told they were revoked) until they expire
    await tx.updateTable('oauthGrants').set({ revokedAt, revokedReason: reason }).where('id', '=', grantId).execute();
    const workspace = ctx?.workspace ?? (await findWorkspace(tx, grant.workspaceId));
    if (!workspace) return;
    await auditInWorkspace(tx, ctx ?? auditCtx(workspace, { userId: null, source: 'system' }), {
      entityType: 'oauthGrant',
      entityId: grantId,
      action: 'delete',
      before: { clientId: grant.clientId, userId: grant.userId, scope: grant.scope },
      after: null,
      detail: { reason },
    });
  }
}

function auditCtx(workspace: Workspace, actor: Actor): Ctx {
  return { workspace, workspaceId: workspace.id, userId: actor.userId, keyId: actor.keyId ?? null, role: 'VIEWER', readOnly: true, source: actor.source ?? 'rest' };
}

function toGrantInfo(row: Record<string, any>): GrantInfo {
  let uri: string | null = null;
  try {
    const metadata = JSON.parse(row.clientMetadata);
    if (typeof metadata.client_uri === 'string') uri = metadata.client_uri;
  } catch {
    // stored by this file: always JSON
  }
  return {
    id: row.id,
    client: { id: row.clientId, name: row.clientName ?? 'An unnamed app', uri },
    workspace: { id: row.workspaceId, slug: row.slug, name: row.workspaceName },
    access: hasWrite(row.scope) ? 'full' : 'read',
    scope: row.scope,
    resource: row.resource,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt ?? null,
    expiresAt: row.refreshExpiresAt ?? null,
  };
}
