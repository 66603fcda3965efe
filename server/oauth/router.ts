/**
 * OAuth 2.1 for remote MCP clients (SPEC §1): Kith is its own authorization server for /mcp.
 *
 *   GET  /.well-known/oauth-protected-resource[/mcp]   RFC 9728 metadata of /mcp
 *   GET  /.well-known/oauth-authorization-server       RFC 8414 metadata
 *   POST /oauth/register                               dynamic client registration (RFC 7591)
 *   GET  /oauth/authorize                              authorization code + PKCE S256 → the consent page
 *   POST /oauth/token                                  code or refresh token → tokens (refresh rotates)
 *   POST /oauth/revoke                                 RFC 7009
 *   POST /oauth/consent/preview, /oauth/consent        the consent page's API (session cookie)
 *
 * The four protocol endpoints are the MCP SDK's handlers (parameter checks, PKCE, client
 * authentication, CORS, their rate limits) over KithOAuthProvider. The SDK's `mcpAuthRouter` is
 * not used as a whole: it fixes the issuer URL when the app is built (Kith learns its address per
 * request, or from KITH_PUBLIC_URL) and serves the endpoints at the root (/authorize, /token…).
 */
import { Buffer } from 'node:buffer';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { authorizationHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/authorize.js';
import { clientRegistrationHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/register.js';
import { revocationHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/revoke.js';
import { tokenHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/token.js';
import { hashApiKey, OAUTH_SCOPES } from '../domain/accounts.js';
import { parseInput } from '../domain/errors.js';
import type { Services } from '../domain/services.js';
import { requireJsonBody } from '../http/body.js';
import { loopbackHostOnly } from '../http/hostCheck.js';
import { problem, sendProblem, toProblem } from '../http/problem.js';
import { mcpResource, oauthAvailable, publicOrigin } from '../http/publicUrl.js';
import { refuseCrossSiteWrite, sessionToken } from '../http/session.js';
import { CLIENT_AUTH_METHODS, KithOAuthProvider } from './provider.js';

const Preview = z.strictObject({ request: z.string().max(200) });
const Decision = z.strictObject({
  request: z.string().max(200),
  decision: z.enum(['allow', 'deny']),
  workspace: z.string().max(200).optional().describe('Slug or id of the workspace the app may use'),
  access: z.enum(['read', 'full']).optional(),
});

export function authorizationServerMetadata(origin: string) {
  return {
    issuer: origin,
    authorization_endpoint: `${origin}/oauth/authorize`,
    token_endpoint: `${origin}/oauth/token`,
    registration_endpoint: `${origin}/oauth/register`,
    revocation_endpoint: `${origin}/oauth/revoke`,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    scopes_supported: [...OAUTH_SCOPES],
  };
}

export function protectedResourceMetadata(req: Request) {
  const origin = publicOrigin(req);
  return {
    resource: mcpResource(req),
    authorization_servers: [origin],
    scopes_supported: [...OAUTH_SCOPES],
    bearer_methods_supported: ['header'],
    resource_name: 'Kith CRM',
  };
}

/** Metadata documents are public and read by browser-based clients too. */
function sendMetadata(res: Response, body: unknown): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Cache-Control', 'public, max-age=300');
  res.json(body);
}

const formBody = express.urlencoded({ extended: false, limit: '16kb' });

/**
 * Before the SDK's client authentication: HTTP Basic credentials (client_secret_basic) become the
 * body's client_id / client_secret, and the secret is hashed, since the store keeps only hashes.
 */
function hashClientSecret(req: Request, res: Response, next: NextFunction): void {
  formBody(req, res, (error?: unknown) => {
    if (error) return next(error);
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object') return next();
    const basic = /^Basic\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (basic && body.client_id === undefined) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) {
        try {
          body.client_id = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
          body.client_secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
        } catch {
          // not form-encoded: the SDK reports the missing client
        }
      }
    }
    if (typeof body.client_secret === 'string') body.client_secret = hashApiKey(body.client_secret);
    next();
  });
}

export interface OAuthRouterOptions {
  /** The address the server is bound to (loopback: /oauth answers loopback Host names only). */
  host?: string;
}

export function oauthRouter(services: Services, options: OAuthRouterOptions = {}): Router {
  const { accounts } = services;
  const provider = new KithOAuthProvider(accounts.oauth);
  const router = express.Router();

  const unavailable = (req: Request, res: Response, next: NextFunction) => {
    const origin = publicOrigin(req);
    if (oauthAvailable(origin)) return next();
    sendProblem(res, problem(404, 'Not found', `OAuth is served over https only (this request came to ${origin}); serve Kith over https, or set KITH_PUBLIC_URL=https://… behind a TLS proxy`));
  };

  router.get(['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp'], unavailable, (req, res) => sendMetadata(res, protectedResourceMetadata(req)));
  router.get('/.well-known/oauth-authorization-server', unavailable, (req, res) => sendMetadata(res, authorizationServerMetadata(publicOrigin(req))));

  router.use('/oauth', unavailable, loopbackHostOnly(options.host));
  router.use('/oauth/register', clientRegistrationHandler({ clientsStore: provider.clientsStore, clientSecretExpirySeconds: 0 }));
  router.use('/oauth/authorize', authorizationHandler({ provider }));
  router.use('/oauth/token', hashClientSecret, tokenHandler({ provider }));
  router.use('/oauth/revoke', hashClientSecret, revocationHandler({ provider }));

  // ---- the consent page's API (renderer/app/ConsentPage.tsx); the person's session cookie
  const json = [requireJsonBody, express.json({ limit: '16kb', type: ['application/json', 'application/*+json'] })];
  const route = (handler: (req: Request, res: Response) => Promise<unknown>) => async (req: Request, res: Response) => {
    try {
      if (refuseCrossSiteWrite(req, res)) return;
      const result = await handler(req, res);
      if (!res.headersSent) res.setHeader('Cache-Control', 'no-store').json(result);
    } catch (error) {
      const p = toProblem(error);
      if (p.status >= 500) console.error(error);
      sendProblem(res, p);
    }
  };
  const signedIn = async (req: Request) => {
    const session = await accounts.authenticateSession(sessionToken(req));
    return 'failure' in session ? null : session;
  };

  router.post(
    '/oauth/consent/preview',
    ...json,
    route(async (req) => {
      const { request } = parseInput(Preview, req.body);
      const pending = await accounts.oauth.previewRequest(request);
      const session = await signedIn(req);
      const workspaces = session ? await accounts.listWorkspaces(session.user.id) : [];
      return {
        ...pending,
        user: session ? { id: session.user.id, name: session.user.name, email: session.user.email } : null,
        workspaces: workspaces.map((w) => ({ id: w.id, slug: w.slug, name: w.name, role: w.role ?? null })),
      };
    }),
  );

  router.post(
    '/oauth/consent',
    ...json,
    route(async (req, res) => {
      const answer = parseInput(Decision, req.body);
      const session = await signedIn(req);
      if (!session) return sendProblem(res, problem(401, 'Unauthorized', 'sign in first: the app is granted access as the person signed in'));
      const { redirect } = await accounts.oauth.decide(session.user, answer.request, answer, { userId: session.user.id, keyId: null, source: 'rest' });
      return { redirect };
    }),
  );

  router.use('/oauth', (req, res) => sendProblem(res, problem(404, 'Not found', `no route ${req.method} /oauth${req.path}`)));
  return router;
}
