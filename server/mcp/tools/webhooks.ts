/**
 * crm.webhook.list|create|update|delete (SPEC §4): the workspace's webhook endpoints, for owners.
 * The domain service is server/domain/webhooks/service.ts; the delivery log, retries and test
 * events are on REST (/crm/webhooks/:id/deliveries, …).
 */
import { z } from 'zod';
import { Id } from '../../../shared/schemas.js';
import { WebhookCreate, WebhookUpdate } from '../../domain/webhooks/service.js';
import { RecordOut, page } from '../shapes.js';
import type { ToolDef } from './tool.js';

const OWNER = { writeRole: 'OWNER' as const };

export function webhookTools(): ToolDef[] {
  return [
    {
      name: 'crm.webhook.list',
      title: 'Webhooks',
      description: 'Webhook endpoints (owners): url, events, active, failingSince when deliveries failed for 24 h.',
      input: z.strictObject({}),
      output: page(RecordOut),
      ...OWNER,
      idempotent: true,
      run: async (services, ctx) => ({ ...(await services.webhooks.list(ctx)), nextCursor: null }),
    },
    {
      name: 'crm.webhook.create',
      title: 'Add webhook',
      description: 'POST signed JSON to a URL on events (deal.won, person.created, deal.*, *). Answers the signing secret once.',
      input: WebhookCreate,
      output: RecordOut,
      ...OWNER,
      run: async (services, ctx, args) => ({ ...(await services.webhooks.create(ctx, args)) }),
    },
    {
      name: 'crm.webhook.update',
      title: 'Change webhook',
      description: 'Change url, events, active or description of a webhook by id (a UUID).',
      input: WebhookUpdate.extend({ id: Id }),
      output: RecordOut,
      ...OWNER,
      destructive: true,
      idempotent: true,
      run: async ({ webhooks }, ctx, { id, ...patch }) => ({ ...(await webhooks.update(ctx, id, patch)) }),
    },
    {
      name: 'crm.webhook.delete',
      title: 'Delete webhook',
      description: 'Delete a webhook by id (a UUID) and its undelivered deliveries.',
      input: z.strictObject({ id: Id }),
      output: z.looseObject({ deleted: z.string() }),
      ...OWNER,
      destructive: true,
      idempotent: true,
      run: async ({ webhooks }, ctx, { id }) => (await webhooks.remove(ctx, id), { deleted: id }),
    },
  ];
}
