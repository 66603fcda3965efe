/**
 * Rejected changes (`KithStore.rejected$`): the server's list of this user's refused writes
 * (`GET /sync/rejections`), read again when a push answer may be a refusal and whenever the
 * stream (re)connects. Reads are coalesced: at most one request in flight and one queued.
 */
import { BehaviorSubject, type Observable } from 'rxjs';
import { deepEqual } from 'rxdb';
import type { RejectedChange } from '../../shared/sync.js';
import { SERVER_FIELDS } from '../../shared/collections.js';

const SERVER_OWNED = new Set<string>(SERVER_FIELDS);

/**
 * True when the server's answer to a push differs from the pushed document in more than the
 * server-managed fields: not routine bookkeeping, so possibly a refusal.
 */
export function changedBeyondServerFields(answer: Record<string, unknown>, pushed: Record<string, unknown> | undefined): boolean {
  if (!pushed) return true;
  if (Boolean(answer._deleted) !== Boolean(pushed._deleted)) return true;
  for (const [k, v] of Object.entries(answer)) {
    if (k.startsWith('_') || SERVER_OWNED.has(k)) continue;
    if (!deepEqual(v, pushed[k])) return true;
  }
  return false;
}

export interface RejectionsDeps {
  /** Reads the list from the server (throws when it cannot). */
  fetch(): Promise<RejectedChange[]>;
  isClosed(): boolean;
}

export class Rejections {
  private readonly subject = new BehaviorSubject<RejectedChange[]>([]);
  private refreshing: Promise<void> | null = null;
  private again = false;

  constructor(private readonly deps: RejectionsDeps) {}

  get rejected$(): Observable<RejectedChange[]> {
    return this.subject.asObservable();
  }

  /** Re-reads the rejected changes (coalesced: at most one request in flight, one queued). */
  refresh(): void {
    if (this.refreshing) {
      this.again = true;
      return;
    }
    this.refreshing = this.load().finally(() => {
      this.refreshing = null;
      if (this.again && !this.deps.isClosed()) {
        this.again = false;
        this.refresh();
      }
    });
  }

  complete(): void {
    this.subject.complete();
  }

  private async load(): Promise<void> {
    try {
      const data = await this.deps.fetch();
      if (!deepEqual(data, this.subject.getValue())) this.subject.next(data);
    } catch {
      // shown through the status; retried after the next push or reconnect
    }
  }
}
