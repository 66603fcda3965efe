/**
 * The app window and its security settings: a sandboxed renderer (context isolation, no Node
 * integration, only the preload's narrow API), a content security policy on the app's pages, no
 * permissions, no pop-ups or webviews, navigation kept on the app's origin, and external links
 * opened in the system browser.
 */
import type { Electron, ElectronApi } from './electronApi.js';

export function windowOptions(preloadPath: string): Electron.BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: 'Kith',
    show: false,
    backgroundColor: '#ffffff',
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: true,
    },
  };
}

/**
 * The policy for the app's own pages: scripts only from the app's origin (no inline or eval),
 * network only to it, inline styles allowed (the component library injects style tags), images
 * and fonts also from data:/blob:, no plugins, frames or form posts elsewhere.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Links the app hands to the system: web pages and mail addresses only. */
export function isExternalUrl(url: string): boolean {
  try {
    const protocol = new URL(url).protocol;
    return protocol === 'http:' || protocol === 'https:' || protocol === 'mailto:';
  } catch {
    return false;
  }
}

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/** True when `url` is on the app's current origin (the local server, or the remote server in remote mode). */
export function isAppUrl(url: string, appOrigin: string | null): boolean {
  return appOrigin !== null && originOf(url) === appOrigin;
}

/**
 * Session-wide guards, installed once: the CSP header on documents from the app origin (replacing
 * any the server sent) and every permission request (camera, notifications, …) denied.
 */
export function secureSession(session: ElectronApi['session']['defaultSession'], appOrigin: () => string | null): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    const isDocument = details.resourceType === 'mainFrame' || details.resourceType === 'subFrame';
    if (!isDocument || !isAppUrl(details.url, appOrigin())) return callback({});
    const headers: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(details.responseHeaders ?? {})) {
      if (name.toLowerCase() !== 'content-security-policy') headers[name] = value;
    }
    headers['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
    callback({ responseHeaders: headers });
  });
  session.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

/**
 * Per-window guards: `window.open`/target=_blank never opens an Electron window (http(s)/mailto
 * links go to the system browser); navigation away from the app origin is cancelled, and sent to
 * the browser when it is a web link.
 */
export function guardWindow(win: Electron.BrowserWindow, shell: ElectronApi['shell'], appOrigin: () => string | null): void {
  const contents = win.webContents;
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalUrl(url) && !isAppUrl(url, appOrigin())) void shell.openExternal(url);
    return { action: 'deny' };
  });
  const guard = (event: { preventDefault(): void; url?: string }, legacyUrl?: string) => {
    const url = event.url ?? legacyUrl ?? '';
    if (isAppUrl(url, appOrigin())) return;
    event.preventDefault();
    if (isExternalUrl(url)) void shell.openExternal(url);
  };
  contents.on('will-navigate', guard as never);
  contents.on('will-redirect', guard as never);
  contents.on('will-attach-webview', ((event: { preventDefault(): void }) => event.preventDefault()) as never);
}
