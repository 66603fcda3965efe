/**
 * The live change stream (`GET /sync/stream`, SSE): one per client for all collections. On
 * connect it sends `RESYNC` (the client pulls what it missed), then for every change announced
 * on the store's feed — writes of this process at once, other processes' writes through the
 * feed's sequence watch — the changed documents of the client's workspace with their checkpoint.
 *
 * Access is authorized continuously, not only when the stream opens: before every event is
 * written, whenever the account service announces a change of keys, memberships, roles or
 * workspace settings (the feed's `access` notices), every RECHECK_MS (changes made by another
 * process on the same file, such as the CLI: the account caches follow SQLite's data_version),
 * and at the key's expiry. When the key is revoked or expired, the membership ends, the role or
 * scope changes, or the workspace can no longer be reached, the stream ends at once and nothing
 * more is written; the client reconnects and is authorized afresh (or refused).
 */
import type { Request, Response } from 'express';
import { COLLECTION_NAMES, type CollectionName } from '../../shared/collections.js';
import { HEARTBEAT_SECONDS, RESYNC, type StreamEvent } from '../../shared/sync.js';
import type { Principal } from '../domain/accounts.js';
import { featureEnabled, type Ctx } from '../domain/context.js';
import type { Services } from '../domain/services.js';
import { credentialFromRequest, workspaceSelector } from '../http/auth.js';
import type { ChangeNotice } from '../domain/reads.js';
import { changeSequence, changesSince } from '../domain/replication.js';

const STREAM_BATCH = 1000;
/** How often open streams re-check their access without a notice (other processes' changes). */
export const RECHECK_MS = 250;
/** setTimeout's limit; a later expiry is caught by the periodic re-check. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface OpenStream {
  end(): void;
  /**
   * Re-checks access now (ends the stream when it is gone). Periodic checks run one at a time;
   * a check for an access notice always reads afresh (one in flight may predate the change).
   */
  recheck(notice: boolean): void;
}

export class StreamHub {
  private readonly open = new Set<OpenStream>();
  private timer: NodeJS.Timeout | null = null;
  private readonly recheckAll = () => {
    for (const stream of [...this.open]) stream.recheck(false);
  };
  private readonly onAccess = () => {
    for (const stream of [...this.open]) stream.recheck(true);
  };

  constructor(private readonly services: Services) {}

  get size(): number {
    return this.open.size;
  }

  /** Ends every open stream (server shutdown). */
  closeAll(): void {
    for (const stream of [...this.open]) stream.end();
  }

  private attach(stream: OpenStream): void {
    this.open.add(stream);
    if (this.open.size === 1) {
      this.services.store.feed.on('access', this.onAccess);
      this.timer = setInterval(this.recheckAll, RECHECK_MS);
      this.timer.unref();
    }
  }

  private detach(stream: OpenStream): void {
    if (!this.open.delete(stream) || this.open.size > 0) return;
    this.services.store.feed.off('access', this.onAccess);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async handle(req: Request, res: Response, ctx: Ctx): Promise<void> {
    const { services } = this;
    const start = await changeSequence(services.store);
    const sent = Object.fromEntries(COLLECTION_NAMES.map((c) => [c, start])) as Record<CollectionName, number>;
    const key = credentialFromRequest(req);
    const selector = workspaceSelector(req);
    const auth = res.locals.auth as Principal | undefined;

    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);

    let ended = false;
    const dirty = new Set<CollectionName>();
    let running: Promise<void> | null = null;
    let periodic: Promise<boolean> | null = null;

    const write = (chunk: string) => {
      if (!ended) res.write(chunk);
    };

    /**
     * Whether the stream may still deliver: the key, membership, role, scope and workspace it was
     * opened with all still hold. Ends the stream when they do not (or when the check itself
     * fails: access is never assumed). Each call reads afresh — a check started before a revoke
     * is never reused for a delivery after it.
     */
    const authorized = async (): Promise<boolean> => {
      if (ended) return false;
      try {
        const result = await services.accounts.reauthorize(key, selector, ctx);
        if ('lost' in result || !featureEnabled(result.ctx)) {
          end();
          return false;
        }
        return !ended;
      } catch (error) {
        if (!ended) console.error('sync stream: could not re-check access; ending the stream', error);
        end();
        return false;
      }
    };

    const flush = async (): Promise<void> => {
      while (dirty.size > 0 && !ended) {
        const collections = [...dirty];
        dirty.clear();
        for (const collection of collections) {
          for (;;) {
            const changes = await changesSince(services.store, ctx, collection, sent[collection], STREAM_BATCH);
            if (changes.length === 0 || ended) break;
            // authorized at the moment of delivery, with nothing awaited between the check and the write
            if (!(await authorized())) return;
            const last = changes[changes.length - 1].version;
            sent[collection] = last;
            const event: StreamEvent = { collection, documents: changes.map((c) => c.document), checkpoint: { sequence: last } };
            write(`data: ${JSON.stringify(event)}\n\n`);
            if (changes.length < STREAM_BATCH) break;
          }
        }
      }
    };

    const schedule = () => {
      if (running) return;
      running = flush()
        .catch((error) => {
          if (!ended) {
            console.error('sync stream: could not read changes', error);
            end();
          }
        })
        .finally(() => {
          running = null;
          if (dirty.size > 0 && !ended) schedule();
        });
    };

    const onChange = (notice: ChangeNotice) => {
      if (notice.workspaceId !== null && notice.workspaceId !== ctx.workspaceId) return;
      for (const c of notice.collections ?? COLLECTION_NAMES) dirty.add(c);
      schedule();
    };

    const heartbeat = setInterval(async () => {
      if (await authorized()) write(`: ping ${new Date().toISOString()}\n\n`);
    }, HEARTBEAT_SECONDS * 1000);

    const until = auth ? ('key' in auth ? auth.key.expiresAt : auth.session.expiresAt) : null;
    const expiresAt = until ? Date.parse(until) : NaN;
    const expiry = Number.isFinite(expiresAt) && expiresAt - Date.now() < MAX_TIMER_MS ? setTimeout(() => end(), Math.max(0, expiresAt - Date.now())) : null;

    const stream: OpenStream = {
      end: () => end(),
      recheck: (notice) => {
        if (notice) void authorized();
        else
          periodic ??= authorized().finally(() => {
            periodic = null;
          });
      },
    };

    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      if (expiry) clearTimeout(expiry);
      services.store.feed.off('change', onChange);
      this.detach(stream);
      res.end();
    };

    this.attach(stream);
    services.store.feed.on('change', onChange);
    req.on('close', end);
    res.on('error', end);
    write(`retry: 2000\n\n`);
    write(`data: ${RESYNC}\n\n`);
    // anything committed between `start` and the listener being attached
    for (const c of COLLECTION_NAMES) dirty.add(c);
    schedule();
  }
}
