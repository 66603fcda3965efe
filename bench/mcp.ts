/**
 * MCP latency: p50/p99 of tools/call for a get and a create over one warm HTTP session and over
 * stdio (direct mode, and HTTP mode through the server), and — in the same run — the p50 of a
 * bare SDK server with one trivial tool, as the floor the transport itself costs.
 *
 * It also prints what the catalogue costs an agent's context: the characters of `tools/list` for
 * an owner, a member and a viewer, and the bytes of a `crm.deal.list` result of 50 deals
 * (compact, and with full: true).
 *
 *   npx tsx bench/mcp.ts            (build first: npm run build:server, for the stdio rows)
 *   MCP_BENCH_N=2000 npx tsx bench/mcp.ts
 *   MCP_BENCH_SIZES_ONLY=1 npx tsx bench/mcp.ts    (only the sizes)
 *
 * Aim: get p50 over HTTP under 3 ms and within 1.5× the bare server; the owner's tools/list under
 * 40,000 characters.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { z } from 'zod';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { startServer } from '../server/server.js';

const N = Number(process.env.MCP_BENCH_N ?? 1000);
const SIZES_ONLY = process.env.MCP_BENCH_SIZES_ONLY === '1';
const WARMUP = Math.min(200, N);
const BIN = path.resolve('dist/server/mcp-stdio.js');

interface Row {
  transport: string;
  tool: string;
  n: number;
  p50: number;
  p99: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(transport: string, tool: string, n: number, fn: (i: number) => Promise<void>): Promise<Row> {
  for (let i = 0; i < WARMUP; i++) await fn(-1 - i);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { transport, tool, n, p50: percentile(times, 50), p99: percentile(times, 99) };
}

/** Alternates calls of two workloads so machine load hits both alike. */
async function measureInterleaved(n: number, ...workloads: [string, string, (i: number) => Promise<unknown>][]): Promise<Row[]> {
  for (let i = 0; i < WARMUP; i++) for (const [, , fn] of workloads) await fn(-1 - i);
  const times = workloads.map(() => [] as number[]);
  for (let i = 0; i < n; i++) {
    for (const [w, [, , fn]] of workloads.entries()) {
      const t0 = performance.now();
      await fn(i);
      times[w].push(performance.now() - t0);
    }
  }
  return workloads.map(([transport, tool], w) => {
    const sorted = times[w].sort((a, b) => a - b);
    return { transport, tool, n, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  });
}

async function checked(client: Client, name: string, args: Record<string, unknown>): Promise<any> {
  const result = (await client.callTool({ name, arguments: args })) as { isError?: boolean; structuredContent?: any; content: { text: string }[] };
  if (result.isError) throw new Error(`${name}: ${result.content[0]?.text}`);
  return result.structuredContent;
}

async function catalogueRows(label: string, client: Client, orgIds: string[]): Promise<Row[]> {
  const get = await measure(label, 'crm.organization.get', N, async (i) => {
    await checked(client, 'crm.organization.get', { id: orgIds[Math.abs(i) % orgIds.length] });
  });
  const create = await measure(label, 'crm.organization.create', Math.max(100, Math.floor(N / 2)), async (i) => {
    await checked(client, 'crm.organization.create', { name: `${label} bench org ${i}`, website: 'https://bench.example' });
  });
  return [get, create];
}

/** The same figures on the catalogue before issue 11 item 4 (commit da383a5), measured with this bench. */
const BEFORE: { toolsList: Record<string, number>; dealList: Record<string, number> } = {
  toolsList: { owner: 88_138, member: 75_594, viewer: 38_509 },
  dealList: { default: 62_640, 'full: true': 85_192 },
};

interface Sizes {
  toolsList: { role: string; tools: number; chars: number }[];
  dealList: { variant: string; bytes: number; structuredBytes: number }[];
}

/** What the catalogue and a list result cost an agent: JSON characters / UTF-8 bytes as sent. */
async function sizes(server: Awaited<ReturnType<typeof startServer>>, ownerKey: string): Promise<Sizes> {
  const { accounts, records } = server.services;
  const ws = (await accounts.findWorkspace('default'))!;
  const connectAs = async (key: string) => {
    const client = new Client({ name: 'bench', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', server.url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    return client;
  };
  const keyFor = async (role: 'MEMBER' | 'VIEWER') => {
    const user = await accounts.createUser({ email: `bench-${role.toLowerCase()}-${randomUUID()}@example.com`, name: `Bench ${role}` });
    await accounts.setMembership(ws.id, user.id, role);
    return (await accounts.createApiKey({ userId: user.id })).key;
  };
  const out: Sizes = { toolsList: [], dealList: [] };
  for (const [role, key] of [
    ['owner', ownerKey],
    ['member', await keyFor('MEMBER')],
    ['viewer', await keyFor('VIEWER')],
  ] as const) {
    const client = await connectAs(key);
    const listed = await client.listTools();
    out.toolsList.push({ role, tools: listed.tools.length, chars: JSON.stringify(listed).length });
    await client.close();
  }

  // 50 deals as a sales team has them: an organization, a primary person, an amount, labels, a close date
  const ctx = await accounts.ownerContext('default', 'system');
  for (let i = 0; i < 50; i++) {
    const org = (await records.create(ctx, 'organizations', { name: `Deal org ${i}`, website: `https://deal${i}.example` })).record;
    const person = (await records.create(ctx, 'people', { name: `Buyer ${i}`, email: `buyer${i}@deal${i}.example`, organizationId: org.id })).record;
    await records.create(ctx, 'deals', {
      title: `Deal ${i}: ${['Annual licence', 'Pilot', 'Renewal', 'Expansion'][i % 4]}`,
      amount: 1000 + i * 250,
      currency: 'USD',
      organizationId: org.id,
      primaryPersonId: person.id,
      expectedCloseDate: '2026-09-30',
      labels: i % 3 === 0 ? ['priority'] : [],
    });
  }
  const client = await connectAs(ownerKey);
  for (const [variant, args] of [
    ['default', { limit: 50 }],
    ['full: true', { limit: 50, full: true }],
  ] as const) {
    const result = (await client.callTool({ name: 'crm.deal.list', arguments: args })) as { isError?: boolean; structuredContent?: { data: unknown[] }; content: { text: string }[] };
    if (result.isError || result.structuredContent?.data.length !== 50) throw new Error(`crm.deal.list: ${result.content[0]?.text}`);
    out.dealList.push({ variant, bytes: Buffer.byteLength(JSON.stringify(result)), structuredBytes: Buffer.byteLength(JSON.stringify(result.structuredContent)) });
  }
  await client.close();
  return out;
}

/** A bare SDK server: one McpServer per session, one trivial tool, the same transport settings. */
async function bareServer(): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  app.post('/mcp', async (req, res) => {
    const id = req.headers['mcp-session-id'];
    let transport = typeof id === 'string' ? sessions.get(id) : undefined;
    if (!transport && isInitializeRequest(req.body)) {
      const t = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), enableJsonResponse: true, onsessioninitialized: (sid) => void sessions.set(sid, t) });
      const server = new McpServer({ name: 'bare', version: '1' });
      server.registerTool('echo', { description: 'Echoes', inputSchema: { text: z.string() }, outputSchema: { text: z.string() } }, async ({ text }) => ({
        content: [{ type: 'text', text }],
        structuredContent: { text },
      }));
      await server.connect(t);
      transport = t;
    }
    if (!transport) return void res.status(404).end();
    await transport.handleRequest(req, res, req.body);
  });
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    async close() {
      for (const t of sessions.values()) await t.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kith-bench-mcp-'));
let ownerKey = '';
const server = await startServer({ dataDir, port: 0, log: null, onFirstStart: ({ key }) => (ownerKey = key) });
const rows: Row[] = [];
let measured: Sizes | null = null;
try {
  measured = await sizes(server, ownerKey);
  if (SIZES_ONLY) throw 'sizes only';

  // seed
  const ctx = await server.services.accounts.ownerContext('default', 'system');
  const orgIds: string[] = [];
  for (let i = 0; i < 300; i++) orgIds.push((await server.services.records.create(ctx, 'organizations', { name: `Seed org ${i}`, website: `https://seed${i}.example` })).record.id);

  // hosted /mcp (one warm session) and a bare SDK server, measured interleaved so both see the
  // same machine load
  const httpClient = new Client({ name: 'bench', version: '1' });
  await httpClient.connect(new StreamableHTTPClientTransport(new URL('/mcp', server.url), { requestInit: { headers: { authorization: `Bearer ${ownerKey}` } } }));
  const bare = await bareServer();
  const bareClient = new Client({ name: 'bench', version: '1' });
  await bareClient.connect(new StreamableHTTPClientTransport(new URL(bare.url)));
  const [get, echo] = await measureInterleaved(
    N,
    ['http /mcp', 'crm.organization.get', (i) => checked(httpClient, 'crm.organization.get', { id: orgIds[Math.abs(i) % orgIds.length] })],
    ['http bare SDK', 'echo (trivial)', () => bareClient.callTool({ name: 'echo', arguments: { text: 'hi' } })],
  );
  rows.push(get, echo);
  rows.push(
    await measure('http /mcp', 'crm.organization.create', Math.max(100, Math.floor(N / 2)), async (i) => {
      await checked(httpClient, 'crm.organization.create', { name: `http bench org ${i}`, website: 'https://bench.example' });
    }),
  );
  await httpClient.close();
  await bareClient.close();
  await bare.close();

  if (fs.existsSync(BIN)) {
    const env = { PATH: process.env.PATH ?? '' };
    const direct = new Client({ name: 'bench', version: '1' });
    await direct.connect(new StdioClientTransport({ command: process.execPath, args: [BIN], env: { ...env, KITH_DATA_DIR: dataDir }, stderr: 'ignore' }));
    rows.push(...(await catalogueRows('stdio direct', direct, orgIds)));
    await direct.close();

    const proxied = new Client({ name: 'bench', version: '1' });
    await proxied.connect(new StdioClientTransport({ command: process.execPath, args: [BIN], env: { ...env, KITH_URL: server.url, KITH_API_KEY: ownerKey }, stderr: 'ignore' }));
    rows.push(...(await catalogueRows('stdio → http', proxied, orgIds)));
    await proxied.close();
  } else {
    console.error(`(no ${BIN}: run npm run build:server for the stdio rows)`);
  }
} catch (error) {
  if (error !== 'sizes only') throw error;
} finally {
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

if (measured) {
  console.log('\nMCP catalogue size: JSON characters of the tools/list result\n');
  console.log(`${'role'.padEnd(10)}${'tools'.padStart(6)}${'chars'.padStart(10)}${'before'.padStart(10)}`);
  for (const r of measured.toolsList) console.log(`${r.role.padEnd(10)}${String(r.tools).padStart(6)}${String(r.chars).padStart(10)}${String(BEFORE.toolsList[r.role]).padStart(10)}`);
  const owner = measured.toolsList.find((r) => r.role === 'owner')!;
  console.log(`owner tools/list ${owner.chars} chars (aim < 40,000): ${owner.chars < 40_000 ? 'ok' : 'over'}`);
  console.log('\ncrm.deal.list of 50 deals: UTF-8 bytes of the tools/call result (structuredContent + text block)\n');
  console.log(`${'variant'.padEnd(12)}${'bytes'.padStart(10)}${'structured'.padStart(12)}${'before'.padStart(10)}`);
  for (const r of measured.dealList) console.log(`${r.variant.padEnd(12)}${String(r.bytes).padStart(10)}${String(r.structuredBytes).padStart(12)}${String(BEFORE.dealList[r.variant]).padStart(10)}`);
}
if (SIZES_ONLY) process.exit(0);

const fmt = (ms: number) => ms.toFixed(2).padStart(8);
console.log(`\nMCP tools/call latency (ms), ${os.cpus().length} CPU(s), Node ${process.version}\n`);
console.log(`${'transport'.padEnd(16)}${'tool'.padEnd(28)}${'n'.padStart(6)}${'p50'.padStart(8)}${'p99'.padStart(8)}`);
for (const r of rows) console.log(`${r.transport.padEnd(16)}${r.tool.padEnd(28)}${String(r.n).padStart(6)}${fmt(r.p50)}${fmt(r.p99)}`);
const get = rows.find((r) => r.transport === 'http /mcp' && r.tool === 'crm.organization.get')!;
const bareRow = rows.find((r) => r.transport === 'http bare SDK')!;
console.log(`\nhttp get p50 ${get.p50.toFixed(2)} ms (aim < 3 ms): ${get.p50 < 3 ? 'ok' : 'over'}`);
console.log(`http get p50 / bare SDK p50 = ${(get.p50 / bareRow.p50).toFixed(2)}× (aim ≤ 1.5×): ${get.p50 / bareRow.p50 <= 1.5 ? 'ok' : 'over'}`);
