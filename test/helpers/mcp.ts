/**
 * A real MCP client for tests: the SDK's own `Client` over streamable HTTP against a test server,
 * with the calls tests make (a result, one that must succeed, one that must fail) and keys for
 * members of other roles.
 */
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { TestServer } from './server.js';

export type ToolResult = { isError?: boolean; structuredContent?: any; content: { type: string; text: string }[] };

export async function connectMcp(server: TestServer, key: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'test-agent', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', server.url), { requestInit: { headers: { authorization: `Bearer ${key}`, ...headers } } }));
  return client;
}

export async function callTool(client: Client, name: string, args: Record<string, unknown> = {}): Promise<ToolResult> {
  return (await client.callTool({ name, arguments: args })) as ToolResult;
}

/** The structured result of a call that must succeed. */
export async function toolOk(client: Client, name: string, args: Record<string, unknown> = {}): Promise<any> {
  const result = await callTool(client, name, args);
  assert.notEqual(result.isError, true, `${name} failed: ${result.content[0]?.text}`);
  return result.structuredContent;
}

/** The error text of a call that must fail. */
export async function toolFailure(client: Client, name: string, args: Record<string, unknown>): Promise<string> {
  const result = await callTool(client, name, args);
  assert.equal(result.isError, true, `${name} should have failed but returned ${result.content[0]?.text}`);
  return result.content[0]!.text;
}

/** A key of a new member of the default workspace with this role. */
export async function memberKey(server: TestServer, role: 'OWNER' | 'MEMBER' | 'VIEWER', options: { readOnly?: boolean } = {}): Promise<string> {
  const { accounts } = server.services;
  const ws = await accounts.findWorkspace('default');
  const user = await accounts.createUser({ email: `${role.toLowerCase()}-${Math.random().toString(36).slice(2)}@example.com`, name: `A ${role}` });
  await accounts.setMembership(ws!.id, user.id, role);
  return (await accounts.createApiKey({ userId: user.id, readOnly: options.readOnly ?? false })).key;
}
