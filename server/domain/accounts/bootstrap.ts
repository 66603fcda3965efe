/**
 * First start: on an empty database, an owner user, the `default` workspace with the default
 * pipeline, an owner API key and a one-time setup link token.
 */
import type { Store } from '../../store/store.js';
import type { Workspace } from '../context.js';
import type { RecordService } from '../records.js';
import { createApiKey } from './keys.js';
import { createUserLink } from './links.js';
import { createUser, type User } from './users.js';
import { createWorkspace } from './workspaces.js';

/**
 * Sets up an empty database; returns the raw owner key (to print once), or null when already set
 * up. Under the store's setup lock: of several processes starting at once on an empty PostgreSQL
 * database, one creates the owner and the others find it.
 */
export async function bootstrap(
  store: Store,
  records: RecordService,
  options: { email?: string; name?: string } = {},
): Promise<{ key: string; setupToken: string; user: User; workspace: Workspace } | null> {
  return store.exclusive(() => setUp(store, records, options));
}

async function setUp(store: Store, records: RecordService, options: { email?: string; name?: string }): Promise<{ key: string; setupToken: string; user: User; workspace: Workspace } | null> {
  const any = await store.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  if (any) return null;
  const user = await createUser(store.db, { email: options.email ?? 'owner@kith.local', name: options.name ?? 'Owner', platformRole: 'ADMIN' });
  const workspace = await createWorkspace(store, records, { slug: 'default', name: 'Default workspace' }, user.id);
  const { key } = await createApiKey(store.db, { userId: user.id, name: 'Owner key (first start)' });
  // the one-time setup link where the owner sets name and password (SPEC §1), valid 24 h
  const { token: setupToken } = await createUserLink(store.db, user.id, 'setup', null);
  return { key, setupToken, user, workspace };
}
