/**
 * The desktop app's lifecycle, with the Electron API injected (index.ts passes the real module,
 * unit tests a fake): single-instance lock, settings, the in-process server (local mode) or a
 * remote server, the sandboxed window, the IPC handlers behind `window.kithDesktop`, and a clean
 * shutdown that closes the server before the process exits.
 */
import path from 'node:path';
import { agentConfig, testMcp, type Runtime } from './agent.js';
import { CHANNELS, type AgentConfig, type ConnectionChoice, type DesktopConnection, type McpTestResult } from './bridge.js';
import type { Electron, ElectronApi } from './electronApi.js';
import { startLocalServer, type LocalServer } from './localServer.js';
import { checkApiKey, normalizeServerUrl, Settings } from './settings.js';
import { guardWindow, isAppUrl, isExternalUrl, secureSession, windowOptions } from './window.js';

export interface DesktopOptions {
  electron: ElectronApi;
  /** Built preload script (CommonJS: sandboxed preloads cannot be ES modules). */
  preloadPath: string;
  /** Built web UI the local server serves at `/`. */
  uiDir: string | null;
  /** The bundled stdio MCP server (dist/server/mcp-stdio.js). */
  mcpScript: string;
  /** Defaults to app.getPath('userData'). */
  userDataDir?: string;
  /** Port of the local server when settings hold none (default 47317; tests pass 0). */
  defaultPort?: number;
  /** Command-line arguments; `--local` starts in local mode whatever the settings say. */
  argv?: string[];
  log?: (line: string) => void;
  fetch?: typeof fetch;
  runtime?: Runtime;
  /** How long to wait between attempts to load an unreachable remote server. */
  retryMs?: number;
}

export interface Desktop {
  /** Resolves false when another instance already runs (this one then quits). */
  start(): Promise<boolean>;
  readonly window: Electron.BrowserWindow | null;
  readonly localServer: LocalServer | null;
  readonly settings: Settings | null;
  getConnection(): Promise<DesktopConnection | null>;
  setConnection(choice: ConnectionChoice): Promise<void>;
  agentConfig(): Promise<AgentConfig>;
  testMcp(): Promise<McpTestResult>;
  openExternal(url: string): Promise<void>;
  /** Closes the window's server connection and the local server; safe to call twice. */
  shutdown(): Promise<void>;
}

interface RemoteCheck {
  workspace: string | null;
}

/** Asks a remote server who the key is (GET /crm) and turns each failure into a sentence a person can act on. */
export async function checkRemote(serverUrl: string, apiKey: string, workspace: string | null, fetchImpl: typeof fetch = fetch): Promise<RemoteCheck> {
  const headers: Record<string, string> = { authorization: `Bearer ${apiKey}`, accept: 'application/json' };
  if (workspace) headers['x-kith-workspace'] = workspace;
  let res: Response;
  try {
    res = await fetchImpl(`${serverUrl}/crm`, { headers, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`Could not reach ${serverUrl}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, { cause: error });
  }
  const text = await res.text();
  let body: { detail?: string; title?: string; workspace?: { slug?: string } } | null = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: not a Kith server
  }
  if (res.ok && body?.workspace?.slug) return { workspace: body.workspace.slug };
  if (res.status === 401) throw new Error(`${serverUrl} rejected the API key (unknown, revoked or expired)`);
  if (res.status === 400 && body?.title === 'Workspace required') return { workspace: null }; // the key reaches several workspaces: chosen in the app
  if (!body || (res.ok && !body.workspace)) throw new Error(`${serverUrl} does not look like a Kith server (GET /crm answered ${res.status})`);
  throw new Error(`${serverUrl} refused the connection: ${body.detail ?? body.title ?? `HTTP ${res.status}`}`);
}

function parseChoice(input: unknown): ConnectionChoice {
  const c = input as Record<string, unknown> | null;
  if (c && c.mode === 'local') return { mode: 'local' };
  if (c && c.mode === 'remote') {
    if (typeof c.serverUrl !== 'string') throw new Error('serverUrl: required for a remote connection');
    if (typeof c.apiKey !== 'string') throw new Error('apiKey: required for a remote connection');
    const workspace = typeof c.workspace === 'string' ? c.workspace : null;
    return { mode: 'remote', serverUrl: c.serverUrl, apiKey: c.apiKey, workspace };
  }
  throw new Error("mode: expected 'local' or 'remote'");
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function unreachablePage(serverUrl: string, reason: string): string {
  const html = `<!doctype html><meta charset="utf-8"><title>Kith — server unreachable</title>
<body style="font:15px system-ui,sans-serif;margin:15vh auto;max-width:34em;color:#222">
<h2>Can't reach ${escapeHtml(serverUrl)}</h2><p>${escapeHtml(reason)}</p>
<p>Kith keeps trying and opens as soon as the server answers.</p>
<p>To work with the data on this computer instead, start Kith with <code>--local</code>.</p></body>`;
  return `data:text/html;charset=utf-8,${encodeURIComponent(html)}`;
}

export function createDesktop(options: DesktopOptions): Desktop {
  const { electron } = options;
  const { app } = electron;
  const log = options.log ?? ((line: string) => console.log(`[kith] ${line}`));
  const fetchImpl = options.fetch ?? fetch;

  let settings: Settings | null = null;
  let local: LocalServer | null = null;
  let remote: { serverUrl: string; apiKey: string; workspace: string | null } | null = null;
  let win: Electron.BrowserWindow | null = null;
  let retry: NodeJS.Timeout | null = null;
  let shuttingDown: Promise<void> | null = null;
  let quitting = false;
  let closed = false;

  const current = (): DesktopConnection | null => {
    if (remote) return { mode: 'remote', serverUrl: remote.serverUrl, apiKey: remote.apiKey, workspace: remote.workspace };
    if (local) return { mode: 'local', serverUrl: local.url, apiKey: local.apiKey, workspace: local.workspace };
    return null;
  };
  const appOrigin = (): string | null => {
    const c = current();
    return c ? new URL(c.serverUrl).origin : null;
  };

  async function ensureLocal(): Promise<LocalServer> {
    local ??= await startLocalServer({
      dataDir: path.join(options.userDataDir ?? app.getPath('userData'), 'data'),
      uiDir: options.uiDir,
      settings: settings!,
      log,
      defaultPort: options.defaultPort,
    });
    return local;
  }

  async function stopLocal(): Promise<void> {
    const running = local;
    local = null;
    if (running) await running.close();
  }

  /** Points the window at the current connection's UI; an unreachable remote gets a notice and retries. */
  async function loadApp(): Promise<void> {
    if (retry) clearTimeout(retry);
    retry = null;
    const c = current();
    if (!win || !c || quitting) return;
    const target = `${c.serverUrl}/`;
    try {
      await win.loadURL(target);
    } catch (error) {
      const reason = (error as Error).message;
      if (/ERR_ABORTED/.test(reason)) return; // superseded by a navigation the page made itself: not a failure
      if (c.mode === 'local' || quitting || !win) throw error;
      log(`remote ${c.serverUrl} unreachable (${reason}); retrying`);
      await win.loadURL(unreachablePage(c.serverUrl, reason)).catch(() => {});
      retry = setTimeout(() => void loadApp().catch(() => {}), options.retryMs ?? 10_000);
    }
  }

  function createWindow(): Electron.BrowserWindow {
    const w = new electron.BrowserWindow(windowOptions(options.preloadPath));
    guardWindow(w, electron.shell, appOrigin);
    w.once('ready-to-show', () => w.show());
    w.on('closed', () => {
      if (win === w) win = null;
    });
    return w;
  }

  /** IPC only from the app's own page in our window: a page that navigated elsewhere gets nothing. */
  function handle(channel: string, fn: (...args: unknown[]) => unknown): void {
    electron.ipcMain.handle(channel, async (event, ...args) => {
      const frameUrl = event.senderFrame?.url ?? '';
      if (!win || event.sender !== win.webContents || !isAppUrl(frameUrl, appOrigin())) {
        throw new Error('kithDesktop is only available to the Kith app page');
      }
      return fn(...args);
    });
  }

  const desktop: Desktop = {
    get window() {
      return win;
    },
    get localServer() {
      return local;
    },
    get settings() {
      return settings;
    },

    async start() {
      if (!app.requestSingleInstanceLock()) {
        log('another Kith window is already open; focusing it');
        app.quit();
        return false;
      }
      app.on('second-instance', () => {
        if (!win) return;
        if (win.isMinimized()) win.restore();
        win.show();
        win.focus();
      });
      app.on('window-all-closed', () => {
        if (process.platform !== 'darwin') app.quit();
      });
      // quitting waits for the server to close (in-flight requests, streams, the SQLite file)
      app.on('before-quit', (event) => {
        quitting = true;
        if (closed) return;
        event.preventDefault();
        void desktop.shutdown().finally(() => {
          closed = true;
          app.quit();
        });
      });

      await app.whenReady();
      const userData = options.userDataDir ?? app.getPath('userData');
      settings = Settings.open(path.join(userData, 'settings.json'), electron.safeStorage, log);
      if ((options.argv ?? []).includes('--local') && settings.mode === 'remote') settings.useLocal();

      if (settings.mode === 'remote') remote = await settings.remote();
      if (settings.mode === 'remote' && !remote) {
        log('the remote server key could not be read from secure storage; using the local server');
      }
      if (!remote) await ensureLocal();

      secureSession(electron.session.defaultSession, appOrigin);
      handle(CHANNELS.getConnection, () => desktop.getConnection());
      handle(CHANNELS.setConnection, (choice) => desktop.setConnection(choice as ConnectionChoice));
      handle(CHANNELS.agentConfig, () => desktop.agentConfig());
      handle(CHANNELS.testMcp, () => desktop.testMcp());
      handle(CHANNELS.openExternal, (url) => desktop.openExternal(String(url)));

      win = createWindow();
      app.on('activate', () => {
        if (win || quitting) return;
        win = createWindow();
        void loadApp();
      });
      await loadApp();
      const shown = current(); // null when a quit came while the page loaded
      if (shown) log(`window open on ${shown.serverUrl} (${shown.mode} mode)`);
      return true;
    },

    async getConnection() {
      return current();
    },

    async setConnection(input) {
      const choice = parseChoice(input);
      if (!settings) throw new Error('the app is not ready yet');
      if (choice.mode === 'remote') {
        const candidate = { serverUrl: choice.serverUrl, apiKey: choice.apiKey, workspace: choice.workspace ?? null };
        // validate the form first (clear message), then ask the server, then store the key encrypted
        candidate.serverUrl = normalizeServerUrl(candidate.serverUrl);
        candidate.apiKey = checkApiKey(candidate.apiKey);
        const check = await checkRemote(candidate.serverUrl, candidate.apiKey, candidate.workspace, fetchImpl);
        remote = await settings.setRemote({ ...candidate, workspace: candidate.workspace ?? check.workspace });
        await stopLocal();
        log(`connected to remote ${remote.serverUrl}`);
      } else {
        settings.useLocal();
        remote = null;
        await ensureLocal();
        log('switched to the local server');
      }
      // answer the renderer first; then the window moves to the new server's UI
      setImmediate(() => void loadApp().catch((error) => log(`could not load the app: ${(error as Error).message}`)));
    },

    async agentConfig() {
      const c = current();
      if (!c) throw new Error('not connected');
      return agentConfig(c, options.mcpScript, options.runtime);
    },

    async testMcp() {
      const c = current();
      if (!c) return { ok: false, error: 'not connected' };
      return testMcp(c, options.mcpScript, { runtime: options.runtime });
    },

    async openExternal(url) {
      if (!isExternalUrl(url)) throw new Error('only http(s) and mailto links open outside the app');
      await electron.shell.openExternal(url);
    },

    shutdown() {
      shuttingDown ??= (async () => {
        quitting = true;
        if (retry) clearTimeout(retry);
        retry = null;
        try {
          await stopLocal();
          log('shut down cleanly');
        } catch (error) {
          log(`shutdown: ${(error as Error).message}`);
        }
      })();
      return shuttingDown;
    },
  };
  return desktop;
}
