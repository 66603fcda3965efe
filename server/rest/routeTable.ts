/**
 * A declarative route: Express registration and the OpenAPI document are both generated from
 * these, so the schemas that validate requests are the ones the documentation shows.
 */
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Ctx } from '../domain/context.js';

export type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

export interface RouteDef {
  method: Method;
  /** Express path below /crm, e.g. /deals/:id */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  /** The query parameters it accepts (validated by the router; without one, only `workspace`): any other is refused with 422. */
  query?: z.ZodType;
  body?: z.ZodType;
  response?: z.ZodType;
  /** Status of a successful response (default 200; 204 means no body). */
  status?: number;
  /** Responds with an ETag of the returned record's version; PATCH honours If-Match. */
  etag?: boolean;
  /** Statuses the route answers besides those that follow from what it is (server/rest/openapi.ts routeStatuses), with what causes each. */
  statuses?: Record<string, string>;
  /** Also takes a `text/csv` body (streamed to the handler as the request itself, up to CSV_BODY_LIMIT): imports. */
  csvBody?: boolean;
  /** Also answers `text/csv` (format=csv or Accept: text/csv): list exports, streamed by the handler. */
  csvResponse?: boolean;
  /** Takes a JSON body larger than the JSON limit (read by the handler itself): a workspace restore. */
  largeBody?: boolean;
  /** Usable while crm.core is disabled (feature gate, workspace settings). */
  ungated?: boolean;
  handler(ctx: Ctx, req: Request, res: Response): Promise<unknown>;
}

/** The largest CSV an import takes, and the largest backup a restore over REST takes (bytes). */
export const CSV_BODY_LIMIT = 200 * 1024 * 1024;

/** The query of a route that declares none: only the workspace selector. */
export const NoQuery = z.strictObject({ workspace: z.string().optional().describe('Workspace slug or id (instead of X-Kith-Workspace)') });

/** The query schema the router validates a route's requests with. */
export const queryOf = (route: RouteDef): z.ZodType => route.query ?? NoQuery;

/** The methods each path answers (HEAD with GET), for 405's Allow header; paths as the table writes them. */
export function allowedMethods(routes: RouteDef[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const route of routes) {
    const methods = out.get(route.path) ?? [];
    methods.push(route.method.toUpperCase());
    if (route.method === 'get') methods.push('HEAD');
    out.set(route.path, methods);
  }
  return out;
}
