/**
 * The live change stream (`GET /sync/stream`, SSE): one per client for all collections. On
 * connect it sends `RESYNC` (the client pulls what it missed), then for every change announced
 * on the store's feed — writes of this process at once, other processes' writes through the
 * feed's sequence watch — the changed documents of the client's workspace with their checkpoint.
 * Heartbeat comments keep proxies and the client's idle timer happy; the key is re-checked on
 * every heartbeat so a revoked key is cut off.
 */
import type { Request, Response } from 'express';
import { COLLECTION_NAMES, type CollectionName } from '../../shared/collections.js';
import { HEARTBEAT_SECONDS, RESYNC, type StreamEvent } from '../../shared/sync.js';
import type { Ctx } from '../domain/context.js';
import type { Services } from '../domain/services.js';
import { keyFromRequest } from '../http/auth.js';
import { changedSince, currentSequence } from '../store/records.js';
import type { ChangeNotice } from '../store/store.js';
import { toSyncDocument } from './push.js';

const STREAM_BATCH = 1000;

export class StreamHub {
  private readonly open = new Set<() => void>();

  constructor(private readonly services: Services) {}

  get size(): number {
    return this.open.size;
  }

  /** Ends every open stream (server shutdown). */
  closeAll(): void {
    for (const end of [...this.open]) end();
  }

  async handle(req: Request, res: Response, ctx: Ctx): Promise<void> {
    const { services } = this;
    const db = services.store.db;
    const start = await currentSequence(db);
    const sent = Object.fromEntries(COLLECTION_NAMES.map((c) => [c, start])) as Record<CollectionName, number>;
    const key = keyFromRequest(req);

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

    const write = (chunk: string) => {
      if (!ended) res.write(chunk);
    };

    const flush = async (): Promise<void> => {
      while (dirty.size > 0 && !ended) {
        const collections = [...dirty];
        dirty.clear();
        for (const collection of collections) {
          for (;;) {
            const changes = await changedSince(db, collection, ctx.workspaceId, sent[collection], STREAM_BATCH);
            if (changes.length === 0 || ended) break;
            const last = changes[changes.length - 1].record.version;
            sent[collection] = last;
            const event: StreamEvent = { collection, documents: changes.map((c) => toSyncDocument(c.record, c.deleted)), checkpoint: { sequence: last } };
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
      const auth = await services.accounts.authenticate(key).catch(() => null);
      if (!auth || 'failure' in auth) return end();
      write(`: ping ${new Date().toISOString()}\n\n`);
    }, HEARTBEAT_SECONDS * 1000);

    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      services.store.feed.off('change', onChange);
      this.open.delete(end);
      res.end();
    };

    this.open.add(end);
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
