/**
 * /sync: RxDB replication over HTTP for the replicated collections (SPEC §5).
 *   GET  /sync/:collection/pull?checkpoint=<seq>&limit=<n> → { documents, checkpoint }
 *   POST /sync/:collection/push  [{ assumedMasterState, newDocumentState }] → current server docs of rows in conflict
 *   GET  /sync/:collection/digest?from=<a>&to=<b> → { count, hash, from, to, head } (self-check, shared/digest.ts)
 *   GET  /sync/stream            SSE: `RESYNC` on connect, then { collection, documents, checkpoint } per change
 *   GET  /sync/rejections        refused pushes (newest first): the caller's own, or everyone's for owners
 * Authenticated like /crm (bearer key in a header), source `sync`.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { COLLECTION_NAMES, isCollectionName } from '../../shared/collections.js';
import { PULL_DEFAULT_LIMIT, PULL_MAX_LIMIT, PUSH_MAX_ROWS, parseCheckpointParam, type PullResponse, type PushRow, type RejectedChange } from '../../shared/sync.js';
import { featureEnabled, type Ctx } from '../domain/context.js';
import type { Services } from '../domain/services.js';
import { requireContext } from '../http/auth.js';
import { featureDisabled, problem, sendProblem, toProblem } from '../http/problem.js';
import { changesSince } from '../domain/replication.js';
import { applyPush } from '../domain/syncPush.js';
import { requireJsonBody } from '../http/body.js';
import { handleDigest } from './digest.js';
import { StreamHub } from './stream.js';

/** Push bodies carry up to PUSH_MAX_ROWS documents with both states. */
const PUSH_BODY_LIMIT = '20mb';

function asyncRoute(fn: (req: Request, res: Response, ctx: Ctx) => Promise<void>) {
  return (req: Request, res: Response) => {
    fn(req, res, res.locals.ctx as Ctx).catch((error) => {
      const p = toProblem(error);
      if (p.status >= 500) console.error(error);
      sendProblem(res, p);
    });
  };
}

function collectionParam(req: Request, res: Response): ReturnType<typeof String> | null {
  const name = String(req.params.collection);
  if (!isCollectionName(name)) {
    sendProblem(res, problem(404, 'Not found', `unknown collection '${name}'; replicated collections: ${COLLECTION_NAMES.join(', ')}`));
    return null;
  }
  return name;
}

export function isValidPushBody(body: unknown): body is PushRow[] {
  return Array.isArray(body) && body.every((r) => r && typeof r === 'object' && r.newDocumentState && typeof r.newDocumentState === 'object' && typeof r.newDocumentState.id === 'string');
}

export function syncRouter(services: Services): { router: Router; hub: StreamHub } {
  const router = express.Router();
  const hub = new StreamHub(services);

  router.use(requireContext(services, 'sync'));
  // a workspace with the CRM switched off replicates nothing, like /crm and /mcp
  router.use((_req: Request, res: Response, next: NextFunction) => {
    const ctx = res.locals.ctx as Ctx;
    if (!featureEnabled(ctx)) return sendProblem(res, featureDisabled(ctx.workspace.slug));
    next();
  });

  router.get(
    '/stream',
    asyncRoute(async (req, res, ctx) => {
      await hub.handle(req, res, ctx);
    }),
  );

  router.get(
    '/rejections',
    asyncRoute(async (req, res, ctx) => {
      const limit = Math.min(Math.max(Number(req.query.limit ?? 100) || 100, 1), 500);
      // a member's or viewer's own refusals only; owners see everyone's (listAudit's rule)
      const page = await services.audit(ctx, { action: 'rejected', limit });
      const data: (RejectedChange & { fields: string[] })[] = page.data.map((e) => {
        const detail = (e.detail ?? {}) as Record<string, unknown>;
        return {
          id: e.id,
          collection: String(detail.collection ?? e.entityType),
          documentId: e.entityId,
          reason: String(detail.reason ?? 'refused'),
          at: e.at,
          attempted: (detail.attempted as Record<string, unknown> | undefined) ?? null,
          fields: Array.isArray(detail.fields) ? detail.fields.map(String) : [],
        };
      });
      res.json({ data });
    }),
  );

  router.get(
    '/:collection/pull',
    asyncRoute(async (req, res, ctx) => {
      const collection = collectionParam(req, res);
      if (!collection || !isCollectionName(collection)) return;
      const checkpoint = parseCheckpointParam(req.query.checkpoint);
      if (checkpoint === null)
        return sendProblem(
          res,
          problem(422, 'Validation failed', 'checkpoint: must be a change sequence number (the checkpoint.sequence of the previous pull)', [
            { path: 'checkpoint', message: 'must be a non-negative integer' },
          ]),
        );
      const limitRaw = req.query.limit === undefined ? PULL_DEFAULT_LIMIT : Number(req.query.limit);
      if (!Number.isInteger(limitRaw) || limitRaw < 1 || limitRaw > PULL_MAX_LIMIT) {
        return sendProblem(
          res,
          problem(422, 'Validation failed', `limit: must be an integer between 1 and ${PULL_MAX_LIMIT}`, [{ path: 'limit', message: `must be between 1 and ${PULL_MAX_LIMIT}` }]),
        );
      }
      const changes = await changesSince(services.store, ctx, collection, checkpoint, limitRaw);
      const last = changes[changes.length - 1];
      const body: PullResponse = {
        documents: changes.map((c) => c.document),
        checkpoint: last ? { sequence: last.version } : { sequence: checkpoint },
      };
      res.setHeader('Cache-Control', 'no-store');
      res.json(body);
    }),
  );

  router.get(
    '/:collection/digest',
    asyncRoute((req, res, ctx) => handleDigest(services, req, res, ctx)),
  );

  router.post(
    '/:collection/push',
    requireJsonBody,
    express.json({ limit: PUSH_BODY_LIMIT, type: ['application/json', 'application/*+json'] }),
    asyncRoute(async (req, res, ctx) => {
      const collection = collectionParam(req, res);
      if (!collection || !isCollectionName(collection)) return;
      if (!isValidPushBody(req.body)) {
        return sendProblem(
          res,
          problem(422, 'Validation failed', 'the body must be an array of {assumedMasterState, newDocumentState} rows whose newDocumentState has a string id', [
            { path: '', message: 'must be an array of push rows' },
          ]),
        );
      }
      if (req.body.length > PUSH_MAX_ROWS) return sendProblem(res, problem(413, 'Payload too large', `at most ${PUSH_MAX_ROWS} rows per push`));
      const outcome = await applyPush(services, ctx, collection, req.body);
      res.json(outcome.conflicts);
    }),
  );

  router.use((req: Request, res: Response) => sendProblem(res, problem(404, 'Not found', `no route ${req.method} /sync${req.path}`)));
  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const p = toProblem(error);
    if (p.status >= 500) console.error(error);
    sendProblem(res, p);
  });
  return { router, hub };
}
