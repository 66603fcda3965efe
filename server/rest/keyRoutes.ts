/**
 * A person's API keys (SPEC §1, §6 "one's API keys"): `GET /crm/keys` (mine; `?all=true` for
 * owners: every key that reaches the workspace, with whose it is), `POST /crm/keys` (the secret in
 * the answer, once) and `DELETE /crm/keys/:id`. Scopes: pinned to this workspace (default) or not,
 * read-only, expiry. A key never creates one that reaches further than itself; every change is
 * audited; a revoked key is refused at once on /crm, /sync and /mcp.
 */
import type { Request } from 'express';
import { z } from 'zod';
import { KeyListQuery, OwnKeyCreate, type ApiKeyView } from '../domain/accounts.js';
import type { Services } from '../domain/services.js';
import type { RouteDef } from './routeTable.js';

const Key = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string().describe('The first 12 characters of the key (kith_ and 7 more), to recognise it'),
  status: z.enum(['active', 'expired', 'revoked']),
  user: z.object({ id: z.string(), name: z.string(), email: z.string() }).describe('Whose key it is'),
  workspace: z.object({ id: z.string(), slug: z.string(), name: z.string() }).nullable().describe('The workspace it is pinned to; null: every workspace of its holder'),
  readOnly: z.boolean(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable().describe('Last use (recorded at most once a minute)'),
  createdAt: z.string(),
  current: z.boolean().describe('This request is authenticated with this key'),
});

const key = ({ userId: _userId, workspaceId: _workspaceId, ...rest }: ApiKeyView): z.infer<typeof Key> => rest;

export function keyRoutes(services: Services): RouteDef[] {
  const { accounts } = services;
  return [
    {
      method: 'get',
      path: '/keys',
      tag: 'API keys',
      summary: 'Your API keys; with ?all=true (owners) every key that reaches this workspace',
      description:
        'Never the secret: only its prefix. Keys that still work come first, newest first. With `all=true` an owner sees the keys pinned to this workspace and the unpinned keys of its members, each with whose it is.',
      ungated: true,
      query: KeyListQuery,
      response: z.object({ data: z.array(Key) }),
      handler: async (ctx, req) => ({ data: (await accounts.listKeys(ctx, req.query)).map(key) }),
    },
    {
      method: 'post',
      path: '/keys',
      tag: 'API keys',
      summary: 'Create an API key for yourself; the secret is in this answer only',
      description:
        'Pinned to this workspace unless `workspaceOnly: false`; `readOnly` keys never write; `expiresAt` must be in the future. Refused for a read-only key; a key pinned to a workspace only makes pinned keys, and a key that expires only makes keys that expire no later. Audited.',
      ungated: true,
      body: OwnKeyCreate,
      response: Key.extend({ key: z.string().describe('The secret (kith_ + 32 characters): shown once, never again') }),
      status: 201,
      handler: async (ctx, req) => {
        const created = await accounts.createOwnKey(ctx, req.body);
        return { ...key(created.view), key: created.key };
      },
    },
    {
      method: 'delete',
      path: '/keys/:id',
      tag: 'API keys',
      summary: 'Revoke one of your keys, or (owners) any key that reaches this workspace',
      description: 'The key is refused at once on /crm, /sync (open streams end) and /mcp. Revoking twice keeps the first time. Audited.',
      ungated: true,
      status: 204,
      statuses: { '404': 'No such key among yours (or, for owners, among the keys that reach this workspace)' },
      handler: async (ctx, req: Request) => {
        await accounts.revokeKey(ctx, String(req.params.id));
      },
    },
  ];
}
