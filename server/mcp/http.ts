/**
 * The hosted MCP endpoint `/mcp` (streamable HTTP, stateful), SPEC §4:
 *
 * - `initialize` (no Mcp-Session-Id) opens a session: a new McpServer + transport, bound to the
 *   API key that opened it and to the workspace resolved then.
 * - Every request is authenticated again (a revoked or expired key gets 401 at once, also in
 *   the middle of a session) and the caller's context is re-resolved, so role and feature
 *   changes apply to the next listing/call.
 * - Unknown, expired, closed or someone else's session → 404 `MCP session not found`; a call
 *   without a session → 400 `Server not initialized`; DELETE ends a session.
 * - Idle sessions expire and are closed (their open streams end); sessions of revoked keys are
 *   closed within a second.
 * - Host/Origin are checked when the server is bound to loopback (DNS-rebinding protection);
 *   the JSON body limit is set here (1 MB).
 */
import { randomUUID } from 'node:crypto';
import express, { type Express, type Request, type Response } from 'express';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { hashApiKey, type Auth } from '../domain/accounts.js';
import type { Ctx } from '../domain/context.js';
import { DomainError } from '../domain/errors.js';
import type { Services } from '../domain/services.js';
import { FAILURE_TEXT, keyFromRequest, workspaceSelector } from '../http/auth.js';
import { hostName, isLoopbackName } from '../http/hostCheck.js';
import { statusOf } from '../http/problem.js';
import { createCatalogueServer, type CatalogueServer } from './server.js';

const MCP_BODY_LIMIT_BYTES = 1024 * 1024;
const DEFAULT_IDLE_MS = 30 * 60 * 1000;
const DEFAULT_MAX_SESSIONS = 1000;

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
}

interface Session {
  id: string;
  transport: StreamableHTTPServerTransport;
  server: CatalogueServer;
  keyId: string;
  keyHash: string;
  userId: string;
  workspaceId: string;
  ctx: Ctx;
  lastSeen: number;
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

export function mountMcp(app: Express, services: Services, options: McpMountOptions = {}): McpHost {
  const idleMs = options.idleMs ?? (Number(process.env.KITH_MCP_IDLE_MS) || DEFAULT_IDLE_MS);
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  const checkHost = isLoopbackName(options.host ?? '127.0.0.1');
  const sessions = new Map<string, Session>();

  const closeSession = async (session: Session) => {
    sessions.delete(session.id);
    await session.transport.close().catch(() => {});
  };

  const unauthorized = (res: Response, failure: keyof typeof FAILURE_TEXT) =>
    rpcError(
      res,
      401,
      -32000,
      MESSAGES.unauthorized,
      { reason: FAILURE_TEXT[failure] },
      {
        // RFC 6750: no error code when no credentials were sent
        'WWW-Authenticate': failure === 'missing' ? 'Bearer realm="kith"' : `Bearer realm="kith", error="invalid_token", error_description="${FAILURE_TEXT[failure]}"`,
      },
    );

  /** A domain error while resolving the caller's workspace, as the MCP endpoint answers it. */
  const contextError = (res: Response, error: unknown) => {
    if (error instanceof DomainError) {
      if (error.code === 'key_workspace_restriction') return rpcError(res, 403, -32003, MESSAGES.keyRestriction);
      return rpcError(res, statusOf(error), -32000, error.message);
    }
    console.error('[mcp]', error);
    return rpcError(res, 500, -32603, 'Internal error');
  };

  const openSession = async (auth: Auth, ctx: Ctx, rawKey: string): Promise<Session> => {
    const session = {} as Session;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      maxRequestBodySize: MCP_BODY_LIMIT_BYTES,
      onsessioninitialized: (id) => {
        session.id = id;
        if (sessions.size >= maxSessions) {
          const oldest = [...sessions.values()].sort((a, b) => a.lastSeen - b.lastSeen)[0];
          if (oldest) void closeSession(oldest);
        }
        sessions.set(id, session);
      },
    });
    transport.onclose = () => {
      if (session.id && sessions.get(session.id) === session) sessions.delete(session.id);
    };
    Object.assign(session, {
      id: '',
      transport,
      server: createCatalogueServer(services, () => session.ctx),
      keyId: auth.key.id,
      keyHash: hashApiKey(rawKey),
      userId: auth.user.id,
      workspaceId: ctx.workspaceId,
      ctx,
      lastSeen: Date.now(),
    } satisfies Session);
    await session.server.mcp.connect(transport);
    return session;
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
    const auth = await services.accounts.authenticate(rawKey);
    const sessionId = req.headers['mcp-session-id'];
    if ('failure' in auth) {
      if (rawKey && (auth.failure === 'revoked' || auth.failure === 'expired')) {
        const hash = hashApiKey(rawKey);
        for (const s of [...sessions.values()]) if (s.keyHash === hash) await closeSession(s);
      }
      return unauthorized(res, auth.failure);
    }
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
      const session = sessions.get(sessionId);
      // Someone else's session id is answered like an unknown one: session ids are not shared.
      if (!session || session.keyId !== auth.key.id) return rpcError(res, 404, -32001, MESSAGES.sessionNotFound);
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
      await session.transport.handleRequest(req, res, body);
      session.lastSeen = Date.now();
      return;
    }

    if (req.method !== 'POST') return rpcError(res, 400, -32000, MESSAGES.sessionRequired);
    const messages = Array.isArray(body) ? body : [body];
    if (!messages.some((m) => isInitializeRequest(m))) return rpcError(res, 400, -32000, MESSAGES.notInitialized);

    let ctx: Ctx;
    try {
      ctx = await services.accounts.resolveContext(auth, workspaceSelector(req), 'mcp');
    } catch (error) {
      return contextError(res, error);
    }
    const session = await openSession(auth, ctx, rawKey!);
    await session.transport.handleRequest(req, res, body);
    // initialize refused (bad params, a batch…): nothing to keep
    if (!session.transport.sessionId) await session.server.mcp.close().catch(() => {});
  }

  app.all(['/mcp', '/mcp/'], (req, res) => {
    handle(req, res).catch((error) => {
      console.error('[mcp]', error);
      rpcError(res, 500, -32603, 'Internal error');
    });
  });

  // Idle expiry and revocation: closes sessions (and their open streams), not just forgets them.
  let checkingKeys = false;
  const tick = async () => {
    const now = Date.now();
    for (const s of [...sessions.values()]) if (now - s.lastSeen > idleMs) await closeSession(s);
    if (checkingKeys || sessions.size === 0) return;
    checkingKeys = true;
    try {
      const users = new Set([...sessions.values()].map((s) => s.userId));
      const usable = new Set<string>();
      for (const userId of users) {
        for (const key of await services.accounts.listApiKeys(userId)) {
          if (!key.revokedAt && !(key.expiresAt && Date.parse(key.expiresAt) <= now)) usable.add(key.id);
        }
      }
      for (const s of [...sessions.values()]) if (!usable.has(s.keyId)) await closeSession(s);
    } catch {
      // the store is closing
    } finally {
      checkingKeys = false;
    }
  };
  const timer = setInterval(() => void tick(), Math.max(50, Math.min(1000, Math.floor(idleMs / 2))));
  timer.unref();

  const host: McpHost = {
    sessionCount: () => sessions.size,
    async close() {
      clearInterval(timer);
      await Promise.all([...sessions.values()].map(closeSession));
    },
  };
  options.closers?.push(() => host.close());
  return host;
}
