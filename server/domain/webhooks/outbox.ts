/**
 * The durable outbox: for each event an audited change raises, one delivery row per active
 * endpoint subscribed to it, inserted in the same transaction as the change (so a committed change
 * is always announced, and a rolled-back one never is). The dispatcher (dispatcher.ts) sends them.
 */
import { newId } from '../../../shared/ids.js';
import type { Db } from '../../store/database.js';
import { memoInTransaction } from '../../store/txMemo.js';
import type { AuditInput } from '../audit.js';
import { nowIso, type Ctx } from '../context.js';
import { eventsOfChange } from './events.js';

/** The JSON body of a delivery (SPEC §3). */
export interface EventPayload {
  id: string;
  type: string;
  occurredAt: string;
  workspaceId: string;
  objectType?: string;
  data: { record: Record<string, unknown> | null; previous: Record<string, unknown> | null; changedFields: string[] };
}

/** True when an endpoint's subscription (event types, `*`, or `<entity>.*`) covers `type`. */
export function subscribed(events: string[], type: string): boolean {
  return events.some((e) => e === '*' || e === type || (e.endsWith('.*') && type.startsWith(e.slice(0, -1))));
}

/** Queues the deliveries of an audited change; called by writeAudit inside the write's transaction. */
export async function enqueueEvents(tx: Db, ctx: Ctx, entry: AuditInput): Promise<void> {
  const endpoints = await memoInTransaction(tx, `webhookEndpoints:${ctx.workspaceId}`, () =>
    tx.selectFrom('webhookEndpoints').select(['id', 'events']).where('workspaceId', '=', ctx.workspaceId).where('active', '=', 1).execute(),
  );
  if (endpoints.length === 0) return;
  const events = eventsOfChange(entry);
  if (events.length === 0) return;
  const occurredAt = nowIso();
  const now = Date.now();
  const rows: Record<string, unknown>[] = [];
  for (const event of events) {
    const payload: EventPayload = { id: newId(), type: event.type, occurredAt, workspaceId: ctx.workspaceId, ...(event.objectType ? { objectType: event.objectType } : {}), data: event.data };
    const json = JSON.stringify(payload);
    for (const endpoint of endpoints) {
      if (!subscribed(JSON.parse(endpoint.events as string) as string[], event.type)) continue;
      rows.push({ id: newId(), workspaceId: ctx.workspaceId, endpointId: endpoint.id, eventId: payload.id, eventType: event.type, payload: json, nextAttemptAt: now, createdAt: occurredAt });
    }
  }
  if (rows.length > 0) await tx.insertInto('webhookDeliveries').values(rows).execute();
}
