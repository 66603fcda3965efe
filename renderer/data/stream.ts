/**
 * Client side of `GET /sync/stream`: a fetch-based SSE reader (the key goes in a header, never
 * in the URL) that demultiplexes events into one RxDB pull stream per collection, reconnects
 * with backoff, and treats a silent connection (no heartbeat) as dead. Every (re)connect starts
 * with the server's `RESYNC`, which makes each replication pull what it missed.
 *
 * Every event reaches RxDB as a `RESYNC` poke, never as documents: the replication then always
 * pulls from its own stored checkpoint, so its checkpoint can never move past rows it has not
 * stored. (RxDB 17.6's downstream drops a `RESYNC` that is drained in one batch after a document
 * event — see docs/sync.md, "The dropped RESYNC" — and the document event's checkpoint then skips
 * everything the `RESYNC` was meant to pull.)
 */
import { createParser } from 'eventsource-parser';
import { Subject } from 'rxjs';
import type { RxReplicationPullStreamItem } from 'rxdb';
import { COLLECTION_NAMES, type CollectionName } from '../../shared/collections.js';
import { HEARTBEAT_SECONDS, RESYNC, type StreamEvent } from '../../shared/sync.js';

export type StreamItem = RxReplicationPullStreamItem<any, { sequence: number }>;

export interface SyncStreamOptions {
  url: string;
  headers: Record<string, string>;
  fetch: typeof fetch;
  /** Connection state changes: 'connected' after the response headers, 'down' on a network failure, 'refused' on 401/403. */
  onState(state: 'connected' | 'down' | 'refused', detail?: string): void;
}

export class SyncStream {
  readonly streams = Object.fromEntries(COLLECTION_NAMES.map((c) => [c, new Subject<StreamItem>()])) as Record<CollectionName, Subject<StreamItem>>;
  private controller: AbortController | null = null;
  private closed = false;
  private wake: (() => void) | null = null;
  private attempt = 0;

  constructor(private readonly options: SyncStreamOptions) {}

  start(): void {
    void this.loop();
  }

  /** Reconnect at once (skips the backoff wait, or drops the current connection). */
  reconnect(): void {
    this.attempt = 0;
    if (this.wake) this.wake();
    else this.controller?.abort();
  }

  close(): void {
    this.closed = true;
    this.controller?.abort();
    this.wake?.();
    for (const s of Object.values(this.streams)) s.complete();
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      await this.connectOnce();
      if (this.closed) break;
      const delay = Math.min(500 * 2 ** this.attempt, 10_000);
      this.attempt++;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.wake = null;
          resolve();
        }, delay);
        this.wake = () => {
          clearTimeout(timer);
          this.wake = null;
          resolve();
        };
      });
    }
  }

  private async connectOnce(): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    let idle: ReturnType<typeof setTimeout> | null = null;
    const resetIdle = () => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => controller.abort(), HEARTBEAT_SECONDS * 3 * 1000);
    };
    try {
      const res = await this.options.fetch(this.options.url, { headers: { ...this.options.headers, accept: 'text/event-stream' }, signal: controller.signal, cache: 'no-store' });
      if (res.status === 401 || res.status === 403) {
        this.options.onState('refused', await problemText(res));
        return;
      }
      if (!res.ok || !res.body) {
        this.options.onState('down', `the sync stream answered ${res.status}`);
        return;
      }
      this.options.onState('connected');
      this.attempt = 0;
      const parser = createParser({
        onEvent: (event) => {
          if (event.data === RESYNC) {
            for (const s of Object.values(this.streams)) s.next(RESYNC);
            return;
          }
          const parsed = JSON.parse(event.data) as StreamEvent;
          this.streams[parsed.collection]?.next(toReplicationTask(parsed));
        },
      });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      resetIdle();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        resetIdle();
        parser.feed(value);
      }
      if (!this.closed) this.options.onState('down', 'the sync stream ended');
    } catch (error) {
      if (!this.closed) this.options.onState('down', error instanceof Error ? error.message : String(error));
    } finally {
      if (idle) clearTimeout(idle);
      controller.abort();
    }
  }
}

/**
 * What a stream event tells the replication: only that its collection changed. The replication
 * pulls from its own checkpoint (one pull per burst: RxDB drops pokes that arrived before a
 * running pull started), so a checkpoint only ever advances over documents it has written.
 */
export function toReplicationTask(_event: StreamEvent): StreamItem {
  return RESYNC;
}

export async function problemText(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { detail?: string; title?: string };
    return body.detail ?? body.title ?? `HTTP ${res.status}`;
  } catch {
    return `HTTP ${res.status}`;
  }
}
