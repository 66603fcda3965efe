/**
 * Webhook endpoints (SPEC §3), owners only: `GET|POST /crm/webhooks`, `GET|PATCH|DELETE
 * /crm/webhooks/:id`, `POST /crm/webhooks/:id/secret` (rotate; the new secret is shown once),
 * `GET /crm/webhooks/:id/deliveries`, `POST /crm/webhooks/:id/deliveries/:deliveryId/retry` and
 * `POST /crm/webhooks/:id/test`. The domain service is server/domain/webhooks/service.ts.
 */
import type { Request } from 'express';
import { z } from 'zod';
import type { Services } from '../domain/services.js';
import { EVENT_TYPES } from '../../shared/events.js';
import { DeliveryQuery, WebhookCreate, WebhookUpdate } from '../domain/webhooks/service.js';
import type { RouteDef } from './routeTable.js';

const Endpoint = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  active: z.boolean(),
  description: z.string().nullable(),
  failingSince: z.string().nullable().describe('Set when a delivery failed for 24 h; cleared by the next successful delivery'),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const WithSecret = Endpoint.extend({ secret: z.string().describe('whsec_… — the signing secret, shown only in this answer') });
const Delivery = z.object({
  id: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  state: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number(),
  firstAttemptAt: z.string().nullable(),
  lastStatus: z.number().nullable().describe('HTTP status of the last attempt (null: no answer)'),
  lastError: z.string().nullable(),
  lastAttemptAt: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  createdAt: z.string(),
});

const param = (req: Request, name: string) => String(req.params[name]);
const EVENTS_HELP = `Event types: ${EVENT_TYPES.filter((t) => !t.startsWith('stage.') && !t.startsWith('dealContact.')).join(', ')}, …; \`<entity>.*\` or \`*\` for all. Deliveries are POSTs signed with \`Kith-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>\`.`;

export function webhookRoutes(services: Services): RouteDef[] {
  const { webhooks } = services;
  return [
    { method: 'get', path: '/webhooks', tag: 'Webhooks', summary: 'Webhook endpoints (owners)', response: z.object({ data: z.array(Endpoint) }), handler: (ctx) => webhooks.list(ctx) },
    {
      method: 'post',
      path: '/webhooks',
      tag: 'Webhooks',
      summary: 'Add a webhook endpoint; the answer holds its signing secret (the only time it is shown)',
      description: `${EVENTS_HELP} Loopback and private addresses are refused unless the server sets KITH_WEBHOOK_ALLOW_PRIVATE=1.`,
      body: WebhookCreate,
      response: WithSecret,
      status: 201,
      handler: (ctx, req) => webhooks.create(ctx, req.body),
    },
    { method: 'get', path: '/webhooks/:id', tag: 'Webhooks', summary: 'One webhook endpoint', response: Endpoint, handler: (ctx, req) => webhooks.get(ctx, param(req, 'id')) },
    {
      method: 'patch',
      path: '/webhooks/:id',
      tag: 'Webhooks',
      summary: 'Change an endpoint (url, events, active, description)',
      body: WebhookUpdate,
      response: Endpoint,
      handler: (ctx, req) => webhooks.update(ctx, param(req, 'id'), req.body),
    },
    {
      method: 'delete',
      path: '/webhooks/:id',
      tag: 'Webhooks',
      summary: 'Delete an endpoint and its undelivered deliveries',
      status: 204,
      handler: (ctx, req) => webhooks.remove(ctx, param(req, 'id')),
    },
    {
      method: 'post',
      path: '/webhooks/:id/secret',
      tag: 'Webhooks',
      summary: 'Rotate the signing secret; the answer holds the new one (shown once)',
      response: WithSecret,
      handler: (ctx, req) => webhooks.rotateSecret(ctx, param(req, 'id')),
    },
    {
      method: 'get',
      path: '/webhooks/:id/deliveries',
      tag: 'Webhooks',
      summary: 'The delivery log, newest first: state, attempts, last response code, next try',
      query: DeliveryQuery,
      response: z.object({ data: z.array(Delivery) }),
      handler: (ctx, req) => webhooks.deliveries(ctx, param(req, 'id'), req.query),
    },
    {
      method: 'post',
      path: '/webhooks/:id/deliveries/:deliveryId/retry',
      tag: 'Webhooks',
      summary: 'Try a pending or failed delivery again now',
      response: Delivery,
      statuses: { '422': 'The delivery was delivered already (deliveryId)' },
      handler: (ctx, req) => webhooks.retry(ctx, param(req, 'id'), param(req, 'deliveryId')),
    },
    {
      method: 'post',
      path: '/webhooks/:id/test',
      tag: 'Webhooks',
      summary: 'Send a webhook.test event to this endpoint',
      response: Delivery,
      status: 202,
      handler: (ctx, req) => webhooks.sendTest(ctx, param(req, 'id')),
    },
  ];
}
