/**
 * Accounts and access: users, workspaces, memberships, API keys, and turning a key plus a
 * workspace selector into a Ctx. Keys are `kith_` + 32 base62 characters; only a SHA-256 hash
 * is stored and the raw key is returned once.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import { newId } from '../../shared/ids.js';
import { Currency, IsoDateTime, PLATFORM_ROLES, Role, type Source } from '../../shared/schemas.js';
import type { Db } from '../store/database.js';
import type { Store } from '../store/store.js';
import { nowIso, systemCtx, type Ctx, type Workspace } from './context.js';
import { conflict, DomainError, forbidden, invalid, notFound, parseInput } from './errors.js';
import type { RecordService } from './records.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const API_KEY_PATTERN = /^kith_[0-9A-Za-z]{32}$/;

export function generateApiKey(): string {
  let out = '';
  while (out.length < 32) {
    for (const byte of crypto.randomBytes(48)) {
      if (byte < 248 && out.length < 32) out += BASE62[byte % 62]; // 248 = 4 × 62: no modulo bias
    }
  }
  return `kith_${out}`;
}

export function hashApiKey(key: string): string {
  // the one-shot crypto.hash (Node ≥ 20.12) is several times cheaper than a Hash object per request
  return typeof crypto.hash === 'function' ? crypto.hash('sha256', key, 'hex') : crypto.createHash('sha256').update(key).digest('hex');
}

export interface User {
  id: string;
  email: string;
  name: string;
  platformRole: 'USER' | 'ADMIN';
  createdAt: string;
}

export interface ApiKeyInfo {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  workspaceId: string | null;
  readOnly: boolean;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
}

export interface Auth {
  user: User;
  key: ApiKeyInfo;
}

export const UserCreate = z.strictObject({
  email: z.email({ error: 'must be an email address' }).trim().toLowerCase(),
  name: z.string().trim().min(1, { error: 'must not be empty' }).max(200),
  platformRole: z.enum(PLATFORM_ROLES).optional(),
});
export const WorkspaceCreate = z.strictObject({
  slug: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'must be lower-case letters, digits and dashes (a-z0-9-)' }),
  name: z.string().trim().min(1).max(200),
  defaultCurrency: Currency.optional(),
});
export const WorkspaceUpdate = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  defaultCurrency: Currency.optional(),
  features: z.record(z.string(), z.boolean()).optional(),
});
export const KeyCreate = z.strictObject({
  userId: z.string(),
  name: z.string().trim().min(1).max(100).optional(),
  workspaceId: z.string().nullable().optional(),
  readOnly: z.boolean().optional(),
  expiresAt: IsoDateTime.nullable().optional(),
});

function toWorkspace(row: Record<string, unknown>): Workspace {
  return { ...(row as unknown as Workspace), features: JSON.parse(String(row.features ?? '{}')) };
}

function toKey(row: Record<string, unknown>): ApiKeyInfo {
  const { hash: _hash, ...rest } = row;
  return { ...(rest as unknown as ApiKeyInfo), readOnly: row.readOnly === 1 || row.readOnly === true };
}

export type AuthFailure = 'missing' | 'malformed' | 'unknown' | 'revoked' | 'expired';

export class AccountService {
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly records: RecordService,
  ) {}

  private get db(): Db {
    return this.store.db;
  }

  // ------------------------------------------------------------ users

  async createUser(input: unknown): Promise<User> {
    const data = parseInput(UserCreate, input);
    const existing = await this.db.selectFrom('users').select('id').where('email', '=', data.email).executeTakeFirst();
    if (existing) throw conflict(`a user with email ${data.email} already exists`, { id: existing.id });
    const user: User = { id: newId(), email: data.email, name: data.name, platformRole: data.platformRole ?? 'USER', createdAt: nowIso() };
    await this.db.insertInto('users').values(user).execute();
    return user;
  }

  async listUsers(): Promise<User[]> {
    return (await this.db.selectFrom('users').selectAll().orderBy('createdAt').execute()) as User[];
  }

  async findUser(idOrEmail: string): Promise<User> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrEmail), eb('email', '=', idOrEmail.toLowerCase())]))
      .executeTakeFirst();
    if (!row) throw notFound('user', idOrEmail);
    return row as User;
  }

  // ------------------------------------------------------------ workspaces

  async createWorkspace(input: unknown, ownerUserId?: string): Promise<Workspace> {
    const data = parseInput(WorkspaceCreate, input);
    const taken = await this.db.selectFrom('workspaces').select('id').where('slug', '=', data.slug).executeTakeFirst();
    if (taken) throw conflict(`workspace slug '${data.slug}' is taken`, { id: taken.id });
    const workspace: Workspace = {
      id: newId(),
      slug: data.slug,
      name: data.name,
      defaultCurrency: data.defaultCurrency ?? 'USD',
      features: { 'crm.core': true },
      createdAt: nowIso(),
    };
    await this.db
      .insertInto('workspaces')
      .values({ ...workspace, features: JSON.stringify(workspace.features) })
      .execute();
    if (ownerUserId) await this.setMembership(workspace.id, ownerUserId, 'OWNER');
    await this.records.create(systemCtx(workspace, 'system', ownerUserId ?? null), 'pipelines', { name: 'Sales', isDefault: true });
    return workspace;
  }

  async listWorkspaces(userId?: string): Promise<(Workspace & { role?: string })[]> {
    let q = this.db.selectFrom('workspaces').selectAll('workspaces');
    if (userId) {
      q = q.innerJoin('memberships', 'memberships.workspaceId', 'workspaces.id').where('memberships.userId', '=', userId).select('memberships.role');
    }
    return (await q.orderBy('workspaces.createdAt').execute()).map((r) => ({ ...toWorkspace(r), ...(r.role ? { role: r.role } : {}) }));
  }

  async findWorkspace(selector: string): Promise<Workspace | null> {
    const row = await this.db
      .selectFrom('workspaces')
      .selectAll()
      .where((eb) => eb.or([eb('slug', '=', selector), eb('id', '=', selector)]))
      .executeTakeFirst();
    return row ? toWorkspace(row) : null;
  }

  async updateWorkspace(ctx: Ctx, input: unknown): Promise<Workspace> {
    if (ctx.readOnly || ctx.role !== 'OWNER') throw forbidden('only workspace owners can change workspace settings');
    const data = parseInput(WorkspaceUpdate, input);
    const features = { ...ctx.workspace.features, ...(data.features ?? {}) };
    const next = { ...ctx.workspace, ...data, features };
    await this.db
      .updateTable('workspaces')
      .set({ name: next.name, defaultCurrency: next.defaultCurrency, features: JSON.stringify(features) })
      .where('id', '=', ctx.workspaceId)
      .execute();
    this.store.feed.notifyAccess({ kind: 'workspace', workspaceId: ctx.workspaceId, userId: null, keyId: null });
    return next;
  }

  // ------------------------------------------------------------ memberships

  async setMembership(workspaceId: string, userId: string, role: string): Promise<void> {
    const parsed = parseInput(Role, role, 'role');
    await this.db
      .insertInto('memberships')
      .values({ workspaceId, userId, role: parsed, createdAt: nowIso() })
      .onConflict((oc) => oc.columns(['workspaceId', 'userId']).doUpdateSet({ role: parsed }))
      .execute();
    this.store.feed.notifyAccess({ kind: 'membership', workspaceId, userId, keyId: null });
  }

  async removeMembership(workspaceId: string, userId: string): Promise<void> {
    await this.db.deleteFrom('memberships').where('workspaceId', '=', workspaceId).where('userId', '=', userId).execute();
    this.store.feed.notifyAccess({ kind: 'membership', workspaceId, userId, keyId: null });
  }

  async listMembers(workspaceId: string): Promise<(User & { role: string })[]> {
    return (await this.db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.userId')
      .selectAll('users')
      .select('memberships.role')
      .where('memberships.workspaceId', '=', workspaceId)
      .orderBy('users.name')
      .execute()) as (User & { role: string })[];
  }

  // ------------------------------------------------------------ keys

  async createApiKey(input: unknown): Promise<{ key: string; info: ApiKeyInfo }> {
    const data = parseInput(KeyCreate, input);
    const user = await this.findUser(data.userId);
    let workspaceId: string | null = null;
    if (data.workspaceId) {
      const ws = await this.findWorkspace(data.workspaceId);
      if (!ws) throw invalid('workspaceId', `workspace ${data.workspaceId} not found`);
      workspaceId = ws.id;
    }
    const key = generateApiKey();
    const info: ApiKeyInfo = {
      id: newId(),
      userId: user.id,
      name: data.name ?? 'API key',
      prefix: key.slice(0, 12),
      workspaceId,
      readOnly: data.readOnly ?? false,
      expiresAt: data.expiresAt ? new Date(data.expiresAt).toISOString() : null,
      revokedAt: null,
      lastUsedAt: null,
      createdAt: nowIso(),
    };
    await this.db
      .insertInto('apiKeys')
      .values({ ...info, readOnly: info.readOnly ? 1 : 0, hash: hashApiKey(key) })
      .execute();
    return { key, info };
  }

  async listApiKeys(userId?: string): Promise<ApiKeyInfo[]> {
    let q = this.db.selectFrom('apiKeys').selectAll();
    if (userId) q = q.where('userId', '=', userId);
    return (await q.orderBy('createdAt').execute()).map(toKey);
  }

  async revokeApiKey(idOrPrefix: string): Promise<ApiKeyInfo> {
    const row = await this.db
      .selectFrom('apiKeys')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrPrefix), eb('prefix', '=', idOrPrefix), eb('hash', '=', hashApiKey(idOrPrefix))]))
      .executeTakeFirst();
    if (!row) throw notFound('API key', idOrPrefix);
    const revokedAt = (row.revokedAt as string | null) ?? nowIso();
    await this.db.updateTable('apiKeys').set({ revokedAt }).where('id', '=', row.id).execute();
    this.store.feed.notifyAccess({ kind: 'key', workspaceId: (row.workspaceId as string | null) ?? null, userId: row.userId as string, keyId: row.id as string });
    return toKey({ ...row, revokedAt });
  }

  /**
   * Successful key lookups and resolved contexts, valid while nothing at all has been written to
   * the database file since they were read (store.changeStamp(): writes by this process and by
   * other processes such as the CLI). A revoke, a membership or workspace change — any write —
   * empties the cache before the next request is served, so it never answers with stale access.
   */
  private readonly authCache = new Map<string, Auth>();
  private readonly contextCache = new Map<string, Omit<Ctx, 'source'>>();
  private cacheStamp = '';

  /** The current change stamp; empties the caches when it moved. */
  private freshStamp(): string {
    const stamp = this.store.changeStamp();
    if (stamp !== this.cacheStamp || this.authCache.size > 10_000 || this.contextCache.size > 10_000) {
      this.authCache.clear();
      this.contextCache.clear();
      this.cacheStamp = stamp;
    }
    return stamp;
  }

  /** Keeps a value read under `stamp` only if nothing was written while it was being read. */
  private cacheIfUnchanged<T>(cache: Map<string, T>, key: string, value: T, stamp: string): void {
    if (this.store.changeStamp() === stamp && this.cacheStamp === stamp) cache.set(key, value);
  }

  /** Resolves a raw key. Checked on every request, so a revoked key stops working at once. */
  async authenticate(raw: string | null | undefined): Promise<Auth | { failure: AuthFailure }> {
    if (!raw) return { failure: 'missing' };
    if (!API_KEY_PATTERN.test(raw)) return { failure: 'malformed' };
    const hash = hashApiKey(raw);
    const stamp = this.freshStamp();
    const cached = this.authCache.get(hash);
    if (cached) {
      if (cached.key.expiresAt && Date.parse(cached.key.expiresAt) <= Date.now()) return { failure: 'expired' };
      this.touchKey(cached.key.id);
      return cached;
    }
    const result = await this.lookupKey(hash);
    if ('user' in result) this.cacheIfUnchanged(this.authCache, hash, result, stamp);
    return result;
  }

  private async lookupKey(hash: string): Promise<Auth | { failure: AuthFailure }> {
    const row = await this.db
      .selectFrom('apiKeys')
      .innerJoin('users', 'users.id', 'apiKeys.userId')
      .selectAll('apiKeys')
      .select(['users.email', 'users.name as userName', 'users.platformRole', 'users.createdAt as userCreatedAt'])
      .where('apiKeys.hash', '=', hash)
      .executeTakeFirst();
    if (!row) return { failure: 'unknown' };
    if (row.revokedAt) return { failure: 'revoked' };
    if (row.expiresAt && Date.parse(row.expiresAt) <= Date.now()) return { failure: 'expired' };
    this.touchKey(row.id);
    const user: User = { id: row.userId, email: row.email, name: row.userName, platformRole: row.platformRole, createdAt: row.userCreatedAt };
    return { user, key: toKey({ ...row, email: undefined, userName: undefined, platformRole: undefined, userCreatedAt: undefined }) };
  }

  /** Records last use, at most once a minute per key (a write per request would cost too much). */
  private touchKey(id: string): void {
    const now = Date.now();
    if ((this.lastUsedWritten.get(id) ?? 0) > now - 60_000) return;
    this.lastUsedWritten.set(id, now);
    void this.db
      .updateTable('apiKeys')
      .set({ lastUsedAt: new Date(now).toISOString() })
      .where('id', '=', id)
      .execute()
      .catch(() => {});
  }

  /**
   * The workspace a request acts in: named by the selector (slug or id), implied by a key
   * restricted to one workspace, or the user's only workspace.
   */
  async resolveContext(auth: Auth, selector: string | null | undefined, source: Source): Promise<Ctx> {
    const stamp = this.freshStamp();
    const cacheKey = `${auth.key.id}\u0000${selector ?? ''}`;
    const cached = this.contextCache.get(cacheKey);
    if (cached) return { ...cached, source };
    const ctx = await this.resolveFresh(auth, selector, source);
    const { source: _source, ...reusable } = ctx;
    this.cacheIfUnchanged(this.contextCache, cacheKey, reusable, stamp);
    return ctx;
  }

  private async resolveFresh(auth: Auth, selector: string | null | undefined, source: Source): Promise<Ctx> {
    const { user, key } = auth;
    let workspace: Workspace | null;
    if (selector) {
      workspace = await this.findWorkspace(selector);
      if (key.workspaceId && workspace?.id !== key.workspaceId) {
        throw new DomainError(403, 'Forbidden', 'Workspace access denied by API key restriction', [], { code: 'key_workspace_restriction' });
      }
      if (!workspace) throw new DomainError(404, 'Not found', `workspace '${selector}' not found`);
    } else if (key.workspaceId) {
      workspace = await this.findWorkspace(key.workspaceId);
    } else {
      const mine = await this.listWorkspaces(user.id);
      if (mine.length === 1) workspace = mine[0];
      else if (mine.length === 0 && user.platformRole !== 'ADMIN') throw forbidden('this user is not a member of any workspace');
      else {
        throw new DomainError(
          400,
          'Workspace required',
          `this key can reach several workspaces; name one with the X-Kith-Workspace header or ?workspace= (one of: ${mine.map((w) => w.slug).join(', ') || 'any, as platform admin'})`,
        );
      }
    }
    if (!workspace) throw new DomainError(404, 'Not found', 'workspace not found');
    const membership = await this.db.selectFrom('memberships').select('role').where('workspaceId', '=', workspace.id).where('userId', '=', user.id).executeTakeFirst();
    const role = membership?.role ?? (user.platformRole === 'ADMIN' ? 'OWNER' : null);
    if (!role) throw forbidden(`you are not a member of workspace '${workspace.slug}'`);
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
    const auth = await this.authenticate(raw);
    if ('failure' in auth) return { lost: `the API key is ${auth.failure === 'revoked' || auth.failure === 'expired' ? auth.failure : 'no longer valid'}` };
    if (auth.key.id !== granted.keyId || auth.user.id !== granted.userId) return { lost: 'the API key changed' };
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
    const workspace = selector ? await this.findWorkspace(selector) : ((await this.listWorkspaces())[0] ?? null);
    if (!workspace) throw new DomainError(404, 'Not found', selector ? `workspace '${selector}' not found` : 'no workspace exists yet');
    const owner = await this.db.selectFrom('memberships').select('userId').where('workspaceId', '=', workspace.id).where('role', '=', 'OWNER').orderBy('createdAt').executeTakeFirst();
    return systemCtx(workspace, source, owner?.userId ?? null);
  }

  // ------------------------------------------------------------ first start

  /**
   * On an empty database: an owner user, the `default` workspace with the default pipeline, and
   * an owner API key. Returns the raw key (to print once), or null when already set up.
   */
  async bootstrap(options: { email?: string; name?: string } = {}): Promise<{ key: string; user: User; workspace: Workspace } | null> {
    const any = await this.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
    if (any) return null;
    const user = await this.createUser({ email: options.email ?? 'owner@kith.local', name: options.name ?? 'Owner', platformRole: 'ADMIN' });
    const workspace = await this.createWorkspace({ slug: 'default', name: 'Default workspace' }, user.id);
    const { key } = await this.createApiKey({ userId: user.id, name: 'Owner key (first start)' });
    return { key, user, workspace };
  }
}
