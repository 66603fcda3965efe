/**
 * The hosted MCP endpoint `/mcp` (streamable HTTP, stateful), SPEC §4:
 *
 * - `initialize` (no Mcp-Session-Id) opens a session: a new McpServer + transport, bound to the
 *   API key (or OAuth grant: its access tokens rotate) that opened it and to the workspace
 *   resolved then. A key or grant may hold a limited number of open sessions (default 32, env
 *   KITH_MCP_SESSIONS_PER_KEY); one more is refused with 429, and a full server refuses with 503:
 *   no one's session is ever closed to make room.
 * - Credentials: an API key, or an OAuth access token (`kat_…`, server/oauth/) bound to this
 *   resource. A 401 names the protected-resource metadata (RFC 9728) in `WWW-Authenticate`.
 * - Every request is authenticated again (a revoked or expired key gets 401 at once, also in
 *   the middle of a session) and the caller's context is re-resolved, so role and feature
 *   changes apply to the next listing/call.
 * - Unknown, expired, closed or someone else's session → 404 `MCP session not found`; a call
 *   without a session → 400 `Server not initialized`; DELETE ends a session.
 * - Idle sessions expire and are closed (their open streams end); sessions of revoked keys and
 *   grants are closed within a second.
 * - Host/Origin are checked when the server is bound to loopback (DNS-rebinding protection);
 *   the JSON body limit is set here (1 MB).
 *
 * Several server processes on one database (issue 17, docs/deploy.md "MCP sessions"): a session is
 * a row in the database (`accounts.mcpSessions`: its credential, workspace, last use and the
 * parameters of its initialize), and each process keeps the live SDK transport + McpServer of the
 * sessions it has served. A request for a session this process has not seen (opened on another
 * process, or before a restart) rebuilds them from the row through the SDK's public API: a
 * transport whose `sessionIdGenerator` returns the stored id is handed the stored initialize (and
 * `notifications/initialized`) through `handleRequest`, exactly as the client sent them, then the
 * request itself. We keep stateful sessions rather than the SDK's stateless mode because a session
 * holds more than an id: the GET stream for server notifications (tools/list_changed after a role
 * change), the client's capabilities, the per-key cap and DELETE. The web-standard transport is
 * used (with a small Node adapter below) because only it can be handed a synthetic request.
 * What stays per process: the GET stream (a list_changed reaches it only from its own process),
 * and the listing last sent (a rebuilt session announces changes from its next tools/list on).
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import express, { type Express, type Request, type Response } from 'express';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { hashApiKey, type Auth, type OAuthAuth } from '../domain/accounts.js';
import type { Ctx } from '../domain/context.js';
import { DomainError } from '../domain/errors.js';
import type { Services } from '../domain/services.js';
import { FAILURE_TEXT, keyFromRequest, workspaceSelector } from '../http/auth.js';
import { hostName, isLoopbackName } from '../http/hostCheck.js';
import { statusOf } from '../http/problem.js';
import { mcpResource, resourceMetadataUrl } from '../http/publicUrl.js';
import { createCatalogueServer, type CatalogueServer } from './server.js';

const MCP_BODY_LIMIT_BYTES = 1024 * 1024;
const DEFAULT_IDLE_MS = 30 * 60 * 1000;
const DEFAULT_MAX_SESSIONS = 1000;
/** Open sessions one API key or OAuth grant may hold (env KITH_MCP_SESSIONS_PER_KEY). */
export const DEFAULT_SESSIONS_PER_KEY = 32;

/** What a 401 says when an OAuth access token fails. */
const TOKEN_FAILURE_TEXT = {
  missing: FAILURE_TEXT.missing,
  malformed: 'the access token is malformed',
  unknown: 'the access token is not valid',
  revoked: 'the access was revoked (the grant was revoked in Kith, or the membership ended): authorize the app again',
  expired: 'the access token has expired: refresh it',
  resource: 'the access token was issued for another resource',
} as const;
const MESSAGES = {
  unauthorized: 'Unauthorized',
  sessionNotFound: 'MCP session not found',
  notInitialized: 'Server not initialized',
  sessionRequired: 'Bad Request: Mcp-Session-Id header is required',
  keyRestriction: 'Workspace access denied by MCP key restriction',
  notAcceptablePost: 'Not Acceptable: Client must accept both application/json and text/event-stream',
  notAcceptableGet: 'Not Acceptable: Client must accept text/event-stream',
  unsupportedMedia: 'Unsupported Media Type: Content-Type must be application/json',
  tooLarge: `Payload Too Large: Request body must not exceed ${MCP_BODY_LIMIT_BYTES} bytes`,
  parseError: 'Parse error: Invalid JSON',
} as const;

interface McpMountOptions {
  /** The address the server is bound to; Host/Origin are validated when it is loopback. */
  host?: string;
  /** Shutdown hooks of the app: the MCP host adds one that closes every session. */
  closers?: (() => Promise<void> | void)[];
  /** Sessions without a request for this long are closed (default 30 min, env KITH_MCP_IDLE_MS). */
  idleMs?: number;
  maxSessions?: number;
  /** Open sessions one key or grant may hold (default 32, env KITH_MCP_SESSIONS_PER_KEY). */
  sessionsPerKey?: number;
}

interface Session {
  id: string;
  transport: WebStandardStreamableHTTPServerTransport;
  server: CatalogueServer;
  /** `k:<key id>` or `g:<grant id>`: who the session belongs to. */
  credential: string;
  /** The API key's hash (null for an OAuth grant). */
  keyHash: string | null;
  grantId: string | null;
  userId: string;
  workspaceId: string;
  ctx: Ctx;
  lastSeen: number;
  /** The last use written to the session's row. */
  stored: number;
}

interface McpHost {
  /** Open sessions (for tests and diagnostics). */
  sessionCount(): number;
  close(): Promise<void>;
}

function rpcError(res: Response, status: number, code: number, message: string, data?: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res
    .status(status)
    .set(headers)
    .json({ jsonrpc: '2.0', error: { code, message, ...(data !== undefined ? { data } : {}) }, id: null });
}

/** null when allowed; otherwise the reason. */
function rebindingProblem(req: Request): string | null {
  const host = req.headers.host;
  if (!host || !isLoopbackName(hostName(host))) return `Invalid Host header: ${host ?? '(none)'}`;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let ok: boolean;
    try {
      const url = new URL(origin);
      ok = (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackName(url.hostname);
    } catch {
      ok = false;
    }
    if (!ok) return `Invalid Origin header: ${origin}`;
  }
  return null;
}

function acceptable(req: Request): string | null {
  const accept = String(req.headers.accept ?? '');
  if (req.method === 'POST' && !(accept.includes('application/json') && accept.includes('text/event-stream'))) return MESSAGES.notAcceptablePost;
  if (req.method === 'GET' && !accept.includes('text/event-stream')) return MESSAGES.notAcceptableGet;
  return null;
}

function isJsonContent(req: Request): boolean {
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

const jsonBody = express.json({ limit: MCP_BODY_LIMIT_BYTES, type: () => true });

function parseBody(req: Request, res: Response): Promise<unknown> {
  return new Promise((resolve, reject) => jsonBody(req, res, (error?: unknown) => (error ? reject(error) : resolve(req.body))));
}

/** An API key's holder or an OAuth grant's person. */
type McpCaller = Auth | OAuthAuth;

const credentialOf = (auth: McpCaller) => ('key' in auth ? `k:${auth.key.id}` : `g:${auth.grant.id}`);

const WEB_BASE = 'http://localhost';
const POST_HEADERS = { accept: 'application/json, text/event-stream', 'content-type': 'application/json' };

/** Hands an Express request to a web-standard transport and writes its Response back (SSE streamed as it comes). */
async function serveWeb(transport: WebStandardStreamableHTTPServerTransport, req: Request, res: Response, body: unknown): Promise<void> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  const response = await transport.handleRequest(new globalThis.Request(WEB_BASE + req.originalUrl, { method: req.method, headers }), { parsedBody: body });
  res.status(response.status);
  response.headers.forEach((value, name) => res.setHeader(name, value));
  if (!response.body) {
    res.end();
    return;
  }
  res.flushHeaders();
  // a client going away destroys the pipe, which cancels the stream (the SDK then forgets it)
  await pipeline(Readable.fromWeb(response.body as NodeReadableStream), res).catch(() => {});
}

export function mountMcp(app: Express, services: Services, options: McpMountOptions = {}): McpHost {
  const idleMs = options.idleMs ?? (Number(process.env.KITH_MCP_IDLE_MS) || DEFAULT_IDLE_MS);
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  const sessionsPerKey = options.sessionsPerKey ?? (Number(process.env.KITH_MCP_SESSIONS_PER_KEY) || DEFAULT_SESSIONS_PER_KEY);
  const checkHost = isLoopbackName(options.host ?? '127.0.0.1');
  const rows = services.accounts.mcpSessions;
  /** The live sessions of this process (a cache of the rows: see the file comment). */
  const sessions = new Map<string, Session>();
  /** Sessions being rebuilt from their row, so two requests at once rebuild one. */
  const restoring = new Map<string, Promise<Session | null>>();

  /** Closes this process's transport (its open streams end); `end` also deletes the row, ending the session everywhere. */
  const closeSession = async (session: Session, end: boolean) => {
    sessions.delete(session.id);
    await session.transport.close().catch(() => {});
    if (end) await rows.remove([session.id]).catch(() => {});
  };

  const unauthorized = (req: Request, res: Response, failure: string, reason: string) => {
    // RFC 9728 §5.1: the metadata that says how to get a token (OAuth clients start there)
    const metadata = `resource_metadata="${resourceMetadataUrl(req)}"`;
    rpcError(
      res,
      401,
      -32000,
      MESSAGES.unauthorized,
      { reason },
      {
        // RFC 6750: no error code when no credentials were sent
        'WWW-Authenticate': failure === 'missing' ? `Bearer realm="kith", ${metadata}` : `Bearer realm="kith", error="invalid_token", error_description="${reason}", ${metadata}`,
      },
    );
  };

  /** A key, or an OAuth access token bound to this /mcp; on failure, why (and sessions it ends). */
  const authenticate = async (req: Request, raw: string | null): Promise<McpCaller | { failure: string; reason: string }> => {
    if (raw?.startsWith('kat_')) {
      const auth = await services.accounts.oauth.authenticate(raw);
      if ('failure' in auth) return { failure: auth.failure, reason: TOKEN_FAILURE_TEXT[auth.failure] };
      if (new URL(auth.grant.resource).href !== new URL(mcpResource(req)).href) return { failure: 'resource', reason: TOKEN_FAILURE_TEXT.resource };
      return auth;
    }
    const auth = await services.accounts.authenticate(raw);
    if (!('failure' in auth)) return auth;
    if (raw && (auth.failure === 'revoked' || auth.failure === 'expired')) {
      const hash = hashApiKey(raw);
      const ended = [...sessions.values()].filter((s) => s.keyHash === hash);
      for (const s of ended) await closeSession(s, false);
      await rows.removeCredentials([...new Set(ended.map((s) => s.credential))]).catch(() => {});
    }
    return { failure: auth.failure, reason: FAILURE_TEXT[auth.failure] };
  };

  /** Sessions being opened here (checked against the caps, row not yet written), per credential. */
  const opening = new Map<string, number>();
  const openingCount = () => [...opening.values()].reduce((a, b) => a + b, 0);

  /** A domain error while resolving the caller's workspace, as the MCP endpoint answers it. */
  const contextError = (res: Response, error: unknown) => {
    if (error instanceof DomainError) {
      if (error.code === 'key_workspace_restriction') return rpcError(res, 403, -32003, MESSAGES.keyRestriction);
      return rpcError(res, statusOf(error), -32000, error.message);
    }
    console.error('[mcp]', error);
    return rpcError(res, 500, -32603, 'Internal error');
  };

  /** A transport + McpServer for session `id` (not yet initialized). */
  const createSession = async (id: string, auth: McpCaller, ctx: Ctx, keyHash: string | null): Promise<Session> => {
    const session = {} as Session;
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      enableJsonResponse: true,
      maxRequestBodySize: MCP_BODY_LIMIT_BYTES,
      // DELETE /mcp: the session ends for every process
      onsessionclosed: () => rows.remove([id]),
    });
    transport.onclose = () => {
      if (sessions.get(id) === session) sessions.delete(id);
    };
    const now = Date.now();
    Object.assign(session, {
      id,
      transport,
      server: createCatalogueServer(services, () => session.ctx),
      credential: credentialOf(auth),
      keyHash,
      grantId: 'grant' in auth ? auth.grant.id : null,
      userId: auth.user.id,
      workspaceId: ctx.workspaceId,
      ctx,
      lastSeen: now,
      stored: now,
    } satisfies Session);
    await session.server.mcp.connect(transport);
    return session;
  };

  /**
   * A session this process has not served yet, rebuilt from its row: the stored initialize and
   * `notifications/initialized` go through the transport's public `handleRequest`, as the client
   * sent them when it opened the session. null when there is no such session for this caller.
   */
  const restoreSession = async (id: string, auth: McpCaller, rawKey: string | null): Promise<Session | null> => {
    const row = await rows.find(id);
    if (!row || row.credential !== credentialOf(auth) || row.lastSeen < Date.now() - idleMs) return null;
    const ctx = await services.accounts.resolveContext(auth, row.workspaceId, 'mcp');
    const session = await createSession(id, auth, ctx, 'key' in auth && rawKey ? hashApiKey(rawKey) : null);
    session.stored = row.lastSeen;
    const replay = (headers: Record<string, string>, body: unknown) =>
      session.transport.handleRequest(new globalThis.Request(`${WEB_BASE}/mcp`, { method: 'POST', headers: { ...POST_HEADERS, ...headers } }), { parsedBody: body });
    const initialized = await replay({}, { jsonrpc: '2.0', id: 'kith-restore', method: 'initialize', params: row.init });
    if (initialized.status !== 200 || session.transport.sessionId !== id) {
      await session.server.mcp.close().catch(() => {});
      throw new Error(`could not restore MCP session ${id}: initialize answered ${initialized.status}`);
    }
    await replay({ 'mcp-session-id': id }, { jsonrpc: '2.0', method: 'notifications/initialized' });
    sessions.set(id, session);
    return session;
  };

  const sessionFor = async (id: string, auth: McpCaller, rawKey: string | null): Promise<Session | null> => {
    const local = sessions.get(id);
    if (local) return local;
    let pending = restoring.get(id);
    if (!pending) {
      pending = restoreSession(id, auth, rawKey).finally(() => restoring.delete(id));
      restoring.set(id, pending);
    }
    return pending;
  };

  async function handle(req: Request, res: Response): Promise<void> {
    if (!['POST', 'GET', 'DELETE'].includes(req.method)) {
      return rpcError(res, 405, -32000, 'Method not allowed.', undefined, { Allow: 'GET, POST, DELETE' });
    }
    if (checkHost) {
      const problem = rebindingProblem(req);
      if (problem) return rpcError(res, 403, -32000, problem);
    }
    const rawKey = keyFromRequest(req);
    const auth = await authenticate(req, rawKey);
    const sessionId = req.headers['mcp-session-id'];
    if ('failure' in auth) return unauthorized(req, res, auth.failure, auth.reason);
    const notAcceptable = acceptable(req);
    if (notAcceptable) return rpcError(res, 406, -32000, notAcceptable);
    if (req.method === 'POST' && !isJsonContent(req)) return rpcError(res, 415, -32000, MESSAGES.unsupportedMedia);

    let body: unknown;
    if (req.method === 'POST') {
      try {
        body = await parseBody(req, res);
      } catch (error) {
        const type = (error as { type?: string }).type;
        if (type === 'entity.too.large') return rpcError(res, 413, -32000, MESSAGES.tooLarge);
        return rpcError(res, 400, -32700, MESSAGES.parseError);
      }
    }

    if (typeof sessionId === 'string' && sessionId !== '') {
      let session: Session | null;
      try {
        session = await sessionFor(sessionId, auth, rawKey);
      } catch (error) {
        return contextError(res, error);
      }
      // Someone else's session id is answered like an unknown one: session ids are not shared.
      if (!session || session.credential !== credentialOf(auth)) return rpcError(res, 404, -32001, MESSAGES.sessionNotFound);
      try {
        const selector = workspaceSelector(req);
        if (selector && selector !== session.ctx.workspace.slug && selector !== session.workspaceId) {
          // a key pinned elsewhere gets the restriction error; otherwise the session's workspace is fixed
          await services.accounts.resolveContext(auth, selector, 'mcp');
          return rpcError(res, 400, -32000, `this session belongs to workspace '${session.ctx.workspace.slug}'; open a new session (initialize) to work in '${selector}'`);
        }
        session.ctx = await services.accounts.resolveContext(auth, session.workspaceId, 'mcp');
      } catch (error) {
        return contextError(res, error);
      }
      session.lastSeen = Date.now();
      session.server.refresh(session.ctx);
      await serveWeb(session.transport, req, res, body);
      session.lastSeen = Date.now();
      return;
    }

    if (req.method !== 'POST') return rpcError(res, 400, -32000, MESSAGES.sessionRequired);
    const messages = Array.isArray(body) ? body : [body];
    const initialize = messages.find((m) => isInitializeRequest(m));
    if (!initialize) return rpcError(res, 400, -32000, MESSAGES.notInitialized);

    // a key (or grant) over its cap is refused; no other session is closed to make room.
    // The counts are the database's: every process's sessions count.
    const credential = credentialOf(auth);
    const who = 'key' in auth ? 'this API key' : 'this connected app';
    const refuse = (held: number) => {
      if (held >= sessionsPerKey) {
        return rpcError(
          res,
          429,
          -32000,
          `Too many open MCP sessions: ${who} holds ${held}, the most one key may hold (${sessionsPerKey}). Close sessions you no longer use (DELETE /mcp with their Mcp-Session-Id); idle ones close after ${Math.round(idleMs / 60_000)} minutes.`,
          { limit: sessionsPerKey, open: held },
          { 'Retry-After': '60' },
        );
      }
      return rpcError(res, 503, -32000, `The server holds the most open MCP sessions it allows (${maxSessions}); try again later.`, { limit: maxSessions }, { 'Retry-After': '60' });
    };
    opening.set(credential, (opening.get(credential) ?? 0) + 1);
    let session: Session;
    try {
      // a first check, counting sessions this process is opening too; the insert checks again atomically
      const counts = await rows.counts(credential);
      const held = counts.held + (opening.get(credential) ?? 1) - 1;
      const total = counts.total + openingCount() - 1;
      if (held >= sessionsPerKey || total >= maxSessions) return refuse(held);
      let ctx: Ctx;
      try {
        ctx = await services.accounts.resolveContext(auth, workspaceSelector(req), 'mcp');
      } catch (error) {
        return contextError(res, error);
      }
      session = await createSession(randomUUID(), auth, ctx, 'key' in auth ? hashApiKey(rawKey!) : null);
      const params = (initialize as { params: Record<string, unknown> }).params;
      const over = await rows.insertWithin(
        { id: session.id, credential, userId: auth.user.id, workspaceId: ctx.workspaceId, init: params, createdAt: session.lastSeen, lastSeen: session.lastSeen },
        { perCredential: sessionsPerKey, total: maxSessions },
      );
      if (over) {
        // another process (or request) took the last place meanwhile
        await session.server.mcp.close().catch(() => {});
        return refuse(over.held);
      }
    } finally {
      const left = (opening.get(credential) ?? 1) - 1;
      if (left > 0) opening.set(credential, left);
      else opening.delete(credential);
    }
    sessions.set(session.id, session);
    await serveWeb(session.transport, req, res, body);
    // initialize refused (bad params, a batch…): nothing to keep
    if (!session.transport.sessionId) {
      sessions.delete(session.id);
      await session.server.mcp.close().catch(() => {});
      await rows.remove([session.id]);
    }
  }

  app.all(['/mcp', '/mcp/'], (req, res) => {
    handle(req, res).catch((error) => {
      console.error('[mcp]', error);
      rpcError(res, 500, -32603, 'Internal error');
    });
  });

  // Idle expiry and revocation: closes sessions (and their open streams), not just forgets them.
  let ticking = false;
  let expiredAt = 0;
  const tick = async () => {
    if (ticking) return;
    ticking = true;
    try {
      const now = Date.now();
      const local = [...sessions.values()];
      // the last use of sessions served here since the last tick, for every process to see
      const used = local.filter((s) => s.lastSeen > s.stored);
      if (used.length > 0) {
        const at = Math.max(...used.map((s) => s.lastSeen));
        await rows.touch(
          used.map((s) => s.id),
          at,
        );
        for (const s of used) s.stored = at;
      }
      // idle rows go (whichever process served them); so do local sessions whose row went (idle, DELETE elsewhere)
      if (local.length > 0 || now - expiredAt > 60_000) {
        expiredAt = now;
        await rows.expire(now - idleMs);
      }
      if (local.length === 0) return;
      const alive = await rows.existing(local.map((s) => s.id));
      for (const s of local) if (!alive.has(s.id)) await closeSession(s, false);
      const open = [...sessions.values()];
      if (open.length === 0) return;
      const users = new Set(open.filter((s) => s.keyHash !== null).map((s) => s.userId));
      const usable = new Set<string>();
      for (const userId of users) {
        for (const key of await services.accounts.listApiKeys(userId)) {
          if (!key.revokedAt && !(key.expiresAt && Date.parse(key.expiresAt) <= now)) usable.add(`k:${key.id}`);
        }
      }
      const grants = [...new Set(open.flatMap((s) => (s.grantId ? [s.grantId] : [])))];
      for (const id of await services.accounts.oauth.activeGrantIds(grants)) usable.add(`g:${id}`);
      const revoked = open.filter((s) => !usable.has(s.credential));
      for (const s of revoked) await closeSession(s, false);
      await rows.removeCredentials([...new Set(revoked.map((s) => s.credential))]);
    } catch {
      // the store is closing
    } finally {
      ticking = false;
    }
  };
  const timer = setInterval(() => void tick(), Math.max(50, Math.min(1000, Math.floor(idleMs / 2))));
  timer.unref();
  // a key revoked or a membership ended on any process (kith_access on PostgreSQL): check at once
  const onAccess = () => void tick();
  services.store.feed.on('access', onAccess);

  const host: McpHost = {
    sessionCount: () => sessions.size,
    async close() {
      clearInterval(timer);
      services.store.feed.off('access', onAccess);
      // this process's transports only: the sessions stay open for the other processes (and a restart)
      await Promise.all([...sessions.values()].map((s) => closeSession(s, false)));
    },
  };
  options.closers?.push(() => host.close());
  return host;
}
