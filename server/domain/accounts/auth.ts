/**
 * Authentication: a raw API key → the key and its user, or why it fails. Checked on every
 * request (through the access cache), so a revoked key stops working at once.
 */
import type { Store } from '../../store/store.js';
import type { AccessCache } from './cache.js';
import { API_KEY_PATTERN, hashApiKey, toKey, type ApiKeyInfo } from './keys.js';
import type { User } from './users.js';

export interface Auth {
  user: User;
  key: ApiKeyInfo;
}

export type AuthFailure = 'missing' | 'malformed' | 'unknown' | 'revoked' | 'expired';

export class KeyAuthenticator {
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly cache: AccessCache,
  ) {}

  /** Resolves a raw key. Checked on every request, so a revoked key stops working at once. */
  async authenticate(raw: string | null | undefined): Promise<Auth | { failure: AuthFailure }> {
    if (!raw) return { failure: 'missing' };
    if (!API_KEY_PATTERN.test(raw)) return { failure: 'malformed' };
    const hash = hashApiKey(raw);
    const stamp = this.cache.fresh();
    const cached = this.cache.auth.get(hash);
    if (cached) {
      if (cached.key.expiresAt && Date.parse(cached.key.expiresAt) <= Date.now()) return { failure: 'expired' };
      this.touchKey(cached.key.id);
      return cached;
    }
    const result = await this.lookupKey(hash);
    if ('user' in result) this.cache.keepIfUnchanged(this.cache.auth, hash, result, stamp);
    return result;
  }

  private async lookupKey(hash: string): Promise<Auth | { failure: AuthFailure }> {
    const row = await this.store.db
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
    void this.store.db
      .updateTable('apiKeys')
      .set({ lastUsedAt: new Date(now).toISOString() })
      .where('id', '=', id)
      .execute()
      .catch(() => {});
  }
}
