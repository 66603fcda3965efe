/**
 * Authentication and workspace resolution for /crm and /sync: the key from
 * `Authorization: Bearer kith_…` or `X-API-Key`, or else the session cookie of a person signed in
 * (whose writes must come from this server's own origin: CSRF); the workspace from
 * `X-Kith-Workspace` or `?workspace=`. Checked on every request.
 */
import type { NextFunction, Request, Response } from 'express';
import type { Principal } from '../domain/accounts.js';
import type { Services } from '../domain/services.js';
import type { Source } from '../../shared/schemas.js';
import { problem, sendProblem, toProblem } from './problem.js';
import { clearSessionCookie, refuseCrossSiteWrite, sessionToken } from './session.js';

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
  missing: 'an API key is required: send Authorization: Bearer kith_... (or sign in: POST /auth/login)',
  malformed: 'the API key is malformed (expected kith_ followed by 32 letters and digits)',
  unknown: 'the API key is not valid',
  revoked: 'the API key has been revoked',
  expired: 'the API key has expired',
} as const;

export function sendUnauthorized(res: Response, failure: keyof typeof FAILURE_TEXT): void {
  res.setHeader('WWW-Authenticate', `Bearer realm="kith", error="invalid_token", error_description="${FAILURE_TEXT[failure]}"`);
  sendProblem(res, problem(401, 'Unauthorized', FAILURE_TEXT[failure]));
}

/** What a 401 says for each way a session can fail. */
export const SESSION_FAILURE_TEXT = {
  missing: 'sign in first (POST /auth/login) or send an API key',
  malformed: 'the session cookie is malformed; sign in again',
  unknown: 'the session has ended; sign in again',
  expired: 'the session has expired; sign in again',
} as const;

export function sendSessionUnauthorized(req: Request, res: Response, failure: keyof typeof SESSION_FAILURE_TEXT): void {
  if (failure !== 'missing') clearSessionCookie(req, res);
  sendProblem(res, problem(401, 'Unauthorized', SESSION_FAILURE_TEXT[failure]));
}

/**
 * The credential of a request as the account service reads it: the API key of the headers, else
 * the session cookie's token (`kses_…`). Long-lived requests re-check access with it.
 */
export function credentialFromRequest(req: Request): string | null {
  return keyFromRequest(req) ?? sessionToken(req);
}

/** `X-Kith-Client`: the id a replicating client (one local database) sends with its sync requests; anything else is ignored. */
export function clientIdFromRequest(req: Request): string | null {
  const value = req.headers['x-kith-client'];
  return typeof value === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(value) ? value : null;
}

/** Express middleware: authenticates (a key, else the session cookie) and resolves the Ctx into res.locals. */
export function requireContext(services: Services, source: Source) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const key = keyFromRequest(req);
      const cookie = key === null ? sessionToken(req) : null;
      if (cookie !== null) {
        const session = await services.accounts.authenticateSession(cookie);
        if ('failure' in session) return sendSessionUnauthorized(req, res, session.failure);
        if (refuseCrossSiteWrite(req, res)) return;
        res.locals.auth = session;
      } else {
        const result = await services.accounts.authenticate(key);
        if ('failure' in result) return sendUnauthorized(res, result.failure);
        res.locals.auth = result;
      }
      const result = res.locals.auth as Principal;
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
