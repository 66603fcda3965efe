/**
 * Where the app connects: on the web the server URL (default: this page's origin), API key and
 * workspace live in localStorage; in the desktop app they come from the Electron main process.
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
    const parsed = JSON.parse(raw) as Partial<Connection>;
    if (typeof parsed.serverUrl !== 'string' || typeof parsed.apiKey !== 'string' || !parsed.apiKey) return null;
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
  return readStored();
}

export function saveConnection(conn: Connection): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify({ serverUrl: conn.serverUrl, apiKey: conn.apiKey, workspace: conn.workspace ?? null }));
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
  ) {
    super(message);
  }
}

/** Headers for a /crm call with this connection. */
function crmHeaders(conn: Connection): Record<string, string> {
  return { authorization: `Bearer ${conn.apiKey}`, ...(conn.workspace ? { 'x-kith-workspace': conn.workspace } : {}) };
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
    if (res.status === 401) throw new ConnectionCheckError('That API key was not accepted (unknown, expired or revoked).', 401);
    throw new ConnectionCheckError(detail ? String(detail) : `The server answered ${res.status}`, res.status);
  }
  return body as T;
}

/** Checks a connection before using it: the key works and the workspace resolves. */
export async function checkConnection(conn: Connection): Promise<CrmInfo> {
  const info = await crmGet<CrmInfo>(conn, '');
  if (!info.enabled) throw new ConnectionCheckError(`The CRM is switched off for workspace '${info.workspace.slug}'.`, 403);
  return info;
}
