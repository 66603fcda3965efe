/**
 * API keys: `kith_` + 32 base62 characters. Only a SHA-256 hash is stored; the raw key is returned
 * once, when it is created. A key belongs to a user, may be restricted to one workspace, may be
 * read-only, may expire, and may be revoked (which is announced as an access change).
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import { newId } from '../../../shared/ids.js';
import { IsoDateTime } from '../../../shared/schemas.js';
import type { Db } from '../../store/database.js';
import type { Store } from '../../store/store.js';
import { nowIso } from '../context.js';
import { invalid, notFound, parseInput } from '../errors.js';
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

export async function createApiKey(db: Db, input: unknown): Promise<{ key: string; info: ApiKeyInfo }> {
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
  await db
    .insertInto('apiKeys')
    .values({ ...info, readOnly: info.readOnly ? 1 : 0, hash: hashApiKey(key) })
    .execute();
  return { key, info };
}

export async function listApiKeys(db: Db, userId?: string): Promise<ApiKeyInfo[]> {
  let q = db.selectFrom('apiKeys').selectAll();
  if (userId) q = q.where('userId', '=', userId);
  return (await q.orderBy('createdAt').execute()).map(toKey);
}

/** Revokes a key named by id, prefix or the raw key itself; revoking twice keeps the first time. */
export async function revokeApiKey(store: Store, idOrPrefix: string): Promise<ApiKeyInfo> {
  const row = await store.db
    .selectFrom('apiKeys')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', idOrPrefix), eb('prefix', '=', idOrPrefix), eb('hash', '=', hashApiKey(idOrPrefix))]))
    .executeTakeFirst();
  if (!row) throw notFound('API key', idOrPrefix);
  const revokedAt = (row.revokedAt as string | null) ?? nowIso();
  await store.db.updateTable('apiKeys').set({ revokedAt }).where('id', '=', row.id).execute();
  store.feed.notifyAccess({ kind: 'key', workspaceId: (row.workspaceId as string | null) ?? null, userId: row.userId as string, keyId: row.id as string });
  return toKey({ ...row, revokedAt });
}
