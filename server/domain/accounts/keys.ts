/**
 * API keys: `kith_` + 32 base62 characters. Only a SHA-256 hash is stored; the raw key is returned
 * once, when it is created. A key belongs to a user, may be restricted to one workspace, may be
 * read-only, may expire, and may be revoked (which is announced as an access change). Every
 * creation and revocation is audited: in the workspace a key is pinned to, else in each workspace
 * of its holder.
 *
 * People manage their own keys (`/crm/keys`, Settings → API keys); owners also see and revoke the
 * keys that reach their workspace: the ones pinned to it and the unpinned keys of its members.
 * A key never makes a key that reaches further than itself: not while read-only, not unpinned
 * from a pinned key, not outliving its own expiry.
 */
import crypto from 'node:crypto';
import type { SelectQueryBuilder } from 'kysely';
import { z } from 'zod';
import { newId } from '../../../shared/ids.js';
import { IsoDateTime } from '../../../shared/schemas.js';
import type { Db } from '../../store/database.js';
import type { Store } from '../../store/store.js';
import { nowIso, requireWrite, type Ctx } from '../context.js';
import { forbidden, invalid, notFound, parseInput } from '../errors.js';
import { auditForUser, auditInWorkspace, type Actor } from './journal.js';
import { findUser } from './users.js';
import { findWorkspace } from './workspaces.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const API_KEY_PATTERN = /^kith_[0-9A-Za-z]{32}$/;

function generateApiKey(): string {
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

const KeyCreate = z.strictObject({
  userId: z.string(),
  name: z.string().trim().min(1).max(100).optional(),
  workspaceId: z.string().nullable().optional(),
  readOnly: z.boolean().optional(),
  expiresAt: IsoDateTime.nullable().optional(),
});

/** A stored key row as ApiKeyInfo (without its hash). */
export function toKey(row: Record<string, unknown>): ApiKeyInfo {
  const { hash: _hash, ...rest } = row;
  return { ...(rest as unknown as ApiKeyInfo), readOnly: row.readOnly === 1 || row.readOnly === true };
}

/** Actor of a change made without a request (first start, the desktop app): the system. */
const SYSTEM: Actor = { userId: null, source: 'system' };

/** What an audit entry keeps of a key (never its hash). */
const keyAudit = (k: ApiKeyInfo) => ({ name: k.name, prefix: k.prefix, userId: k.userId, workspaceId: k.workspaceId, readOnly: k.readOnly, expiresAt: k.expiresAt });

/** One audit entry for a key change: in the workspace it is pinned to, else in each workspace of its holder. */
async function auditKey(
  tx: Db,
  key: ApiKeyInfo,
  actor: Actor,
  entry: { action: 'create' | 'delete'; before?: Record<string, unknown>; after?: Record<string, unknown>; detail?: Record<string, unknown> },
): Promise<void> {
  const full = { entityType: 'apiKey', entityId: key.id, ...entry };
  if (!key.workspaceId) return auditForUser(tx, key.userId, actor, full);
  const workspace = await findWorkspace(tx, key.workspaceId);
  if (!workspace) return;
  await auditInWorkspace(tx, { workspace, workspaceId: workspace.id, userId: actor.userId, keyId: actor.keyId ?? null, role: 'VIEWER', readOnly: true, source: actor.source ?? 'rest' }, full);
}

/** Creates a key for a user (the CLI, first start, the desktop app, and `/crm/keys` through createOwnKey); audited. */
export async function createApiKey(db: Db, input: unknown, actor: Actor = SYSTEM): Promise<{ key: string; info: ApiKeyInfo }> {
  const data = parseInput(KeyCreate, input);
  const user = await findUser(db, data.userId);
  let workspaceId: string | null = null;
  if (data.workspaceId) {
    const ws = await findWorkspace(db, data.workspaceId);
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
  await db.transaction().execute(async (tx) => {
    await tx
      .insertInto('apiKeys')
      .values({ ...info, readOnly: info.readOnly ? 1 : 0, hash: hashApiKey(key) })
      .execute();
    await auditKey(tx, info, actor, { action: 'create', after: keyAudit(info) });
  });
  return { key, info };
}

export async function listApiKeys(db: Db, userId?: string): Promise<ApiKeyInfo[]> {
  let q = db.selectFrom('apiKeys').selectAll();
  if (userId) q = q.where('userId', '=', userId);
  return (await q.orderBy('createdAt').execute()).map(toKey);
}

/** Revokes a key named by id, prefix or the raw key itself; revoking twice keeps the first time. Audited. */
export async function revokeApiKey(store: Store, idOrPrefix: string, actor: Actor = SYSTEM): Promise<ApiKeyInfo> {
  const row = await store.db
    .selectFrom('apiKeys')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', idOrPrefix), eb('prefix', '=', idOrPrefix), eb('hash', '=', hashApiKey(idOrPrefix))]))
    .executeTakeFirst();
  if (!row) throw notFound('API key', idOrPrefix);
  return revokeRow(store, row, actor);
}

async function revokeRow(store: Store, row: Record<string, unknown>, actor: Actor): Promise<ApiKeyInfo> {
  if (row.revokedAt) return toKey(row);
  const revoked = toKey({ ...row, revokedAt: nowIso() });
  await store.db.transaction().execute(async (tx) => {
    await tx.updateTable('apiKeys').set({ revokedAt: revoked.revokedAt }).where('id', '=', revoked.id).execute();
    await auditKey(tx, revoked, actor, { action: 'delete', before: keyAudit(revoked), detail: { revoked: true } });
  });
  store.feed.notifyAccess({ kind: 'key', workspaceId: revoked.workspaceId, userId: revoked.userId, keyId: revoked.id });
  return revoked;
}

// ------------------------------------------------------------------ a person's keys (/crm/keys)

/** A key as its holder and their workspace's owners see it: who holds it, where it is pinned, whether it still works. */
export interface ApiKeyView extends ApiKeyInfo {
  status: 'active' | 'expired' | 'revoked';
  user: { id: string; name: string; email: string };
  workspace: { id: string; slug: string; name: string } | null;
  /** The key this request is authenticated with. */
  current: boolean;
}

export const OwnKeyCreate = z.strictObject({
  name: z.string().trim().min(1, { error: 'must not be empty' }).max(100).describe('What the key is for, e.g. "Reporting script"'),
  workspaceOnly: z.boolean().optional().describe('Pin the key to this workspace (default true); false lets it reach every workspace you belong to'),
  readOnly: z.boolean().optional().describe('The key reads but never writes (default false)'),
  expiresAt: IsoDateTime.nullable().optional().describe('When the key stops working (ISO 8601, in the future); null or absent: never'),
});

export const KeyListQuery = z.strictObject({
  all: z.enum(['true', 'false']).optional().describe("true (owners): every key that reaches this workspace — pinned to it, or a member's unpinned key — with whose key it is"),
  workspace: z.string().optional().describe('Workspace slug or id (instead of X-Kith-Workspace)'),
});

/** A query over apiKeys joined with its holder and workspace (the schema is dynamic: Db is Kysely<any>). */
type KeyQuery = SelectQueryBuilder<any, any, any>;

function keyStatus(k: ApiKeyInfo, now = Date.now()): ApiKeyView['status'] {
  return k.revokedAt ? 'revoked' : k.expiresAt && Date.parse(k.expiresAt) <= now ? 'expired' : 'active';
}

/** Keys with their holder and workspace; newest first, the ones that still work before the others. */
async function keyViews(db: Db, ctx: Ctx, where: (q: KeyQuery) => KeyQuery): Promise<ApiKeyView[]> {
  const rows = await where(
    db
      .selectFrom('apiKeys')
      .innerJoin('users', 'users.id', 'apiKeys.userId')
      .leftJoin('workspaces', 'workspaces.id', 'apiKeys.workspaceId')
      .selectAll('apiKeys')
      .select(['users.name as userName', 'users.email as userEmail', 'workspaces.slug as workspaceSlug', 'workspaces.name as workspaceName']),
  )
    .orderBy('apiKeys.createdAt', 'desc')
    .execute();
  const now = Date.now();
  const views = (rows as Record<string, unknown>[]).map(({ userName, userEmail, workspaceSlug, workspaceName, ...row }) => {
    const info = toKey(row);
    return {
      ...info,
      status: keyStatus(info, now),
      user: { id: info.userId, name: userName as string, email: userEmail as string },
      workspace: info.workspaceId ? { id: info.workspaceId, slug: workspaceSlug as string, name: workspaceName as string } : null,
      current: info.id === ctx.keyId,
    };
  });
  return views.sort((a, b) => Number(a.status !== 'active') - Number(b.status !== 'active'));
}

/** Who may see (and revoke) a key from this context: its holder, or an owner of a workspace the key reaches. */
function visibleKeys(ctx: Ctx, all: boolean) {
  return (q: KeyQuery): KeyQuery =>
    all
      ? q.where((eb) =>
          eb.or([
            eb('apiKeys.workspaceId', '=', ctx.workspaceId),
            eb.and([
              eb('apiKeys.workspaceId', 'is', null),
              eb('apiKeys.userId', 'in', eb.selectFrom('memberships').select('memberships.userId').where('memberships.workspaceId', '=', ctx.workspaceId)),
            ]),
          ]),
        )
      : q.where('apiKeys.userId', '=', ctx.userId);
}

const isOwner = (ctx: Ctx) => ctx.role === 'OWNER';

/** The caller's own keys, or (`all`, owners) every key that reaches the workspace. */
export async function listKeys(db: Db, ctx: Ctx, query: unknown): Promise<ApiKeyView[]> {
  const { all } = parseInput(KeyListQuery, query);
  if (all === 'true' && !isOwner(ctx)) throw forbidden(`Your role ${ctx.role} cannot see other people's keys in workspace '${ctx.workspace.slug}' (needs OWNER)`);
  if (!ctx.userId) return [];
  return keyViews(db, ctx, visibleKeys(ctx, all === 'true'));
}

/**
 * A key for the caller: pinned to this workspace unless `workspaceOnly: false`. Refused for a
 * read-only key, and a key never makes one that reaches further than itself (unpinned from a
 * pinned key, or outliving it). Returns the raw key once; audited.
 */
export async function createOwnKey(store: Store, ctx: Ctx, input: unknown): Promise<{ key: string; view: ApiKeyView }> {
  requireWrite(ctx, 'VIEWER', 'create API keys');
  const data = parseInput(OwnKeyCreate, input);
  if (!ctx.userId) throw forbidden('only a person can hold an API key');
  const workspaceOnly = data.workspaceOnly ?? true;
  const expiresAt = data.expiresAt ? new Date(data.expiresAt).toISOString() : null;
  if (expiresAt && Date.parse(expiresAt) <= Date.now()) throw invalid('expiresAt', 'must be in the future');
  if (ctx.keyId) {
    const acting = await store.db.selectFrom('apiKeys').select(['workspaceId', 'expiresAt']).where('id', '=', ctx.keyId).executeTakeFirst();
    if (acting?.workspaceId && !workspaceOnly) throw forbidden('This API key is pinned to a workspace: it can only create keys pinned to this workspace (workspaceOnly: true)');
    if (acting?.expiresAt && (!expiresAt || Date.parse(expiresAt) > Date.parse(acting.expiresAt))) {
      throw invalid('expiresAt', `must be no later than the expiry of the key making it (${acting.expiresAt})`);
    }
  }
  const { key, info } = await createApiKey(
    store.db,
    { userId: ctx.userId, name: data.name, workspaceId: workspaceOnly ? ctx.workspaceId : null, readOnly: data.readOnly ?? false, expiresAt },
    { userId: ctx.userId, keyId: ctx.keyId, source: ctx.source },
  );
  const [view] = await keyViews(store.db, ctx, (q) => q.where('apiKeys.id', '=', info.id));
  return { key, view };
}

/** Revokes one of the caller's keys, or (owners) any key that reaches the workspace; 404 for any other. Audited. */
export async function revokeKey(store: Store, ctx: Ctx, id: string): Promise<ApiKeyView> {
  requireWrite(ctx, 'VIEWER', 'revoke API keys');
  const byId = (all: boolean) => (q: KeyQuery) => visibleKeys(ctx, all)(q.where('apiKeys.id', '=', id));
  let [visible] = await keyViews(store.db, ctx, byId(false));
  if (!visible && isOwner(ctx)) [visible] = await keyViews(store.db, ctx, byId(true));
  if (!visible) throw notFound('API key', id);
  const row = await store.db.selectFrom('apiKeys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const revoked = await revokeRow(store, row, { userId: ctx.userId, keyId: ctx.keyId, source: ctx.source });
  return { ...visible, revokedAt: revoked.revokedAt, status: 'revoked' };
}
