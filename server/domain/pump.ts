/**
 * The loop of a background worker that works off a durable queue in the database (webhook
 * deliveries, automation runs): a pass at start, after every committed change (the store's feed,
 * which also sees other processes' writes through the change sequence poll) and every `pollMs`
 * for work that comes due later. Passes never overlap: a kick during a pass asks for another one
 * right after it. Everything a pass needs is in the database, so a restart loses nothing.
 */
import type { ChangeFeed } from '../store/store.js';

export interface PumpOptions {
  feed: ChangeFeed | null;
  pollMs: number;
  /** Prefix of logged errors. */
  name: string;
  log?: (line: string) => void;
}

export class Pump {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private halted = true;
  private readonly onChange = () => this.kick();

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly options: PumpOptions,
  ) {}

  /** True when stopped (a pass in progress should stop taking new work). */
  get stopped(): boolean {
    return this.halted;
  }

  start(): void {
    if (!this.halted) return;
    this.halted = false;
    this.options.feed?.on('change', this.onChange);
    this.timer = setInterval(() => this.kick(), this.options.pollMs);
    this.timer.unref();
    this.kick();
  }

  /** Stops taking new work and waits for the pass in progress. */
  async stop(): Promise<void> {
    this.halted = true;
    this.options.feed?.off('change', this.onChange);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Asks for a pass now (coalesced: one at a time, another right after if asked during one). */
  kick(): void {
    if (this.halted) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((error: Error) => this.options.log?.(`${this.options.name}: ${error.message}`))
      .finally(() => {
        this.running = null;
        if (this.again && !this.halted) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Resolves when no pass is running or asked for (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }
}
