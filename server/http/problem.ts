/**
 * RFC 9457 problem details: every error the HTTP API returns has this shape. Domain errors carry a
 * code (server/domain/errors.ts); the status and title each code is answered with are set here.
 */
import type { Response } from 'express';
import { DomainError, type ErrorCode, type FieldError } from '../domain/errors.js';

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

const SLUGS: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  406: 'not-acceptable',
  409: 'conflict',
  412: 'precondition-failed',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'validation',
  500: 'internal',
  503: 'unavailable',
};

const TITLES: Record<number, string> = {
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
};

/**
 * How each domain error code is answered over HTTP. `code: true`: the problem carries the code too,
 * for clients that must tell that refusal from other 403s.
 */
const DOMAIN_PROBLEMS: Record<ErrorCode, { status: number; title: string; code?: true }> = {
  invalid: { status: 422, title: 'Validation failed' },
  not_found: { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  precondition_failed: { status: 412, title: 'Precondition failed' },
  role_forbidden: { status: 403, title: 'Forbidden' },
  not_a_member: { status: 403, title: 'Forbidden' },
  key_workspace_restriction: { status: 403, title: 'Forbidden', code: true },
  workspace_required: { status: 400, title: 'Workspace required' },
  server_only: { status: 405, title: 'Method not allowed' },
  usage: { status: 400, title: 'Bad request' },
};

/** The HTTP status of a domain error. */
export function statusOf(error: DomainError): number {
  return DOMAIN_PROBLEMS[error.code].status;
}

export function problem(status: number, title: string, detail: string, errors?: FieldError[], extra: Record<string, unknown> = {}): Problem {
  return {
    type: `https://kith.dev/problems/${SLUGS[status] ?? 'error'}`,
    title,
    status,
    detail,
    ...(errors && errors.length ? { errors } : {}),
    ...extra,
  };
}

/** The answer of a gated route while the workspace's crm.core feature is off (SPEC §3). */
export function featureDisabled(workspaceSlug: string): Problem {
  return problem(403, 'Feature disabled', `the crm.core feature is disabled for workspace '${workspaceSlug}'`, undefined, { feature: 'crm.core' });
}

export function sendProblem(res: Response, p: Problem): void {
  if (res.headersSent) return;
  // a busy database (server/store/errors.ts): the client may retry after a short wait
  if (p.status === 503) res.setHeader('Retry-After', String(typeof p.retryAfter === 'number' ? p.retryAfter : 1));
  res.status(p.status).type('application/problem+json').send(JSON.stringify(p));
}

/** Any thrown value → a problem. Unknown errors are 500 with no internals leaked. */
export function toProblem(error: unknown): Problem {
  if (error instanceof DomainError) {
    const { status, title, code } = DOMAIN_PROBLEMS[error.code];
    return problem(status, title, error.message, error.errors, { ...(code ? { code: error.code } : {}), ...error.extra });
  }
  const e = error as { status?: number; statusCode?: number; type?: string; message?: string; expose?: boolean; retryAfter?: number };
  const status = e?.status ?? e?.statusCode;
  if (e?.type === 'entity.too.large') return problem(413, 'Payload too large', 'the request body is larger than the limit of 1 MB');
  if (e?.type === 'entity.parse.failed') return problem(400, 'Bad request', `the body is not valid JSON: ${e.message}`);
  if (status && status >= 400 && status < 500 && e.expose !== false) return problem(status, TITLES[status] ?? 'Bad request', e.message ?? 'bad request');
  if (status === 503 && e.expose) return problem(503, 'Service unavailable', e.message ?? 'busy; retry shortly', undefined, { retryAfter: e.retryAfter ?? 1 });
  return problem(500, 'Internal server error', 'an unexpected error occurred; it has been logged');
}
