/**
 * The part of the `electron` module the main process uses. Modules receive it by injection
 * (index.ts passes the real module; unit tests pass a fake), so the logic runs without the
 * Electron binary. Type-only: importing this file never loads `electron`.
 */
import type * as Electron from 'electron';

export interface ElectronApi {
  app: Pick<Electron.App, 'on' | 'once' | 'quit' | 'exit' | 'whenReady' | 'getPath' | 'getAppPath' | 'requestSingleInstanceLock' | 'isPackaged' | 'getVersion'>;
  BrowserWindow: {
    new (options: Electron.BrowserWindowConstructorOptions): Electron.BrowserWindow;
  };
  ipcMain: Pick<Electron.IpcMain, 'handle' | 'removeHandler'>;
  safeStorage: Pick<Electron.SafeStorage, 'isAsyncEncryptionAvailable' | 'encryptStringAsync' | 'decryptStringAsync'>;
  shell: Pick<Electron.Shell, 'openExternal'>;
  session: { defaultSession: Pick<Electron.Session, 'webRequest' | 'setPermissionRequestHandler' | 'setPermissionCheckHandler'> };
  dialog: Pick<Electron.Dialog, 'showErrorBox'>;
}

export type { Electron };
