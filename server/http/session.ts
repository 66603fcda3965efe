/**
 * The session cookie of people signed in with a password (SPEC §1): an opaque token in an
 * `HttpOnly`, `SameSite=Lax` cookie (`Secure` over HTTPS), and the CSRF rule for requests it
 * authenticates: a write is refused unless it comes from this server's own origin.
 */
import type { Request, Response } from 'express';
import { problem, sendProblem } from './problem.js';

export const SESSION_COOKIE = 'kith_session';

/** The session token of the request's cookie, or null. */
export function sessionToken(req: Request): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || null;
  }
  return null;
}

export function setSessionCookie(req: Request, res: Response, token: string, expiresAt: string): void {
  res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure: req.secure, path: '/', expires: new Date(expiresAt) });
}

export function clearSessionCookie(req: Request, res: Response): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure: req.secure, path: '/' });
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a request comes from this server's own pages: its `Origin` (sent by browsers on every
 * POST, PATCH, PUT and DELETE) names this host, or, without one, `Sec-Fetch-Site` does not say it
 * came from another site. A client that is not a browser sends neither and cannot be forged into
 * sending the cookie.
 */
export function fromOwnOrigin(req: Request): boolean {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    if (origin === 'null') return false;
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }
  const site = req.headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin' || site === 'none';
}

/** Refuses (403) a cookie-authenticated write from a foreign origin; true when it was refused. */
export function refuseCrossSiteWrite(req: Request, res: Response): boolean {
  if (SAFE_METHODS.has(req.method) || fromOwnOrigin(req)) return false;
  sendProblem(
    res,
    problem(
      403,
      'Forbidden',
      `cross-site request refused: a request authenticated by the session cookie must come from this server's own pages (Origin ${req.headers.origin ?? 'missing'})`,
      undefined,
      { code: 'csrf' },
    ),
  );
  return true;
}
