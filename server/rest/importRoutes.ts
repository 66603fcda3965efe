/**
 * Import, backup and restore routes (SPEC §3): `POST /crm/imports` (CSV or JSON) → a validation
 * session, `GET /crm/imports/:id`, `GET /crm/imports/:id/rows`, `POST /crm/imports/:id/commit`;
 * `GET /crm/workspace/backup`; `POST /crm/workspaces/restore` (platform admins).
 */
import type { Request } from 'express';
import { z } from 'zod';
import type { Auth } from '../domain/accounts.js';
import { backupJson, restoreBackup } from '../domain/backup.js';
import { DomainError, forbidden, parseInput, ValidationError } from '../domain/errors.js';
import { ImportOptions } from '../domain/imports/columns.js';
import { CommitBody, ImportRow, ImportRowsQuery, ImportSession } from '../domain/imports/service.js';
import type { Services } from '../domain/services.js';
import { streamText } from './csv.js';
import { CSV_BODY_LIMIT, type RouteDef } from './routeTable.js';

const TAG = 'Import and export';
const param = (req: Request, name: string) => String(req.params[name]);

/** A CSV import's options in the query (its body is the file). */
const ImportQuery = z.strictObject({
  entity: z.string().optional().describe('With a text/csv body (required then): organizations, people, deals, activities or a custom object type key'),
  match: z.string().optional().describe('email (people, default), domain (organizations, default), id, a custom field key, or none'),
  mode: z.enum(['create', 'update', 'upsert'], { error: 'must be one of create, update, upsert' }).optional().describe('Default create'),
  mapping: z.string().optional().describe('JSON object column → field, e.g. {"E-mail":"email","Company":"organization","Notes":null}'),
  createMissing: z.enum(['true', 'false'], { error: 'must be true or false' }).optional().describe('false: an unknown organization name is an error instead of a planned create'),
  delimiter: z.enum([',', ';', '\t', '|'], { error: 'must be , ; tab or |' }).optional().describe('Default: sniffed from the header row'),
  workspace: z.string().optional(),
});
const ImportBody = ImportOptions.extend({
  rows: z.array(z.record(z.string(), z.unknown())).optional().describe('Rows as objects by column'),
  csv: z.string().optional().describe('The file as text (bodies over 1 MB: send text/csv instead)'),
  delimiter: z.enum([',', ';', '\t', '|']).optional(),
});
const RestoreQuery = z.strictObject({
  slug: z.string().describe('Slug of the new workspace'),
  name: z.string().optional().describe("Its name (default: the backup's)"),
  workspace: z.string().optional(),
});

function csvOptions(query: z.infer<typeof ImportQuery>): unknown {
  let mapping: unknown;
  if (query.mapping !== undefined) {
    try {
      mapping = JSON.parse(query.mapping);
    } catch {
      throw new ValidationError([{ path: 'mapping', message: 'must be a JSON object column → field, e.g. {"E-mail":"email"}' }]);
    }
  }
  if (query.entity === undefined) throw new ValidationError([{ path: 'entity', message: 'is required (in the query with a text/csv body)' }]);
  return { entity: query.entity, match: query.match, mode: query.mode, mapping, ...(query.createMissing ? { createMissing: query.createMissing === 'true' } : {}) };
}

async function readJson(req: Request): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > CSV_BODY_LIMIT) throw new DomainError('invalid', `the backup is larger than ${CSV_BODY_LIMIT / 1024 / 1024} MB; restore it with kith restore`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new DomainError('usage', `the body is not valid JSON: ${(error as Error).message}`);
  }
}

export function importRoutes(services: Services): RouteDef[] {
  const { imports } = services;
  return [
    {
      method: 'post',
      path: '/imports',
      tag: TAG,
      summary: 'Validate an import (CSV or JSON rows) into a session: per row the planned outcome and the errors by column',
      description:
        'Send the file as text/csv (options in the query) or JSON {entity, rows | csv, mapping, match, mode, createMissing}. Nothing is written until POST /crm/imports/:id/commit. See docs/import-export.md.',
      query: ImportQuery,
      body: ImportBody,
      csvBody: true,
      response: ImportSession,
      statuses: { '413': 'CSV body larger than 200 MB, or JSON body larger than 1 MB', '415': 'Body is neither application/json nor text/csv' },
      handler: async (ctx, req, res) => {
        const query = parseInput(ImportQuery, req.query);
        let session;
        if (req.is('text/csv')) {
          session = await imports.validate(ctx, csvOptions(query), { csv: req, delimiter: query.delimiter });
        } else {
          const { rows, csv, delimiter, ...options } = parseInput(ImportBody, req.body);
          if ((rows === undefined) === (csv === undefined)) throw new ValidationError([{ path: 'rows', message: 'give rows (an array of objects) or csv (the file as text), one of them' }]);
          session = await imports.validate(ctx, options, rows ? { rows } : { csv: csv!, delimiter: delimiter ?? query.delimiter });
        }
        res.location(`/crm/imports/${session.id}`);
        return session;
      },
    },
    {
      method: 'get',
      path: '/imports/:id',
      tag: TAG,
      summary: "An import session: state (validated, committing, committed, failed), counts and the commit's progress",
      response: ImportSession,
      handler: (ctx, req) => imports.get(ctx, param(req, 'id')),
    },
    {
      method: 'get',
      path: '/imports/:id/rows',
      tag: TAG,
      summary: "An import's rows in file order with outcome, record and errors by column (outcome=error for the report)",
      query: ImportRowsQuery,
      response: z.object({ data: z.array(ImportRow), nextCursor: z.string().nullable() }),
      handler: (ctx, req) => imports.rows(ctx, param(req, 'id'), req.query),
    },
    {
      method: 'post',
      path: '/imports/:id/commit',
      tag: TAG,
      summary: 'Commit an import: rows valid (default) writes the rows without errors, all writes nothing unless every row is valid',
      description:
        'Answers 202 with the session committing; GET /crm/imports/:id reports progress until state is committed. One audited operation: every audit entry carries operationId = the import id. A commit cut short by a crash is resumed by the server: it ends with every row written once.',
      body: CommitBody,
      response: ImportSession,
      status: 202,
      statuses: { '409': 'rows: all while rows are in error (nothing written), or the import is already committing or committed' },
      handler: (ctx, req) => imports.commit(ctx, param(req, 'id'), req.body),
    },
    {
      method: 'get',
      path: '/workspace/backup',
      tag: TAG,
      summary: 'The whole workspace as one JSON document, streamed (owners): records of every collection, fields, object types, pipelines, audit',
      handler: async (ctx, _req, res) => streamText(res, 'application/json; charset=utf-8', `kith-${ctx.workspace.slug}-backup.json`, backupJson(services.store, ctx)),
    },
    {
      method: 'post',
      path: '/workspaces/restore',
      tag: TAG,
      summary: 'Restore a backup into a new workspace (platform admins): the body is the backup document, slug= names the new workspace',
      query: RestoreQuery,
      largeBody: true,
      ungated: true,
      statuses: { '409': 'The slug is taken, or records of the backup are already stored in this data directory', '413': 'Backup larger than 200 MB', '415': 'Body is not application/json' },
      handler: async (_ctx, req, res) => {
        const auth = res.locals.auth as Auth;
        if (auth.user.platformRole !== 'ADMIN') throw forbidden('only platform admins may restore a workspace (kith user create --admin)');
        const { slug, name } = parseInput(RestoreQuery, req.query);
        const result = await restoreBackup(services.store, await readJson(req), { slug, name }, auth.user.id);
        return { workspace: { id: result.workspace.id, slug: result.workspace.slug, name: result.workspace.name }, restored: result.restored };
      },
    },
  ];
}
