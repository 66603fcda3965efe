/**
 * Starts a Kith server on a data directory: opens the store, runs first-start setup, serves
 * the app, watches for writes by other processes, and shuts down cleanly.
 */
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { AutomationDispatcher, type AutomationDispatcherOptions } from './domain/automations/dispatcher.js';
import { createServices, type Services } from './domain/services.js';
import { WebhookDispatcher, type DispatcherOptions } from './domain/webhooks/dispatcher.js';
import { createApp, type AppOptions, type AppParts } from './http/app.js';
import { openStore } from './store/store.js';

export interface ServerOptions {
  dataDir: string;
  /** PostgreSQL instead of the data directory's SQLite file (default: KITH_DATABASE_URL). */
  databaseUrl?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  uiDir?: string | null;
  /** Reverse proxies whose X-Forwarded-For/-Proto are believed (default: KITH_TRUST_PROXY; none). */
  trustProxy?: string;
  log?: ((line: string) => void) | null;
  /**
   * Called once on first start of an empty data directory, once listening: the owner key and the
   * one-time setup link where the owner sets name and password (valid 24 h).
   */
  onFirstStart?: (info: { key: string; email: string; workspace: string; setupToken: string; setupUrl: string }) => void;
  /** Session lifetime and sign-in limits (tests shorten them). */
  auth?: AppOptions['auth'];
  /** The webhook dispatcher's clock and poll interval (tests move the clock ahead). */
  webhooks?: Pick<DispatcherOptions, 'now' | 'pollMs' | 'timeoutMs' | 'log'>;
  /** The automation dispatcher's clock (schedules, retries, due dates) and poll interval. */
  automations?: Pick<AutomationDispatcherOptions, 'now' | 'pollMs' | 'timeoutMs' | 'log'>;
}

export interface RunningServer {
  url: string;
  port: number;
  host: string;
  services: Services;
  http: http.Server;
  /** The owner key, when this start created it. */
  ownerKey: string | null;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const store = await openStore(options.dataDir, { databaseUrl: options.databaseUrl });
  const services = createServices(store);
  const host = options.host ?? '127.0.0.1';
  const wantedPort = options.port ?? 4317;
  const server = http.createServer();
  let closers: AppParts['closers'];
  try {
    // the app and the port come before first-start setup: a bad setting or a port in use must not
    // create an owner whose key is then never shown (it is printed once, after listening)
    const parts = createApp(services, { log: options.log, uiDir: options.uiDir, host, auth: options.auth, trustProxy: options.trustProxy ?? process.env.KITH_TRUST_PROXY });
    closers = parts.closers;
    server.on('request', parts.app);
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'EADDRINUSE' ? new Error(`${host}:${wantedPort} is already in use (another Kith or program is listening there); choose another port with KITH_PORT`) : error),
      );
      server.listen(wantedPort, host, () => resolve());
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  const first = await services.accounts.bootstrap();
  store.feed.watch(store.db);
  // webhook deliveries: the outbox is sent by this process while it runs (server/domain/webhooks/)
  const webhooks = new WebhookDispatcher(store.db, store.feed, { policy: services.webhooks.policy, log: options.log ?? undefined, ...options.webhooks });
  services.webhooks.wake = () => webhooks.kick();
  webhooks.start();
  // automation runs and daily schedules (server/domain/automations/)
  const automations = new AutomationDispatcher(services.records, store.feed, {
    policy: services.automations.policy,
    log: options.log ?? undefined,
    wakeWebhooks: () => webhooks.kick(),
    ...options.automations,
  });
  services.automations.now = options.automations?.now ?? Date.now;
  services.automations.wake = () => automations.kick();
  services.automations.settle = () => automations.settle();
  automations.start();
  // import commits a process left unfinished are resumed (server/domain/imports/)
  services.imports.startWorker(options.log ?? undefined);
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  if (first) {
    const setupUrl = `http://${urlHost}:${port}/setup#token=${first.setupToken}`;
    options.onFirstStart?.({ key: first.key, email: first.user.email, workspace: first.workspace.slug, setupToken: first.setupToken, setupUrl });
  }

  let closing: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    host,
    services,
    http: server,
    ownerKey: first?.key ?? null,
    close() {
      closing ??= (async () => {
        // stop accepting, let in-flight requests finish, end long-lived streams and sessions
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // keep-alive connections become idle when their in-flight request is answered: close them then
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        for (const close of closers) await close();
        const forced = setTimeout(() => server.closeAllConnections(), 5000);
        await stopped;
        clearInterval(sweep);
        clearTimeout(forced);
        await services.imports.stopWorker();
        await automations.stop();
        await webhooks.stop();
        await store.close();
      })();
      return closing;
    },
  };
}
