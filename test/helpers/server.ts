/**
 * A real Kith server on an ephemeral loopback port with a real SQLite file in a temp dir — or, in
 * the integration-pg project (KITH_TEST_STORE=postgres), a PostgreSQL database of its own for the
 * data dir (test/helpers/postgres.ts; a new one is a copy of the run's migrated template).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer, type ServerOptions } from '../../server/server.js';
import { openStore, type Store, type StoreOptions } from '../../server/store/store.js';
import { dropTestDatabase, onPostgres, storeEnv, testDatabaseUrl } from './postgres.js';

export interface TestServer extends RunningServer {
  /** The owner key created on first start. */
  key: string;
  /** The token of the first-start setup link (`/setup#token=…`). */
  setupToken: string;
  dataDir: string;
  /** fetch against the server with the owner key (or `key`) and JSON in/out. */
  api(method: string, urlPath: string, body?: unknown, options?: { key?: string | null; headers?: Record<string, string> }): Promise<ApiResponse>;
  /** Stops the server and removes the data dir (unless keepData). */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any;
}

export function tempDataDir(prefix = 'kith-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Another process's view of a test data dir's store (its SQLite file, or its PostgreSQL database). */
export async function openTestStore(dataDir: string, options: StoreOptions = {}): Promise<Store> {
  return openStore(dataDir, { ...options, databaseUrl: onPostgres ? await testDatabaseUrl(dataDir) : undefined });
}

/** Options for `execFile`/`spawn` of the built CLI or kith-mcp on a test data dir: this process's env plus its store. */
export async function childOptions(dataDir: string): Promise<{ env: NodeJS.ProcessEnv }> {
  return { env: { ...process.env, ...(await storeEnv(dataDir)) } };
}

export async function apiCall(baseUrl: string, key: string | null, method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
  const init: RequestInit = { method, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers } };
  if (body !== undefined) {
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await fetch(baseUrl + urlPath, init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

export async function startTestServer(
  options: {
    dataDir?: string;
    /** PostgreSQL runs: another URL of the data dir's database (e.g. through a relay the test cuts). */
    databaseUrl?: string;
    uiDir?: string | null;
    port?: number;
    auth?: ServerOptions['auth'];
    webhooks?: ServerOptions['webhooks'];
    automations?: ServerOptions['automations'];
    trustProxy?: string;
  } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? tempDataDir();
  let ownerKey: string | null = null;
  let setupToken = '';
  const server = await startServer({
    dataDir,
    databaseUrl: options.databaseUrl ?? (onPostgres ? await testDatabaseUrl(dataDir, { migrated: true }) : undefined),
    port: options.port ?? 0,
    host: '127.0.0.1',
    log: null,
    uiDir: options.uiDir ?? null,
    auth: options.auth,
    webhooks: options.webhooks,
    automations: options.automations,
    trustProxy: options.trustProxy ?? '',
    onFirstStart: (first) => {
      ownerKey = first.key;
      setupToken = first.setupToken;
    },
  });
  const key = ownerKey ?? '';
  return {
    ...server,
    key,
    setupToken,
    dataDir,
    api: (method, urlPath, body, opts = {}) => apiCall(server.url, opts.key === undefined ? key : opts.key, method, urlPath, body, opts.headers),
    async stop({ keepData = false } = {}) {
      await server.close();
      if (!keepData) {
        fs.rmSync(dataDir, { recursive: true, force: true });
        if (onPostgres) await dropTestDatabase(dataDir);
      }
    },
  };
}
