/** The narrow bridge the Electron preload exposes to the renderer (absent in browsers). */
import type { Connection } from './data/index.js';

export type DesktopConnectionChoice = { mode: 'local' } | { mode: 'remote'; serverUrl: string; apiKey: string };

export interface KithDesktopBridge {
  getConnection(): Promise<Connection | null>;
  setConnection(choice: DesktopConnectionChoice): Promise<void>;
  agentConfig(): Promise<{ stdio: unknown; http: unknown }>;
  testMcp(): Promise<{ ok: boolean; toolCount?: number; error?: string }>;
  openExternal(url: string): Promise<void>;
}

declare global {
  interface Window {
    kithDesktop?: KithDesktopBridge;
  }
}
