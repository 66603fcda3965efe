/**
 * RFC 9457 problem details: every error the HTTP API returns has this shape.
 */
import type { Response } from 'express';
import { DomainError, type FieldError } from '../domain/errors.js';

export interface Problem {
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
};

const TITLES: Record<number, string> = {
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  413: 'Payload too large',
  415: 'Unsupported media type',
};

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
  res.status(p.status).type('application/problem+json').send(JSON.stringify(p));
}

/** Any thrown value → a problem. Unknown errors are 500 with no internals leaked. */
export function toProblem(error: unknown): Problem {
  if (error instanceof DomainError) {
    const { code, ...extra } = error.extra as { code?: string };
    return problem(error.status, error.title, error.message, error.errors, { ...(code ? { code } : {}), ...extra });
  }
  const e = error as { status?: number; statusCode?: number; type?: string; message?: string; expose?: boolean };
  const status = e?.status ?? e?.statusCode;
  if (e?.type === 'entity.too.large') return problem(413, 'Payload too large', 'the request body is larger than the limit of 1 MB');
  if (e?.type === 'entity.parse.failed') return problem(400, 'Bad request', `the body is not valid JSON: ${e.message}`);
  if (status && status >= 400 && status < 500 && e.expose !== false) return problem(status, TITLES[status] ?? 'Bad request', e.message ?? 'bad request');
  return problem(500, 'Internal server error', 'an unexpected error occurred; it has been logged');
}
