/**
 * The /crm router: public OpenAPI and docs, then authentication, the crm.core feature gate,
 * JSON bodies (1 MB, application/json only) and the route table.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { featureEnabled, type Ctx } from '../domain/context.js';
import type { Services } from '../domain/services.js';
import { requireContext } from '../http/auth.js';
import { requireJsonBody } from '../http/body.js';
import { parseInput } from '../domain/errors.js';
import { featureDisabled, problem, sendProblem, toProblem } from '../http/problem.js';
import { buildOpenApi } from './openapi.js';
import { allowedMethods, CSV_BODY_LIMIT, queryOf, type RouteDef } from './routeTable.js';
import { crmRoutes } from './routes.js';

export const BODY_LIMIT = '1mb';

const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Kith CRM API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/crm/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/crm/docs/assets/swagger-ui-bundle.js"></script>
<script src="/crm/docs/init.js"></script></body></html>`;

const DOCS_INIT = `window.ui = SwaggerUIBundle({ url: '/crm/openapi.json', dom_id: '#swagger-ui', deepLinking: true, persistAuthorization: true });`;

/** 415 unless a request body is JSON. */
export function crmRouter(services: Services): Router {
  const router = express.Router();
  const routes = crmRoutes(services);
  let openapi: Record<string, unknown> | null = null;

  router.get('/openapi.json', (_req, res) => {
    openapi ??= buildOpenApi(routes);
    res.json(openapi);
  });
  const swaggerDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  router.use('/docs/assets', express.static(swaggerDir, { index: false, maxAge: '1h' }));
  router.get('/docs/init.js', (_req, res) => void res.type('application/javascript').send(DOCS_INIT));
  router.get(['/docs', '/docs/'], (_req, res) => void res.type('html').send(DOCS_HTML));

  router.use(requireContext(services, 'rest'));
  // routes that read their own body (a CSV import, a restore) come before the JSON parser
  for (const route of routes) if (route.csvBody || route.largeBody) register(router, route, true);
  router.use(requireJsonBody);
  router.use(express.json({ limit: BODY_LIMIT, type: ['application/json', 'application/*+json'] }));

  // a known path with a method it does not answer: 405 naming the methods it does (OPTIONS lists them),
  // registered right after the path's last route, so GET /people/merge is a 405, not GET /people/:id
  const allowed = allowedMethods(routes);
  routes.forEach((route, i) => {
    if (!route.csvBody && !route.largeBody) register(router, route); // the others are registered above
    if (routes.slice(i + 1).some((r) => r.path === route.path)) return;
    const allow = allowed.get(route.path)!.join(', ');
    router.all(route.path, (req, res) => {
      res.setHeader('Allow', allow);
      if (req.method === 'OPTIONS') return void res.status(204).end();
      sendProblem(res, problem(405, 'Method not allowed', `${req.method} is not allowed on /crm${req.path}; it answers ${allow}`));
    });
  });

  router.use((req, res) => sendProblem(res, problem(404, 'Not found', `no route ${req.method} /crm${req.path}; see /crm/openapi.json`)));
  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const p = toProblem(error);
    if (p.status >= 500) console.error(error);
    sendProblem(res, p);
  });
  return router;
}

/** A CSV body, or JSON up to the JSON limit (a large-body route reads it itself). */
const ownBody = (route: RouteDef) => async (req: Request, res: Response, next: NextFunction) => {
  if (route.csvBody && req.is('text/csv')) {
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > CSV_BODY_LIMIT) return sendProblem(res, problem(413, 'Payload too large', `a CSV body may be at most ${CSV_BODY_LIMIT / 1024 / 1024} MB`));
    return next();
  }
  if (route.largeBody && req.is(['application/json'])) return next();
  requireJsonBody(req, res, () => express.json({ limit: BODY_LIMIT, type: ['application/json', 'application/*+json'] })(req, res, next));
};

function register(router: Router, route: RouteDef, readsBody = false): void {
  const handlers = readsBody ? [ownBody(route)] : [];
  router[route.method](route.path, ...handlers, async (req: Request, res: Response) => {
    const ctx = res.locals.ctx as Ctx;
    try {
      if (!route.ungated && !featureEnabled(ctx)) {
        return sendProblem(res, featureDisabled(ctx.workspace.slug));
      }
      parseInput(queryOf(route), req.query);
      // the route's success status, unless the handler sets another (e.g. 200 for a repeated create)
      res.status(route.status ?? 200);
      const result = await route.handler(ctx, req, res);
      if (res.headersSent) return; // streamed by the handler (a CSV export, a backup)
      const status = res.statusCode;
      if (status === 204 || result === undefined) return void res.status(204).end();
      const version = (result as { version?: unknown }).version;
      if (route.etag && typeof version === 'number') res.setHeader('ETag', `"${version}"`);
      res.status(status).json(result);
    } catch (error) {
      const p = toProblem(error);
      if (p.status >= 500) console.error(error);
      // a stream cut short by an error ends abruptly: the client sees an incomplete body, never a partial file as whole
      if (res.headersSent) return void res.destroy(error as Error);
      sendProblem(res, p);
    }
  });
}
