/**
 * Webhook endpoints of a workspace (SPEC §3), for owners: create (the signing secret is answered
 * once), list, change, delete, rotate the secret, read the delivery log, retry a delivery, send a
 * test event. Deliveries themselves are queued by outbox.ts and sent by dispatcher.ts.
 */
import { z } from 'zod';
import { newId } from '../../../shared/ids.js';
import type { Db } from '../../store/database.js';
import { nowIso, requireWrite, roleAtLeast, type Ctx } from '../context.js';
import { forbidden, invalid, notFound, parseInput } from '../errors.js';
import { EVENT_TYPES } from '../../../shared/events.js';
import type { EventPayload } from './outbox.js';
import { newWebhookSecret } from './signature.js';
import { checkTargetUrl, type TargetPolicy } from './targets.js';

const ENTITY_WILDCARDS = new Set(EVENT_TYPES.map((t) => `${t.split('.')[0]}.*`));

const Events = z
  .array(z.string())
  .min(1, 'name at least one event type, or "*" for all')
  .max(100)
  .superRefine((events, issue) => {
    events.forEach((e, i) => {
      if (e !== '*' && !EVENT_TYPES.includes(e) && !ENTITY_WILDCARDS.has(e))
        issue.addIssue({ code: 'custom', path: [i], message: `unknown event type '${e}' (e.g. deal.won, person.created, deal.*, *)` });
    });
  });

export const WebhookCreate = z.strictObject({
  url: z.string().max(2048),
  events: Events,
  active: z.boolean().optional(),
  description: z.string().max(500).nullable().optional(),
});
export const WebhookUpdate = WebhookCreate.partial();
export const DeliveryQuery = z.strictObject({
  state: z.enum(['pending', 'delivered', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  workspace: z.string().optional(),
});

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: string[];
  active: boolean;
  description: string | null;
  /** Set while deliveries to it have failed for 24 h (until one succeeds). */
  failingSince: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookDelivery {
  id: string;
  eventId: string;
  eventType: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** When the first failed attempt was made (retries go on for 24 h from then). */
  firstAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

function toEndpoint(row: Record<string, any>): WebhookEndpoint {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events),
    active: row.active === 1,
    description: row.description ?? null,
    failingSince: row.failingSince ?? null,
    lastError: row.lastError ?? null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toDelivery(row: Record<string, any>): WebhookDelivery {
  return {
    id: row.id,
    eventId: row.eventId,
    eventType: row.eventType,
    state: row.state,
    attempts: row.attempts,
    firstAttemptAt: row.firstAttemptAt != null ? new Date(row.firstAttemptAt).toISOString() : null,
    lastStatus: row.lastStatus ?? null,
    lastError: row.lastError ?? null,
    lastAttemptAt: row.lastAttemptAt ?? null,
    nextAttemptAt: row.state === 'pending' ? new Date(row.nextAttemptAt).toISOString() : null,
    deliveredAt: row.deliveredAt ?? null,
    createdAt: row.createdAt,
  };
}

export class WebhookService {
  constructor(
    private readonly db: Db,
    /** Where deliveries may go (the dispatcher uses the same). */
    readonly policy: TargetPolicy,
    /** Called after a change that gives the dispatcher work (a retry, a test event); set by the running server. */
    public wake: () => void = () => {},
  ) {}

  private owner(ctx: Ctx, what: string): void {
    requireWrite(ctx, 'OWNER', what);
  }

  /** Reading the endpoints and their log: owners, read-only keys included. */
  private ownerRead(ctx: Ctx, what: string): void {
    if (!roleAtLeast(ctx, 'OWNER')) throw forbidden(`Your role ${ctx.role} cannot ${what} (needs OWNER)`);
  }

  private async row(ctx: Ctx, id: string): Promise<Record<string, any>> {
    const row = await this.db.selectFrom('webhookEndpoints').selectAll().where('workspaceId', '=', ctx.workspaceId).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('webhook', id);
    return row;
  }

  async list(ctx: Ctx): Promise<{ data: WebhookEndpoint[] }> {
    this.ownerRead(ctx, 'see webhooks');
    const rows = await this.db.selectFrom('webhookEndpoints').selectAll().where('workspaceId', '=', ctx.workspaceId).orderBy('createdAt').orderBy('id').execute();
    return { data: rows.map(toEndpoint) };
  }

  async get(ctx: Ctx, id: string): Promise<WebhookEndpoint> {
    this.ownerRead(ctx, 'see webhooks');
    return toEndpoint(await this.row(ctx, id));
  }

  /** The endpoint and its signing secret (the only time the secret is shown). */
  async create(ctx: Ctx, input: unknown): Promise<WebhookEndpoint & { secret: string }> {
    this.owner(ctx, 'create webhooks');
    const data = parseInput(WebhookCreate, input);
    const url = checkTargetUrl(data.url, this.policy);
    const now = nowIso();
    const secret = newWebhookSecret();
    const row = {
      id: newId(),
      workspaceId: ctx.workspaceId,
      url,
      events: JSON.stringify([...new Set(data.events)]),
      active: data.active === false ? 0 : 1,
      description: data.description ?? null,
      secret,
      createdAt: now,
      updatedAt: now,
    };
    await this.db.insertInto('webhookEndpoints').values(row).execute();
    return { ...toEndpoint(row), secret };
  }

  async update(ctx: Ctx, id: string, input: unknown): Promise<WebhookEndpoint> {
    this.owner(ctx, 'change webhooks');
    const data = parseInput(WebhookUpdate, input);
    await this.row(ctx, id);
    const patch: Record<string, unknown> = { updatedAt: nowIso() };
    if (data.url !== undefined) patch.url = checkTargetUrl(data.url, this.policy);
    if (data.events !== undefined) patch.events = JSON.stringify([...new Set(data.events)]);
    if (data.active !== undefined) patch.active = data.active ? 1 : 0;
    if (data.description !== undefined) patch.description = data.description;
    await this.db.updateTable('webhookEndpoints').set(patch).where('id', '=', id).execute();
    if (data.active === true) this.wake();
    return toEndpoint(await this.row(ctx, id));
  }

  /** Deletes the endpoint and its undelivered deliveries. */
  async remove(ctx: Ctx, id: string): Promise<void> {
    this.owner(ctx, 'delete webhooks');
    await this.row(ctx, id);
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('webhookDeliveries').where('endpointId', '=', id).execute();
      await tx.deleteFrom('webhookEndpoints').where('id', '=', id).execute();
    });
  }

  /** A new signing secret, answered once; deliveries from now on are signed with it. */
  async rotateSecret(ctx: Ctx, id: string): Promise<WebhookEndpoint & { secret: string }> {
    this.owner(ctx, 'rotate webhook secrets');
    await this.row(ctx, id);
    const secret = newWebhookSecret();
    await this.db.updateTable('webhookEndpoints').set({ secret, updatedAt: nowIso() }).where('id', '=', id).execute();
    return { ...toEndpoint(await this.row(ctx, id)), secret };
  }

  /** The delivery log, newest first. */
  async deliveries(ctx: Ctx, id: string, input: unknown): Promise<{ data: WebhookDelivery[] }> {
    this.ownerRead(ctx, 'see webhook deliveries');
    const query = parseInput(DeliveryQuery, input);
    await this.row(ctx, id);
    let q = this.db.selectFrom('webhookDeliveries').selectAll().where('endpointId', '=', id);
    if (query.state) q = q.where('state', '=', query.state);
    const rows = await q
      .orderBy('seq', 'desc')
      .limit(query.limit ?? 50)
      .execute();
    return { data: rows.map(toDelivery) };
  }

  /** Tries a delivery again now (a failed one is pending again, with a fresh 24 h). */
  async retry(ctx: Ctx, id: string, deliveryId: string): Promise<WebhookDelivery> {
    this.owner(ctx, 'retry webhook deliveries');
    await this.row(ctx, id);
    const row = await this.db.selectFrom('webhookDeliveries').selectAll().where('endpointId', '=', id).where('id', '=', deliveryId).executeTakeFirst();
    if (!row) throw notFound('delivery', deliveryId);
    if (row.state === 'delivered') throw invalid('deliveryId', 'was delivered already');
    await this.db.updateTable('webhookDeliveries').set({ state: 'pending', nextAttemptAt: Date.now(), firstAttemptAt: null }).where('id', '=', deliveryId).execute();
    this.wake();
    return toDelivery({ ...row, state: 'pending', nextAttemptAt: Date.now() });
  }

  /** Queues a `webhook.test` event to this endpoint only (whatever it subscribes to). */
  async sendTest(ctx: Ctx, id: string): Promise<WebhookDelivery> {
    this.owner(ctx, 'send webhook test events');
    await this.row(ctx, id);
    const now = nowIso();
    const payload: EventPayload = { id: newId(), type: 'webhook.test', occurredAt: now, workspaceId: ctx.workspaceId, data: { record: { endpointId: id }, previous: null, changedFields: [] } };
    const row = {
      id: newId(),
      workspaceId: ctx.workspaceId,
      endpointId: id,
      eventId: payload.id,
      eventType: payload.type,
      payload: JSON.stringify(payload),
      nextAttemptAt: Date.now(),
      createdAt: now,
      state: 'pending',
      attempts: 0,
    };
    await this.db.insertInto('webhookDeliveries').values(row).execute();
    this.wake();
    return toDelivery(row);
  }
}
