/**
 * Request-body checks shared by the JSON routes (/crm, /sync): a body must be sent as JSON.
 */
import type { NextFunction, Request, Response } from 'express';
import { problem, sendProblem } from './problem.js';

/** Answers 415 for a POST/PATCH/PUT whose body is not `application/json` (or `application/*+json`). */
export function requireJsonBody(req: Request, res: Response, next: NextFunction): void {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && ['POST', 'PATCH', 'PUT'].includes(req.method) && !req.is(['application/json', 'application/*+json'])) {
    return sendProblem(res, problem(415, 'Unsupported media type', `send the body as application/json (got ${req.headers['content-type'] ?? 'no content type'})`));
  }
  next();
}
