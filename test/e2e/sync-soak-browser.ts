/**
 * A Chromium client for the randomized sync fault test (test/integration/sync-soak-lib.ts): the
 * real store on Dexie/IndexedDB in headless Chromium (the data-layer harness, served by the soak's
 * server process), driven by the same seeded op engine as the Node clients. Its network is cut by
 * the browser's offline emulation (the page sees `offline`/`online` events) or by aborting its
 * /sync requests; the server it talks to is killed and restarted like for every client.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import type { CollectionName } from '../../shared/collections.js';
import { runSoak, WorkerClient, type SoakClient, type SoakOptions, type SoakResult } from '../integration/sync-soak-lib.js';
import { runClientOps, type ClientAdapter, type ClientReport, type ClientSnapshot, type ClientStatus, type Rec } from '../integration/sync-soak-ops.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './helpers.js';
import { buildHarness } from './sync-harness.js';

type Harness = any;
const SLOW_ROUTE = /\/sync\/[a-zA-Z]+\/(pull|push)/;
const PUSH_ROUTE = /\/sync\/[a-zA-Z]+\/push/;

export class BrowserClient implements SoakClient {
  private context: BrowserContext | null = null;
  private page: Page | null = null;
  private cut: 'offline' | 'block' | null = null;
  readonly errors: string[] = [];

  constructor(
    private readonly browser: Browser,
    readonly label: string,
  ) {}

  private get p(): Page {
    if (!this.page) throw new Error(`${this.label}: not open`);
    return this.page;
  }

  /** The harness opens the store with the app's defaults (retry time 3 s); `options` cannot change that. */
  async open(url: string, key: string): Promise<void> {
    this.context = await this.browser.newContext();
    this.page = await this.context.newPage();
    this.page.on('pageerror', (error) => this.errors.push(error.message));
    await this.page.goto(url + '/');
    await this.page.waitForFunction(() => 'kithData' in window);
    await this.page.evaluate(async (k) => {
      const w = window as Harness;
      await w.kithData.open(k);
      w.soakMaxHealed = 0;
      w.kithData.state.store.status$.subscribe((s: { healed?: number }) => (w.soakMaxHealed = Math.max(w.soakMaxHealed, s.healed ?? 0)));
    }, key);
    await this.waitSynced(30_000);
  }

  private waitSynced(timeout: number) {
    return this.p.waitForFunction(
      () => {
        const s = (window as Harness).kithData.state.status;
        return s && s.state === 'online' && s.pending === 0;
      },
      undefined,
      { timeout, polling: 50 },
    );
  }

  private store<T>(fn: string, ...args: unknown[]): Promise<T> {
    return this.p.evaluate(([f, a]) => (window as Harness).kithData.state.store[f as string](...(a as unknown[])), [fn, args] as const) as Promise<T>;
  }

  private slow: RegExp | null = null;

  /** Pull and push requests (not the stream; with `uploadOnly` only pushes) wait `ms` before they go out. */
  private async setLatency(ms: number, uploadOnly = false): Promise<void> {
    const p = this.p;
    if (this.slow) await p.unroute(this.slow);
    this.slow = ms > 0 ? (uploadOnly ? PUSH_ROUTE : SLOW_ROUTE) : null;
    if (ms > 0) {
      await p.route(this.slow!, async (route) => {
        await new Promise((r) => setTimeout(r, ms));
        await route.fallback().catch(() => undefined);
      });
    }
  }

  private async networkOn(): Promise<void> {
    if (this.cut === 'offline') await this.context!.setOffline(false);
    if (this.cut === 'block') await this.p.unroute('**/sync/**');
    this.cut = null;
  }

  private adapter(): ClientAdapter {
    return {
      create: (c, f) => this.store<Rec>('create', c, f),
      update: (c, id, patch) => this.store('update', c, id, patch),
      archive: (c, id) => this.store('archive', c, id),
      restore: (c, id) => this.store('restore', c, id),
      remove: (c, id) => this.store('remove', c, id),
      list: (c: CollectionName) => this.p.evaluate(async (name) => (await (window as Harness).kithData.state.store.db.collections[name].find().exec()).map((d: any) => d.toJSON()), c),
      network: async (online, { reconnect, mode }) => {
        if (online) {
          await this.networkOn();
          if (reconnect) await this.store('reconnect');
          return;
        }
        this.cut = mode;
        if (mode === 'offline') await this.context!.setOffline(true);
        else await this.p.route('**/sync/**', (route) => route.abort('internetdisconnected').catch(() => undefined));
      },
      reconnect: () => this.store('reconnect'),
      latency: (ms, { uploadOnly }) => this.setLatency(ms, uploadOnly),
    };
  }

  run(params: { seed: number; index: number; ops: number }): Promise<ClientReport> {
    return runClientOps(this.adapter(), { ...params, label: this.label });
  }

  async settle(timeout: number): Promise<ClientStatus> {
    await this.setLatency(0);
    await this.networkOn();
    await this.store('reconnect');
    try {
      await this.waitSynced(timeout);
    } catch {
      const status = await this.p.evaluate(() => (window as Harness).kithData.state.status);
      throw new Error(`timed out waiting for the browser client to sync (status ${JSON.stringify(status)})`);
    }
    return this.p.evaluate(() => (window as Harness).kithData.state.status);
  }

  async reconnect(): Promise<void> {
    await this.store('reconnect');
  }

  snapshot(): Promise<ClientSnapshot> {
    return this.p.evaluate(async () => {
      const w = window as Harness;
      return { dump: await w.kithData.dump(), status: w.kithData.state.status, rejected: w.kithData.state.rejected.map((r: { id: string }) => r.id), maxHealed: w.soakMaxHealed };
    });
  }

  async dispose(): Promise<void> {
    if (!this.page) return;
    await Promise.race([this.page.evaluate(() => (window as Harness).kithData.close()).catch(() => undefined), new Promise((r) => setTimeout(r, 5000).unref())]);
    await this.context?.close().catch(() => undefined);
    this.page = null;
    this.context = null;
  }
}

/** Chromium and the harness build, for any number of runs with one browser client and `count` Node clients. */
export async function startBrowserRig(): Promise<{ run(seed: number, options?: Omit<SoakOptions, 'clients' | 'uiDir'> & { count?: number }): Promise<SoakResult>; close(): Promise<void> }> {
  const uiDir = await buildHarness();
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  return {
    async run(seed, options = {}) {
      const browserClient = new BrowserClient(browser, 'chromium');
      const clients: SoakClient[] = [browserClient, ...Array.from({ length: options.count ?? 3 }, (_, i) => new WorkerClient(`node${i}`))];
      try {
        const result = await runSoak(seed, { ...options, clients, uiDir });
        if (browserClient.errors.length > 0) {
          result.problems.push(`[page-error] ${browserClient.errors.slice(0, 5).join(' | ')}`);
          result.kinds.push('page-error');
          result.ok = false;
        }
        return result;
      } finally {
        await Promise.all(clients.map((c) => c.dispose()));
      }
    },
    async close() {
      await browser.close();
      fs.rmSync(uiDir, { recursive: true, force: true });
    },
  };
}
