/**
 * Sends the outbox (outbox.ts): at least once, in order per endpoint (only an endpoint's oldest
 * pending delivery is ever in flight), retried with backoff (backoff.ts) for 24 h; then the
 * delivery is `failed` and the endpoint marked failing until a delivery to it succeeds (a manual
 * retry, or a later event). Woken by every committed change (the store's feed), and by a timer
 * for retries that come due (../pump.ts); everything it knows is in the database, so a restart
 * loses nothing.
 *
 * Several server processes on one database each run a dispatcher: an endpoint is drained by the one
 * that claims it (a lease on `webhookEndpoints.claimedUntil`, taken with `FOR UPDATE SKIP LOCKED` on
 * PostgreSQL, renewed before each attempt), so each delivery is sent once and in order; a process
 * that dies holding a claim is replaced when its lease runs out (at least once: the delivery it was
 * sending may go again).
 */
import type { Db } from '../../store/database.js';
import { isPostgres, skipLocked } from '../../store/dialect.js';
import type { ChangeFeed } from '../../store/store.js';
import { Pump } from '../pump.js';
import { nextAttemptAt } from './backoff.js';
import { send, type SendResult } from './send.js';
import { signatureHeader } from './signature.js';
import { resolveTarget, type Lookup, type TargetPolicy } from './targets.js';

export interface DispatcherOptions {
  policy: TargetPolicy;
  /** Epoch milliseconds (injectable in tests). */
  now?: () => number;
  random?: () => number;
  lookup?: Lookup;
  /** Endpoints sent to at once. */
  concurrency?: number;
  /** How often due retries are looked for. */
  pollMs?: number;
  timeoutMs?: number;
  log?: (line: string) => void;
}

/** How long a claimed endpoint is this process's without renewal (renewed before each attempt; an attempt times out in 10 s). */
const LEASE_MS = 30_000;

interface Endpoint {
  url: string;
  secret: string;
}

interface DeliveryRow {
  seq: number;
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  payload: string;
  attempts: number;
  firstAttemptAt: number | null;
  nextAttemptAt: number;
}

export class WebhookDispatcher {
  private readonly inFlight = new Set<string>();
  private readonly pump: Pump;
  /** SQLite: claims left by this data dir's previous server process (killed) are dropped on the first pass. */
  private claimsChecked = false;

  constructor(
    private readonly db: Db,
    feed: ChangeFeed | null,
    private readonly options: DispatcherOptions,
  ) {
    this.pump = new Pump(() => this.pass(), { feed, pollMs: options.pollMs ?? 1000, name: 'webhooks', log: options.log });
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private get stopped(): boolean {
    return this.pump.stopped;
  }

  start(): void {
    this.pump.start();
  }

  /** Stops taking new work and waits for the deliveries in flight. */
  stop(): Promise<void> {
    return this.pump.stop();
  }

  /** Looks for due deliveries now (coalesced: one pass at a time, another right after if asked). */
  kick(): void {
    this.pump.kick();
  }

  /** Resolves when nothing is due any more (tests). */
  idle(): Promise<void> {
    return this.pump.idle();
  }

  private async pass(): Promise<void> {
    if (!this.claimsChecked) {
      // one server process per SQLite file: any claim is a dead process's (PostgreSQL: leases run out instead)
      if (!isPostgres(this.db)) await this.db.updateTable('webhookEndpoints').set({ claimedUntil: null }).where('claimedUntil', 'is not', null).execute();
      this.claimsChecked = true;
    }
    // each endpoint's oldest pending delivery, when it is due (one scan of the pending index)
    const heads = (await this.db
      .selectFrom('webhookDeliveries as d')
      .innerJoin(
        (eb) =>
          eb
            .selectFrom('webhookDeliveries')
            .select(['endpointId', (x) => x.fn.min('seq').as('head')])
            .where('state', '=', 'pending')
            .groupBy('endpointId')
            .as('h'),
        (join) => join.onRef('d.seq', '=', 'h.head'),
      )
      .selectAll('d')
      .where('d.nextAttemptAt', '<=', this.now())
      .execute()) as DeliveryRow[];
    const due = heads.filter((d) => !this.inFlight.has(d.endpointId));
    const limit = this.options.concurrency ?? 8;
    for (let i = 0; i < due.length && !this.stopped; i += limit) await Promise.all(due.slice(i, i + limit).map((d) => this.drain(d)));
  }

  /**
   * Claims an endpoint for this process until `until` (also renews this process's claim `held`);
   * false when another process holds it.
   */
  private async claim(endpointId: string, until: number, held: number | null = null): Promise<boolean> {
    const now = this.now();
    const claimable = this.db
      .selectFrom('webhookEndpoints')
      .select('id')
      .where('id', '=', endpointId)
      .where((eb) => eb.or([eb('claimedUntil', 'is', null), eb('claimedUntil', '<', now), ...(held === null ? [] : [eb('claimedUntil', '=', held)])]));
    const claimed = await this.db.updateTable('webhookEndpoints').set({ claimedUntil: until }).where('id', 'in', skipLocked(this.db, claimable)).executeTakeFirst();
    return Number(claimed.numUpdatedRows) === 1;
  }

  /** Sends an endpoint's deliveries in order from its oldest pending one while they succeed (and are due). */
  private async drain(head: DeliveryRow): Promise<void> {
    this.inFlight.add(head.endpointId);
    let lease = this.now() + LEASE_MS;
    if (!(await this.claim(head.endpointId, lease))) {
      this.inFlight.delete(head.endpointId);
      return;
    }
    try {
      const endpoint = (await this.db.selectFrom('webhookEndpoints').select(['url', 'secret']).where('id', '=', head.endpointId).executeTakeFirst()) as Endpoint | undefined;
      if (!endpoint) {
        await this.db
          .updateTable('webhookDeliveries')
          .set({ state: 'failed', lastError: 'the endpoint was deleted' })
          .where('endpointId', '=', head.endpointId)
          .where('state', '=', 'pending')
          .execute();
        return;
      }
      // the oldest pending delivery as it is now: another process may have sent `head` before this claim
      const oldestDue = async () =>
        (await this.db.selectFrom('webhookDeliveries').selectAll().where('endpointId', '=', head.endpointId).where('state', '=', 'pending').orderBy('seq').limit(1).executeTakeFirst()) as
          DeliveryRow | undefined;
      let next = await oldestDue();
      while (next && next.nextAttemptAt <= this.now() && !this.stopped) {
        const renewed = this.now() + LEASE_MS;
        if (!(await this.claim(head.endpointId, renewed, lease))) return; // the lease ran out and another process took over
        lease = renewed;
        if (!(await this.attempt(next, endpoint))) return;
        next = await oldestDue();
      }
    } finally {
      this.inFlight.delete(head.endpointId);
      await this.db.updateTable('webhookEndpoints').set({ claimedUntil: null }).where('id', '=', head.endpointId).where('claimedUntil', '=', lease).execute();
    }
  }

  /** One attempt of one delivery; true when it was delivered. */
  private async attempt(delivery: DeliveryRow, endpoint: Endpoint): Promise<boolean> {
    const startedAt = this.now();
    const result = await this.post(endpoint, delivery);
    const attempts = delivery.attempts + 1;
    const at = new Date(startedAt).toISOString();
    if (result.status !== null && result.status >= 200 && result.status < 300) {
      await this.db.transaction().execute(async (tx) => {
        await tx
          .updateTable('webhookDeliveries')
          .set({ state: 'delivered', attempts, lastStatus: result.status, lastError: null, lastAttemptAt: at, deliveredAt: at })
          .where('id', '=', delivery.id)
          .execute();
        await tx.updateTable('webhookEndpoints').set({ failingSince: null, lastError: null }).where('id', '=', delivery.endpointId).where('failingSince', 'is not', null).execute();
      });
      return true;
    }
    const first = delivery.firstAttemptAt ?? startedAt;
    const next = nextAttemptAt(first, attempts, this.now(), this.options.random);
    const error = result.status === null ? result.body : `HTTP ${result.status}${result.body ? `: ${result.body.slice(0, 200)}` : ''}`;
    await this.db.transaction().execute(async (tx) => {
      await tx
        .updateTable('webhookDeliveries')
        .set({
          state: next === null ? 'failed' : 'pending',
          attempts,
          firstAttemptAt: first,
          nextAttemptAt: next ?? delivery.nextAttemptAt,
          lastStatus: result.status,
          lastError: error,
          lastAttemptAt: at,
        })
        .where('id', '=', delivery.id)
        .execute();
      if (next === null) {
        await tx.updateTable('webhookEndpoints').set({ failingSince: at, lastError: error }).where('id', '=', delivery.endpointId).where('failingSince', 'is', null).execute();
        this.options.log?.(`webhooks: delivery ${delivery.id} (${delivery.eventType}) to endpoint ${delivery.endpointId} failed for 24 h; the endpoint is marked failing`);
      }
    });
    return false;
  }

  private async post(endpoint: Endpoint, delivery: DeliveryRow): Promise<SendResult> {
    let target;
    try {
      target = await resolveTarget(endpoint.url, this.options.policy, this.options.lookup);
    } catch (error) {
      const message = (error as { errors?: { message: string }[] }).errors?.[0]?.message ?? (error as Error).message;
      return { status: null, body: message, ms: 0 };
    }
    return send(target, delivery.payload, {
      timeoutMs: this.options.timeoutMs,
      headers: {
        'kith-event-id': delivery.eventId,
        'kith-event': delivery.eventType,
        'kith-delivery-id': delivery.id,
        'kith-attempt': String(delivery.attempts + 1),
        'kith-signature': signatureHeader(endpoint.secret, delivery.payload, Math.floor(Date.now() / 1000)), // the wall clock: receivers compare it with theirs
      },
    });
  }
}
