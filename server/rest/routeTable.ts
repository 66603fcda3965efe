/**
 * A declarative route: Express registration and the OpenAPI document are both generated from
 * these, so the schemas that validate requests are the ones the documentation shows.
 */
import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { Ctx } from '../domain/context.js';

export type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

export interface RouteDef {
  method: Method;
  /** Express path below /crm, e.g. /deals/:id */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  query?: z.ZodType;
  body?: z.ZodType;
  response?: z.ZodType;
  /** Status of a successful response (default 200; 204 means no body). */
  status?: number;
  /** Responds with an ETag of the returned record's version; PATCH honours If-Match. */
  etag?: boolean;
  /** Usable while crm.core is disabled (feature gate, workspace settings). */
  ungated?: boolean;
  handler(ctx: Ctx, req: Request, res: Response): Promise<unknown>;
}
