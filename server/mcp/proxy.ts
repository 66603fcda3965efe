/**
 * `kith-mcp` in HTTP mode: a stdio MCP server that forwards tools/list and tools/call to a Kith
 * server's hosted `/mcp`, so the server's catalogue, permissions and audit apply unchanged.
 * The upstream session is opened at startup (a bad key or an unreachable server fails there,
 * with one line on stderr); an expired upstream session is reopened transparently.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CallToolRequestSchema, CallToolResultSchema, ErrorCode, ListToolsRequestSchema, McpError, ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { SERVER_INFO } from './server.js';

interface ProxyOptions {
  url: string;
  apiKey: string;
  workspace?: string;
}

/** The /mcp endpoint of a server URL ("http://127.0.0.1:4317" → ".../mcp"; a URL ending in /mcp is kept). */
function mcpEndpoint(base: string): URL {
  const url = new URL(base);
  if (!/\/mcp\/?$/.test(url.pathname)) url.pathname = `${url.pathname.replace(/\/$/, '')}/mcp`;
  return url;
}

/** One line saying why connecting failed. */
function describeConnectError(error: unknown, url: URL): string {
  if (error instanceof StreamableHTTPError) {
    let detail: string;
    const json = /\{.*\}/s.exec(error.message)?.[0];
    try {
      const parsed = json ? JSON.parse(json) : null;
      const reason = parsed?.error?.data?.reason;
      detail = [parsed?.error?.message, reason].filter(Boolean).join(': ');
    } catch {
      detail = error.message;
    }
    if (error.code === 401) return `the Kith server at ${url.origin} refused the API key (401 ${detail || 'Unauthorized'}); check KITH_API_KEY`;
    if (error.code === 403) return `the Kith server at ${url.origin} denied access (403 ${detail}); check KITH_WORKSPACE and the key's workspace restriction`;
    if (error.code === 404 && !detail) return `no MCP endpoint at ${url.href} (404); check KITH_URL`;
    if (error.code === 404) return `the Kith server at ${url.origin} answered 404: ${detail}; check KITH_WORKSPACE`;
    return `the Kith server at ${url.origin} answered ${error.code ?? 'an error'}${detail ? `: ${detail}` : ''}`;
  }
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code === 'ECONNREFUSED') return `cannot reach the Kith server at ${url.origin} (connection refused); is it running? check KITH_URL`;
  if (cause?.code === 'ENOTFOUND') return `cannot reach the Kith server at ${url.origin} (host not found); check KITH_URL`;
  return `cannot connect to the Kith server at ${url.origin}: ${cause?.message ?? (error as Error)?.message ?? String(error)}`;
}

/**
 * fetch for the SDK client transport: it passes one shared AbortSignal to every request, and
 * undici keeps a listener on it per request until garbage collection, so a long-lived proxy
 * warns of a listener leak after ~1500 calls. Each request gets its own signal, linked to the
 * shared one only while it is in flight (kept for streamed bodies, which close() must abort).
 */
const fetchWithOwnSignal: FetchLike = async (url, init) => {
  const shared = init?.signal;
  if (!shared) return fetch(url, init);
  const own = new AbortController();
  const forward = () => own.abort(shared.reason);
  if (shared.aborted) own.abort(shared.reason);
  else shared.addEventListener('abort', forward, { once: true });
  let streamed = false;
  try {
    const response = await fetch(url, { ...init, signal: own.signal });
    streamed = (response.headers.get('content-type') ?? '').includes('text/event-stream');
    return response;
  } finally {
    if (!streamed) shared.removeEventListener('abort', forward);
  }
};

interface Proxy {
  server: Server;
  close(): Promise<void>;
}

/** Connects upstream (throws with a one-line message on failure) and returns the stdio-side server. */
export async function createProxy(options: ProxyOptions): Promise<Proxy> {
  const url = mcpEndpoint(options.url);
  const headers: Record<string, string> = { authorization: `Bearer ${options.apiKey}` };
  if (options.workspace) headers['x-kith-workspace'] = options.workspace;

  let server: Server | null = null;
  const connect = async (): Promise<Client> => {
    const client = new Client({ name: 'kith-mcp', version: SERVER_INFO.version });
    client.onerror = () => {}; // stream reconnect noise; request failures surface on the request
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      await server?.sendToolListChanged().catch(() => {});
    });
    try {
      await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers }, fetch: fetchWithOwnSignal }));
    } catch (error) {
      await client.close().catch(() => {});
      throw new Error(describeConnectError(error, url), { cause: error });
    }
    return client;
  };

  let upstream = await connect();
  server = new Server(SERVER_INFO, { capabilities: { tools: { listChanged: true } }, instructions: upstream.getInstructions() });

  /** Runs a request upstream, reopening the session once if the server no longer knows it. */
  const forward = async <T>(fn: (client: Client) => Promise<T>): Promise<T> => {
    try {
      return await fn(upstream);
    } catch (error) {
      if (error instanceof StreamableHTTPError && error.code === 404) {
        const stale = upstream;
        upstream = await connect();
        process.stderr.write('kith-mcp: the server ended the MCP session (expired or closed); opened a new one\n');
        void stale.close().catch(() => {});
        return fn(upstream);
      }
      throw error;
    }
  };

  server.setRequestHandler(ListToolsRequestSchema, async (request) => {
    try {
      return await forward((c) => c.listTools(request.params));
    } catch (error) {
      throw new McpError(ErrorCode.InternalError, error instanceof StreamableHTTPError ? describeConnectError(error, url) : (error as Error).message);
    }
  });

  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    try {
      return (await forward((c) => c.request({ method: 'tools/call', params: request.params }, CallToolResultSchema))) as CallToolResult;
    } catch (error) {
      if (error instanceof McpError) throw error;
      const text = error instanceof StreamableHTTPError ? describeConnectError(error, url) : describeConnectError(error, url);
      return { content: [{ type: 'text', text: `Upstream error: ${text}` }], isError: true };
    }
  });

  return {
    server,
    async close() {
      await server?.close().catch(() => {});
      const t = upstream.transport as StreamableHTTPClientTransport | undefined;
      await t?.terminateSession().catch(() => {});
      await upstream.close().catch(() => {});
    },
  };
}
