/**
 * Where the app connects. On the web a person signs in with email and password: the server keeps
 * the session in an HttpOnly cookie, and localStorage holds only the server URL and the workspace
 * (no key). Pasting an API key remains an advanced option (then the key is kept in localStorage as
 * before). In the desktop app the connection comes from the Electron main process.
 */
import type { Connection } from '../data/index.js';

const STORAGE_KEY = 'kith.connection';

export function desktopBridge() {
  return typeof window !== 'undefined' ? (window.kithDesktop ?? null) : null;
}

export function defaultServerUrl(): string {
  return typeof location !== 'undefined' && /^https?:/.test(location.protocol) ? location.origin : 'http://127.0.0.1:4317';
}

export function normalizeServerUrl(url: string): string {
  const trimmed = url.trim().replace(/\/+$/, '');
  if (!trimmed) return defaultServerUrl();
  return /^https?:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
}

function readStored(): Connection | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Partial<Connection> & { session?: boolean };
    if (typeof parsed.serverUrl !== 'string') return null;
    // signed in with a password: the cookie is the credential, no key is stored
    if (parsed.session === true) return { serverUrl: parsed.serverUrl, apiKey: '', workspace: parsed.workspace ?? null };
    if (typeof parsed.apiKey !== 'string' || !parsed.apiKey) return null;
    return { serverUrl: parsed.serverUrl, apiKey: parsed.apiKey, workspace: parsed.workspace ?? null };
  } catch {
    return null;
  }
}

export async function loadConnection(): Promise<Connection | null> {
  const bridge = desktopBridge();
  if (bridge) {
    const fromDesktop = await bridge.getConnection();
    if (fromDesktop) {
      // The workspace choice is the renderer's: remember it per server.
      const stored = readStored();
      return { ...fromDesktop, workspace: fromDesktop.workspace ?? (stored?.serverUrl === fromDesktop.serverUrl ? stored.workspace : null) ?? null };
    }
    return null;
  }
  const stored = readStored();
  if (stored) return stored;
  // no saved connection, but perhaps a session cookie (signed in in another tab, storage cleared)
  const me = await authMe({ serverUrl: defaultServerUrl(), apiKey: '' }).catch(() => null);
  return me ? sessionConnection(me) : null;
}

/** True when the connection is a signed-in person's session (cookie), not an API key. */
export function isSessionConnection(conn: Connection): boolean {
  return !conn.apiKey;
}

export function saveConnection(conn: Connection): void {
  const saved = isSessionConnection(conn)
    ? { serverUrl: conn.serverUrl, workspace: conn.workspace ?? null, session: true }
    : { serverUrl: conn.serverUrl, apiKey: conn.apiKey, workspace: conn.workspace ?? null };
  localStorage.setItem(STORAGE_KEY, JSON.stringify(saved));
}

export interface Me {
  user: { id: string; email: string; name: string };
  workspaces: { id: string; slug: string; name: string; role: string }[];
  via: 'session' | 'key';
}

/** The connection of a signed-in person: this page's server, their first workspace unless one is named. */
export function sessionConnection(me: Me, workspace?: string | null): Connection {
  return { serverUrl: defaultServerUrl(), apiKey: '', workspace: workspace ?? me.workspaces[0]?.slug ?? null };
}

/** POST to /auth/… on this page's server (JSON in and out); throws with the server's message. */
async function authPost<T>(path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${defaultServerUrl()}/auth${path}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ConnectionCheckError(`Cannot reach ${defaultServerUrl()}. Is the server running?`, null);
  }
  const answer = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const fields = Array.isArray(answer?.errors) && answer.errors.length ? answer.errors.map((e: { path: string; message: string }) => `${e.path}: ${e.message}`).join('; ') : null;
    if (res.status === 429) throw new ConnectionCheckError(`Too many failed attempts. Try again in ${res.headers.get('retry-after') ?? 'a few'} seconds.`, 429);
    throw new ConnectionCheckError(fields ?? (answer?.detail ? String(answer.detail) : `The server answered ${res.status}`), res.status);
  }
  return answer as T;
}

/** Signs in with email and password (the server sets the session cookie). */
export function signInWithPassword(email: string, password: string): Promise<Me> {
  return authPost<Me>('/login', { email, password });
}

/** Ends the cookie's session (best effort: offline, the cookie expires on its own). */
export async function signOutSession(): Promise<void> {
  await authPost('/logout').catch(() => undefined);
}

/** Uses a setup or reset link: sets the password (and name) and signs in. */
export function applySetupLink(token: string, password: string, name?: string): Promise<Me> {
  return authPost<Me>('/setup', { token, password, ...(name ? { name } : {}) });
}

export interface InvitePreview {
  email: string;
  role: string;
  expiresAt: string;
  workspace: { name: string; slug: string };
  accountExists: boolean;
}

export function previewInvite(token: string): Promise<InvitePreview> {
  return authPost<InvitePreview>('/invite', { token });
}

/** Accepts an invite: signed in (cookie), or creating the account with name and password. */
export function acceptInvite(token: string, account?: { name: string; password: string }): Promise<{ workspace: { slug: string }; role: string; created: boolean }> {
  return authPost('/invite/accept', { token, ...(account ?? {}) });
}

/** Who is signed in (`GET /auth/me`) with this connection; null when nobody (401). */
export async function authMe(conn: Connection): Promise<Me | null> {
  const res = await fetch(`${conn.serverUrl}/auth/me`, { headers: crmHeaders(conn), credentials: 'same-origin' });
  if (res.status === 401) return null;
  if (!res.ok) throw new ConnectionCheckError(`The server answered ${res.status}`, res.status);
  return (await res.json()) as Me;
}

export function clearConnection(): void {
  localStorage.removeItem(STORAGE_KEY);
}

export interface CrmInfo {
  feature: string;
  enabled: boolean;
  version: string;
  workspace: { id: string; slug: string; name: string; defaultCurrency: string };
  role: 'OWNER' | 'MEMBER' | 'VIEWER';
  readOnly: boolean;
}

class ConnectionCheckError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    /** The server's field errors ({path, message}), when it named any: forms show them at their fields. */
    readonly errors?: { path: string; message: string }[],
  ) {
    super(message);
  }
}

/** Headers for a /crm call with this connection. */
function crmHeaders(conn: Connection): Record<string, string> {
  return { ...(conn.apiKey ? { authorization: `Bearer ${conn.apiKey}` } : {}), ...(conn.workspace ? { 'x-kith-workspace': conn.workspace } : {}) };
}

/** GET <path> under /crm with the connection's key; throws ConnectionCheckError with the server's message. */
export async function crmGet<T>(conn: Connection, path: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${conn.serverUrl}/crm${path}`, { headers: crmHeaders(conn) });
  } catch {
    throw new ConnectionCheckError(`Cannot reach ${conn.serverUrl}. Is the server running?`, null);
  }
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const detail = body && typeof body === 'object' ? (body.detail ?? body.title) : null;
    if (res.status === 401) throw new ConnectionCheckError(conn.apiKey ? 'That API key was not accepted (unknown, expired or revoked).' : 'You are signed out; sign in again.', 401);
    throw new ConnectionCheckError(detail ? String(detail) : `The server answered ${res.status}`, res.status);
  }
  return body as T;
}

/** POST, PATCH or DELETE under /crm with the connection (key or session cookie); throws with the server's message. A Blob body (a file) is sent as it is, with its type. */
export async function crmSend<T>(conn: Connection, method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  let res: Response;
  const raw = body instanceof Blob;
  try {
    res = await fetch(`${conn.serverUrl}/crm${path}`, {
      method,
      credentials: 'same-origin',
      headers: { ...crmHeaders(conn), ...(body === undefined ? {} : { 'content-type': raw ? body.type : 'application/json' }) },
      body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
    });
  } catch {
    throw new ConnectionCheckError(`Cannot reach ${conn.serverUrl}. Is the server running?`, null);
  }
  const answer = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const fields = Array.isArray(answer?.errors) && answer.errors.length ? answer.errors.map((e: { path: string; message: string }) => `${e.path}: ${e.message}`).join('; ') : null;
    throw new ConnectionCheckError(fields ?? (answer?.detail ? String(answer.detail) : `The server answered ${res.status}`), res.status, fields ? answer.errors : undefined);
  }
  return answer as T;
}

/** Checks a connection before using it: the key works and the workspace resolves. */
export async function checkConnection(conn: Connection): Promise<CrmInfo> {
  const info = await crmGet<CrmInfo>(conn, '');
  if (!info.enabled) throw new ConnectionCheckError(`The CRM is switched off for workspace '${info.workspace.slug}'.`, 403);
  return info;
}
