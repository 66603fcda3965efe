/**
 * The contract between the preload (`window.kithDesktop`) and the main process: IPC channel
 * names and the shapes that cross them. Imported by both sides, so it holds no runtime code
 * beyond constants.
 */

/** What the renderer needs to open its local store and sync: the server and the key it holds. */
export interface DesktopConnection {
  serverUrl: string;
  apiKey: string;
  workspace?: string | null;
  /** `local` = the sync server this app runs in-process; `remote` = a server from settings. */
  mode: 'local' | 'remote';
}

export type ConnectionChoice = { mode: 'local' } | { mode: 'remote'; serverUrl: string; apiKey: string; workspace?: string | null };

export interface AgentConfig {
  /** An MCP client configuration block that launches the bundled stdio `kith-mcp`. */
  stdio: unknown;
  /** An MCP client configuration block for the hosted streamable-HTTP endpoint `/mcp`. */
  http: unknown;
}

export interface McpTestResult {
  ok: boolean;
  toolCount?: number;
  error?: string;
}

/** The whole API the preload exposes to web content; nothing else crosses the bridge. */
export interface KithDesktopApi {
  getConnection(): Promise<DesktopConnection | null>;
  setConnection(choice: ConnectionChoice): Promise<void>;
  agentConfig(): Promise<AgentConfig>;
  testMcp(): Promise<McpTestResult>;
  openExternal(url: string): Promise<void>;
}

export const CHANNELS = {
  getConnection: 'kith:get-connection',
  setConnection: 'kith:set-connection',
  agentConfig: 'kith:agent-config',
  testMcp: 'kith:test-mcp',
  openExternal: 'kith:open-external',
} as const satisfies Record<keyof KithDesktopApi, string>;
