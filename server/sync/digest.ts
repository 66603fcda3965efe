/**
 * `GET /sync/:collection/digest?from=<a>&to=<b>`: the digest (count and order-independent hash of
 * `id:version`, shared/digest.ts) of the workspace's live records with a < version ≤ b (`to`
 * defaults to the head), and the collection's head. A client at checkpoint b compares it with its
 * own store to prove it holds what it must, and bisects the range to find where it does not.
 */
import type { Request, Response } from 'express';
import { isCollectionName } from '../../shared/collections.js';
import { parseCheckpointParam } from '../../shared/sync.js';
import type { Ctx } from '../domain/context.js';
import type { Services } from '../domain/services.js';
import { problem, sendProblem } from '../http/problem.js';
import { digest } from '../domain/replication.js';

export async function handleDigest(services: Services, req: Request, res: Response, ctx: Ctx): Promise<void> {
  const collection = String(req.params.collection);
  if (!isCollectionName(collection)) return sendProblem(res, problem(404, 'Not found', `unknown collection '${collection}'`));
  const from = parseCheckpointParam(req.query.from);
  const to = req.query.to === undefined ? null : parseCheckpointParam(req.query.to);
  const errors = [
    ...(from === null ? [{ path: 'from', message: 'must be a non-negative integer (a change sequence)' }] : []),
    ...(to === null && req.query.to !== undefined ? [{ path: 'to', message: 'must be a non-negative integer (a change sequence)' }] : []),
  ];
  if (errors.length > 0) return sendProblem(res, problem(422, 'Validation failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors));
  res.setHeader('Cache-Control', 'no-store');
  res.json(await digest(services.store, ctx, collection, from!, to));
}
