/**
 * A hand-written stand-in for the parts of the `electron` module the main process uses (the
 * binary cannot run here). It records what the app does — windows and their options, loaded
 * URLs, IPC handlers, session hooks, links sent to the system browser, quit requests — and lets
 * a test play the renderer (invoke IPC from a given page) or the user (quit, open a link).
 */
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { ElectronApi } from '../../main/electronApi.js';

type Listener = (...args: any[]) => unknown;

export class FakeEvent {
  defaultPrevented = false;
  constructor(readonly url?: string) {}
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

export class FakeWebContents extends EventEmitter {
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
  /** Plays a navigation the page starts; true when the app let it happen. */
  navigate(url: string, event = 'will-navigate'): boolean {
    const e = new FakeEvent(url);
    this.emit(event, e, url);
    return !e.defaultPrevented;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  readonly webContents = new FakeWebContents();
  readonly loaded: string[] = [];
  visible = false;
  minimized = false;
  focused = 0;
  destroyed = false;

  constructor(readonly options: any) {
    super();
    queueMicrotask(() => this.emit('ready-to-show'));
  }

  /** Like Electron: resolves when the page loaded, rejects when the server cannot be reached. */
  async loadURL(url: string): Promise<void> {
    this.loaded.push(url);
    if (url.startsWith('data:')) return;
    // a fresh connection per load (no pooled sockets from a server that has since restarted)
    await new Promise<void>((resolve, reject) => {
      const req = http.get(url, { agent: false, headers: { accept: 'text/html' } }, (res) => {
        res.resume();
        res.on('end', () => resolve());
        res.on('error', reject);
      });
      req.on('error', (error: NodeJS.ErrnoException) => reject(new Error(`ERR_CONNECTION_REFUSED (-102) loading '${url}' (${error.code ?? error.message})`)));
    });
  }
  get currentUrl(): string | undefined {
    return this.loaded.at(-1);
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  restore(): void {
    this.minimized = false;
  }
  show(): void {
    this.visible = true;
  }
  focus(): void {
    this.focused++;
  }
  close(): void {
    this.destroyed = true;
    this.emit('closed');
  }
}

/** safeStorage backed by AES-256-GCM with a per-"keychain" secret, so a different keychain cannot decrypt. */
export class FakeSafeStorage {
  available = true;
  private readonly secret = crypto.randomBytes(32);
  async isAsyncEncryptionAvailable(): Promise<boolean> {
    return this.available;
  }
  async encryptStringAsync(plain: string): Promise<Buffer> {
    if (!this.available) throw new Error('Encryption is not available.');
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.secret, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }
  async decryptStringAsync(encrypted: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }> {
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.secret, encrypted.subarray(0, 12));
    decipher.setAuthTag(encrypted.subarray(12, 28));
    const result = Buffer.concat([decipher.update(encrypted.subarray(28)), decipher.final()]).toString('utf8');
    return { result, shouldReEncrypt: false };
  }
}

export class FakeApp extends EventEmitter {
  singleInstance = true;
  quitCalls = 0;
  exitCode: number | null = null;
  /** Set once a quit went through (nobody prevented before-quit). */
  quitted = false;
  readonly isPackaged = false;
  constructor(readonly userData: string) {
    super();
  }
  getPath(name: string): string {
    if (name !== 'userData') throw new Error(`fake app: getPath(${name}) not faked`);
    return this.userData;
  }
  getAppPath(): string {
    return process.cwd();
  }
  getVersion(): string {
    return '0.1.0';
  }
  requestSingleInstanceLock(): boolean {
    return this.singleInstance;
  }
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  quit(): void {
    this.quitCalls++;
    const event = new FakeEvent();
    this.emit('before-quit', event);
    if (!event.defaultPrevented) {
      this.quitted = true;
      this.emit('quit');
    }
  }
  exit(code = 0): void {
    this.exitCode = code;
  }
  /** Resolves when a quit has gone through. */
  quitDone(): Promise<void> {
    return this.quitted ? Promise.resolve() : new Promise((resolve) => this.once('quit', () => resolve()));
  }
}

export interface IpcEventOptions {
  /** URL of the page calling (its frame). */
  frameUrl: string;
  /** The calling web contents; defaults to the app window's. */
  sender?: FakeWebContents;
}

export class FakeIpcMain {
  readonly handlers = new Map<string, Listener>();
  handle(channel: string, fn: Listener): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, fn);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** What ipcRenderer.invoke from that page would get. */
  async invoke(channel: string, from: IpcEventOptions & { sender: FakeWebContents }, ...args: unknown[]): Promise<any> {
    const fn = this.handlers.get(channel);
    if (!fn) throw new Error(`No handler registered for '${channel}'`);
    return fn({ sender: from.sender, senderFrame: { url: from.frameUrl } }, ...args);
  }
}

export class FakeSession {
  headersListener: Listener | null = null;
  permissionRequest: Listener | null = null;
  permissionCheck: Listener | null = null;
  readonly webRequest = {
    onHeadersReceived: (listener: Listener) => {
      this.headersListener = listener;
    },
  };
  setPermissionRequestHandler(fn: Listener): void {
    this.permissionRequest = fn;
  }
  setPermissionCheckHandler(fn: Listener): void {
    this.permissionCheck = fn;
  }
  /** Runs a response through the app's header hook and returns the headers Chromium would use. */
  headersFor(url: string, resourceType: string, responseHeaders: Record<string, string[]> = {}): Record<string, string[]> {
    let out: Record<string, string[]> = responseHeaders;
    this.headersListener?.({ url, resourceType, responseHeaders }, (r: { responseHeaders?: Record<string, string[]> }) => {
      if (r.responseHeaders) out = r.responseHeaders;
    });
    return out;
  }
  /** What a page asking for a permission (camera, notifications…) would get. */
  askPermission(permission: string): boolean {
    let granted: boolean | null = null;
    this.permissionRequest?.(null, permission, (ok: boolean) => (granted = ok), {});
    return granted === true;
  }
}

export interface FakeElectron {
  api: ElectronApi;
  app: FakeApp;
  ipcMain: FakeIpcMain;
  safeStorage: FakeSafeStorage;
  session: FakeSession;
  opened: string[];
  errors: { title: string; content: string }[];
  windows(): FakeBrowserWindow[];
  /** The single window the app opened. */
  window(): FakeBrowserWindow;
  /** invoke() as the app's own page (the window's current URL) would. */
  invokeAsApp(channel: string, ...args: unknown[]): Promise<any>;
}

export function tempUserData(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kith-desktop-'));
}

/** A fresh fake `electron`. Pass the same safeStorage to play "the same OS keychain" across restarts. */
export function createFakeElectron(options: { userData?: string; safeStorage?: FakeSafeStorage } = {}): FakeElectron {
  const app = new FakeApp(options.userData ?? tempUserData());
  const ipcMain = new FakeIpcMain();
  const safeStorage = options.safeStorage ?? new FakeSafeStorage();
  const session = new FakeSession();
  const opened: string[] = [];
  const errors: { title: string; content: string }[] = [];
  const windows: FakeBrowserWindow[] = [];
  class BrowserWindow extends FakeBrowserWindow {
    constructor(opts: any) {
      super(opts);
      windows.push(this);
    }
  }
  const api = {
    app,
    BrowserWindow,
    ipcMain,
    safeStorage,
    shell: {
      openExternal: async (url: string) => {
        opened.push(url);
      },
    },
    session: { defaultSession: session },
    dialog: { showErrorBox: (title: string, content: string) => void errors.push({ title, content }) },
  } as unknown as ElectronApi;
  const fake: FakeElectron = {
    api,
    app,
    ipcMain,
    safeStorage,
    session,
    opened,
    errors,
    windows: () => windows,
    window() {
      if (windows.length !== 1) throw new Error(`expected one window, the app opened ${windows.length}`);
      return windows[0];
    },
    invokeAsApp(channel, ...args) {
      const win = fake.window();
      return ipcMain.invoke(channel, { sender: win.webContents, frameUrl: win.currentUrl ?? '' }, ...args);
    },
  };
  return fake;
}
