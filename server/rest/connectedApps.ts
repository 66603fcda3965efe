/**
 * Connected apps (SPEC §1 "OAuth for agents"): the OAuth grants a person gave to remote MCP clients
 * — `GET /crm/connected-apps` lists one's own, in every workspace; `DELETE
 * /crm/connected-apps/:grantId` revokes one (its tokens are refused at once, its open MCP sessions
 * close). Settings → Connected apps uses these. Audited.
 */
import type { Request } from 'express';
import { z } from 'zod';
import { forbidden } from '../domain/errors.js';
import type { Services } from '../domain/services.js';
import type { Ctx } from '../domain/context.js';
import type { RouteDef } from './routeTable.js';

const ConnectedApp = z.object({
  id: z.string().describe('The grant id'),
  client: z.object({ id: z.string(), name: z.string(), uri: z.string().nullable() }),
  workspace: z.object({ id: z.string(), slug: z.string(), name: z.string() }),
  access: z.enum(['read', 'full']).describe('read: read tools only; full: everything the person’s role allows'),
  scope: z.string(),
  resource: z.string().describe('The MCP endpoint the tokens are bound to'),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  expiresAt: z.string().nullable().describe('When the current refresh token expires unless used'),
});

const person = (ctx: Ctx) => {
  if (!ctx.userId) throw forbidden('connected apps belong to a person; this caller has none');
  return ctx.userId;
};

export function connectedAppRoutes(services: Services): RouteDef[] {
  const { oauth } = services.accounts;
  return [
    {
      method: 'get',
      path: '/connected-apps',
      tag: 'Connected apps',
      summary: 'Your connected apps (OAuth grants to MCP clients), in every workspace',
      ungated: true,
      response: z.object({ data: z.array(ConnectedApp) }),
      handler: async (ctx) => ({ data: await oauth.listGrants(person(ctx)) }),
    },
    {
      method: 'delete',
      path: '/connected-apps/:grantId',
      tag: 'Connected apps',
      summary: 'Revoke one of your connected apps',
      description: 'Its access and refresh tokens are refused at once and its open MCP sessions close. Audited in the grant’s workspace.',
      ungated: true,
      status: 204,
      handler: async (ctx, req: Request) => {
        if (ctx.readOnly) throw forbidden('This API key is read-only: it cannot revoke connected apps');
        await oauth.revokeOwnGrant(person(ctx), String(req.params.grantId), { userId: ctx.userId, keyId: ctx.keyId, source: ctx.source });
      },
    },
  ];
}
