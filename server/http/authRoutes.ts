/**
 * /auth — people sign in (SPEC §1): `POST /auth/login {email, password}` starts a session (the
 * HttpOnly cookie), `POST /auth/logout` ends it, `GET /auth/me` says who is signed in and their
 * workspaces, `GET|DELETE /auth/sessions[/:id]` lists and ends one's own sessions. Also the
 * one-time links: `POST /auth/setup` (the first-start setup link and owners' reset links set a
 * password and sign in) and `POST /auth/invite[/accept]` (see and accept an invite).
 * Writes authenticated by the cookie, and sign-in itself, are refused from a foreign Origin.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { Principal } from '../domain/accounts.js';
import { parseInput } from '../domain/errors.js';
import type { Services } from '../domain/services.js';
import { keyFromRequest, sendSessionUnauthorized, sendUnauthorized } from './auth.js';
import { requireJsonBody } from './body.js';
import { clientAddress, sendTooMany, type Limits } from './limits.js';
import { problem, sendProblem, toProblem } from './problem.js';
import { clearSessionCookie, refuseCrossSiteWrite, sessionToken, setSessionCookie } from './session.js';

const Login = z.strictObject({
  email: z.string().trim().toLowerCase().min(1, { error: 'is required' }).max(320),
  password: z.string().min(1, { error: 'is required' }).max(1000),
});

export interface AuthRouterOptions {
  limits: Limits;
  /** How long a session lasts (default 30 days). */
  sessionTtlMs?: number;
}

type Handler = (req: Request, res: Response) => Promise<unknown>;

export function authRouter(services: Services, options: AuthRouterOptions): Router {
  const { accounts } = services;
  const { limits } = options;
  const router = express.Router();
  router.use(requireJsonBody);
  router.use(express.json({ limit: '16kb', type: ['application/json', 'application/*+json'] }));

  const route = (handler: Handler) => async (req: Request, res: Response) => {
    try {
      const result = await handler(req, res);
      if (res.headersSent) return;
      if (result === undefined) res.status(204).end();
      else res.json(result);
    } catch (error) {
      const p = toProblem(error);
      if (p.status >= 500) console.error(error);
      sendProblem(res, p);
    }
  };

  /** Who the request acts as: an API key, else the session cookie; null after answering 401. */
  const principal = async (req: Request, res: Response): Promise<Principal | null> => {
    const key = keyFromRequest(req);
    if (key !== null) {
      const result = await accounts.authenticate(key);
      if ('failure' in result) return (sendUnauthorized(res, result.failure), null);
      return result;
    }
    const result = await accounts.authenticateSession(sessionToken(req));
    if ('failure' in result) return (sendSessionUnauthorized(req, res, result.failure), null);
    if (refuseCrossSiteWrite(req, res)) return null;
    return result;
  };

  const startSession = async (req: Request, res: Response, user: Parameters<typeof accounts.startSession>[0]) => {
    const { token, session } = await accounts.startSession(user, { ttlMs: options.sessionTtlMs, userAgent: req.headers['user-agent'] ?? null, address: clientAddress(req) });
    setSessionCookie(req, res, token, session.expiresAt);
    return session;
  };

  const me = async (p: Principal) => {
    const workspaces = await accounts.listWorkspaces(p.user.id);
    return {
      user: { id: p.user.id, email: p.user.email, name: p.user.name, platformRole: p.user.platformRole },
      workspaces: workspaces.map((w) => ({ id: w.id, slug: w.slug, name: w.name, role: w.role })),
      via: 'session' in p ? ('session' as const) : ('key' as const),
      ...('session' in p ? { session: { id: p.session.id, expiresAt: p.session.expiresAt } } : {}),
    };
  };

  router.post(
    '/login',
    route(async (req, res) => {
      if (refuseCrossSiteWrite(req, res)) return;
      const { email, password } = parseInput(Login, req.body);
      const address = clientAddress(req);
      const wait = Math.max(limits.signInByAddress.blockedFor(address), limits.signInByAccount.blockedFor(email));
      if (wait > 0) return sendTooMany(res, wait, 'failed sign-ins');
      const user = await accounts.checkPassword(email, password);
      if (!user) {
        limits.signInByAddress.fail(address);
        limits.signInByAccount.fail(email);
        return sendProblem(res, problem(401, 'Unauthorized', 'the email or the password is wrong'));
      }
      limits.signInByAccount.reset(email);
      const session = await startSession(req, res, user);
      return me({ user, session });
    }),
  );

  router.post(
    '/logout',
    route(async (req, res) => {
      if (refuseCrossSiteWrite(req, res)) return;
      const result = await accounts.authenticateSession(sessionToken(req));
      if (!('failure' in result)) await accounts.endSession(result.user.id, result.session.id);
      clearSessionCookie(req, res);
    }),
  );

  router.get(
    '/me',
    route(async (req, res) => {
      const p = await principal(req, res);
      return p ? me(p) : undefined;
    }),
  );

  router.get(
    '/sessions',
    route(async (req, res) => {
      const p = await principal(req, res);
      if (!p) return;
      const current = 'session' in p ? p.session.id : null;
      return { data: (await accounts.listSessions(p.user.id)).map((s) => ({ ...s, current: s.id === current })) };
    }),
  );

  router.delete(
    '/sessions/:id',
    route(async (req, res) => {
      const p = await principal(req, res);
      if (!p) return;
      const id = String(req.params.id);
      await accounts.endSession(p.user.id, id);
      if ('session' in p && p.session.id === id) clearSessionCookie(req, res);
    }),
  );

  router.post(
    '/setup',
    route(async (req, res) => {
      if (refuseCrossSiteWrite(req, res)) return;
      const user = await accounts.useLink(req.body);
      const session = await startSession(req, res, user);
      return me({ user, session });
    }),
  );

  router.post(
    '/invite',
    route(async (req, res) => {
      if (refuseCrossSiteWrite(req, res)) return;
      return accounts.previewInvite((req.body as { token?: unknown } | undefined)?.token);
    }),
  );

  router.post(
    '/invite/accept',
    route(async (req, res) => {
      if (refuseCrossSiteWrite(req, res)) return;
      // a key must be valid; a cookie whose session ended counts as not signed in (the person may create the account)
      let signedIn: Principal | null = null;
      if (keyFromRequest(req) !== null) {
        signedIn = await principal(req, res);
        if (!signedIn) return;
      } else {
        const session = await accounts.authenticateSession(sessionToken(req));
        if (!('failure' in session)) signedIn = session;
      }
      const accepted = await accounts.acceptInvite(req.body, signedIn?.user ?? null);
      const workspace = await accounts.findWorkspace(accepted.workspaceId);
      if (accepted.created) await startSession(req, res, accepted.user);
      return {
        user: { id: accepted.user.id, email: accepted.user.email, name: accepted.user.name },
        workspace: { id: workspace!.id, slug: workspace!.slug, name: workspace!.name },
        role: accepted.role,
        created: accepted.created,
      };
    }),
  );

  router.use((req, res) => sendProblem(res, problem(404, 'Not found', `no route ${req.method} /auth${req.path}`)));
  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => sendProblem(res, toProblem(error)));
  return router;
}
