/**
 * Authentication and workspace resolution for /crm and /sync: the key from
 * `Authorization: Bearer kith_…` or `X-API-Key`, the workspace from `X-Kith-Workspace` or
 * `?workspace=`. Checked on every request.
 */
import type { NextFunction, Request, Response } from 'express';
import type { Services } from '../domain/services.js';
import type { Source } from '../../shared/schemas.js';
import { problem, sendProblem, toProblem } from './problem.js';

export function keyFromRequest(req: Request): string | null {
  const header = req.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match ? match[1] : '';
  }
  const apiKey = req.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : null;
}

export function workspaceSelector(req: Request): string | null {
  const header = req.headers['x-kith-workspace'];
  if (typeof header === 'string' && header.trim()) return header.trim();
  const query = req.query?.workspace;
  return typeof query === 'string' && query.trim() ? query.trim() : null;
}

/** What a 401 says for each way a key can fail. */
export const FAILURE_TEXT = {
  missing: 'an API key is required: send Authorization: Bearer kith_...',
  malformed: 'the API key is malformed (expected kith_ followed by 32 letters and digits)',
  unknown: 'the API key is not valid',
  revoked: 'the API key has been revoked',
  expired: 'the API key has expired',
} as const;

export function sendUnauthorized(res: Response, failure: keyof typeof FAILURE_TEXT): void {
  res.setHeader('WWW-Authenticate', `Bearer realm="kith", error="invalid_token", error_description="${FAILURE_TEXT[failure]}"`);
  sendProblem(res, problem(401, 'Unauthorized', FAILURE_TEXT[failure]));
}

/** Express middleware: authenticates and resolves the Ctx into res.locals. */
/** `X-Kith-Client`: the id a replicating client (one local database) sends with its sync requests; anything else is ignored. */
export function clientIdFromRequest(req: Request): string | null {
  const value = req.headers['x-kith-client'];
  return typeof value === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(value) ? value : null;
}

export function requireContext(services: Services, source: Source) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const result = await services.accounts.authenticate(keyFromRequest(req));
      if ('failure' in result) return sendUnauthorized(res, result.failure);
      res.locals.auth = result;
      const ctx = await services.accounts.resolveContext(result, workspaceSelector(req), source);
      res.locals.ctx = source === 'sync' ? { ...ctx, clientId: clientIdFromRequest(req) } : ctx;
      next();
    } catch (error) {
      const p = toProblem(error);
      if (p.status >= 500) console.error(error);
      sendProblem(res, p);
    }
  };
}
