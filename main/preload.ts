/**
 * Preload for the sandboxed window: exposes exactly `window.kithDesktop` (see bridge.ts) through
 * the context bridge. No ipcRenderer, fs or other Node/Electron object reaches web content; each
 * method is a fixed invoke on one channel, and the main process checks who sent it.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { CHANNELS, type ConnectionChoice, type KithDesktopApi } from './bridge.js';

const api: KithDesktopApi = {
  getConnection: () => ipcRenderer.invoke(CHANNELS.getConnection),
  setConnection: (choice: ConnectionChoice) => ipcRenderer.invoke(CHANNELS.setConnection, choice),
  agentConfig: () => ipcRenderer.invoke(CHANNELS.agentConfig),
  testMcp: () => ipcRenderer.invoke(CHANNELS.testMcp),
  openExternal: (url: string) => ipcRenderer.invoke(CHANNELS.openExternal, String(url)),
};

contextBridge.exposeInMainWorld('kithDesktop', api);
