/**
 * "Agent access": MCP client configuration blocks for the bundled stdio `kith-mcp` and for the
 * hosted `/mcp` endpoint, and a self-test that launches `kith-mcp` as a child process with the
 * MCP SDK client (initialize + tools/list) and reports how many tools it offers.
 */
import fs from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { AgentConfig, McpTestResult } from './bridge.js';

export interface AgentTarget {
  serverUrl: string;
  apiKey: string;
  workspace?: string | null;
}

/** The JavaScript runtime that runs `kith-mcp`: Node, or Electron's own binary acting as Node. */
export interface Runtime {
  execPath: string;
  /** Electron's version when running inside Electron (then ELECTRON_RUN_AS_NODE=1 makes it a plain Node). */
  electron?: string;
}

export const currentRuntime = (): Runtime => ({ execPath: process.execPath, electron: process.versions.electron });

export interface StdioLaunch {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** How to launch the bundled stdio server against `target`. */
export function stdioLaunch(target: AgentTarget, mcpScript: string, runtime: Runtime = currentRuntime()): StdioLaunch {
  const env: Record<string, string> = { KITH_URL: target.serverUrl, KITH_API_KEY: target.apiKey };
  if (target.workspace) env.KITH_WORKSPACE = target.workspace;
  if (runtime.electron) env.ELECTRON_RUN_AS_NODE = '1';
  return { command: runtime.execPath, args: [mcpScript], env };
}

/** Configuration blocks in the `mcpServers` format MCP clients (Claude Desktop, Cursor, …) read. */
export function agentConfig(target: AgentTarget, mcpScript: string, runtime: Runtime = currentRuntime()): AgentConfig {
  const headers: Record<string, string> = { Authorization: `Bearer ${target.apiKey}` };
  if (target.workspace) headers['X-Kith-Workspace'] = target.workspace;
  return {
    stdio: { mcpServers: { kith: stdioLaunch(target, mcpScript, runtime) } },
    http: { mcpServers: { kith: { type: 'http', url: `${target.serverUrl.replace(/\/+$/, '')}/mcp`, headers } } },
  };
}

/**
 * Launches `kith-mcp` exactly as the stdio block describes, initializes an MCP session, lists
 * every tool (all pages) and shuts the process down. Never throws: failures come back as
 * `{ok: false, error}` with what the process said on stderr.
 */
export async function testMcp(target: AgentTarget, mcpScript: string, options: { runtime?: Runtime; timeoutMs?: number } = {}): Promise<McpTestResult> {
  if (!fs.existsSync(mcpScript)) return { ok: false, error: `kith-mcp is not built: ${mcpScript} is missing (run npm run build:server)` };
  const launch = stdioLaunch(target, mcpScript, options.runtime);
  const transport = new StdioClientTransport({
    command: launch.command,
    args: launch.args,
    env: { ...getDefaultEnvironment(), ...launch.env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const client = new Client({ name: 'kith-desktop-self-test', version: '1.0.0' });
  let timer: NodeJS.Timeout | undefined;
  const timeoutMs = options.timeoutMs ?? 20_000;
  try {
    const run = (async () => {
      await client.connect(transport);
      let toolCount = 0;
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : {});
        toolCount += page.tools.length;
        cursor = page.nextCursor;
      } while (cursor);
      return toolCount;
    })();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`kith-mcp did not answer within ${timeoutMs / 1000}s`)), timeoutMs);
    });
    const toolCount = await Promise.race([run, timeout]);
    return { ok: true, toolCount };
  } catch (error) {
    // what the process said on stderr (e.g. "refused the API key") explains more than the transport error
    const said = stderr.trim().split('\n').slice(-5).join('\n');
    return { ok: false, error: said ? `${said}\n(${(error as Error).message})` : (error as Error).message };
  } finally {
    clearTimeout(timer);
    await client.close().catch(() => {});
  }
}
