/**
 * Express app assembly: security headers, request log, /auth sign-in, /crm REST, /sync
 * replication, /mcp, and the web UI. Failed credentials are counted per address (limits.ts).
 */
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Services } from '../domain/services.js';
import { crmRouter } from '../rest/router.js';
import { mountSync } from '../sync/index.js';
import { mountMcp } from '../mcp/http.js';
import { oauthRouter } from '../oauth/router.js';
import { authRouter } from './authRoutes.js';
import { securityHeaders } from './headers.js';
import { loopbackHostOnly } from './hostCheck.js';
import { createLimits, limitFailedCredentials, type LimitSettings } from './limits.js';
import { problem, sendProblem } from './problem.js';

export interface AppOptions {
  /** One line per request; null for silence. */
  log?: ((line: string) => void) | null;
  /** Folder of the built web UI (index.html); omitted → no UI. */
  uiDir?: string | null;
  /** The address the server is bound to (for Host/Origin checks on loopback). */
  host?: string;
  /** Sign-in settings: session lifetime and brute-force limits (defaults in authRoutes.ts, limits.ts). */
  auth?: { sessionTtlMs?: number; limits?: Partial<LimitSettings> };
  /**
   * Which reverse proxies' `X-Forwarded-For` / `X-Forwarded-Proto` to believe (KITH_TRUST_PROXY):
   * none by default; see `trustProxySetting`.
   */
  trustProxy?: string;
}

/**
 * KITH_TRUST_PROXY → Express's `trust proxy` setting. Unset, empty, `false` or `0`: no proxy is
 * trusted (the client address is the socket's). A whole number N: the N proxies nearest the server.
 * `true`: every hop (only when nothing can reach the server except through the proxy). Otherwise a
 * comma-separated list of proxy addresses, CIDR ranges or the names `loopback`, `linklocal`,
 * `uniquelocal`. Anything else is refused at start with a message naming the setting.
 */
export function trustProxySetting(value: string | undefined): boolean | number | string[] {
  const text = (value ?? '').trim();
  if (text === '' || text === 'false' || text === '0') return false;
  if (text === 'true') return true;
  if (/^\d+$/.test(text)) return Number(text);
  const list = text.split(',').map((part) => part.trim());
  if (list.some((part) => part === ''))
    throw new Error(`KITH_TRUST_PROXY: an empty entry in "${text}" (expected a number of hops, true, or addresses, CIDR ranges, loopback, linklocal, uniquelocal separated by commas)`);
  return list;
}

export interface AppParts {
  app: Express;
  /** Called on shutdown: close streams and sessions that keep connections open. */
  closers: (() => Promise<void> | void)[];
}

/** How long GET /health waits for the database before answering 503. */
const HEALTH_TIMEOUT_MS = 2000;

/** GET /health: 200 {ok:true} when the database answers a cheap read; 503 {ok:false, reason} when it does not (load balancers take the process out). */
function health(services: Services) {
  return async (_req: Request, res: Response) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        services.store.ping(),
        new Promise((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
        }),
      ]);
      res.json({ ok: true });
    } catch (error) {
      // the reason names the kind of failure (a driver code, or the timeout), not addresses or credentials
      const code = (error as { code?: unknown }).code;
      const why = typeof code === 'string' ? code : (error as Error).message.startsWith('no answer') ? (error as Error).message : 'an error';
      res
        .status(503)
        .set('Retry-After', '1')
        .json({ ok: false, reason: `the database is unavailable (${why})` });
    } finally {
      clearTimeout(timer);
    }
  };
}

function requestLog(log: (line: string) => void) {
  return (req: Request, res: Response, next: NextFunction) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      log(`${new Date().toISOString()} ${req.method} ${req.originalUrl} ${res.statusCode} ${ms.toFixed(1)}ms`);
    });
    next();
  };
}

export function createApp(services: Services, options: AppOptions = {}): AppParts {
  const app = express();
  const closers: AppParts['closers'] = [];
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  try {
    // Express compiles the list at once and throws on an address it cannot read
    app.set('trust proxy', trustProxySetting(options.trustProxy));
  } catch (error) {
    const message = (error as Error).message;
    throw new Error(message.startsWith('KITH_TRUST_PROXY') ? message : `KITH_TRUST_PROXY: ${message} in "${options.trustProxy}"`, { cause: error });
  }
  app.use(securityHeaders);
  if (options.log) app.use(requestLog(options.log));

  const limits = createLimits(options.auth?.limits);
  app.get('/health', health(services));
  // OAuth 2.1 for /mcp (server/oauth/): its /.well-known metadata and /oauth/*; nothing else under /.well-known/ is the web app
  app.use(oauthRouter(services, { host: options.host }));
  app.use('/.well-known', (req, res) => sendProblem(res, problem(404, 'Not found', `no route ${req.method} /.well-known${req.path}`)));
  app.use(['/auth', '/crm', '/sync'], loopbackHostOnly(options.host));
  app.use('/auth', authRouter(services, { limits, sessionTtlMs: options.auth?.sessionTtlMs }));
  app.use(['/crm', '/sync', '/mcp'], limitFailedCredentials(services, limits));
  app.use('/crm', crmRouter(services));

  // /sync and /mcp are mounted here (see server/sync and server/mcp).
  mountSync(app, services, closers);
  mountMcp(app, services, { host: options.host, closers });

  if (options.uiDir) {
    const uiDir = options.uiDir;
    app.use(express.static(uiDir, { index: false, maxAge: '1h' }));
    // history fallback: any other GET that wants HTML gets the app shell
    app.get(/^\/(?!crm\/|sync\/|mcp|auth\/|\.well-known\/).*/, (req, res, next) => {
      if (!req.accepts('html')) return next();
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile('index.html', { root: uiDir });
    });
  }
  app.use((req, res) => sendProblem(res, problem(404, 'Not found', `no route ${req.method} ${req.path}`)));
  return { app, closers };
}
