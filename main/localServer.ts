/**
 * The sync server the desktop app runs in-process (local mode): loopback only, data in the
 * user data folder, serving the web UI the window loads.
 *
 * The key the app holds: the server prints its owner key only on the first start of an empty
 * data folder, so the app keeps its own owner key, encrypted with safeStorage in settings.json.
 * At each start it checks the stored key against the database; when there is none, it cannot be
 * decrypted (keychain reset), or it was revoked or expired, the app creates a fresh key for the
 * workspace owner ("Kith desktop") through the account service, revokes the one it replaces and
 * stores the new one. Without OS secret storage the key lives in memory only: a new key each
 * start, the previous one revoked by its id.
 */
import net from 'node:net';
import { startServer, type RunningServer, type Services } from '../server/api.js';
import type { Settings } from './settings.js';

export const DEFAULT_LOCAL_PORT = 47317;

export interface LocalServerOptions {
  dataDir: string;
  uiDir: string | null;
  settings: Settings;
  log?: (line: string) => void;
  /** Port to use when settings hold none (tests pass 0). */
  defaultPort?: number;
}

export interface LocalServer {
  server: RunningServer;
  url: string;
  /** The owner key the app holds for this server. */
  apiKey: string;
  /** Slug of the owner's workspace. */
  workspace: string;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

/** True when nothing listens on host:port (checked before opening the store, so a busy port costs nothing). */
export function portIsFree(port: number, host = HOST): Promise<boolean> {
  if (port === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

async function ownerOf(services: Services): Promise<{ userId: string; workspace: string }> {
  const ctx = await services.accounts.ownerContext(null, 'system');
  let userId = ctx.userId;
  if (!userId) userId = (await services.accounts.listUsers()).find((u) => u.platformRole === 'ADMIN')?.id ?? null;
  if (!userId) throw new Error(`workspace '${ctx.workspace.slug}' has no owner to hold a desktop key for`);
  return { userId, workspace: ctx.workspace.slug };
}

/** The stored key, if it still authenticates as the owner with write access. */
async function usableStoredKey(services: Services, settings: Settings, ownerId: string): Promise<string | null> {
  const stored = await settings.localKey();
  if (!stored) return null;
  const auth = await services.accounts.authenticate(stored);
  if ('failure' in auth || auth.user.id !== ownerId || auth.key.readOnly) return null;
  return stored;
}

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const log = options.log ?? (() => {});
  const { settings } = options;
  const wanted = settings.localPort ?? options.defaultPort ?? DEFAULT_LOCAL_PORT;
  let port = wanted;
  if (!(await portIsFree(wanted))) {
    log(`local server: port ${wanted} is in use, taking a free one (the window's origin changes with it)`);
    port = 0;
  }

  let firstKey: string | null = null;
  const server = await startServer({
    dataDir: options.dataDir,
    host: HOST,
    port,
    uiDir: options.uiDir,
    log: null,
    onFirstStart: ({ key }) => (firstKey = key),
  });

  try {
    const { userId, workspace } = await ownerOf(server.services);
    let apiKey = firstKey ?? (await usableStoredKey(server.services, settings, userId));
    if (firstKey) {
      const auth = await server.services.accounts.authenticate(firstKey);
      await settings.setLocalKey(firstKey, 'key' in auth ? auth.key.id : null);
      log('local server: first start, owner key created and stored encrypted');
    } else if (!apiKey) {
      const previous = settings.localKeyId;
      if (previous) await server.services.accounts.revokeApiKey(previous).catch(() => {});
      const created = await server.services.accounts.createApiKey({ userId, name: 'Kith desktop' });
      apiKey = created.key;
      await settings.setLocalKey(apiKey, created.info.id);
      log(`local server: created a new desktop key ${created.info.prefix}…${previous ? ' (previous one revoked)' : ''}`);
    }
    settings.setLocalPort(server.port);
    return { server, url: server.url, apiKey: apiKey!, workspace, close: () => server.close() };
  } catch (error) {
    await server.close();
    throw error;
  }
}
