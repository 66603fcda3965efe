/**
 * crm.webhook.list|create|update|delete (SPEC §4): the workspace's webhook endpoints, for owners.
 * The domain service is server/domain/webhooks/service.ts; the delivery log, retries and test
 * events are on REST (/crm/webhooks/:id/deliveries, …).
 */
import { z } from 'zod';
import { Id } from '../../../shared/schemas.js';
import { WebhookCreate, WebhookUpdate } from '../../domain/webhooks/service.js';
import { RecordOut, page } from '../shapes.js';
import { READ, type ToolDef } from './tool.js';

const OWNER = { writeRole: 'OWNER' as const };

export function webhookTools(): ToolDef[] {
  return [
    {
      name: 'crm.webhook.list',
      title: 'Webhooks',
      description: 'Webhook endpoints of the workspace (owners only): url, subscribed events, active, and failingSince once deliveries failed for 24 h.',
      input: z.strictObject({}),
      output: page(RecordOut),
      ...READ,
      readRole: 'OWNER',
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
      description: 'Change a webhook endpoint by id (a UUID): url, events, description, or active (false pauses its deliveries).',
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
      description: 'Delete a webhook endpoint by id (a UUID) with its undelivered deliveries; to pause it, update active: false.',
      input: z.strictObject({ id: Id }),
      output: z.looseObject({ deleted: z.string() }),
      ...OWNER,
      destructive: true,
      idempotent: true,
      run: async ({ webhooks }, ctx, { id }) => (await webhooks.remove(ctx, id), { deleted: id }),
    },
  ];
}
