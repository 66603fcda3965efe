/**
 * `kith-mcp`: the Kith tool catalogue over stdio, for desktop agents.
 *
 *   KITH_URL + KITH_API_KEY (+ KITH_WORKSPACE)  → forwards to that server's hosted /mcp
 *   no KITH_URL                                 → opens KITH_DATA_DIR (default ./data) directly,
 *                                                 acting as the workspace owner; no server needed
 *
 * stdout carries only MCP protocol messages; everything else goes to stderr. A startup failure
 * is one line on stderr and a non-zero exit.
 */
import path from 'node:path';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Ctx } from '../domain/context.js';
import { openServices, type Services } from '../domain/services.js';
import { createProxy } from './proxy.js';
import { createCatalogueServer } from './server.js';

// Nothing but protocol on stdout: route stray console output to stderr.
for (const method of ['log', 'info', 'debug', 'warn'] as const) console[method] = (...args: unknown[]) => console.error(...args);

/** A message as one stderr line. */
const oneLine = (message: string) => message.replace(/\s*\n\s*/g, ' ');

function fail(message: string): never {
  process.stderr.write(`kith-mcp: ${oneLine(message)}\n`);
  process.exit(1);
}

const env = process.env;

async function direct(): Promise<void> {
  const dataDir = path.resolve(env.KITH_DATA_DIR || 'data');
  let services: Services;
  try {
    services = await openServices(dataDir, { create: false });
  } catch (error) {
    fail(`cannot open the Kith data directory: ${(error as Error).message}`);
  }
  const { store } = services;
  let workspaceId: string;
  try {
    workspaceId = (await services.accounts.ownerContext(env.KITH_WORKSPACE || null, 'mcp')).workspaceId;
  } catch (error) {
    await store.close();
    fail(`${(error as Error).message} in ${dataDir}${env.KITH_WORKSPACE ? ' (KITH_WORKSPACE)' : ''}`);
  }
  // The context is read again for every listing and call, so feature changes apply at once.
  let refresh: (ctx: Ctx) => void = () => {};
  const { mcp, refresh: notify } = createCatalogueServer(services, async () => {
    const ctx = await services.accounts.ownerContext(workspaceId, 'mcp');
    refresh(ctx);
    return ctx;
  });
  refresh = notify;
  const transport = new StdioServerTransport();
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await mcp.close().catch(() => {});
    await store.close().catch(() => {});
    process.exit(0);
  };
  transport.onclose = () => void shutdown();
  process.stdin.on('end', () => void shutdown());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown());
  await mcp.connect(transport);
  process.stderr.write(`kith-mcp: serving ${store.dialect === 'postgres' ? store.file : dataDir} directly (workspace ${workspaceId}, as owner)\n`);
}

async function remote(url: string): Promise<void> {
  const apiKey = env.KITH_API_KEY;
  if (!apiKey) fail('KITH_API_KEY is required when KITH_URL is set (an API key such as kith_…; the owner key is printed on first start)');
  let proxy: Awaited<ReturnType<typeof createProxy>>;
  try {
    proxy = await createProxy({ url, apiKey, workspace: env.KITH_WORKSPACE || undefined });
  } catch (error) {
    fail((error as Error).message);
  }
  // A promise the MCP SDK's HTTP transport lets fail (e.g. a stream of an expired upstream session)
  // must not end the agent's tool server: the next request reopens the session (proxy.ts). One
  // line on stderr says what it was.
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`kith-mcp: ignored an upstream error: ${oneLine(reason instanceof Error ? reason.message : String(reason))}\n`);
  });
  const transport = new StdioServerTransport();
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await proxy.close();
    process.exit(0);
  };
  transport.onclose = () => void shutdown();
  process.stdin.on('end', () => void shutdown());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown());
  await proxy.server.connect(transport);
  process.stderr.write(`kith-mcp: connected to ${url}\n`);
}

try {
  if (env.KITH_URL) {
    try {
      new URL(env.KITH_URL);
    } catch {
      fail(`KITH_URL is not a URL: ${env.KITH_URL} (expected e.g. http://127.0.0.1:4317)`);
    }
    await remote(env.KITH_URL);
  } else {
    await direct();
  }
} catch (error) {
  fail((error as Error)?.message ?? String(error));
}
