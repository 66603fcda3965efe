/**
 * The connection to a Kith server. Opening it calls the gate (`GET /crm`), which validates the
 * key and names the workspace before any local data is touched; with the server unreachable, the
 * workspace info remembered from the last successful start opens the local copy instead
 * (offline-first), but never after the key was refused. Every later request goes through
 * `requester`, which reports what it finds — reached, unreachable, refused — to the status.
 */
import { problemText } from './stream.js';
import { nameHash } from './database.js';
import type { StatusState } from './status.js';

export interface Connection {
  serverUrl: string;
  apiKey: string;
  workspace?: string | null;
}

export interface WorkspaceInfo {
  workspaceId: string;
  workspaceSlug: string;
  workspaceName: string;
  defaultCurrency: string;
  role: 'OWNER' | 'MEMBER' | 'VIEWER';
  readOnly: boolean;
  /** The user the API key belongs to (null when an older server did not say). */
  userId: string | null;
}

/** Where the workspace info of the last successful start is kept, to open offline next time. */
export interface InfoCache {
  get(key: string): WorkspaceInfo | null;
  set(key: string, info: WorkspaceInfo): void;
  delete(key: string): void;
}

/** The server could not be reached, or refused the key/workspace. */
export class KithConnectionError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'KithConnectionError';
  }
}

/** Thrown from pull/push handlers so RxDB retries; carries what the status should say. */
class SyncHttpError extends Error {
  constructor(
    message: string,
    readonly kind: 'offline' | 'error',
  ) {
    super(message);
  }
}

function browserInfoCache(): InfoCache | null {
  const storage = (globalThis as { localStorage?: Storage }).localStorage;
  if (!storage) return null;
  return {
    get(key) {
      try {
        const text = storage.getItem(key);
        return text ? (JSON.parse(text) as WorkspaceInfo) : null;
      } catch {
        return null;
      }
    },
    set: (key, info) => storage.setItem(key, JSON.stringify(info)),
    delete: (key) => storage.removeItem(key),
  };
}

/** An opened connection: where the server is, the headers every request carries, and the workspace. */
export interface ServerConnection {
  /** The server URL without trailing slashes. */
  base: string;
  /** The key, the workspace (by id once known) and the client id (set once the database is open). */
  headers: Record<string, string>;
  fetch: typeof fetch;
  info: WorkspaceInfo;
}

/**
 * Validates the key and learns the workspace (`GET /crm`); with the server unreachable, takes the
 * workspace info of the last successful start, if any. Throws `KithConnectionError`.
 */
export async function openConnection(conn: Connection, options: { fetch?: typeof fetch; infoCache?: InfoCache | null }): Promise<ServerConnection> {
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const base = conn.serverUrl.trim().replace(/\/+$/, '');
  if (!/^https?:\/\//i.test(base)) throw new KithConnectionError(`the server URL must start with http:// or https:// (got '${conn.serverUrl}')`, null);
  // no key: a person signed in with a password, whose session cookie the browser sends (same origin)
  const headers: Record<string, string> = conn.apiKey.trim() ? { authorization: `Bearer ${conn.apiKey.trim()}` } : {};
  if (conn.workspace) headers['x-kith-workspace'] = conn.workspace;

  const infoKey = `kith-info:${nameHash(`${base}|${conn.workspace ?? ''}|${conn.apiKey.trim()}`)}`;
  const remembered = options.infoCache ?? browserInfoCache();
  let info!: WorkspaceInfo;
  let gateRes: Response | null = null;
  try {
    gateRes = await doFetch(`${base}/crm`, { headers });
  } catch (error) {
    const cached = remembered?.get(infoKey);
    if (!cached) throw new KithConnectionError(`cannot reach the Kith server at ${base}: ${error instanceof Error ? error.message : String(error)}`, null);
    info = cached;
  }
  if (gateRes) {
    if (!gateRes.ok) {
      const detail = await problemText(gateRes);
      remembered?.delete(infoKey);
      if (gateRes.status === 401) throw new KithConnectionError(conn.apiKey.trim() ? `the server refused the API key: ${detail}` : `you are signed out: ${detail}`, 401);
      if (gateRes.status === 403) throw new KithConnectionError(`access denied: ${detail}`, 403);
      throw new KithConnectionError(`the server answered ${gateRes.status}: ${detail}`, gateRes.status);
    }
    const gate = (await gateRes.json()) as {
      workspace: { id: string; slug: string; name: string; defaultCurrency: string };
      role: WorkspaceInfo['role'];
      readOnly: boolean;
      user?: { id: string };
    };
    info = {
      workspaceId: gate.workspace.id,
      workspaceSlug: gate.workspace.slug,
      workspaceName: gate.workspace.name,
      defaultCurrency: gate.workspace.defaultCurrency,
      role: gate.role,
      readOnly: gate.readOnly === true,
      userId: gate.user?.id ?? null,
    };
    remembered?.set(infoKey, info);
  }
  // later requests name the workspace by id so a renamed slug cannot switch it
  headers['x-kith-workspace'] = info.workspaceId;
  return { base, headers, fetch: doFetch, info };
}

export type ServerRequest = (path: string, init?: RequestInit) => Promise<Response>;

/**
 * Requests to the server (`path` after the base URL, with the connection's headers). Any answer
 * means the network is up (a successful one also clears a failure); no answer means offline; a
 * 401/403/other error answer is a failure the status shows. Both throw, so RxDB retries.
 */
export function requester(server: ServerConnection, status: Pick<StatusState, 'networkUp' | 'networkDown' | 'fail' | 'clearFailure' | 'emit'>): ServerRequest {
  return async (path, init = {}) => {
    let res: Response;
    try {
      res = await server.fetch(`${server.base}${path}`, { ...init, headers: { ...server.headers, ...(init.headers as Record<string, string> | undefined) } });
    } catch (error) {
      const message = `cannot reach the server: ${error instanceof Error ? error.message : String(error)}`;
      status.networkDown(message);
      status.emit();
      throw new SyncHttpError(message, 'offline');
    }
    status.networkUp();
    if (res.ok) status.clearFailure();
    status.emit();
    if (!res.ok) {
      const detail = await problemText(res);
      const message = res.status === 401 ? `the server refused the API key: ${detail}` : res.status === 403 ? `access denied: ${detail}` : `the server answered ${res.status}: ${detail}`;
      status.fail(message);
      status.emit();
      throw new SyncHttpError(message, 'error');
    }
    return res;
  };
}
